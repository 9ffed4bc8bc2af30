"""Necessary Condition Analysis (NCA) of each driver -> target on the 0-100 construct scores,
and the combined importance-performance map (cIPMA).

Dul (2016), Organizational Research Methods 19(1), pp. 10-52: the ceiling line bounds the
target from above given the driver; CE-FDH is the step function through the upper-left
corners ("peers"), CR-FDH the least-squares line through those peers. The effect size is the
empty zone above the ceiling over the scope (the observed ranges' rectangle), d in [0, 1].
Approximate permutation test: Dul, van der Laan & Kuik (2020), Organizational Research
Methods 23(2), pp. 385-395 (p = (1 + b) / (B + 1) over B permutations of the target).
PLS-SEM use: Richter, Schubring, Hauff, Ringle & Sarstedt (2020), Industrial Management &
Data Systems 120(12); cIPMA: Hauff, Richter, Sarstedt & Ringle (2024), Journal of Retailing
and Consumer Services 78. `necessary` = d(CE-FDH) >= 0.1 and p(CE-FDH) < 0.05.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from csi.jsonio import number

if TYPE_CHECKING:  # pandas loads where a table is built, not with the fit (issue 15)
    import pandas as pd

THRESHOLD_D = 0.1
ALPHA = 0.05
DEFAULT_PERMUTATIONS = 10_000
LEVELS = np.arange(10, 101, 10, dtype=float)  # target levels of the bottleneck table, % of range
BATCH_CELLS = 4_000_000  # permutations per batch: (permutations x respondents) cells


@dataclass(frozen=True)
class Ceilings:
    """Effect sizes of one or many (batched) x -> y scatters."""

    d_ce_fdh: np.ndarray
    d_cr_fdh: np.ndarray
    intercept: np.ndarray  # CR-FDH line y = intercept + slope x (NaN with fewer than 2 peers)
    slope: np.ndarray
    peers: np.ndarray


def _levels(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x's order, its distinct values and where each starts in the sorted order."""
    order = np.argsort(x, kind="stable")
    unique, first = np.unique(x[order], return_index=True)
    return order, unique, first


def ceilings(x: np.ndarray, y: np.ndarray) -> Ceilings:
    """CE-FDH and CR-FDH effect sizes of x -> y, for y (n,) or a batch (B, n) sharing x.

    CE-FDH ceiling at each distinct x = the largest y at or left of it (Dul 2016, p. 18);
    its zone = sum over steps of width x (y_max - ceiling). CR-FDH: OLS through the peers
    (the levels where the ceiling rises); its zone is the scope's area above the line,
    the line clipped to the scope (exact, closed form)."""
    y = np.atleast_2d(y)
    order, ux, first = _levels(x)
    level_max = np.maximum.reduceat(y[:, order], first, axis=1)  # (B, L)
    ceiling = np.maximum.accumulate(level_max, axis=1)
    x0, x1 = float(ux[0]), float(ux[-1])
    y0, y1 = y.min(axis=1), y.max(axis=1)
    scope = (x1 - x0) * (y1 - y0)
    zone_ce = (np.diff(ux)[None] * (y1[:, None] - ceiling[:, :-1])).sum(axis=1)
    rise = np.concatenate([np.ones((y.shape[0], 1), bool), ceiling[:, 1:] > ceiling[:, :-1]],
                          axis=1)
    m = rise.astype(float)
    count = m.sum(axis=1)
    sx, sy = m @ ux, (m * ceiling).sum(axis=1)
    sxx, sxy = m @ (ux * ux), (m * ceiling * ux[None]).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = (count * sxy - sx * sy) / (count * sxx - sx * sx)
        intercept = (sy - slope * sx) / count
    line = count >= 2
    slope, intercept = np.where(line, slope, np.nan), np.where(line, intercept, np.nan)
    zone_cr = np.where(line, (x1 - x0) * y1 - _clipped_integral(intercept, slope, x0, x1, y0, y1),
                       zone_ce)
    with np.errstate(invalid="ignore", divide="ignore"):
        return Ceilings(zone_ce / scope, zone_cr / scope, intercept, slope, count)


def _clipped_integral(a, b, x0, x1, y0, y1):
    """Integral over [x0, x1] of clip(a + b t, y0, y1) dt, elementwise over the lines."""

    def h(v):  # antiderivative in v of clip(v, y0, y1), zero at y0
        return np.where(v < y0, y0 * (v - y0),
                        np.where(v > y1, (y1 * y1 - y0 * y0) / 2 + y1 * (v - y1),
                                 (v * v - y0 * y0) / 2))

    with np.errstate(invalid="ignore", divide="ignore"):
        sloped = (h(a + b * x1) - h(a + b * x0)) / b
    flat = (x1 - x0) * np.clip(a, y0, y1)
    return np.where(np.abs(b) > 0, sloped, flat)


