"""Measurement-model quality: reliability, discriminant validity and collinearity.

All functions take the indicator correlation matrix and the estimates, never the raw data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Reliability:
    """Per-construct internal consistency (arrays aligned with the model's constructs)."""

    alpha: np.ndarray  # Cronbach's alpha of the standardized items
    rho_a: np.ndarray  # Dijkstra & Henseler (2015) rho_A
    rho_c: np.ndarray  # composite reliability (Jöreskog's rho) from PLS loadings
    ave: np.ndarray  # average variance extracted


def reliability(cor: np.ndarray, weights: np.ndarray, loadings: np.ndarray,
                blocks: list[np.ndarray]) -> Reliability:
    """Reliability of each block.

    alpha = k/(k-1) (1 - k / sum(R_b)) on standardized items (Cronbach 1951);
    rho_C = (sum l)^2 / ((sum l)^2 + sum(1 - l^2)) (Fornell & Larcker 1981, eq. 10);
    AVE = mean(l^2) (Fornell & Larcker 1981, eq. 11);
    rho_A = (w'w)^2 w'(R_b - I)w / w'(ww' - diag(ww'))w with w scaled to unit score
    variance (Dijkstra & Henseler 2015, MIS Quarterly 39(2), eq. 6).
    Single-item blocks are perfectly reliable by definition: every measure is 1.
    """
    k_count = len(blocks)
    out = {name: np.ones(k_count) for name in ("alpha", "rho_a", "rho_c", "ave")}
    for k, idx in enumerate(blocks):
        size = idx.size
        if size == 1:
            continue
        r_b = cor[np.ix_(idx, idx)]
        lam = loadings[idx]
        out["alpha"][k] = size / (size - 1) * (1 - size / r_b.sum())
        out["rho_c"][k] = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum())
        out["ave"][k] = np.mean(lam**2)
        w = weights[idx] / np.sqrt(weights[idx] @ r_b @ weights[idx])
        outer = np.outer(w, w)
        out["rho_a"][k] = (w @ w) ** 2 * (
            (w @ (r_b - np.eye(size)) @ w) / (w @ (outer - np.diag(np.diag(outer))) @ w)
        )
    return Reliability(**out)


def htmt(cor: np.ndarray, blocks: list[np.ndarray]) -> np.ndarray:
    """Heterotrait-monotrait ratio (Henseler, Ringle & Sarstedt 2015, JAMS 43, eq. 6), (K, K).

    Uses absolute item correlations, as seminr does, so that a negatively worded item does not
    cancel others (cSEM and matrixpls average signed correlations; they differ only when an
    item correlates negatively with another block's). A single-item block's monotrait mean is 1.
    """
    absolute = np.abs(cor)
    k_count = len(blocks)
    mono = np.ones(k_count)
    for k, idx in enumerate(blocks):
        if idx.size > 1:
            r_b = absolute[np.ix_(idx, idx)]
            mono[k] = r_b[np.triu_indices(idx.size, 1)].mean()
    ratio = np.full((k_count, k_count), np.nan)
    for a in range(k_count):
        for b in range(k_count):
            if a != b:
                hetero = absolute[np.ix_(blocks[a], blocks[b])].mean()
                ratio[a, b] = hetero / np.sqrt(mono[a] * mono[b])
    return ratio


def fornell_larcker(construct_cor: np.ndarray, ave: np.ndarray) -> np.ndarray:
    """Construct correlations with sqrt(AVE) on the diagonal (Fornell & Larcker 1981)."""
    matrix = construct_cor.copy()
    np.fill_diagonal(matrix, np.sqrt(ave))
    return matrix


def structural_vif(construct_cor: np.ndarray, predecessors: tuple[np.ndarray, ...]) -> dict:
    """VIF of each predictor in each structural regression: diag of the inverse correlation.

    Returns {(predictor index, target index): vif}.
    """
    vif = {}
    for j, preds in enumerate(predecessors):
        if preds.size:
            inv = np.linalg.inv(construct_cor[np.ix_(preds, preds)])
            for position, k in enumerate(preds):
                vif[(int(k), j)] = float(inv[position, position])
    return vif
