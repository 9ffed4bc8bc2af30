"""The estimator registry: the one place that maps an estimator's name to its code.

Every caller asks `get(name)` and uses the Estimator protocol (csi.estimators.base), so the
bootstrap, drivers, reports and check never ask which estimator ran. Modules are imported on
first use: CB-SEM pulls in semopy and scipy.optimize, which a PLS fit never needs.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from csi.errors import ModelError

if TYPE_CHECKING:
    from csi.estimators.base import Estimator


@dataclass(frozen=True)
class Entry:
    """What is known of an estimator without importing it."""

    name: str
    module: str
    composite: bool  # PLS family: weighted composites (Mode A/B), no free covariances
    title: str
    common_factor: bool  # estimates common factors: its solution can be inadmissible


ENTRIES = {
    "pls": Entry("pls", "csi.estimators.pls", True, "PLS path modeling", False),
    "plsc": Entry("plsc", "csi.estimators.plsc", True, "Consistent PLS (PLSc)", True),
    "cbsem": Entry("cbsem", "csi.estimators.cbsem", False, "Covariance-based SEM (semopy)",
                   True),
}
NAMES = tuple(ENTRIES)


def entry(name: str) -> Entry:
    """The registry entry of `name`; a ModelError lists the known names."""
    try:
        return ENTRIES[name]
    except KeyError:
        raise ModelError(f"unknown estimator '{name}' ({', '.join(NAMES)})") from None


def get(name: str) -> Estimator:
    """The estimator called `name`, imported on first use."""
    return importlib.import_module(entry(name).module).ESTIMATOR





def estimate(cov, structure, settings, **options):
    """Estimates of settings.estimator for a batch of covariance matrices (b, p, p)."""
    estimator = get(settings.estimator)
    return estimator.estimate(cov, structure, estimator.prepare(settings), **options)


def point_fit(cov, n: int, structure, settings):
    """The point fit of one covariance matrix (p, p) of n respondents by settings.estimator."""
    estimator = get(settings.estimator)
    return estimator.point_fit(cov, n, structure, estimator.prepare(settings))
__all__ = ["ENTRIES", "NAMES", "Entry", "entry", "estimate", "get", "point_fit"]
