"""A CB-SEM solution as csi's PlsEstimates (the adapter that lets the index, bootstrap and
drivers treat CB-SEM like PLS), and the warnings its latent correlations call for."""

from __future__ import annotations

import numpy as np

from csi.errors import EstimationError
from csi.estimators.base import PlsEstimates
from csi.estimators.cbsem.fitter import Fitter, Solution
from csi.estimators.cbsem.standardized import standardized
from csi.model.spec import ModelSpec
from csi.model.structure import Structure

NEAR_ONE = 0.95  # latent correlations above this are reported


def estimates_of(fitter: Fitter, solution: Solution, cov: np.ndarray,
                 structure: Structure) -> PlsEstimates:
    """PlsEstimates (batch of one) of a solution; weights on the scale of `cov`."""
    lam, beta, psi, theta = fitter.matrices(solution.x)
    std = standardized(lam, beta, psi, theta)
    own = structure.block_of
    rows = np.arange(own.size)
    # regression factor-score weights (Thurstone): Sigma^-1 Lambda Phi, own factor only
    scores = np.linalg.solve(std["sigma"], lam @ std["phi"])[rows, own]
    variance = ((scores[:, None] * cov * scores[None, :]) * (own[:, None] == own[None, :])
                ) @ np.ones(own.size)
    block_variance = np.bincount(own, weights=variance, minlength=len(structure.constructs))
    if np.any(~(block_variance > 0)):
        raise EstimationError("a factor-score composite has zero variance; check for "
                              "constant items")
    weights = scores / np.sqrt(block_variance[own])
    endogenous = np.array([preds.size > 0 for preds in structure.predecessors])
    r2 = np.where(endogenous, std["r2"], np.nan)
    return PlsEstimates(
        weights=weights[None], loadings=std["loadings"][rows, own][None],
        cross_loadings=std["cross"][None], construct_cor=std["cor"][None],
        paths=std["paths"][None] * structure.path_mask[None], r2=r2[None],
        total_effects=std["total"][None],
        iterations=np.array([solution.iterations + solution.slsqp_iterations]),
        converged=np.array([True]), failures=np.array([""], dtype=object),
        parameters=solution.x[None],
    )



def correlation_warnings(estimates: PlsEstimates, spec: ModelSpec) -> list[str]:
    """Latent correlations at or beyond 1 (an improper solution) or near it (unstable paths)."""
    cor = estimates.construct_cor[0]
    names = spec.constructs
    out = []
    if np.isfinite(cor).all() and np.linalg.eigvalsh(cor)[0] < -1e-10:
        out.append("the latent correlation matrix is not positive definite: the CB-SEM "
                   "solution is improper")
    high = [(abs(cor[a, b]), a, b) for a in range(len(names)) for b in range(a)
            if abs(cor[a, b]) >= NEAR_ONE]
    if high:
        pairs = ", ".join(f"{spec.label(names[a])}-{spec.label(names[b])} {cor[a, b]:.3f}"
                          for _, a, b in sorted(high, reverse=True))
        out.append(
            f"latent correlations near or beyond 1 ({pairs}): these constructs are not "
            "empirically distinct, so the paths among them are unstable (standardized paths "
            "can exceed 1); compare with PLS (csi compare-estimators)"
        )
    return out
