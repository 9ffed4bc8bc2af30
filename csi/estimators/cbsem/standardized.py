"""The standardized solution of CB-SEM matrices, as lavaan's standardizedSolution()
(std.all)."""

from __future__ import annotations

import numpy as np


def standardized(lam, beta, psi, theta):
    """The standardized quantities of a solution (spec order), as lavaan's std.all:
    loadings lambda sd(eta)/sd(x), paths beta sd(source)/sd(target) with model-implied total
    SDs, latent correlations, R^2 = 1 - psi_jj / var(eta_j), standardized total effects."""
    k_count = beta.shape[0]
    c = np.linalg.inv(np.eye(k_count) - beta)
    phi = c @ psi @ c.T
    sigma = lam @ phi @ lam.T + theta
    sd_lat = np.sqrt(np.diag(phi))
    sd_obs = np.sqrt(np.diag(sigma))
    std_beta = beta * sd_lat[None, :] / sd_lat[:, None]  # [j, k] = path k -> j
    with np.errstate(invalid="ignore", divide="ignore"):
        r2 = 1 - np.diag(psi) / np.diag(phi)
    return {
        "phi": phi, "sigma": sigma, "sd_lat": sd_lat, "sd_obs": sd_obs,
        "loadings": lam * sd_lat[None, :] / sd_obs[:, None],
        "cross": (lam @ phi) / (sd_obs[:, None] * sd_lat[None, :]),
        "cor": phi / np.outer(sd_lat, sd_lat),
        "paths": std_beta.T,  # [k, j] = path k -> j, csi's orientation
        "r2": r2,
        "total": (np.linalg.inv(np.eye(k_count) - std_beta) - np.eye(k_count)).T,
    }
