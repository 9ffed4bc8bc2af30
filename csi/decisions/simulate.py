"""What-if simulation (`csi simulate`): what happens downstream when constructs or items change.

Each change shifts a construct's index (0-100) or an item's mean (its answer scale); the shift
is carried through the fitted structural model (csi.decisions.fitted). For the linear model a
change of d by x moves t by the unstandardized total effect x x, so +5 points give the
importance table's `impact_5pt`. Intervals are percentile intervals over the fit's bootstrap
draws (the same change applied to every resample), as the importance table's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from csi.decisions.fitted import Fitted, Parameters, construct_shocks, interval, propagate
from csi.errors import ModelError

SCHEMA = "csi.simulate/1"
CHANGE = re.compile(r"^\s*(?P<name>[^=]+?)\s*=\s*(?P<value>[+-]?\s*[0-9]*\.?[0-9]+)\s*$")


@dataclass(frozen=True)
class Change:
    """One requested change: a construct (points on 0-100) or an item (answer-scale points)."""

    name: str
    kind: str  # "construct" or "item"
    position: int
    requested: float
    applied: float  # after holding the construct or item to its scale's top (or bottom)

    def to_dict(self, fitted: Fitted) -> dict:
        construct = (self.name if self.kind == "construct"
                     else fitted.constructs[fitted.item_block[self.position]])
        return {"name": self.name, "kind": self.kind, "construct": construct,
                "unit": "index points (0-100)" if self.kind == "construct"
                else "answer-scale points", "requested": self.requested,
                "applied": self.applied, "capped": self.applied != self.requested}


def parse_change(text: str) -> tuple[str, float]:
    """`Quality=+5` -> ("Quality", 5.0); ModelError (exit 4) for anything else."""
    match = CHANGE.match(text)
    if not match:
        raise ModelError(f"--change '{text}': expected NAME=+POINTS, e.g. Quality=+5 or "
                         "PERQ2=+1")
    return match["name"], float(match["value"].replace(" ", ""))


def resolve_changes(fitted: Fitted, changes: list[tuple[str, float]]) -> list[Change]:
    """Each change named and held so the construct or item stays on its scale."""
    resolved = []
    for name, value in changes:
        kind, position = fitted.resolve(name)
        if kind == "construct":
            now = fitted.level[position]
            applied = float(np.clip(now + value, 0.0, 100.0) - now)
            name = fitted.constructs[position]
        else:
            span = fitted.item_range[position]
            now = fitted.item_performance[position] * span / 100.0
            applied = float(np.clip(now + value, 0.0, span) - now)
            name = fitted.items[position]
        resolved.append(Change(name, kind, position, value, applied))
    return resolved


def shifts(fitted: Fitted, params: Parameters, changes: list[Change]) -> np.ndarray:
    """(b, K) construct shifts of the changes, items through each row's weights."""
    constructs = np.zeros(len(fitted.constructs))
    items = np.zeros(len(fitted.items))
    for change in changes:
        (constructs if change.kind == "construct" else items)[change.position] += change.applied
    return construct_shocks(fitted, params, constructs, items)


@dataclass(frozen=True)
class Simulation:
    """The effects of a set of changes on every construct they reach."""

    fitted: Fitted
    changes: list[Change]
    effects: list[dict]  # construct, before, after, change, ci_low, ci_high, capped, changed
    level: float | None  # confidence level of the intervals, None without draws
    n_draws: int | None
    notes: list[str] = field(default_factory=list)

    def sentences(self) -> list[str]:
        """One sentence per construct the changes reach (not those changed directly)."""
        if self.fitted.advice["status"] != "ok":
            return [withheld_sentence(self.fitted)]
        cause = describe(self.fitted, self.changes)
        out = []
        for row in self.effects:
            if row["changed"]:
                continue
            name = self.fitted.label(row["construct"])
            text = (f"{cause} moves {name} from {row['before']:.1f} to {row['after']:.1f} "
                    f"({row['change']:+.1f}")
            if row["ci_low"] is not None:
                text += f", {self.level:.0%} CI {row['ci_low']:+.1f} to {row['ci_high']:+.1f}"
            text += ")" + (", held at the end of its scale." if row["capped"] else ".")
            out.append(text)
        return out

    def to_dict(self) -> dict:
        return {
            "schema": SCHEMA,
            "source": self.fitted.source,
            "model": self.fitted.model,
            "changes": [c.to_dict(self.fitted) for c in self.changes],
            "effects": self.effects,
            "level": self.level,
            "n_draws": self.n_draws,
            "capped": [row["construct"] for row in self.effects if row["capped"]],
            "advice": self.fitted.advice,
            "sentences": self.sentences(),
            "notes": self.notes,
        }


