"""Inference from analytic standard errors (e.g. CB-SEM's ML ones): z, p and Wald intervals."""

from __future__ import annotations

import numpy as np

from csi.distributions import ndtr, ndtri


def with_analytic_errors(tables: dict, standard_errors: dict[str, np.ndarray],
                         level: float) -> dict:
    """Each covered family's table with se, t (z = estimate / se), two-sided normal p, and
    the Wald interval estimate -/+ z_(1 - alpha/2) se at `level`."""
    z_level = ndtri(0.5 + level / 2)
    changed = {}
    for family, se in standard_errors.items():
        table = tables[family]
        estimate = table["estimate"].to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(se > 0, estimate / se, np.nan)
        changed[family] = table.assign(
            se=se, t=z, p=2 * ndtr(-np.abs(z)),
            ci_low=estimate - z_level * se, ci_high=estimate + z_level * se)
    return changed
