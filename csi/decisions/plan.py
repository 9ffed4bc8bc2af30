"""An improvement plan under a budget (`csi plan`): where improvement points lift the target most.

Greedy allocation on marginal gain per unit cost, a step at a time: each step goes to the
driver whose next step raises the target most per unit of cost, computed by propagating the
whole allocation so far through the fitted model (csi.decisions.fitted). With the linear
model every step of a driver gains the same, so this is the fractional knapsack's greedy
rule, which is optimal (Dantzig 1957, Operations Research 5(2), 266-288); with the non-linear
model the gains fall as a basic factor passes its knot, and the next step moves elsewhere.
No construct or item is pushed past the top of its scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from csi.decisions.fitted import Fitted, Parameters, construct_shocks, interval, propagate
from csi.decisions.tables import read_records
from csi.errors import DataError, ModelError

SCHEMA = "csi.plan/1"
COST_COLUMNS = ("driver", "cost_per_point", "max_points")
TINY = 1e-9


@dataclass(frozen=True)
class Candidate:
    """Something to improve: a construct (index points) or an item (answer-scale points)."""

    name: str
    kind: str  # "construct" or "item"
    position: int
    cost: float  # per point
    limit: float  # most points it can take (its scale's headroom, max_points, --max-per-driver)


def read_costs(path: str | Path) -> list[tuple[str, float, float | None, int]]:
    """Rows (driver, cost_per_point, max_points or None, row number) of a costs CSV."""
    rows, seen = [], set()
    hint = f"the columns are {','.join(COST_COLUMNS)}; max_points may be left empty"
    for number, record in read_records(path, "costs", COST_COLUMNS[:2], hint):
        driver = record.get("driver", "")
        if not driver:
            raise DataError(f"{path}, row {number}, column driver: empty")
        if driver in seen:
            raise DataError(f"{path}, row {number}, column driver: '{driver}' is listed twice")
        seen.add(driver)
        cost = _number(path, number, "cost_per_point", record.get("cost_per_point", ""))
        if cost is None or cost <= 0:
            raise DataError(f"{path}, row {number}, column cost_per_point: must be a positive "
                            "number")
        limit = _number(path, number, "max_points", record.get("max_points", ""))
        if limit is not None and limit < 0:
            raise DataError(f"{path}, row {number}, column max_points: must be 0 or more (or "
                            "empty: no limit)")
        rows.append((driver, cost, limit, number))
    if not rows:
        raise DataError(f"{path}: no rows")
    return rows


def _number(path, row: int, column: str, text: str) -> float | None:
    if text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        raise DataError(f"{path}, row {row}, column {column}: '{text}' is not a number") \
            from None
    if not math.isfinite(value):
        raise DataError(f"{path}, row {row}, column {column}: '{text}' is not a finite number")
    return value


def candidates(fitted: Fitted, target: int, costs=None, costs_file: str | None = None,
               max_per_driver: float | None = None) -> list[Candidate]:
    """The drivers to spend on: the costs file's rows, else every construct with a path to
    the target at 1 per point."""
    drivers = fitted.drivers(target)
    rows = costs or [(fitted.constructs[d], 1.0, None, None) for d in drivers]
    out = []
    for name, cost, limit, row in rows:
        where = f"{costs_file}, row {row}, column driver: " if row is not None else ""
        try:
            kind, position = fitted.resolve(name, "driver")
        except ModelError as exc:
            raise DataError(f"{where}{exc}") from None
        construct = position if kind == "construct" else fitted.item_block[position]
        if construct not in drivers:
            raise DataError(f"{where}'{name}' does not drive "
                            f"{fitted.label(fitted.constructs[target])}")
        if kind == "construct":
            headroom = 100.0 - fitted.level[position]
            name = fitted.constructs[position]
        else:
            headroom = (100.0 - fitted.item_performance[position]) \
                * fitted.item_range[position] / 100.0
            name = fitted.items[position]
        bound = min(v for v in (headroom, limit, max_per_driver) if v is not None)
        out.append(Candidate(name, kind, position, cost, max(bound, 0.0)))
    return out


def gains(fitted: Fitted, params: Parameters, target: int, options: list[Candidate],
          allocations: np.ndarray) -> np.ndarray:
    """The target's change for each allocation row (r, C) of points under one parameter set,
    (r,); or for one allocation (1, C) under every parameter row (the draws), (b,)."""
    constructs = np.zeros((allocations.shape[0], len(fitted.constructs)))
    items = np.zeros((allocations.shape[0], len(fitted.items)))
    for c, option in enumerate(options):
        (constructs if option.kind == "construct" else items)[:, option.position] += \
            allocations[:, c]
    after, _ = propagate(fitted, params, construct_shocks(fitted, params, constructs, items))
    return after[:, target] - params.level[:, target]


def greedy(fitted: Fitted, target: int, options: list[Candidate], budget: float,
           step: float = 1.0) -> list[tuple[int, float, float]]:
    """Greedy steps [(candidate, points, gain)] until the budget or every gain is spent."""
    point = fitted.point()
    allocation = np.zeros(len(options))
    cost = np.array([o.cost for o in options])
    limit = np.array([o.limit for o in options])
    left, now, steps = float(budget), 0.0, []
    while True:
        size = np.minimum(np.minimum(step, limit - allocation), left / cost)
        size = np.where(size > TINY, size, 0.0)
        if not size.any():
            break
        trial = allocation[None, :] + np.diag(size)
        gain = gains(fitted, point, target, options, trial) - now
        ratio = np.where(size > 0, gain / np.where(size > 0, size * cost, 1.0), -np.inf)
        best = int(np.argmax(ratio))
        if not ratio[best] > TINY:
            break
        allocation[best] += size[best]
        left -= size[best] * cost[best]
        now += gain[best]
        steps.append((best, float(size[best]), float(gain[best])))
    return steps


@dataclass(frozen=True)
class Plan:
    """Where to spend the budget, what it gains, and the sentence a manager reads."""

    fitted: Fitted
    target: str
    budget: float
    options: list[Candidate]
    steps: list[dict]  # driver, points, cost, gain (consecutive steps on a driver merged)
    allocation: list[dict]  # driver, kind, points, cost
    before: float
    gain: float
    ci: tuple[float, float] | None
    level: float | None
    notes: list[str]
    costs_file: str | None

    def sentence(self) -> str:
        if self.fitted.advice["status"] != "ok":
            return ("No plan is recommended: the fit's advice is withheld ("
                    f"{self.fitted.advice['message'] or self.fitted.advice['status']}).")
        if not self.allocation:
            return (f"No spending raises {self.fitted.label(self.target)}: no driver has a "
                    "positive effect within the budget and limits.")
        parts = []
        for position, row in enumerate(self.allocation):
            unit = " points" if position == 0 else ""
            if position == 0 and row["points"] == 1:
                unit = " point"
            where = self.fitted.label(row["driver"])
            if row["kind"] == "item":
                where += " (answer scale)"
            parts.append(f"{row['points']:g}{unit} on {where}")
        spend = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        text = f"Spend {spend}: {self.fitted.label(self.target)} {self.gain:+.1f}"
        if self.ci is not None:
            text += f" ({self.level:.0%} CI {self.ci[0]:.1f}–{self.ci[1]:.1f})"
        return text + "."

    def to_dict(self) -> dict:
        return {
            "schema": SCHEMA,
            "source": self.fitted.source,
            "model": self.fitted.model,
            "target": self.target,
            "budget": self.budget,
            "spent": float(sum(row["cost"] for row in self.allocation)),
            "costs_file": self.costs_file,
            "candidates": [{"driver": o.name, "kind": o.kind, "cost_per_point": o.cost,
                            "max_points": o.limit} for o in self.options],
            "steps": self.steps,
            "allocation": self.allocation,
            "before": self.before,
            "after": self.before + self.gain,
            "expected_gain": {"estimate": self.gain,
                              "ci_low": None if self.ci is None else self.ci[0],
                              "ci_high": None if self.ci is None else self.ci[1],
                              "level": self.level},
            "advice": self.fitted.advice,
            "sentence": self.sentence(),
            "notes": self.notes,
        }


def plan(fitted: Fitted, budget: float, target: str | None = None, costs=None,
         costs_file: str | None = None, max_per_driver: float | None = None,
         draws: Parameters | None = None, step: float = 1.0, force: bool = False) -> Plan:
    """The greedy plan for `budget` (in cost units; points when no costs are given).
    Refuses (ModelError) a fit whose advice is withheld, unless `force`."""
    if fitted.advice["status"] == "not_applicable":
        raise ModelError(f"{fitted.source}: {fitted.advice['message']}")
    if fitted.advice["status"] != "ok" and not force:
        raise ModelError(f"{fitted.source}: no plan: the fit's advice is withheld "
                         f"({fitted.advice['message'] or fitted.advice['status']}); "
                         "--force plans anyway, marked as withheld")
    if not budget > 0:
        raise ModelError("--budget must be positive")
    name = target or fitted.target
    if name is None:
        raise ModelError(f"{fitted.source}: no target: give --target")
    kind, t = fitted.resolve(name, "--target")
    if kind != "construct":
        raise ModelError(f"--target '{name}' is an item; give a construct")
    name = fitted.constructs[t]
    if not fitted.drivers(t):
        raise ModelError(f"--target '{name}' has no drivers")
    options = candidates(fitted, t, costs, costs_file, max_per_driver)
    taken = greedy(fitted, t, options, budget, step)
    steps: list[dict] = []
    totals = np.zeros(len(options))
    for c, points, gain in taken:
        totals[c] += points
        if steps and steps[-1]["driver"] == options[c].name:
            steps[-1]["points"] += points
            steps[-1]["cost"] += points * options[c].cost
            steps[-1]["gain"] += gain
        else:
            steps.append({"driver": options[c].name, "points": points,
                          "cost": points * options[c].cost, "gain": gain})
    order = sorted((c for c in range(len(options)) if totals[c] > 0), key=lambda c: -totals[c])
    allocation = [{"driver": options[c].name, "kind": options[c].kind,
                   "points": float(totals[c]), "cost": float(totals[c] * options[c].cost)}
                  for c in order]
    gain = float(gains(fitted, fitted.point(), t, options, totals[None])[0])
    ci = level = None
    notes = []
    if draws is not None:
        level = fitted.ci_level
        ci = interval(gains(fitted, draws, t, options, totals[None]), level)
    else:
        notes.append("no interval: give the fit's bootstrap draws with --draws FILE (write "
                     "them with `csi fit --draws FILE`)")
    full = [o.name for o, total in zip(options, totals) if o.limit > 0 and total >= o.limit - TINY]
    if full:
        notes.append(f"at their limit (scale top, max_points or --max-per-driver): "
                     f"{', '.join(fitted.label(n) for n in full)}")
    return Plan(fitted, name, float(budget), options, steps, allocation,
                float(fitted.level[t]), gain, ci, level, notes, costs_file)