def withheld_sentence(fitted: Fitted) -> str:
    return ("No conclusion is drawn: the fit's advice is withheld "
            f"({fitted.advice['message'] or fitted.advice['status']}); the numbers above "
            "come from an inadmissible solution.")


def describe(fitted: Fitted, changes: list[Change]) -> str:
    """'Raising Perceived Quality by 5 points and PERQ2 by 1' as a sentence's subject."""
    parts = []
    for change in changes:
        name = fitted.label(change.name)
        unit = "points" if abs(change.applied) != 1 else "point"
        verb = "Raising" if change.applied >= 0 else "Lowering"
        parts.append((verb, f"{name} by {abs(change.applied):g} {unit}"
                      + (" on its answer scale" if change.kind == "item" else "")))
    text = parts[0][0] + " " + parts[0][1]
    for verb, part in parts[1:]:
        text += " and " + (part if verb == parts[0][0] else verb.lower() + " " + part)
    return text


def simulate(fitted: Fitted, changes: list[tuple[str, float]],
             draws: Parameters | None = None) -> Simulation:
    """Apply `changes` [(name, points)] to the fit; intervals when `draws` are given."""
    if not changes:
        raise ModelError("give at least one --change NAME=+POINTS")
    if fitted.advice["status"] == "not_applicable":
        raise ModelError(f"{fitted.source}: {fitted.advice['message']}")
    resolved = resolve_changes(fitted, changes)
    point = fitted.point()
    after, held = propagate(fitted, point, shifts(fitted, point, resolved))
    touched = {fitted.constructs.index(c.to_dict(fitted)["construct"]) for c in resolved}
    reached = fitted.downstream(touched)
    changed_directly = touched
    held_back = {fitted.constructs.index(c.to_dict(fitted)["construct"]) for c in resolved
                 if c.applied != c.requested}
    boot = None
    if draws is not None:
        boot_after, _ = propagate(fitted, draws, shifts(fitted, draws, resolved))
        boot = boot_after - draws.level
    level = fitted.ci_level if draws is not None else None
    effects = []
    for k in sorted(reached):
        low = high = None
        if boot is not None:
            low, high = interval(boot[:, k], level)
        effects.append({
            "construct": fitted.constructs[k], "before": float(fitted.level[k]),
            "after": float(after[0, k]), "change": float(after[0, k] - fitted.level[k]),
            "ci_low": low, "ci_high": high, "capped": bool(held[0, k]) or k in held_back,
            "changed": k in changed_directly,
        })
    notes = []
    for change in resolved:
        if change.applied != change.requested:
            notes.append(f"{change.name} cannot go past its scale: {change.requested:+g} was "
                         f"applied as {change.applied:+.4g}")
    for row in effects:
        if row["capped"] and not row["changed"]:
            notes.append(f"{fitted.label(row['construct'])} is held at {row['after']:g}, the "
                         "end of the index's 0-100 scale: the model would take it further")
    if draws is None:
        notes.append("no intervals: give the fit's bootstrap draws with --draws FILE (write "
                     "them with `csi fit --draws FILE`)")
    return Simulation(fitted, resolved, effects, level,
                      None if draws is None else draws.size, notes)
