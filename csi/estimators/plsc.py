"""Consistent PLS (PLSc) on indicator covariance matrices, batched.

PLSc (Dijkstra & Henseler 2015, "Consistent partial least squares path modeling", MIS
Quarterly 39(2), 297-316) keeps the PLS outer weights and corrects what they imply for
measurement error, so reflective (Mode A) blocks are estimated as common factors:

- correction factor of block k: c_k = sqrt(w'(S_kk - diag S_kk)w / w'(ww' - diag ww')w)
  with w scaled to unit composite variance (eq. 5); consistent loadings lambda_k = c_k w
  (eq. 4); reliability rho_A = (w'w)^2 c_k^2 = (w'lambda_k)^2 (eq. 6), the squared
  correlation between composite and factor;
- construct correlations disattenuated: r(eta_k, eta_l) = r(Y_k, Y_l) / sqrt(rho_A,k rho_A,l)
  (eq. 8);
- paths by OLS on the disattenuated correlation matrix, R^2 and total effects from them.

Formative (Mode B) and single-indicator blocks are not corrected (rho_A = 1), as in cSEM.
Everything is a function of the covariance matrix and the weights, so a bootstrap runs all
resamples at once like PLS (csi.inference.bootstrap). The weights, and hence the construct scores and
the 0-100 index, are those of PLS.

A PLSc solution can be inadmissible: csi checks every matrix the way cSEM's verify() does
(non-convergence; a loading or a reliability above 1; a construct correlation matrix or a
model-implied indicator correlation matrix that is not positive semi-definite).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from csi.estimators.base import EstimatorFit, PlsEstimates, PlsSettings
from csi.estimators.pls import Pls, block_products, block_rows
from csi.model.structure import Structure

# eigenvalues above -PSD_TOL count as non-negative (matrixcalc's is.positive.semi.definite,
# which cSEM's verify() uses, sets |eigenvalue| < 1e-8 to zero)
PSD_TOL = 1e-8
INADMISSIBLE = "inadmissible PLSc solution"
CHECKS = (  # cSEM verify() status codes 1-5, in its order
    ("not_converged", "PLS weights did not converge"),
    ("loading_above_1", "a loading above 1"),
    ("construct_cor_not_psd", "construct correlations not positive semi-definite"),
    ("reliability_out_of_range", "a reliability above 1 or not positive"),
    ("implied_cor_not_psd", "model-implied indicator correlations not positive semi-definite"),
)


def correction(weights: np.ndarray, cov: np.ndarray, structure: Structure):
    """rho_A (b, K) and the correction factors c (b, K) of Dijkstra & Henseler (2015, eq. 5-6).

    Blocks that are not corrected (Mode B, a single indicator) get rho_A = 1 and the c that
    keeps their composite (c = 1 / w'w, so w'lambda = 1). A negative ratio gives NaN (an
    inadmissible solution)."""
    batch = weights.shape[0]
    rho = np.ones((batch, len(structure.constructs)))
    factor = np.empty_like(rho)
    for k, idx in enumerate(structure.blocks()):
        w = weights[:, idx]
        wtw = np.einsum("bi,bi->b", w, w)
        if structure.mode_b[k] or idx.size == 1:
            factor[:, k] = 1.0 / wtw
            continue
        block = cov[:, idx[:, None], idx[None, :]]
        off = block - block * np.eye(idx.size)[None]
        numerator = np.einsum("bi,bij,bj->b", w, off, w)
        denominator = wtw**2 - np.einsum("bi->b", w**4)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = numerator / denominator
            factor[:, k] = np.sqrt(np.where(ratio >= 0, ratio, np.nan))
        rho[:, k] = wtw**2 * ratio
    return rho, factor


def derive(weights: np.ndarray, cov: np.ndarray, structure: Structure, iterations: np.ndarray,
           converged: np.ndarray) -> PlsEstimates:
    """PLSc estimates from converged PLS weights (the PlsEstimates contract of csi.pls.derive):
    loadings = consistent loadings (as correlations), construct_cor = disattenuated,
    cross-loadings = correlations of each indicator with each factor (consistent for other
    blocks: cov(x_i, Y_l) / sqrt(rho_A,l); own block: the consistent loading).
    `failures` names the inadmissible matrices."""
    indicator_sd = np.sqrt(np.diagonal(cov, axis1=1, axis2=2))
    sw = block_products(cov, weights, structure)
    proxy_cor = block_rows(sw, weights, structure)
    rho, factor = correction(weights, cov, structure)
    with np.errstate(invalid="ignore"):
        q = np.sqrt(np.where(rho > 0, rho, np.nan))
    cross = sw / indicator_sd[:, :, None] / q[:, None, :]
    own = structure.block_of
    loadings = weights * factor[:, own] / indicator_sd
    sizes = structure.membership.sum(axis=0)
    keep = structure.mode_b[own]
    if keep.any():  # composites keep their PLS loadings
        pls_own = np.take_along_axis(sw, own[None, :, None], axis=2)[..., 0] / indicator_sd
        loadings[:, keep] = pls_own[:, keep]
    loadings[:, (sizes[own] == 1) & ~keep] = 1.0
    rows = np.arange(own.size)
    cross[:, rows, own] = loadings
    construct_cor = proxy_cor / (q[:, :, None] * q[:, None, :])
    diagonal = np.arange(len(structure.constructs))
    construct_cor[:, diagonal, diagonal] = 1.0
    paths, r2 = _ols_paths(construct_cor, structure)
    identity = np.eye(len(structure.constructs))
    try:
        total = np.linalg.inv(identity[None] - paths) - identity[None]
    except np.linalg.LinAlgError:
        total = np.full_like(paths, np.nan)
    estimates = PlsEstimates(
        weights=weights, loadings=loadings, cross_loadings=cross, construct_cor=construct_cor,
        paths=paths, r2=r2, total_effects=total, iterations=iterations, converged=converged,
    )
    checks = verify(estimates, cov, rho, structure, lazy=True)
    failures = np.full(weights.shape[0], "", dtype=object)
    for key, reason in reversed(CHECKS):  # the first failed check (cSEM's order) names it
        failures[checks[key]] = f"{INADMISSIBLE}: {reason}"
    return _with_failures(estimates, failures)


def _with_failures(estimates: PlsEstimates, failures: np.ndarray) -> PlsEstimates:
    return replace(estimates, failures=failures)


def _take(estimates: PlsEstimates, rows) -> PlsEstimates:
    """The estimates of some matrices of the batch."""
    return replace(estimates, **{f.name: getattr(estimates, f.name)[rows]
                                 for f in fields(estimates)
                                 if getattr(estimates, f.name) is not None})


def _ols_paths(cor: np.ndarray, structure: Structure):
    """OLS paths and R^2 on a batch of construct correlation matrices. Unlike PLS's, the
    disattenuated predictor matrices may be indefinite, so this uses LU and gives NaN (an
    inadmissible solution) for a singular one instead of failing the batch."""
    batch, k_count = cor.shape[0], cor.shape[1]
    paths = np.zeros((batch, k_count, k_count))
    r2 = np.full((batch, k_count), np.nan)
    for j, preds in enumerate(structure.predecessors):
        if not preds.size:
            continue
        a = cor[:, preds[:, None], preds[None, :]]
        b = cor[:, preds, j]
        finite = np.isfinite(a).all(axis=(1, 2)) & np.isfinite(b).all(axis=1)
        coef = np.full((batch, preds.size), np.nan)
        try:
            coef[finite] = np.linalg.solve(a[finite], b[finite][..., None])[..., 0]
        except np.linalg.LinAlgError:
            for row in np.flatnonzero(finite):
                try:
                    coef[row] = np.linalg.solve(a[row], b[row])
                except np.linalg.LinAlgError:
                    pass
        paths[:, preds, j] = coef
        r2[:, j] = np.einsum("bi,bi->b", coef, b)
    return paths, r2


def implied_indicator_cor(estimates: PlsEstimates, cov: np.ndarray,
                          structure: Structure) -> np.ndarray:
    """Model-implied indicator correlation matrices (b, p, p) of the structural model, as
    cSEM's fit(.saturated = FALSE): construct correlations implied by the paths (exogenous
    correlations as estimated, disturbance variances 1 - R^2, unit diagonal), then
    Lambda V Lambda' + Theta with Theta = 1 - lambda^2; composites' blocks keep S."""
    return _implied_indicators(estimates, _implied_construct_cor(estimates, structure), cov,
                               structure)


def _implied_construct_cor(estimates: PlsEstimates, structure: Structure) -> np.ndarray:
    batch, k_count = estimates.paths.shape[0], estimates.paths.shape[1]
    exogenous = np.array([not preds.size for preds in structure.predecessors])
    both = exogenous[:, None] & exogenous[None, :]
    psi = np.zeros((batch, k_count, k_count))
    psi[:, both] = estimates.construct_cor[:, both]
    endogenous = np.flatnonzero(~exogenous)
    psi[:, endogenous, endogenous] = 1 - estimates.r2[:, endogenous]
    transfer = np.linalg.inv(np.eye(k_count)[None] - np.swapaxes(estimates.paths, 1, 2))
    implied = transfer @ psi @ np.swapaxes(transfer, 1, 2)
    diagonal = np.arange(k_count)
    implied[:, diagonal, diagonal] = 1.0
    return implied


def _implied_indicators(estimates: PlsEstimates, implied: np.ndarray, cov: np.ndarray,
                        structure: Structure) -> np.ndarray:
    lam = estimates.loadings[:, :, None] * structure.membership[None]
    sigma = lam @ implied @ np.swapaxes(lam, 1, 2)
    p = lam.shape[1]
    sigma[:, np.arange(p), np.arange(p)] = 1.0
    if structure.mode_b.any():
        sd = np.sqrt(np.diagonal(cov, axis1=1, axis2=2))
        observed = cov / (sd[:, :, None] * sd[:, None, :])
        for k in np.flatnonzero(structure.mode_b):
            idx = structure.blocks()[k]
            sigma[:, idx[:, None], idx[None, :]] = observed[:, idx[:, None], idx[None, :]]
    return sigma


def _not_psd(matrices: np.ndarray) -> np.ndarray:
    finite = np.isfinite(matrices).all(axis=(1, 2))
    result = ~finite
    if finite.any():
        result[finite] = np.linalg.eigvalsh(matrices[finite])[:, 0] < -PSD_TOL
    return result


def verify(estimates: PlsEstimates, cov: np.ndarray, rho: np.ndarray, structure: Structure,
           lazy: bool = False) -> dict[str, np.ndarray]:
    """cSEM's verify() checks for every matrix of the batch: {check: (b,) bool, True = failed}.

    Anything non-finite (a singular regression, a negative reliability ratio) fails too.
    `lazy` evaluates the costly last check only where the first four pass (enough to name
    the first failed check), and skips its p x p eigenvalues where the implied construct
    correlations are positive semi-definite and no loading exceeds 1 (then Lambda V Lambda' +
    Theta is too, Theta being non-negative) -- the bootstrap's case."""
    with np.errstate(invalid="ignore"):
        loading = ~(np.abs(estimates.loadings) <= 1)
    checks = {
        "not_converged": ~estimates.converged,
        "loading_above_1": loading.any(axis=1),
        "construct_cor_not_psd": _not_psd(estimates.construct_cor),
        "reliability_out_of_range": ~((rho > 0) & (rho <= 1)).all(axis=1),
    }
    rows = np.isfinite(estimates.paths).all(axis=(1, 2)) & np.isfinite(estimates.r2[
        :, [k for k, preds in enumerate(structure.predecessors) if preds.size]]).all(axis=1)
    implied = ~rows
    if lazy:
        rows &= ~np.any([checks[key] for key in checks], axis=0)
    if rows.any():
        subset = _take(estimates, rows)
        try:
            construct = _implied_construct_cor(subset, structure)
            full = np.ones(int(rows.sum()), dtype=bool)
            if lazy and not structure.mode_b.any():
                full = _not_psd(construct)
            bad = np.zeros(int(rows.sum()), dtype=bool)
            if full.any():
                sigma = _implied_indicators(_take(subset, full), construct[full],
                                            cov[rows][full], structure)
                bad[full] = _not_psd(sigma)
            implied[rows] = bad
        except np.linalg.LinAlgError:
            implied[rows] = True
    checks["implied_cor_not_psd"] = implied
    return checks