def permutation_p(x: np.ndarray, y: np.ndarray, observed: Ceilings, permutations: int,
                  rng: np.random.Generator) -> tuple[float, float]:
    """p values of d(CE-FDH) and d(CR-FDH): (1 + b) / (B + 1), b the permutations of y
    whose effect size is at least the observed one (Dul et al. 2020); batched."""
    if permutations <= 0:
        return float("nan"), float("nan")
    n = x.size
    batch = max(1, BATCH_CELLS // n)
    above_ce = above_cr = 0
    done = 0
    eps = 1e-12  # ties within rounding count as at least as large
    while done < permutations:
        size = min(batch, permutations - done)
        shuffled = rng.permuted(np.broadcast_to(y, (size, n)), axis=1)
        found = ceilings(x, shuffled)
        above_ce += int((found.d_ce_fdh >= observed.d_ce_fdh[0] - eps).sum())
        above_cr += int((found.d_cr_fdh >= observed.d_cr_fdh[0] - eps).sum())
        done += size
    return (1 + above_ce) / (permutations + 1), (1 + above_cr) / (permutations + 1)


def bottlenecks(x: np.ndarray, y: np.ndarray, found: Ceilings,
                levels: np.ndarray = LEVELS) -> pd.DataFrame:
    """The driver level required for each target level (as % of the observed ranges, R
    NCA's "percentage_range"), by the CE-FDH step and the CR-FDH line, and in score units.
    NaN: no level of the driver is required (CR-FDH below the scope) is reported as 0."""
    order, ux, first = _levels(x)
    ceiling = np.maximum.accumulate(np.maximum.reduceat(y[order], first))
    x0, x1, y0, y1 = ux[0], ux[-1], y.min(), y.max()
    target = y0 + levels / 100 * (y1 - y0)
    # first level whose ceiling reaches the target (a relative tolerance for level 100)
    reach = np.searchsorted(ceiling, target - 1e-12 * max(abs(y1), 1.0), side="left")
    need_ce = ux[np.minimum(reach, ux.size - 1)]
    a, b = found.intercept[0], found.slope[0]
    need_cr = np.clip((target - a) / b, x0, x1) if np.isfinite(b) and b > 0 else np.full(
        levels.shape, x0)
    pct = lambda v: (v - x0) / (x1 - x0) * 100  # noqa: E731
    import pandas as pd

    return pd.DataFrame({"target_level": levels, "target_score": target,
                         "ce_fdh": pct(need_ce), "ce_fdh_score": need_ce,
                         "cr_fdh": pct(need_cr), "cr_fdh_score": need_cr})


@dataclass(frozen=True)
class Necessity:
    """NCA of every driver -> target pair, and the cIPMA shares."""

    rows: tuple[dict, ...]
    permutations: int
    seed: int

    def to_list(self) -> list[dict]:
        return [{k: (number(v) if not isinstance(v, list) else v) for k, v in row.items()}
                for row in self.rows]

    def settings(self) -> dict:
        return {"permutations": self.permutations, "seed": self.seed,
                "scores": "0-100 construct scores (the index's weights)",
                "scope": "empirical (the observed ranges)",
                "rule": f"necessary: d(CE-FDH) >= {THRESHOLD_D:g} and permutation p(CE-FDH) "
                        f"< {ALPHA:g}",
                "bottleneck_levels": "target and driver levels as % of their observed ranges"}

    def of(self, driver: str, target: str) -> dict | None:
        for row in self.rows:
            if row["driver"] == driver and row["target"] == target:
                return row
        return None


def analyse(scores: pd.DataFrame, pairs: list[tuple[str, str]], frequency: np.ndarray,
            permutations: int = DEFAULT_PERMUTATIONS, seed: int = 0,
            target_levels: dict[str, float] | None = None) -> Necessity:
    """NCA of every (driver, target) pair on the 0-100 construct scores (respondents x
    constructs). Frequency weights repeat rows (as everywhere in csi). `target_levels`
    {target: level}: the level (its index) for which cIPMA counts the respondents below the
    required driver level."""
    keep = frequency > 0
    repeat = np.asarray(frequency)[keep]
    integral = np.allclose(repeat, np.round(repeat))
    rows = []
    for position, (driver, target) in enumerate(pairs):
        x = scores[driver].to_numpy()[keep]
        y = scores[target].to_numpy()[keep]
        if integral:  # a weight-2 respondent is two identical rows
            x, y = np.repeat(x, repeat.astype(int)), np.repeat(y, repeat.astype(int))
        found = ceilings(x, y)
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(position,)))
        p_ce, p_cr = permutation_p(x, y, found, permutations, rng)
        table = bottlenecks(x, y, found)
        d_ce, d_cr = float(found.d_ce_fdh[0]), float(found.d_cr_fdh[0])
        row = {"driver": driver, "target": target, "d_ce_fdh": d_ce, "d_cr_fdh": d_cr,
               "p": p_ce, "p_cr_fdh": p_cr,
               "necessary": bool(d_ce >= THRESHOLD_D and p_ce < ALPHA),
               "cr_fdh_intercept": float(found.intercept[0]),
               "cr_fdh_slope": float(found.slope[0]),
               "bottlenecks": [{k: number(v) for k, v in r.items()}
                               for r in table.to_dict("records")]}
        if target_levels and target in target_levels:
            row |= _below(x, y, target_levels[target])
        rows.append(row)
    return Necessity(tuple(rows), permutations, seed)


