"""Changes of every construct's index between consecutive survey waves, read from the waves'
saved results (nothing is refitted).

Waves are independent samples, so the difference of two indices has the standard error
sqrt(se_a² + se_b²) from each wave's bootstrap standard error, and z = (b − a) / se is
referred to the standard normal (Efron & Tibshirani 1993, ch. 6: the bootstrap estimate of a
standard error). The p values of all construct × transition tests are adjusted together by
Holm's step-down method (Holm 1979, Scand. J. Statist. 6, 65–70; csi.multi.differences.holm),
which controls the family-wise error rate without assuming independence.

The trend report (csi.report.pdf.trend) only renders what `changes` returns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from csi.multi.differences import holm

ALPHA = 0.05


@dataclass(frozen=True)
class WaveChange:
    """One construct between two consecutive waves: indices a → b, their difference, its
    standard error, z, the raw and Holm-adjusted p, and whether it is significant."""

    from_wave: str
    to_wave: str
    construct: str
    a: float
    b: float
    difference: float
    se: float
    z: float
    p: float
    p_holm: float
    significant: bool

    def to_dict(self) -> dict:
        return {"from": self.from_wave, "to": self.to_wave, "construct": self.construct,
                "a": self.a, "b": self.b, "difference": self.difference, "se": self.se,
                "z": self.z, "p": self.p, "p_holm": self.p_holm,
                "significant": self.significant}


@dataclass(frozen=True)
class WaveChanges:
    """Every tested change, in wave order then the later wave's construct order; `alpha` is
    the family-wise level the Holm-adjusted p values are compared with."""

    rows: tuple[WaveChange, ...]
    alpha: float = ALPHA

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    @property
    def significant(self) -> tuple[WaveChange, ...]:
        return tuple(row for row in self.rows if row.significant)

    def to_dict(self) -> dict:
        return {"alpha": self.alpha, "changes": [row.to_dict() for row in self.rows]}


def _se(row: dict) -> float | None:
    """A wave's bootstrap standard error of an index (None without a bootstrap)."""
    value = row.get("se")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def changes(waves: list[tuple[str, dict]], alpha: float = ALPHA) -> WaveChanges:
    """The changes between consecutive waves (name, fit document), oldest first. Constructs
    missing from a wave, or without standard errors, are left out."""
    from scipy.stats import norm

    pairs = []
    for (name_a, doc_a), (name_b, doc_b) in zip(waves, waves[1:]):
        index_a, index_b = doc_a.get("index") or {}, doc_b.get("index") or {}
        for construct in index_b:
            if construct not in index_a:
                continue
            se_a, se_b = _se(index_a[construct]), _se(index_b[construct])
            a, b = index_a[construct].get("score"), index_b[construct].get("score")
            if se_a is None or se_b is None or a is None or b is None:
                continue
            pairs.append((name_a, name_b, construct, a, b, float(np.hypot(se_a, se_b))))
    if not pairs:
        return WaveChanges((), alpha)
    difference = np.array([b - a for _f, _t, _c, a, b, _se_ in pairs])
    se = np.array([row[5] for row in pairs])
    z = np.divide(difference, se, out=np.zeros_like(difference), where=se > 0)
    p = 2 * norm.sf(np.abs(z))
    adjusted = holm(p)
    return WaveChanges(tuple(
        WaveChange(f, t, c, a, b, b - a, s, float(zi), float(pi), float(hi), bool(hi < alpha))
        for (f, t, c, a, b, s), zi, pi, hi in zip(pairs, z, p, adjusted)), alpha)
