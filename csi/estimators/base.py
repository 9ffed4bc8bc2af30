"""What every estimator shares: its settings, the estimates it returns for a batch of
covariance matrices, its point fit, and the protocol the registry (csi.estimators) serves.

Nothing here imports an estimator; every estimator imports this (scikit-learn's `_base` rule).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from csi.model.structure import Structure

SCHEMES = ("path", "centroid", "factorial")
OBJECTIVES = ("ML", "GLS", "ULS")  # discrepancy functions of covariance-based SEM


@dataclass(frozen=True)
class PlsSettings:
    """Algorithm settings; the defaults are those of seminr and cSEM.

    `estimator` names an entry of the registry (csi.estimators); `objective` is the
    discrepancy function of covariance-based estimators (ML, GLS or ULS). scheme, tol and
    max_iter govern the PLS weights. An estimator that fits the covariance matrix itself
    turns `standardize` off through its `prepare` (csi.estimators.get(name).prepare).
    """

    scheme: str = "path"
    tol: float = 1e-7
    max_iter: int = 300
    standardize: bool = True  # False: centred raw indicators, as R plspm's scaled = FALSE
    estimator: str = "pls"
    objective: str = "ML"

    def __post_init__(self) -> None:
        if self.scheme not in SCHEMES:
            raise ValueError(f"unknown inner weighting scheme '{self.scheme}'")
        if self.objective not in OBJECTIVES:
            raise ValueError(f"unknown objective '{self.objective}'")
        if not self.tol > 0 or self.max_iter < 1:
            raise ValueError("tol must be positive and max_iter at least 1")


@dataclass(frozen=True)
class PlsEstimates:
    """Estimates for a batch of covariance matrices; the leading axis is the batch.

    weights are on the scale of S (standardized weights when S is a correlation matrix);
    construct scores Y = X_centred @ W have unit variance.
    """

    weights: np.ndarray  # (b, p)
    loadings: np.ndarray  # (b, p) correlation of each indicator with its construct
    cross_loadings: np.ndarray  # (b, p, K)
    construct_cor: np.ndarray  # (b, K, K)
    paths: np.ndarray  # (b, K, K), [k, j] = coefficient of path k -> j
    r2: np.ndarray  # (b, K), NaN for exogenous constructs
    total_effects: np.ndarray  # (b, K, K)
    iterations: np.ndarray  # (b,)
    converged: np.ndarray  # (b,) bool
    # (b,) str, "" where usable: why an estimator rejects a matrix's solution (an
    # inadmissible PLSc solution, a CB-SEM fit that failed); None when it never does
    failures: np.ndarray | None = None
    parameters: np.ndarray | None = None  # (b, q) free parameters of a CB-SEM fit

    @property
    def indirect_effects(self) -> np.ndarray:
        return self.total_effects - self.paths


@dataclass(frozen=True)
class EstimatorFit:
    """A point fit (batch of one) with what only some estimators add: notes for the user,
    global fit indices (CB-SEM), estimator details for the JSON, and analytic standard errors
    {family: (m,)} of the reported estimates (CB-SEM's ML standard errors)."""

    estimates: PlsEstimates
    warnings: tuple[str, ...] = ()
    fit_indices: dict | None = None
    details: dict | None = None
    standard_errors: dict | None = None


class Estimator(Protocol):
    """One way to estimate a model from indicator covariance matrices.

    `composite` estimators (the PLS family) build constructs as weighted sums of their
    indicators: they take Mode A and B blocks but neither free covariances nor fixed
    parameters; the others fit a common-factor model to the covariance matrix.
    """

    name: str
    composite: bool

    def prepare(self, settings: PlsSettings) -> PlsSettings:
        """The settings this estimator runs with (e.g. on the covariance, not correlation)."""

    def point_fit(self, cov: np.ndarray, n: int, structure: Structure,
                  settings: PlsSettings) -> EstimatorFit:
        """Fit one (p, p) matrix of n respondents."""

    def estimate(self, cov: np.ndarray, structure: Structure, settings: PlsSettings, *,
                 reference: EstimatorFit | None = None, align: bool = True) -> PlsEstimates:
        """Fit a batch (b, p, p), e.g. bootstrap resamples; `reference`, the point fit,
        gives starting values and, with `align`, the construct signs (a sign flip of a
        construct is a relabelling, not sampling variability)."""


def unchanged(settings: PlsSettings) -> PlsSettings:
    """`prepare` of estimators that run with the settings as given."""
    return settings


def on_covariances(settings: PlsSettings) -> PlsSettings:
    """`prepare` of estimators fitted to the covariance matrix (indicators not standardized)."""
    return replace(settings, standardize=False)