def _below(x: np.ndarray, y: np.ndarray, level: float) -> dict:
    """cIPMA: the driver level the CE-FDH ceiling requires for the target's `level`, and
    the share of respondents below it (Hauff et al. 2024)."""
    order, ux, first = _levels(x)
    ceiling = np.maximum.accumulate(np.maximum.reduceat(y[order], first))
    reach = int(np.searchsorted(ceiling, level, side="left"))
    required = float(ux[min(reach, ux.size - 1)])
    return {"target_level": float(level), "required": required,
            "share_below": float((x < required).mean())}


def mark_priorities(priorities, necessity: Necessity, label):
    """cIPMA in the priorities: each driver's `necessary` flag and share of respondents
    below the level required for the target's index; necessary drivers that are
    bottlenecks (someone below the required level) move to the top, largest share first,
    with the reason (`necessity_reason`) that "What to improve first" gives."""
    ranking = priorities.ranking.copy()
    info = [necessity.of(d, priorities.target) or {} for d in ranking["driver"]]
    ranking["necessary"] = [bool(i.get("necessary", False)) for i in info]
    ranking["share_below"] = [i.get("share_below", np.nan) for i in info]
    bottleneck = (ranking["necessary"] & (ranking["share_below"].fillna(0) > 0)).to_numpy()
    ranking["necessity_reason"] = [
        (f"{label(d)} is a necessary condition for {label(priorities.target)} "
         f"(NCA d = {i['d_ce_fdh']:.2f}, p = {i['p']:.3f}): {i['share_below']:.0%} of "
         f"respondents are below the level ({i['required']:.1f}) that the target's current "
         f"level ({i['target_level']:.1f}) requires, which no other driver can make up for.")
        if b else None for d, i, b in zip(ranking["driver"], info, bottleneck)]
    ranking["ipma_rank"] = ranking["rank"]
    key = np.where(bottleneck, -ranking["share_below"].fillna(0).to_numpy(), 1.0)
    order = np.lexsort((ranking["rank"].to_numpy(), key))
    ranking = ranking.iloc[order].reset_index(drop=True)
    ranking["rank"] = np.arange(1, len(ranking) + 1)
    return dataclasses.replace(priorities, ranking=ranking)


__all__ = ["ALPHA", "DEFAULT_PERMUTATIONS", "LEVELS", "THRESHOLD_D", "Ceilings", "Necessity", "scores_0_100",
           "analyse", "bottlenecks", "ceilings", "mark_priorities", "permutation_p"]


def scores_0_100(values: np.ndarray, low: np.ndarray, high: np.ndarray,
                 normalized: np.ndarray, block_of: np.ndarray, constructs: list[str]) -> pd.DataFrame:
    """Every respondent's 0-100 construct scores: the items rescaled to 0-100 by their scale
    bounds, weighted by the index's normalized weights (their mean is the index)."""
    from csi.measures.index import rescale_0_100

    weights = np.zeros((values.shape[1], len(constructs)))
    weights[np.arange(values.shape[1]), block_of] = normalized
    import pandas as pd

    return pd.DataFrame(rescale_0_100(values, low, high) @ weights, columns=constructs)
