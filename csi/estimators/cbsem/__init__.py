"""Covariance-based SEM (CB-SEM) through semopy, behind csi's estimator interface.

The model (csi.spec: blocks as common factors, paths, residual covariances, fixed values) is
handed to semopy (Meshcheryakov, Igolkina & Samsonova 2021), which builds the LISREL-type
matrices Lambda, B, Psi, Theta with Sigma = Lambda (I - B)^-1 Psi (I - B)^-T Lambda' + Theta,
the first loading of every factor fixed to 1 (lavaan's default identification), and fits
them with its SLSQP solver. This package wraps it:

- every fit starts from a clean state (`Model.load(..., clean_slate=True)`; semopy would
  otherwise start from the previous fit), with semopy's data-based starting values computed
  from the covariance matrix, so a fit depends only on its matrix;
- semopy's SLSQP stops early on ill-conditioned models (on ECSI/mobi at chi^2 575.96 where
  lavaan reaches 575.57) and only logs when it fails; an L-BFGS-B refinement, tried first,
  needs over 10,000 iterations there. So the solution is refined by Fisher scoring with
  Levenberg-Marquardt damping (the expected information as curvature; Lee & Jennrich 1979),
  which converges in about 90 steps, and convergence is checked here: the fit is converged
  when a full scoring step could lower the discrepancy by less than 1e-12, else csi raises
  EstimationError. Variances are not bounded (lavaan's default), so Heywood cases show as
  negative variances and are reported by name;
- the standardized solution follows lavaan's standardizedSolution() (std.all), with
  delta-method standard errors from the expected information (ML: inverse of
  N/2 Delta'(Sigma^-1 x Sigma^-1)Delta, Bollen 1989, ch. 4);
- global fit indices are computed from the discrepancy, as lavaan does (semopy's differ:
  RMSEA with N - 1, a baseline that keeps fixed variances), see `fit_indices`;
- construct scores for the 0-100 index use regression (Thurstone) factor-score weights
  Sigma^-1 Lambda Phi, each indicator's weight on its own factor, scaled so that the score
  has unit variance: the same index formula as PLS.

Fits run on the covariance matrix with divisor N (lavaan's ML convention); the standardized
estimates do not depend on that choice, so the bootstrap refits resample covariance matrices
as they come, each starting from the point estimates.

Modules, each importing only those below it: this one (the estimator: `estimate`,
`point_fit`, `fit_model`, `ESTIMATOR`) -> `inference` (vcov, delta method, parameter table),
`indices` (fit indices, RMSEA CI), `estimates` (solution -> PlsEstimates, correlation
warnings) -> `fitter` (SLSQP + Fisher scoring, identification), `standardized` (std.all) ->
`syntax` (spec -> semopy text, build lock, log filter, single-threaded BLAS).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from csi.errors import EstimationError
from csi.estimators.base import EstimatorFit, PlsEstimates, PlsSettings, on_covariances
from csi.estimators.cbsem.estimates import correlation_warnings, estimates_of
from csi.estimators.cbsem.fitter import (
    BOOT_MAX_ITER, BOOT_TOL, FAILED, IDENTIFICATION_TOL, MAX_ITER, NOT_CONVERGED, STOP, TOL,
    Fitter, Solution,
)
from csi.estimators.cbsem.indices import fit_indices
from csi.estimators.cbsem.inference import delta, families, jacobian, parameter_table, vcov
from csi.estimators.cbsem.standardized import standardized
from csi.estimators.cbsem.syntax import SEMOPY_OBJECTIVES, semopy_syntax, single_threaded_blas
from csi.jsonio import clean
from csi.model.spec import ModelSpec
from csi.model.structure import Layout, Structure

__all__ = [
    "BOOT_MAX_ITER", "BOOT_TOL", "ESTIMATOR", "FAILED", "IDENTIFICATION_TOL", "MAX_ITER",
    "NOT_CONVERGED", "SEMOPY_OBJECTIVES", "STOP", "TOL", "CovarianceBasedSem", "Fitter",
    "Solution", "estimate", "fit_indices", "fit_model", "parameter_table", "point_fit",
    "semopy_syntax", "single_threaded_blas", "standardized", "vcov",
]


# -- the estimator interface ----------------------------------------------------------------------
def estimate(cov: np.ndarray, structure: Structure, settings: PlsSettings,
             start: np.ndarray | None = None) -> PlsEstimates:
    """CB-SEM estimates for a batch of covariance matrices (b, p, p), each refitted from a
    clean state (from `start`, the point estimates, when given: the bootstrap). A matrix whose
    fit fails is NaN with its reason in `failures`."""
    with single_threaded_blas():
        return _estimate(cov, structure, settings, start)


def _estimate(cov, structure, settings, start) -> PlsEstimates:
    fitter = Fitter(_spec(structure), settings.objective)
    batch, p = cov.shape[0], cov.shape[1]
    k_count = len(structure.constructs)
    out = {
        "weights": np.full((batch, p), np.nan), "loadings": np.full((batch, p), np.nan),
        "cross_loadings": np.full((batch, p, k_count), np.nan),
        "construct_cor": np.full((batch, k_count, k_count), np.nan),
        "paths": np.full((batch, k_count, k_count), np.nan),
        "r2": np.full((batch, k_count), np.nan),
        "total_effects": np.full((batch, k_count, k_count), np.nan),
        "iterations": np.zeros(batch, dtype=int), "converged": np.zeros(batch, dtype=bool),
        "failures": np.full(batch, "", dtype=object),
        "parameters": np.full((batch, fitter.q), np.nan),
    }
    for row in range(batch):
        try:
            solution = fitter.fit(cov[row], None, start=start)
            single = estimates_of(fitter, solution, cov[row], structure)
        except (EstimationError, np.linalg.LinAlgError) as exc:
            failed = isinstance(exc, EstimationError) and str(exc).startswith(NOT_CONVERGED)
            out["failures"][row] = NOT_CONVERGED if failed else FAILED
            continue
        for name in out:
            if name != "failures":
                out[name][row] = getattr(single, name)[0]
    return PlsEstimates(**out)


def _spec(structure: Structure) -> ModelSpec:
    if structure.spec is None:
        raise ValueError("CB-SEM needs the Structure's ModelSpec (Structure.from_spec)")
    return structure.spec


def fit_model(spec: ModelSpec, cov: np.ndarray, n: int, objective: str = "ML",
              max_iter: int = MAX_ITER) -> tuple[Fitter, Solution]:
    """Fit `spec` to one covariance matrix (spec order, divisor N as lavaan) of n respondents:
    the fitted Fitter and its Solution. Checks convergence and identification. Works for any
    spec cbsem accepts, including measurement-only (CFA) models."""
    with single_threaded_blas():
        fitter = Fitter(spec, objective)
        solution = fitter.fit(cov, n, max_iter=max_iter)
        fitter.identification(solution.x)
    return fitter, solution


def point_fit(cov: np.ndarray, n: int, structure: Structure,
              settings: PlsSettings) -> EstimatorFit:
    """The CB-SEM point fit of one covariance matrix (p, p; divisor n - 1, as csi's moments)
    of n respondents: estimates, fit indices, ML standard errors of the reported families,
    Heywood and other warnings, and the lavaan-style parameter table in the details."""
    with single_threaded_blas():
        return _point_fit(cov, n, structure, settings)


def _point_fit(cov: np.ndarray, n: int, structure: Structure,
               settings: PlsSettings) -> EstimatorFit:
    spec = _spec(structure)
    cov_n = cov * (n - 1) / n  # lavaan's ML uses the covariance matrix with divisor N
    fitter, solution = fit_model(spec, cov_n, n, settings.objective)
    estimates = estimates_of(fitter, solution, cov, structure)
    layout = Layout.from_spec(spec, structure)
    parameter_vcov = vcov(fitter, solution.x, n)
    table, heywood = parameter_table(fitter, solution.x, parameter_vcov)
    jacobians = jacobian(lambda x: families(fitter, x, layout), solution.x)
    standard_errors = {family: delta(jac, parameter_vcov) for family, jac in jacobians.items()}
    fitter.model.update_matrices(solution.x)
    lam, beta, psi, theta = fitter.matrices(solution.x)
    sigma = standardized(lam, beta, psi, theta)["sigma"]
    indices = fit_indices(cov_n, sigma, n, fitter.q, settings.objective)
    warnings = list(fitter.notes) + heywood + correlation_warnings(estimates, spec)
    details = {"discrepancy": solution.discrepancy, "n_parameters": fitter.q,
               "parameters": table}
    return EstimatorFit(estimates=estimates, warnings=tuple(warnings),
                        fit_indices=clean(indices), details=clean(details),
                        standard_errors=standard_errors)


@dataclass(frozen=True)
class CovarianceBasedSem:
    """CB-SEM as a registry estimator: refits every matrix, starting the bootstrap's refits
    from the point fit's parameters."""

    name: str = "cbsem"
    composite: bool = False
    prepare = staticmethod(on_covariances)
    point_fit = staticmethod(point_fit)

    def estimate(self, cov: np.ndarray, structure: Structure, settings: PlsSettings, *,
                 reference: EstimatorFit | None = None, align: bool = True) -> PlsEstimates:
        start = (None if reference is None or reference.estimates.parameters is None
                 else reference.estimates.parameters[0])
        return estimate(cov, structure, settings, start=start)


ESTIMATOR = CovarianceBasedSem()
