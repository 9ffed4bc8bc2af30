"""Industry, sector and national indices from company fits (`csi aggregate`).

The ACSI's aggregation (Fornell, Johnson, Anderson, Cha & Bryant 1996, Journal of Marketing
60(4), 7-18, "Aggregation"): a higher level's index is the mean of its members' indices
weighted by sales (or customers), I = sum w_i I_i / W with W = sum w_i. The members are
independent samples, so its standard error is sqrt(sum (w_i / W)^2 se_i^2) from the members'
bootstrap standard errors, and its interval the normal one, I -/+ z se. Levels nest
(company -> industry -> sector -> nation): a group's weight is the sum of its members' weights,
so every level aggregates the same companies consistently.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from csi.decisions.tables import read_records
from csi.errors import DataError, ModelError

SCHEMA = "csi.aggregate/1"
METHOD = ("weighted mean of the members' indices (weights: the --weights file); SE "
          "sqrt(sum (w_i/W)^2 se_i^2), members independent (Fornell et al. 1996); normal "
          "interval")


@dataclass(frozen=True)
class Member:
    """One fit to aggregate: its file as named, its weight, its groups and its indices."""

    name: str
    weight: float
    groups: dict[str, str]  # level column -> group
    score: dict[str, float]
    se: dict[str, float | None]


def read_weights(path: str | Path, level_columns: tuple[str, ...] = ()) -> dict[str, dict]:
    """{result: {"weight": w, "row": n, column: group, ...}} from a weights CSV with columns
    `result` and `weight` (and the level columns)."""
    rows = {}
    for number, record in read_records(path, "weights", ("result", "weight", *level_columns)):
        name = record["result"]
        if not name:
            raise DataError(f"{path}, row {number}, column result: empty")
        if name in rows:
            raise DataError(f"{path}, row {number}, column result: '{name}' is listed twice")
        try:
            weight = float(record["weight"])
        except ValueError:
            raise DataError(f"{path}, row {number}, column weight: '{record['weight']}' is not "
                            "a number") from None
        if not (math.isfinite(weight) and weight > 0):
            raise DataError(f"{path}, row {number}, column weight: must be a positive number")
        entry = {"weight": weight, "row": number}
        for column in level_columns:
            if not record[column]:
                raise DataError(f"{path}, row {number}, column {column}: empty")
            entry[column] = record[column]
        rows[name] = entry
    return rows


def members_of(documents: dict[str, dict], weights: dict[str, dict], weights_file: str,
               level_columns: tuple[str, ...]) -> list[Member]:
    """The members, each fit checked to share the first one's model (ModelError, exit 4)."""
    first_name, first = next(iter(documents.items()))
    shape = _model_shape(first)
    members = []
    for name, doc in documents.items():
        if _model_shape(doc) != shape:
            raise ModelError(f"{name}: its model ({doc['model']['name']}) differs from "
                             f"{first_name}'s ({first['model']['name']}): constructs and paths "
                             "must be the same to aggregate")
        entry = weights.get(name) or weights.get(Path(name).name)
        if entry is None:
            raise DataError(f"{weights_file}: no weight for {name} (column result)")
        index = doc["index"]
        members.append(Member(
            name=name, weight=entry["weight"],
            groups={column: entry[column] for column in level_columns},
            score={c: index[c]["score"] for c in index},
            se={c: index[c].get("se") for c in index}))
    return members


def _model_shape(doc: dict):
    model = doc["model"]
    return (tuple((c["name"], tuple(c["indicators"])) for c in model["constructs"]),
            tuple((p["from"], p["to"]) for p in model["paths"]))


def combine(members: list[Member], constructs: list[str], level: float) -> dict:
    """{construct: {score, se, ci_low, ci_high}} of a weighted group of members."""
    from scipy import stats

    w = np.array([m.weight for m in members])
    share = w / w.sum()
    z = stats.norm.ppf(0.5 + level / 2)
    out = {}
    for c in constructs:
        score = float(share @ np.array([m.score[c] for m in members]))
        errors = [m.se[c] for m in members]
        if any(e is None for e in errors):
            out[c] = {"score": score, "se": None, "ci_low": None, "ci_high": None}
            continue
        se = float(np.sqrt(share**2 @ np.array(errors, float) ** 2))
        out[c] = {"score": score, "se": se, "ci_low": score - z * se, "ci_high": score + z * se}
    return out


@dataclass(frozen=True)
class Aggregate:
    """The aggregated index, its levels and members."""

    model: str
    constructs: list[str]
    labels: dict[str, str]
    level: float
    members: list[Member]
    index: dict
    levels: list[dict]
    notes: list[str]

    def to_dict(self) -> dict:
        total = sum(m.weight for m in self.members)
        return {
            "schema": SCHEMA,
            "model": self.model,
            "level": self.level,
            "method": METHOD,
            "members": [{"result": m.name, "weight": m.weight, "share": m.weight / total,
                         **m.groups} for m in self.members],
            "index": self.index,
            "levels": self.levels,
            "notes": self.notes,
        }


def aggregate(documents: dict[str, dict], weights: dict[str, dict], weights_file: str,
              level_columns: tuple[str, ...] = (), level: float = 0.95) -> Aggregate:
    """Aggregate fit documents {name as given: csi.fit document}; `level_columns` innermost
    first (e.g. industry, sector), each group nested in one group of the next column."""
    if not documents:
        raise ModelError("give at least one results file")
    members = members_of(documents, weights, weights_file, level_columns)
    first = next(iter(documents.values()))
    constructs = [c["name"] for c in first["model"]["constructs"]]
    labels = {c["name"]: c.get("label", c["name"]) for c in first["model"]["constructs"]}
    for inner, outer in zip(level_columns, level_columns[1:]):
        parents: dict[str, str] = {}
        for m in members:
            seen = parents.setdefault(m.groups[inner], m.groups[outer])
            if seen != m.groups[outer]:
                raise DataError(f"{weights_file}: {inner} '{m.groups[inner]}' is in more than one "
                                f"{outer} ('{seen}' and '{m.groups[outer]}'): levels must nest")
    levels = []
    for column in level_columns:
        groups = {}
        for m in members:
            groups.setdefault(m.groups[column], []).append(m)
        levels.append({"column": column, "groups": [
            {"name": name, "weight": float(sum(m.weight for m in group)),
             "members": [m.name for m in group], "index": combine(group, constructs, level)}
            for name, group in groups.items()]})
    notes = []
    missing = [m.name for m in members if any(m.se[c] is None for c in constructs)]
    if missing:
        notes.append(f"no bootstrap standard errors in {', '.join(missing)}: no SE or interval "
                     "for the constructs they lack (fit with --bootstrap N)")
    return Aggregate(first["model"]["name"], constructs, labels, level, members,
                     combine(members, constructs, level), levels, notes)
