"""The reported estimates of a PLS fit as named vectors, computed the same way for the point
fit and for every bootstrap resample, so the two can never disagree on order or meaning."""

from __future__ import annotations


import numpy as np

from csi.measures.index import construct_index, rescale_0_100, score_sd, unstandardized_weights
from csi.estimators.base import PlsEstimates
from csi.model.structure import Layout

# the families of estimates computed for the fit and every resample; the first seven are
# reported with inference (se, t, p, CI); score_sd (SD of each construct's 0-100 score),
# item_weights (normalized unstandardized weights) and item_performance (items' mean on 0-100)
# feed the importance-performance analysis
FAMILIES = ("paths", "weights", "loadings", "total_effects", "indirect_effects", "r2", "index",
            "score_sd", "item_weights", "item_performance")
REPORTED = FAMILIES[:7]


def estimate_vectors(estimates: PlsEstimates, mean: np.ndarray, sd: np.ndarray, layout: Layout,
                     low: np.ndarray | float, high: np.ndarray | float,
                     standardized_input: bool) -> dict[str, np.ndarray]:
    """Every reported estimate for a batch: {family: (b, m)} in Layout order.

    Weights are reported on standardized indicators whatever scale the estimation ran on;
    mean and sd are (b, p) item moments, used for the 0-100 index.
    """
    structure = layout.structure
    std_weights = estimates.weights if standardized_input else estimates.weights * sd
    source = np.array([a for a, _ in layout.paths], dtype=int)
    target = np.array([b for _, b in layout.paths], dtype=int)
    eff_a = np.array([a for a, _ in layout.effects], dtype=int)
    eff_b = np.array([b for _, b in layout.effects], dtype=int)
    ind_a = np.array([a for a, _ in layout.indirect], dtype=int)
    ind_b = np.array([b for _, b in layout.indirect], dtype=int)
    total = estimates.total_effects
    return {
        "paths": estimates.paths[:, source, target],
        "weights": std_weights,
        "loadings": estimates.loadings,
        "total_effects": total[:, eff_a, eff_b],
        "indirect_effects": (total - estimates.paths)[:, ind_a, ind_b],
        "r2": estimates.r2[:, list(layout.endogenous)],
        "index": construct_index(std_weights, sd, mean, structure.block_of,
                                 len(structure.constructs), low, high),
        "score_sd": score_sd(std_weights, sd, structure.block_of, len(structure.constructs),
                             low, high),
        "item_weights": unstandardized_weights(std_weights, sd, structure.block_of,
                                               len(structure.constructs), low, high),
        "item_performance": rescale_0_100(mean, low, high),
    }
