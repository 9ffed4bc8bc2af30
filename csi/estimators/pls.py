"""PLS path modeling (Lohmöller's algorithm) on indicator covariance matrices, batched.

PLS-PM depends on the data only through the indicator covariance matrix S (the correlation
matrix when indicators are standardized): every quantity below is a function of S and the
outer weights (Lohmöller 1989, ch. 2; Tenenhaus et al. 2005, sec. 2). Working on S makes a
fit's cost independent of n, and lets the bootstrap run all resamples at once as a stack of
small matrices of shape (batch, p, p).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from csi.errors import EstimationError
from csi.estimators.base import EstimatorFit, PlsEstimates, PlsSettings, unchanged
from csi.model.structure import Structure

def _inner_weights(cor: np.ndarray, structure: Structure, scheme: str) -> np.ndarray:
    """Inner weights E (b, K, K): the inner proxy of construct j is sum_k E[k, j] Y_k.

    centroid: sign of the correlation; factorial: the correlation (Lohmöller 1989, p. 42);
    path: regression coefficients on predecessors, correlations with successors
    (Lohmöller 1989, p. 42; Tenenhaus et al. 2005, p. 169).
    """
    adjacent = structure.path_mask | structure.path_mask.T
    if scheme == "centroid":
        return np.where(adjacent, np.sign(cor), 0.0)
    if scheme == "factorial":
        return np.where(adjacent, cor, 0.0)
    # [k, j]: the regression coefficient of a predecessor k of j, the correlation of a
    # successor k of j (j -> k; a recursive model has no pair that is both)
    return np.where(structure.path_mask.T, np.swapaxes(cor, 1, 2), regressions(cor, structure))


def regressions(cor: np.ndarray, structure: Structure) -> np.ndarray:
    """OLS coefficients of every construct on its predecessors from the construct
    correlations (b, K, K), as (b, K, K) with [k, j] the coefficient of k -> j (0 where no
    path). A small batch (a point fit) solves all regressions in one stacked call, each
    system padded with an identity to the largest predecessor count; a bootstrap's stack
    goes construct by construct (_solve's batched factorisations)."""
    batch, k_count = cor.shape[0], cor.shape[1]
    coef = np.zeros((batch, k_count, k_count))
    targets, index, valid = structure.padded_predecessors
    if not targets.size:
        return coef
    if batch < SMALL_BATCH:
        matrices, sides, where = structure.regression_gather
        flat = np.concatenate([cor.reshape(batch, -1), np.zeros((batch, 1)),
                               np.ones((batch, 1))], axis=1)
        try:
            solved = np.linalg.solve(flat[:, matrices], flat[:, sides, None])[..., 0]
        except np.linalg.LinAlgError as exc:
            raise EstimationError(SINGULAR) from exc
        coef.reshape(batch, -1)[:, where] = solved[:, valid]
        return coef
    for j in targets:
        preds = structure.predecessors[j]
        coef[:, preds, j] = _solve(cor[:, preds[:, None], preds[None, :]], cor[:, preds, j])
    return coef


SMALL_BATCH = 64  # below this many matrices a stacked LAPACK call beats the batched algebra
SINGULAR = (
    "a regression in the model is singular (two constructs or indicators are perfectly "
    "collinear); check for duplicated items or constructs with identical blocks"
)


def _solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Batched solve of a x = b, a (batch, m, m) symmetric positive definite (a correlation
    matrix of predictors), b (batch, m). Small systems use a Cholesky factorisation written
    over the batch axis, which beats one LAPACK call per matrix for the thousands of tiny
    systems of a bootstrap (a point fit's single system goes to LAPACK)."""
    m = a.shape[-1]
    if m > 6 or a.shape[0] < SMALL_BATCH:  # LAPACK wins for big systems and small batches
        try:
            return np.linalg.solve(a, b[..., None])[..., 0]
        except np.linalg.LinAlgError as exc:
            raise EstimationError(SINGULAR) from exc
    if m <= 2:
        return _solve_small(a, b)
    lower = np.zeros_like(a)
    for j in range(m):
        pivot = a[:, j, j] - np.einsum("bk,bk->b", lower[:, j, :j], lower[:, j, :j])
        if np.any(~(pivot > 1e-14)):
            raise EstimationError(SINGULAR)
        lower[:, j, j] = np.sqrt(pivot)
        for i in range(j + 1, m):
            dot = np.einsum("bk,bk->b", lower[:, i, :j], lower[:, j, :j])
            lower[:, i, j] = (a[:, i, j] - dot) / lower[:, j, j]
    y = np.empty_like(b)
    for i in range(m):
        y[:, i] = (b[:, i] - np.einsum("bk,bk->b", lower[:, i, :i], y[:, :i])) / lower[:, i, i]
    x = np.empty_like(b)
    for i in reversed(range(m)):
        tail = np.einsum("bk,bk->b", lower[:, i + 1 :, i], x[:, i + 1 :])
        x[:, i] = (y[:, i] - tail) / lower[:, i, i]
    return x


def _solve_small(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """_solve's Cholesky written out for one or two predictors (most paths of a satisfaction
    model), the same operations without the loop's bookkeeping."""
    l00 = a[:, 0, 0]
    if np.any(~(l00 > 1e-14)):
        raise EstimationError(SINGULAR)
    l00 = np.sqrt(l00)
    y0 = b[:, 0] / l00
    if a.shape[-1] == 1:
        return (y0 / l00)[:, None]
    l10 = a[:, 1, 0] / l00
    pivot = a[:, 1, 1] - l10 * l10
    if np.any(~(pivot > 1e-14)):
        raise EstimationError(SINGULAR)
    l11 = np.sqrt(pivot)
    x1 = ((b[:, 1] - l10 * y0) / l11) / l11
    return np.stack([(y0 - l10 * x1) / l00, x1], axis=1)


def _padded_blocks(structure: Structure) -> tuple[np.ndarray, np.ndarray, bool]:
    """(index (K, m), valid (K, m), plain): csi.model.structure.Structure.padded_blocks."""
    return structure.padded_blocks


def grouped(array: np.ndarray, structure: Structure) -> np.ndarray:
    """array (b, p, r) regrouped as (b, K, m, r) blocks of rows (padding rows repeat an
    indicator; their weights are 0): a view when the blocks are plain, else a copy, made
    once per batch by callers that reuse it (outer_weights iterates on the same S)."""
    index, _, plain = _padded_blocks(structure)
    if plain:
        return array.reshape(array.shape[0], *index.shape, array.shape[-1])
    return array[:, index, :]


def _block_weights(weights: np.ndarray, structure: Structure) -> np.ndarray:
    """weights (b, p) as (b, K, m), padding with 0."""
    index, valid, plain = _padded_blocks(structure)
    if plain:
        return weights.reshape(weights.shape[0], *index.shape)
    return np.where(valid, weights[:, index], 0.0)


def _by_block(array: np.ndarray, weights: np.ndarray, structure: Structure):
    """array (b, p, r) and weights (b, p) regrouped as (b, K, m, r) and (b, K, m), padding
    weights with 0 (csi.estimators.pls._padded_blocks)."""
    return grouped(array, structure), _block_weights(weights, structure)


def dense_products(structure: Structure) -> bool:
    """Whether the products with W run as products with the dense p x K matrix W (a stack of
    small BLAS products: K times the multiplications) rather than as per-block sums over S
    regrouped by block. The dense product wins when the blocks differ in size (regrouping
    then copies S with padding) and K is small: ECSI's 7 constructs take 0.7x the time; for
    equal blocks the per-block sums are a view and win from 12 constructs (measured on
    500 resample matrices, one BLAS thread)."""
    return not structure.padded_blocks[2] and len(structure.constructs) <= DENSE_CONSTRUCTS


DENSE_CONSTRUCTS = 12


def block_products(cov: np.ndarray, weights: np.ndarray, structure: Structure,
                   rows: np.ndarray | None = None) -> np.ndarray:
    """S W for the block-diagonal outer weight matrix W, as (b, p, K): cov(X_i, Y_k).

    Small models: the product with the dense W (a stack of small BLAS products). Larger
    ones: per-block sums over each block's rows of S (S is symmetric, so rows
    stand for columns) weighted by w, O(b p^2), instead of the product with the dense p x K
    matrix W (O(b p^2 K) for p non-zeros). `rows`: grouped(cov), when the caller has it."""
    if dense_products(structure):
        return cov @ (weights[:, :, None] * structure.membership)
    rows = grouped(cov, structure) if rows is None else rows
    w = _block_weights(weights, structure)
    return np.swapaxes(np.einsum("bkmi,bkm->bki", rows, w), 1, 2)


def used_pairs(structure: Structure) -> tuple[np.ndarray, np.ndarray]:
    """(rows, columns) of the upper triangle of S that PLS reads for the reported estimates:
    within a block, between blocks joined by a path (inner weights) and between two
    predecessors of one construct (path scheme, OLS paths); a chain of K constructs needs
    O(K) blocks of S, not O(K^2). The others only feed cross-loadings and the correlations
    of unconnected constructs, which the bootstrap does not report."""
    path = structure.path_mask
    k_count = path.shape[0]
    used = np.eye(k_count, dtype=bool) | path | path.T
    for preds in structure.predecessors:
        used[np.ix_(preds, preds)] = True
    items = used[np.ix_(structure.block_of, structure.block_of)]
    return np.nonzero(np.triu(items))


def block_rows(matrix: np.ndarray, weights: np.ndarray, structure: Structure) -> np.ndarray:
    """W' M for the block-diagonal W and M of shape (b, p, K), as (b, K, K): per-block sums
    of M's rows weighted by w, O(b p K) (small models: the product with the dense W, see
    dense_products)."""
    if dense_products(structure):
        return np.swapaxes(weights[:, :, None] * structure.membership, 1, 2) @ matrix
    rows, w = _by_block(matrix, weights, structure)
    return np.einsum("bkml,bkm->bkl", rows, w)


def _normalize(weights: np.ndarray, cov: np.ndarray, structure: Structure,
               rows: np.ndarray | None = None):
    """Scale each block's weights so its construct score has unit variance; returns the
    scaled weights and S W for them (`rows`: grouped(cov), if already made)."""
    sw = block_products(cov, weights, structure, rows)
    own = sw[(slice(None), *structure.own_columns)]
    variance = (weights * own) @ structure.membership
    if np.any(variance <= 0):
        raise EstimationError("a construct score has zero variance; check for constant items")
    scale = 1 / np.sqrt(variance)
    return weights * scale[:, structure.block_of], sw * scale[:, None, :]


def outer_weights(
    cov: np.ndarray, structure: Structure, settings: PlsSettings,
    rows: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Iterate Lohmöller's outer/inner estimation to convergence for a batch of S.

    Returns (weights (b, p), iterations (b,), converged (b,)). Each matrix in the batch stops
    on its own (max |change in weights| < tol), so a result does not depend on the batch it
    was computed in. `rows`: grouped(cov), if the caller already has it.
    """
    batch, p, _ = cov.shape
    blocks = structure.blocks()
    if rows is None and not dense_products(structure):  # regrouped once, not per iteration
        rows = grouped(cov, structure)
    weights, sw_all = _normalize(np.ones((batch, p)), cov, structure, rows)
    iterations = np.zeros(batch, dtype=int)
    converged = np.zeros(batch, dtype=bool)
    active = np.arange(batch)
    s, w_old, sw = cov, weights.copy(), sw_all
    for _ in range(settings.max_iter):
        cor = block_rows(sw, w_old, structure)
        inner = _inner_weights(cor, structure, settings.scheme)
        # cov(X_i, Z_k) for i's own construct k: sum_l S W[i, l] E[l, k]
        own_inner = np.swapaxes(inner, 1, 2)[:, structure.block_of, :]
        new = np.einsum("bil,bil->bi", sw, own_inner)
        for k in np.flatnonzero(structure.mode_b):
            idx = blocks[k]
            new[:, idx] = np.linalg.solve(s[:, idx[:, None], idx[None, :]], new[:, idx, None])[..., 0]
        new, sw_new = _normalize(new, s, structure, rows)
        weights[active] = new
        iterations[active] += 1
        done = np.max(np.abs(new - w_old), axis=1) < settings.tol
        converged[active[done]] = True
        if done.all():
            break
        keep = ~done
        active = active[keep]
        if done.any():
            s, w_old, sw = s[keep], new[keep], sw_new[keep]
            rows = None if rows is None else rows[keep]
        else:
            w_old, sw = new, sw_new
    return weights, iterations, converged


def _align_signs(weights: np.ndarray, cov: np.ndarray, structure: Structure,
                 rows: np.ndarray | None = None) -> np.ndarray:
    """Flip a construct when most of its indicators correlate negatively with it."""
    membership = structure.membership
    own = block_products(cov, weights, structure, rows)
    own = own[(slice(None), *structure.own_columns)]
    negative = (own < 0).astype(float) @ membership  # (b, K) count of negative loadings
    size = membership.sum(axis=0)
    flip = np.where(negative > size / 2, -1.0, 1.0)
    return weights * flip[:, structure.block_of]


def weights_for(cov: np.ndarray, structure: Structure, settings: PlsSettings,
                reference: PlsEstimates | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Converged outer weights of a batch with deterministic signs: each construct points
    with most of its indicators, then (given the point fit as `reference`) with the
    reference solution's construct (Tenenhaus et al. 2005, p. 177)."""
    # S regrouped by block, shared by the iterations and the sign alignment
    rows = None if dense_products(structure) else grouped(cov, structure)
    weights, iterations, converged = outer_weights(cov, structure, settings, rows)
    weights = _align_signs(weights, cov, structure, rows)
    if reference is not None:
        sd = np.sqrt(np.clip(np.diagonal(cov, axis1=1, axis2=2), 0.0, None))
        weights = align_to_reference(weights, reference.weights[0], structure, sd,
                                     settings.standardize)
    return weights, iterations, converged


def align_to_reference(weights: np.ndarray, reference: np.ndarray, structure: Structure,
                       sd: np.ndarray, standardized: bool) -> np.ndarray:
    """Construct-level sign change (Tenenhaus et al. 2005, p. 177): flip a construct's weights
    when |sum(w_ref - w)| > |sum(w_ref + w)| over its block."""
    w = weights if standardized else weights * sd
    membership = structure.membership
    minus = np.abs((reference[None, :] - w) @ membership)
    plus = np.abs((reference[None, :] + w) @ membership)
    flip = np.where(minus > plus, -1.0, 1.0)
    return weights * flip[:, structure.block_of]


def derive(weights: np.ndarray, cov: np.ndarray, structure: Structure, iterations: np.ndarray,
           converged: np.ndarray) -> PlsEstimates:
    """Loadings, construct correlations, paths (OLS on the construct scores), R² and total
    effects (I - B)^-1 - I, from converged outer weights (Lohmöller 1989, sec. 2.4)."""
    indicator_sd = np.sqrt(np.diagonal(cov, axis1=1, axis2=2))
    sw = block_products(cov, weights, structure)
    cross = sw / indicator_sd[:, :, None]
    loadings = cross[(slice(None), *structure.own_columns)]
    cor = block_rows(sw, weights, structure)
    batch, k_count = cor.shape[0], cor.shape[1]
    paths = regressions(cor, structure)
    r2 = np.full((batch, k_count), np.nan)
    endogenous = structure.padded_predecessors[0]
    r2[:, endogenous] = np.einsum("bkj,bkj->bj", paths, cor)[:, endogenous]
    identity = np.eye(k_count)
    total = np.linalg.inv(identity[None] - paths) - identity[None]
    return PlsEstimates(
        weights=weights,
        loadings=loadings,
        cross_loadings=cross,
        construct_cor=cor,
        paths=paths,
        r2=r2,
        total_effects=total,
        iterations=iterations,
        converged=converged,
    )


@dataclass(frozen=True)
class Pls:
    """PLS path modeling (Lohmöller 1989) as a registry estimator: converged weights with
    deterministic signs, then `derive` (consistent PLS overrides it, csi.estimators.plsc)."""

    name: str = "pls"
    composite: bool = True
    prepare = staticmethod(unchanged)
    derive = staticmethod(derive)
    pairs = staticmethod(used_pairs)  # the covariances a bootstrap must compute

    def point_fit(self, cov: np.ndarray, n: int, structure: Structure,
                  settings: PlsSettings) -> EstimatorFit:
        return EstimatorFit(estimates=self.estimate(cov[None], structure, settings))

    def estimate(self, cov: np.ndarray, structure: Structure, settings: PlsSettings, *,
                 reference: EstimatorFit | None = None, align: bool = True) -> PlsEstimates:
        weights, iterations, converged = weights_for(
            cov, structure, settings,
            None if reference is None or not align else reference.estimates)
        return self.derive(weights, cov, structure, iterations, converged)


ESTIMATOR = Pls()
