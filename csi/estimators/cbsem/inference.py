"""Standard errors of a CB-SEM solution: the covariance matrix of the free parameters,
delta-method SEs of the standardized families through central-difference Jacobians, and the
lavaan-style parameter table with its Heywood warnings."""

from __future__ import annotations

import numpy as np
from scipy import stats as scipy_stats

from csi.estimators.cbsem.fitter import Fitter, lavaan_triple
from csi.estimators.cbsem.standardized import standardized
from csi.model.structure import Layout


def vcov(fitter: Fitter, x: np.ndarray, n: int) -> np.ndarray:
    """Covariance matrix of the free parameters: ML and GLS the inverse expected information
    (N/2) Delta'(Sigma^-1 x Sigma^-1)Delta; ULS the normal-theory sandwich
    (D'D)^-1 D'(2 Sigma x Sigma)D (D'D)^-1 / N (Browne 1984)."""
    sigma, grads = fitter.derivatives(x)
    if fitter.objective == "ULS":
        flat = grads.reshape(fitter.q, -1)
        bread = np.linalg.pinv(flat @ flat.T)
        lower = np.linalg.cholesky(sigma)
        scaled = (lower.T @ grads @ lower).reshape(fitter.q, -1)
        return bread @ (2 * scaled @ scaled.T) @ bread / n
    inv_lower = np.linalg.inv(np.linalg.cholesky(sigma))
    scaled = (inv_lower @ grads @ inv_lower.T).reshape(fitter.q, -1)
    return np.linalg.pinv(n / 2 * scaled @ scaled.T)


def families(fitter: Fitter, x: np.ndarray, layout: Layout) -> dict[str, np.ndarray]:
    """The standardized reported families (Layout order) at parameters x, for the delta
    method."""
    std = standardized(*fitter.matrices(x))
    structure = layout.structure
    total = std["total"]
    paths = std["paths"]
    return {
        "paths": np.array([paths[a, b] for a, b in layout.paths]),
        "loadings": std["loadings"][np.arange(structure.block_of.size), structure.block_of],
        "total_effects": np.array([total[a, b] for a, b in layout.effects]),
        "indirect_effects": np.array([total[a, b] - paths[a, b] for a, b in layout.indirect]),
        "r2": std["r2"][list(layout.endogenous)],
    }


def delta(jacobian: np.ndarray, vcov: np.ndarray) -> np.ndarray:
    """Delta-method standard errors sqrt(diag(J V J'))."""
    return np.sqrt(np.clip(np.einsum("ij,jk,ik->i", jacobian, vcov, jacobian), 0, None))


def jacobian(function, x: np.ndarray) -> dict[str, np.ndarray]:
    """Central-difference Jacobian of a dict-valued function: {key: (m, q)}."""
    columns: dict[str, list[np.ndarray]] = {}
    for i in range(x.size):
        h = 1e-6 * max(1.0, abs(x[i]))
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        plus, minus = function(up), function(down)
        for key in plus:
            columns.setdefault(key, []).append((plus[key] - minus[key]) / (2 * h))
    return {key: np.stack(values, axis=1) if values else np.zeros((0, x.size))
            for key, values in columns.items()}


def std_parameters(fitter: Fitter, x: np.ndarray) -> np.ndarray:
    """Every parameter (free and fixed, semopy's order) standardized as lavaan's std.all:
    =~ lambda sd(eta)/sd(x); ~ beta sd(source)/sd(target); a variance over the total
    variance; a covariance over the square roots of the two (residual) variances."""
    fitter.model.update_matrices(x)
    c = np.linalg.inv(np.eye(fitter.m) - fitter.beta)
    phi = c @ fitter.psi @ c.T
    mc = fitter.lam @ c
    sigma = mc @ fitter.psi @ mc.T + fitter.theta
    sd_lat, sd_obs = np.sqrt(np.diag(phi)), np.sqrt(np.diag(sigma))
    kind, row, col = fitter.all_kinds, fitter.all_rows, fitter.all_cols
    values = np.empty(kind.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        for k, matrix, left, right in ((0, fitter.beta, 1 / sd_lat, sd_lat),
                                       (1, fitter.lam, 1 / sd_obs, sd_lat)):
            at = kind == k
            values[at] = matrix[row[at], col[at]] * left[row[at]] * right[col[at]]
        for k, matrix, total in ((2, fitter.psi, phi), (3, fitter.theta, sigma)):
            at = kind == k
            own = np.diag(matrix)
            diagonal = row[at] == col[at]
            values[at] = np.where(
                diagonal, matrix[row[at], col[at]] / total[row[at], row[at]],
                matrix[row[at], col[at]] / np.sqrt(own[row[at]] * own[col[at]]))
    return values


def parameter_table(fitter: Fitter, x: np.ndarray, vcov: np.ndarray):
    """lavaan-style rows {lhs, op, rhs, free, estimate, se, z, p, std_estimate, std_se}
    (lavaan's parameterEstimates() and standardizedSolution() side by side) and the
    Heywood warnings (negative variances, standardized loadings above 1), naming each."""
    std = std_parameters(fitter, x)
    jac = jacobian(lambda v: {"std": std_parameters(fitter, v)}, x)["std"]
    se_std = delta(jac, vcov)
    fitter.model.update_matrices(x)
    matrices = (fitter.beta, fitter.lam, fitter.psi, fitter.theta)
    free_position = {}
    for name, *_ in [t for t in fitter.table if t[4]]:
        free_position[name] = len(free_position)
    rows, warnings = [], []
    for index, (name, kind, row, col, active) in enumerate(fitter.table):
        lhs, op, rhs = lavaan_triple(fitter, kind, row, col)
        estimate = float(matrices[kind][row, col])
        se = float(np.sqrt(max(vcov[free_position[name]] [free_position[name]], 0.0))) \
            if active else 0.0
        z = estimate / se if active and se > 0 else None
        rows.append({
            "lhs": lhs, "op": op, "rhs": rhs, "free": bool(active), "estimate": estimate,
            "se": se, "z": z,
            "p": float(2 * scipy_stats.norm.sf(abs(z))) if z is not None else None,
            "std_estimate": float(std[index]),
            "std_se": float(se_std[index]),
        })
        if op == "~~" and lhs == rhs and estimate < 0:
            what = "error variance of indicator" if kind == 3 else "disturbance variance of"
            warnings.append(
                f"Heywood case: the {what} {lhs} is negative ({estimate:.4g}); the solution "
                "is improper: the model may be misspecified or empirically under-identified, "
                "or the sample too small"
            )
        if op == "=~" and abs(std[index]) > 1:
            warnings.append(
                f"Heywood case: the standardized loading of {rhs} on {lhs} is "
                f"{std[index]:.4f}, above 1 (its error variance is negative)"
            )
    return rows, warnings
