"""Moderation analysis of a model's interaction terms: simple slopes of the focal construct
at -1, 0 and +1 SD of the moderator, and the floodlight (Johnson-Neyman) range of moderator
values where the focal effect differs from zero.

With X, M standardized and the interaction's path b3 per unit of the product X*M (Henseler &
Chin 2010's variance adjustment, csi.estimators.interaction), Y = b1 X + b2 M + b3 X M + ...
and the effect of X on Y when M = m is b1 + b3 m (Aiken & West 1991, eq. 2.3; Hair et al.
2022, p. 258); for a quadratic term X:X it is b1 + 2 b3 x. Intervals are the bootstrap
percentile intervals of the slope computed in every resample; the floodlight (Spiller et al.
2013) scans the moderator from -3 to +3 SD in steps of 0.01 for where they exclude zero.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

SLOPES_AT = (-1.0, 0.0, 1.0)  # moderator values, in SDs of the moderator
FLOODLIGHT_SPAN = 3.0
FLOODLIGHT_STEP = 0.01


@dataclass(frozen=True)
class Moderation:
    """Per interaction term: its effect, simple slopes and floodlight (JSON `moderation`)."""

    terms: tuple[dict, ...]

    def to_list(self) -> list[dict]:
        return [dict(term) for term in self.terms]


def slopes(b1: np.ndarray, b3: np.ndarray, at: np.ndarray, quadratic: bool) -> np.ndarray:
    """Effects (b, len(at)) of the focal construct at moderator values `at` (in SDs)."""
    factor = 2.0 if quadratic else 1.0
    return b1[:, None] + factor * b3[:, None] * np.asarray(at, float)[None, :]


def significant_ranges(grid: np.ndarray, low: np.ndarray, high: np.ndarray) -> list[list[float]]:
    """The runs of `grid` where the interval [low, high] excludes zero, as [from, to]."""
    flag = (low > 0) | (high < 0)
    runs, start = [], None
    for value, on in zip(grid, flag):
        if on and start is None:
            start = value
        if not on and start is not None:
            runs.append([start, previous])
            start = None
        previous = value
    if start is not None:
        runs.append([start, previous])
    return [[round(float(a), 2), round(float(b), 2)] for a, b in runs]


def analyse(terms, path_names: list[tuple[str, str]], point: np.ndarray,
            draws: np.ndarray | None, settings, n_obs: int, method: str) -> Moderation:
    """Simple slopes and floodlight of each interaction term (csi.model.spec.Interaction)
    from the `paths` family: `point` (m,) and bootstrap `draws` (B, m) in `path_names`
    order; `settings` the BootstrapSettings (its level), None without a bootstrap."""
    from csi.inference.intervals import summarize

    position = {pair: k for k, pair in enumerate(path_names)}

    def column(values: np.ndarray, source: str, target: str) -> np.ndarray:
        k = position.get((source, target))
        return np.zeros(values.shape[0]) if k is None else values[:, k]

    found = []
    for term in terms:
        quadratic = term.focal == term.moderator
        at = np.array(SLOPES_AT)
        now = slopes(column(point[None], term.focal, term.target),
                     column(point[None], term.name, term.target), at, quadratic)[0]
        entry = {
            "interaction": term.name, "focal": term.focal, "moderator": term.moderator,
            "target": term.target, "method": method, "quadratic": quadratic,
            "estimate": float(column(point[None], term.name, term.target)[0]),
            "simple_slopes": [{"moderator_sd": float(a), "slope": float(s)}
                              for a, s in zip(at, now)],
            "floodlight": None,
        }
        if draws is not None and settings is not None and draws.shape[0] > 1:
            percentile = dataclasses.replace(settings, ci="percentile")
            b1 = column(draws, term.focal, term.target)
            b3 = column(draws, term.name, term.target)
            summary = summarize(now, slopes(b1, b3, at, quadratic), percentile, n_obs)
            for row, k in zip(entry["simple_slopes"], range(at.size)):
                row |= {"se": float(summary.se[k]), "t": float(summary.t[k]),
                        "p": float(summary.p[k]),
                        "ci_low": float(summary.ci_low[k]), "ci_high": float(summary.ci_high[k])}
            steps = int(round(2 * FLOODLIGHT_SPAN / FLOODLIGHT_STEP))
            grid = np.linspace(-FLOODLIGHT_SPAN, FLOODLIGHT_SPAN, steps + 1)
            scan = summarize(slopes(column(point[None], term.focal, term.target),
                                    column(point[None], term.name, term.target), grid,
                                    quadratic)[0],
                             slopes(b1, b3, grid, quadratic), percentile, n_obs)
            entry["floodlight"] = {
                "from_sd": -FLOODLIGHT_SPAN, "to_sd": FLOODLIGHT_SPAN, "step": FLOODLIGHT_STEP,
                "level": settings.level,
                "significant": significant_ranges(grid, scan.ci_low, scan.ci_high),
            }
        found.append(entry)
    return Moderation(terms=tuple(found))


__all__ = ["Moderation", "analyse", "significant_ranges", "slopes"]
