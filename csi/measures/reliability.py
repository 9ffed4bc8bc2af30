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
    block_of = np.empty(cor.shape[0], dtype=np.intp)
    for k, idx in enumerate(blocks):
        block_of[idx] = k
    same = block_of[:, None] == block_of[None, :]

    def per_block(values: np.ndarray) -> np.ndarray:
        """Sums over each block's indicators; a NaN stays in its own block (an
        inadmissible block's NaN loadings must not blank the others' measures)."""
        return np.bincount(block_of, weights=values, minlength=k_count)

    size = per_block(np.ones(cor.shape[0]))
    with np.errstate(divide="ignore", invalid="ignore"):  # blocks of one item: 0/0, kept 1
        # w' R_b w and sum(R_b): within-block entries only (where, not a product with 0/1,
        # so that another block's NaN never enters)
        quad = per_block(np.where(same, np.outer(weights, weights) * cor, 0.0).sum(axis=1))
        w = weights / np.sqrt(quad[block_of])  # scaled to unit score variance
        w_sq = per_block(w ** 2)  # w'w per block; then w'(R_b - I)w = 1 - w'w
        lam_sum, lam_sq = per_block(loadings), per_block(loadings ** 2)
        block_sums = per_block(np.where(same, cor, 0.0).sum(axis=1))
        measures = {
            "alpha": size / (size - 1) * (1 - size / block_sums),
            "rho_a": w_sq ** 2 * (1 - w_sq) / (w_sq ** 2 - per_block(w ** 4)),
            "rho_c": lam_sum ** 2 / (lam_sum ** 2 + size - lam_sq),
            "ave": lam_sq / size,
        }
    out = {name: np.where(size > 1, values, 1.0) for name, values in measures.items()}
    return Reliability(**out)


def htmt(cor: np.ndarray, blocks: list[np.ndarray]) -> np.ndarray:
    """Heterotrait-monotrait ratio (Henseler, Ringle & Sarstedt 2015, JAMS 43, eq. 6), (K, K).

    Uses absolute item correlations, as seminr does, so that a negatively worded item does not
    cancel others (cSEM and matrixpls average signed correlations; they differ only when an
    item correlates negatively with another block's). A single-item block's monotrait mean is 1.
    """
    absolute = np.abs(cor)
    k_count = len(blocks)
    membership = np.zeros((cor.shape[0], k_count))
    for k, idx in enumerate(blocks):
        membership[idx, k] = 1.0
    sizes = membership.sum(axis=0)
    sums = membership.T @ absolute @ membership  # sums of |r| within and between blocks
    within = sums.diagonal() - (membership * np.diagonal(absolute)[:, None]).sum(axis=0)
    mono = np.where(sizes > 1, within / np.maximum(sizes * (sizes - 1), 1), 1.0)
    ratio = (sums / np.outer(sizes, sizes)) / np.sqrt(np.outer(mono, mono))
    np.fill_diagonal(ratio, np.nan)
    return ratio


def fornell_larcker(construct_cor: np.ndarray, ave: np.ndarray) -> np.ndarray:
    """Construct correlations with sqrt(AVE) on the diagonal (Fornell & Larcker 1981)."""
    matrix = construct_cor.copy()
    np.fill_diagonal(matrix, np.sqrt(ave))
    return matrix


def structural_vif(construct_cor: np.ndarray, predecessors: tuple[np.ndarray, ...]) -> dict:
    """VIF of each predictor in each structural regression: diag of the inverse correlation
    (one stacked inverse, each predictor set padded with an identity to the largest).

    Returns {(predictor index, target index): vif}.
    """
    targets = [j for j, preds in enumerate(predecessors) if preds.size]
    if not targets:
        return {}
    size = max(predecessors[j].size for j in targets)
    stack = np.tile(np.eye(size), (len(targets), 1, 1))
    for row, j in enumerate(targets):
        preds = predecessors[j]
        stack[row, : preds.size, : preds.size] = construct_cor[np.ix_(preds, preds)]
    diagonal = np.diagonal(np.linalg.inv(stack), axis1=1, axis2=2).tolist()
    return {(int(k), j): diagonal[row][position] for row, j in enumerate(targets)
            for position, k in enumerate(predecessors[j])}


