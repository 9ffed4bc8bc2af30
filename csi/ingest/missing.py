"""Missing answers: mean imputation, and EM estimates of the indicators' means and covariance.

PLS path modeling needs only the indicators' means and covariance (DESIGN.md), so the
principled way to use every respondent is to estimate those moments by maximum likelihood
from the incomplete data, under the multivariate-normal model with answers missing at random:
the EM algorithm of Dempster, Laird & Rubin (1977), in the form of Little & Rubin (2002),
*Statistical Analysis with Missing Data*, 2nd ed., section 11.2.1 (see also Schafer 1997,
*Analysis of Incomplete Multivariate Data*, ch. 5, for the grouping by missingness pattern).

E-step: for respondents of missingness pattern g (observed items o, missing m), the missing
answers' conditional distribution given the observed ones under the current (mu, Sigma) is
normal with mean  a + B x_o  and covariance  C, where
    B = Sigma_mo Sigma_oo^-1,   a = mu_m - B mu_o,   C = Sigma_mm - B Sigma_om.
The expected sufficient statistics sum x and sum x x' add E[x_m] and E[x_m x_m'] =
E[x_m] E[x_m]' + C. M-step: mu = T1 / N, Sigma = T2 / N - mu mu'.

Implementation. The observed-data sums of each pattern (N_g, sum x_o, sum x_o x_o') are
computed once; every iteration then costs O(G p^3) for G patterns, whatever the number of
respondents. B and C come from the precision matrix K = Sigma^-1 (B = -K_mm^-1 K_mo,
C = K_mm^-1; Little & Rubin 2002, sec. 11.2.1, via the sweep operator's identity), and all
patterns of a chunk are handled at once as p x p matrices: inverting K restricted to the
missing block (with the identity on the observed block) gives K_mm^-1 for every pattern in
one batched call. Survey weights, when given, weight each respondent's contribution
(pseudo-maximum likelihood). The covariance returned is rescaled by N / (N - 1), so that with
no missing answers EM returns exactly the sample moments of csi.moments (one iteration).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_CHUNK = 1024  # patterns per batched step (memory ~ 6 * chunk * p^2 floats)


class EmError(ValueError):
    """EM cannot estimate the moments (e.g. two items never answered together)."""


@dataclass(frozen=True)
class EmEstimate:
    """Maximum-likelihood means and covariance from incomplete data, and the imputations."""

    mean: np.ndarray  # (p,)
    cov: np.ndarray  # (p, p), divisor N - 1 (N = sum of weights)
    imputed: np.ndarray  # (n, p): observed answers, and E[x_m | x_o] in the missing cells
    iterations: int
    converged: bool
    patterns: int


def em_moments(data: np.ndarray, weights: np.ndarray | None = None, *, tol: float = 1e-10,
               max_iter: int = 5000) -> EmEstimate:
    """EM estimates of the mean and covariance of `data` (n, p) with NaN for missing cells.

    Every row must have at least one observed value and every pair of columns must be
    observed together at least once (otherwise their covariance is not identified: EmError).
    Iterates until the largest change of any mean (in standard deviations) and any covariance
    (in products of standard deviations) is below `tol`.
    """
    data = np.asarray(data, dtype=float)
    n, p = data.shape
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    missing = np.isnan(data)
    observed = ~missing
    if np.any(observed.sum(axis=1) == 0):
        raise EmError("a respondent has no observed answer")
    together = np.zeros((p, p))
    for start in range(0, n, 65536):  # float BLAS on row blocks; counts stay exact enough to
        block = observed[start:start + 65536].astype(np.float32)  # tell zero from non-zero
        together += block.T @ block
    never = np.argwhere(together == 0)
    if never.size:
        a, b = never[0]
        raise EmError(f"columns {a} and {b} are never observed together")
    total_w = w.sum()
    # Work in coordinates centred on the observed means, for numerical stability.
    origin = np.array([_mean(data[observed[:, j], j], w[observed[:, j]]) for j in range(p)])
    centred = np.where(missing, 0.0, data - origin)

    first, inverse = _patterns(missing)
    pattern_missing = missing[first]  # (G, p)
    groups = np.argsort(inverse, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(inverse, minlength=len(first)))])
    count = len(first)
    n_g = np.empty(count)
    s_g = np.empty((count, p))
    ss_g = np.empty((count, p, p))
    for g in range(count):
        rows = groups[bounds[g]:bounds[g + 1]]
        x = centred[rows]
        wg = w[rows]
        n_g[g] = wg.sum()
        s_g[g] = wg @ x
        ss_g[g] = (x * wg[:, None]).T @ x

    mu = np.zeros(p)
    sigma = np.diag([_mean(centred[observed[:, j], j] ** 2, w[observed[:, j]])
                     for j in range(p)])
    if np.any(np.diag(sigma) <= 0):
        raise EmError("a column has no variance among its observed values")
    converged = False
    iterations = 0
    for iterations in range(1, max_iter + 1):
        t1, t2 = _expected_sums(mu, sigma, pattern_missing, n_g, s_g, ss_g)
        new_mu = t1 / total_w
        new_sigma = t2 / total_w - np.outer(new_mu, new_mu)
        new_sigma = (new_sigma + new_sigma.T) / 2
        sd = np.sqrt(np.clip(np.diag(new_sigma), 1e-300, None))
        change = max(np.max(np.abs(new_mu - mu) / sd),
                     np.max(np.abs(new_sigma - sigma) / np.outer(sd, sd)))
        mu, sigma = new_mu, new_sigma
        if not np.all(np.isfinite(sigma)):
            raise EmError("the estimates diverged")
        if change < tol:
            converged = True
            break

    imputed = data.copy()
    coefficients, intercepts = _conditional(mu, sigma, pattern_missing)[:2]
    for g in range(count):
        if not pattern_missing[g].any():
            continue
        rows = groups[bounds[g]:bounds[g + 1]]
        expected = centred[rows] @ coefficients[g].T + intercepts[g]
        m = pattern_missing[g]
        imputed[np.ix_(rows, np.flatnonzero(m))] = expected[:, m] + origin[m]
    scale = total_w / (total_w - 1) if total_w > 1 else 1.0
    return EmEstimate(mean=mu + origin, cov=sigma * scale, imputed=imputed,
                      iterations=iterations, converged=converged, patterns=count)


def _patterns(missing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of a boolean matrix: the index of each one's first row, and each
    row's pattern number."""
    packed = np.packbits(missing, axis=1, bitorder="little")
    if packed.shape[1] <= 8:  # up to 64 items: one unsigned integer key per row
        padded = np.zeros((packed.shape[0], 8), dtype=np.uint8)
        padded[:, : packed.shape[1]] = packed
        keys = padded.view("<u8").ravel()
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    else:
        _, first, inverse = np.unique(packed, axis=0, return_index=True, return_inverse=True)
    return first, inverse.ravel()