def problems(estimates: PlsEstimates, cov: np.ndarray, structure: Structure) -> list[str]:
    """Readable reasons why the first matrix's solution is inadmissible ([] if it is not)."""
    rho, _ = correction(estimates.weights[:1], cov[:1], structure)
    checks = verify(_take(estimates, slice(0, 1)), cov[:1], rho, structure)
    constructs, indicators = structure.constructs, structure.indicators
    found = []
    if checks["not_converged"][0]:
        found.append("the PLS weights did not converge")
    if checks["loading_above_1"][0]:
        bad = [f"{indicators[i]} {estimates.loadings[0, i]:.3f}"
               for i in np.flatnonzero(~(np.abs(estimates.loadings[0]) <= 1))]
        found.append(f"loadings above 1 ({', '.join(bad)})")
    if checks["construct_cor_not_psd"][0]:
        cor = estimates.construct_cor[0]
        text = "the disattenuated construct correlation matrix is not positive semi-definite"
        if np.isfinite(cor).all():
            text += f" (smallest eigenvalue {np.linalg.eigvalsh(cor)[0]:.4f})"
        pairs = [f"{constructs[a]}-{constructs[b]} {cor[a, b]:.3f}"
                 for a in range(len(constructs)) for b in range(a)
                 if not abs(cor[a, b]) <= 1]
        if pairs:
            text += f"; correlations beyond 1: {', '.join(pairs)}"
        found.append(text)
    if checks["reliability_out_of_range"][0]:
        bad = [f"{constructs[k]} {rho[0, k]:.3f}" for k in range(len(constructs))
               if not 0 < rho[0, k] <= 1]
        found.append(f"rho_A outside (0, 1] ({', '.join(bad)})")
    if checks["implied_cor_not_psd"][0]:
        found.append("the model-implied indicator correlation matrix is not positive "
                     "semi-definite")
    return found