# Quality thresholds --------------------------------------------------------------------------
# The analysis decides which values are flagged; terminal, PDF and JSON only show the verdict.

LOADING_MIN = 0.7  # indicator reliability, loading² ≥ 0.5 (Hair et al. 2017, ch. 4; Hair,
#                    Risher, Sarstedt & Ringle 2019, EBR 31(1), recommend 0.708)
RHO_C_MIN = 0.7  # composite reliability (Nunnally & Bernstein 1994; Hair et al. 2019, 2022)
AVE_MIN = 0.5  # convergent validity (Fornell & Larcker 1981; Hair et al. 2019, 2022)
HTMT_MAX = 0.9  # discriminant validity, HTMT.90 (Henseler, Ringle & Sarstedt 2015, JAMS 43)
VIF_MAX = 5.0  # structural collinearity (Hair et al. 2017, ch. 6; Hair et al. 2019)

THRESHOLDS = {"loading_min": LOADING_MIN, "rho_c_min": RHO_C_MIN, "ave_min": AVE_MIN,
              "htmt_max": HTMT_MAX, "vif_max": VIF_MAX}


@dataclass(frozen=True)
class QualityFlags:
    """What fails a quality threshold: names only, the values stay in their tables.

    loadings: (construct, indicator) of a reflective construct with several indicators whose
    |loading| < LOADING_MIN; rho_c / ave: constructs below RHO_C_MIN / AVE_MIN; htmt: pairs
    (a, b) above HTMT_MAX; vif: structural (predictor, target) pairs above VIF_MAX.
    """

    loadings: tuple[tuple[str, str], ...]
    rho_c: tuple[str, ...]
    ave: tuple[str, ...]
    htmt: tuple[tuple[str, str], ...]
    vif: tuple[tuple[str, str], ...]

    @property
    def count(self) -> int:
        return sum(len(group) for group in (self.loadings, self.rho_c, self.ave, self.htmt,
                                            self.vif))

    def to_dict(self) -> dict:
        """The `quality_flags` block of the csi.fit JSON (names only, plus the thresholds)."""
        return {
            "thresholds": dict(THRESHOLDS),
            "loadings": [{"construct": c, "indicator": i} for c, i in self.loadings],
            "rho_c": list(self.rho_c),
            "ave": list(self.ave),
            "htmt": [{"a": a, "b": b} for a, b in self.htmt],
            "vif": [{"from": a, "to": b} for a, b in self.vif],
            "count": self.count,
        }


def _value(value) -> float | None:
    """A JSON/DataFrame value as a float, or None for null, NaN, booleans and text."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        return None
    value = float(value)
    return None if np.isnan(value) else value


def quality_flags(doc: dict) -> QualityFlags:
    """The quality flags of a fit, read from its `csi.fit` document (Result.to_dict() or a
    saved JSON file), so that renderers of saved results never refit or decide.

    Thresholds: LOADING_MIN, RHO_C_MIN, AVE_MIN, HTMT_MAX, VIF_MAX above, with their sources.
    A threshold is a rule of thumb, not a test: a flagged value asks for a look, not a verdict.
    """
    constructs = doc["model"]["constructs"]
    reflective = {c["name"] for c in constructs
                  if c.get("mode", "A") == "A" and len(c.get("indicators", [])) > 1}
    loadings = tuple(
        (r["construct"], r["indicator"]) for r in doc.get("loadings") or []
        if r["construct"] in reflective and (v := _value(r.get("estimate"))) is not None
        and abs(v) < LOADING_MIN)
    reliability_rows = doc.get("reliability") or {}
    order = [c["name"] for c in constructs if c["name"] in reliability_rows]

    def below(key: str, limit: float) -> tuple[str, ...]:
        return tuple(name for name in order
                     if (v := _value(reliability_rows[name].get(key))) is not None and v < limit)

    def above(rows, first: str, second: str, limit: float) -> tuple[tuple[str, str], ...]:
        return tuple((r[first], r[second]) for r in rows or []
                     if (v := _value(r.get("value"))) is not None and v > limit)

    return QualityFlags(loadings=loadings, rho_c=below("rho_c", RHO_C_MIN),
                        ave=below("ave", AVE_MIN),
                        htmt=above(doc.get("htmt"), "a", "b", HTMT_MAX),
                        vif=above(doc.get("vif"), "from", "to", VIF_MAX))
