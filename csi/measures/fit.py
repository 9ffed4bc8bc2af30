"""Overall model fit of PLS and PLSc: SRMR, d_ULS and d_G between the observed and the
model-implied indicator correlation matrix, of the estimated and of the saturated model.

Definitions as cSEM 0.6.1 (`fit()`, `assess()`) and ADANCO: the model-implied matrix is
Lambda V Lambda' with unit diagonal, where Lambda holds each indicator's loading on its own
construct and V the construct correlations -- as estimated (saturated model) or as implied by
the recursive structural model with disturbance variances 1 - R^2 (estimated model); the
blocks of a composite keep the observed correlations (Dijkstra & Henseler 2015, p. 300;
Schuberth, Henseler & Dijkstra 2018). Distances: SRMR over the lower triangle including the
diagonal; d_ULS = 1/2 ||S - Sigma||_F^2; d_G = 1/2 sum log10(eig(S^-1 Sigma))^2 (cSEM's base
10). Everything is batched over a leading axis (bootstrap resamples).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STATISTICS = ("srmr", "d_uls", "d_g")


def implied_construct_cor(paths: np.ndarray, construct_cor: np.ndarray,
                          r2: np.ndarray, exogenous: np.ndarray) -> np.ndarray:
    """Construct correlations (b, K, K) implied by a recursive structural model: exogenous
    correlations as estimated, disturbance variances 1 - R^2, unit diagonal (cSEM fit(),
    .saturated = FALSE). paths[b, k, j] is the coefficient of k -> j."""
    batch, k_count = paths.shape[0], paths.shape[1]
    both = exogenous[:, None] & exogenous[None, :]
    psi = np.zeros((batch, k_count, k_count))
    psi[:, both] = construct_cor[:, both]
    endogenous = np.flatnonzero(~exogenous)
    psi[:, endogenous, endogenous] = 1 - r2[:, endogenous]
    transfer = np.linalg.inv(np.eye(k_count)[None] - np.swapaxes(paths, 1, 2))
    implied = transfer @ psi @ np.swapaxes(transfer, 1, 2)
    diagonal = np.arange(k_count)
    implied[:, diagonal, diagonal] = 1.0
    return implied


def implied_indicator_cor(loadings: np.ndarray, construct_cor: np.ndarray,
                          observed: np.ndarray, membership: np.ndarray,
                          composite: np.ndarray) -> np.ndarray:
    """Indicator correlations (b, p, p) implied by loadings (b, p) on their own construct and
    construct correlations (b, K, K); `composite` (K,) marks the blocks whose within-block
    correlations are the observed ones (b, p, p)."""
    lam = loadings[:, :, None] * membership[None]
    sigma = lam @ construct_cor @ np.swapaxes(lam, 1, 2)
    p = lam.shape[1]
    sigma[:, np.arange(p), np.arange(p)] = 1.0
    own = membership @ (membership * composite[None, :]).T > 0  # same composite block
    sigma[:, own] = observed[:, own]
    return sigma


def distances(observed: np.ndarray, implied: np.ndarray) -> dict[str, np.ndarray]:
    """SRMR, d_ULS and d_G (each (b,)) of observed vs implied correlation matrices (b, p, p);
    d_G is NaN where an implied matrix is not positive definite."""
    p = observed.shape[-1]
    low = np.tril_indices(p)
    diff = observed - implied
    srmr = np.sqrt(np.mean(diff[:, low[0], low[1]] ** 2, axis=1))
    d_uls = 0.5 * np.sum(diff ** 2, axis=(1, 2))
    d_g = np.full(observed.shape[0], np.nan)
    # eigenvalues of S^-1 Sigma = those of L^-1 Sigma L^-T, S = L L' (symmetric, batched)
    finite = np.flatnonzero(np.isfinite(implied).all(axis=(1, 2))
                            & np.isfinite(observed).all(axis=(1, 2)))
    try:
        lower = np.linalg.cholesky(observed[finite])
    except np.linalg.LinAlgError:  # rare: observed matrices that are not positive definite
        factors = []
        for i in finite:
            try:
                factors.append(np.linalg.cholesky(observed[i]))
            except np.linalg.LinAlgError:
                factors.append(None)
        keep = np.array([f is not None for f in factors], dtype=bool)
        finite = finite[keep]
        lower = (np.stack([f for f in factors if f is not None]) if keep.any()
                 else np.empty((0, p, p)))
    if finite.size:
        inv = np.linalg.inv(lower)
        values = np.linalg.eigvalsh(inv @ implied[finite] @ np.swapaxes(inv, 1, 2))
        with np.errstate(invalid="ignore", divide="ignore"):
            logs = np.log10(np.where(values > 0, values, np.nan))
        d_g[finite] = 0.5 * np.sum(logs ** 2, axis=1)
    return {"srmr": srmr, "d_uls": d_uls, "d_g": d_g}


def positive_definite(matrices: np.ndarray) -> np.ndarray:
    """(b,) True where a symmetric matrix is finite and positive definite."""
    ok = np.isfinite(matrices).all(axis=(1, 2))
    if ok.any():
        ok[ok] = np.linalg.eigvalsh(matrices[ok])[:, 0] > 0
    return ok


@dataclass(frozen=True)
class ImpliedMatrices:
    """The estimated and the saturated model's implied indicator correlations (b, p, p)."""

    estimated: np.ndarray
    saturated: np.ndarray


def implied_matrices(loadings: np.ndarray, construct_cor: np.ndarray, paths: np.ndarray,
                     r2: np.ndarray, observed: np.ndarray, membership: np.ndarray,
                     composite: np.ndarray, exogenous: np.ndarray) -> ImpliedMatrices:
    """Both implied matrices of a batch of estimates (see the module docstring)."""
    structural = implied_construct_cor(paths, construct_cor, r2, exogenous)
    return ImpliedMatrices(
        estimated=implied_indicator_cor(loadings, structural, observed, membership, composite),
        saturated=implied_indicator_cor(loadings, construct_cor, observed, membership,
                                        composite),
    )


def quantile_summary(observed: float, draws: np.ndarray) -> dict[str, float]:
    """HI95, HI99 (type-7 quantiles of the bootstrap distances) and the p value
    (share of bootstrap distances at least the observed one) of one statistic."""
    draws = draws[np.isfinite(draws)]
    if draws.size == 0:
        return {"hi95": float("nan"), "hi99": float("nan"), "p": float("nan")}
    return {"hi95": float(np.quantile(draws, 0.95)), "hi99": float(np.quantile(draws, 0.99)),
            "p": float(np.mean(draws >= observed))}