def _conditional(mu: np.ndarray, sigma: np.ndarray, pattern_missing: np.ndarray):
    """Per pattern, as p x p / p arrays: A (identity on observed rows, B on missing rows'
    observed columns), c (a on missing entries) and C (on the missing block)."""
    p = mu.size
    try:
        precision = np.linalg.inv(sigma)
    except np.linalg.LinAlgError:
        raise EmError("the covariance matrix is singular") from None
    m = pattern_missing.astype(float)  # (G, p)
    o = 1.0 - m
    mm = m[:, :, None] * m[:, None, :]
    restricted = precision[None] * mm + np.eye(p)[None] * o[:, None, :]
    try:
        inverse = np.linalg.inv(restricted)
    except np.linalg.LinAlgError:
        raise EmError("the covariance matrix is singular") from None
    residual = inverse * mm  # C = K_mm^-1 on the missing block
    coefficients = -residual @ (precision[None] * (m[:, :, None] * o[:, None, :]))  # B
    transform = coefficients + np.eye(p)[None] * o[:, None, :]  # A
    intercepts = m * mu[None] - coefficients @ mu  # c
    return transform, intercepts, residual


def _expected_sums(mu, sigma, pattern_missing, n_g, s_g, ss_g):
    """E-step: the expected sums of x and x x' over all respondents."""
    p = mu.size
    t1 = np.zeros(p)
    t2 = np.zeros((p, p))
    for start in range(0, len(n_g), _CHUNK):
        part = slice(start, start + _CHUNK)
        transform, intercepts, residual = _conditional(mu, sigma, pattern_missing[part])
        weight = n_g[part]
        moved = np.einsum("gij,gj->gi", transform, s_g[part])  # A s
        t1 += (weight[:, None] * intercepts + moved).sum(axis=0)
        outer_c = np.einsum("g,gi,gj->ij", weight, intercepts, intercepts)
        cross = np.einsum("gi,gj->ij", intercepts, moved)
        quadratic = (transform @ ss_g[part] @ transform.transpose(0, 2, 1)).sum(axis=0)
        t2 += outer_c + cross + cross.T + quadratic + np.einsum("g,gij->ij", weight, residual)
    return t1, t2


def mean_impute(data: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Missing cells replaced by their column's (weighted) mean of the observed answers.

    Simple and common, but it shrinks variances and correlations toward zero (Little & Rubin
    2002, sec. 4.2.1); prefer EM when more than a few answers are missing.
    """
    values = np.array(data, dtype=float, copy=True)
    missing = np.isnan(values)
    if not missing.any():
        return values
    w = np.ones(values.shape[0]) if weights is None else np.asarray(weights, dtype=float)
    for j in np.flatnonzero(missing.any(axis=0)):
        seen = ~missing[:, j]
        values[missing[:, j], j] = _mean(values[seen, j], w[seen])
    return values


def _mean(values: np.ndarray, weights: np.ndarray) -> float:
    """The weighted mean; the plain mean when the weights sum to zero."""
    total = weights.sum()
    return float(weights @ values / total) if total > 0 else float(values.mean())
