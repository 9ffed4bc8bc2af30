"""Changes of every construct's index between consecutive survey waves, read from the waves'
saved results (nothing is refitted).

Waves are independent samples, so the difference of two indices has the standard error
sqrt(se_a² + se_b²) from each wave's bootstrap standard error, and z = (b − a) / se is
referred to the standard normal (Efron & Tibshirani 1993, ch. 6: the bootstrap estimate of a
standard error). The p values of all construct × transition tests are adjusted together by
Holm's step-down method (Holm 1979, Scand. J. Statist. 6, 65–70), which controls the
family-wise error rate without assuming independence.
"""

from __future__ import annotations

import numpy as np


def holm(p: np.ndarray) -> np.ndarray:
    """Holm-adjusted p values: sorted ascending, p_(i) × (m − i + 1), made monotone with a
    running maximum and capped at 1; returned in the input order."""
    p = np.asarray(p, dtype=float)
    m = len(p)
    if m == 0:
        return p
    order = np.argsort(p, kind="stable")
    adjusted = np.minimum(1.0, np.maximum.accumulate(p[order] * (m - np.arange(m))))
    out = np.empty(m)
    out[order] = adjusted
    return out


def _se(row: dict) -> float | None:
    """A wave's bootstrap standard error of an index (None without a bootstrap)."""
    value = row.get("se")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value):
        return float(value)
    return None


def changes(waves: list[tuple[str, dict]], alpha: float = 0.05) -> list[dict]:
    """One row per construct and pair of consecutive waves: from, to, construct, a, b,
    difference, se, z, p, p_holm, significant (p_holm < alpha). Constructs missing from a
    wave, or without standard errors, are left out."""
    from scipy.stats import norm

    rows = []
    for (name_a, doc_a), (name_b, doc_b) in zip(waves, waves[1:]):
        index_a, index_b = doc_a.get("index") or {}, doc_b.get("index") or {}
        for construct in index_b:
            if construct not in index_a:
                continue
            se_a, se_b = _se(index_a[construct]), _se(index_b[construct])
            a, b = index_a[construct].get("score"), index_b[construct].get("score")
            if se_a is None or se_b is None or a is None or b is None:
                continue
            se = float(np.hypot(se_a, se_b))
            rows.append({"from": name_a, "to": name_b, "construct": construct, "a": a, "b": b,
                         "difference": b - a, "se": se})
    if not rows:
        return []
    difference = np.array([r["difference"] for r in rows])
    se = np.array([r["se"] for r in rows])
    z = np.divide(difference, se, out=np.zeros_like(difference), where=se > 0)
    p = 2 * norm.sf(np.abs(z))
    adjusted = holm(p)
    for row, zi, pi, hi in zip(rows, z, p, adjusted):
        row.update(z=float(zi), p=float(pi), p_holm=float(hi), significant=bool(hi < alpha))
    return rows