def point_fit(cov: np.ndarray, n: int, structure: Structure,
              settings: PlsSettings) -> EstimatorFit:
    """The PLSc point fit of one covariance matrix (p, p), with cSEM-style admissibility
    warnings and rho_A in the details."""
    estimates = ESTIMATOR.estimate(cov[None], structure, settings)
    found = problems(estimates, cov[None], structure)
    rho, _ = correction(estimates.weights, cov[None], structure)
    warnings = []
    if found:
        warnings.append(
            "the PLSc solution is inadmissible (the checks of cSEM's verify()): "
            + "; ".join(found) + ". Its estimates are not trustworthy; PLS (--estimator pls) "
            "estimates composites and is always admissible, and the PLSc bootstrap keeps only "
            "admissible resamples"
        )
    details = {
        "rho_a": {c: float(rho[0, k]) if np.isfinite(rho[0, k]) else None
                  for k, c in enumerate(structure.constructs)},
        "admissible": not found,
    }
    return EstimatorFit(estimates=estimates, warnings=tuple(warnings), details=details)


@dataclass(frozen=True)
class ConsistentPls(Pls):
    """Consistent PLS as a registry estimator: PLS weights, corrected estimates."""

    name: str = "plsc"
    derive = staticmethod(derive)
    point_fit = staticmethod(point_fit)


ESTIMATOR = ConsistentPls()
