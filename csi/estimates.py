"""The reported estimates of a PLS fit as named vectors, computed the same way for the point
fit and for every bootstrap resample, so the two can never disagree on order or meaning."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from csi.index import construct_index, rescale_0_100, score_sd, unstandardized_weights
from csi.pls import PlsEstimates, Structure
from csi.spec import ModelSpec

# the families of estimates computed for the fit and every resample; the first seven are
# reported with inference (se, t, p, CI); score_sd (SD of each construct's 0-100 score),
# item_weights (normalized unstandardized weights) and item_performance (items' mean on 0-100)
# feed the importance-performance analysis
FAMILIES = ("paths", "weights", "loadings", "total_effects", "indirect_effects", "r2", "index",
            "score_sd", "item_weights", "item_performance")
REPORTED = FAMILIES[:7]


@dataclass(frozen=True)
class Layout:
    """Which entries of the estimate matrices are reported, in the order they are reported."""

    structure: Structure
    paths: tuple[tuple[int, int], ...]  # (source, target) construct indices, model order
    effects: tuple[tuple[int, int], ...]  # every (a, b) with a directed path from a to b
    indirect: tuple[tuple[int, int], ...]  # every (a, b) joined by a path of 2 or more steps
    endogenous: tuple[int, ...]

    @classmethod
    def from_spec(cls, spec: ModelSpec, structure: Structure) -> Layout:
        position = {c: k for k, c in enumerate(structure.constructs)}
        k_count = len(structure.constructs)
        reach = structure.path_mask.astype(int)
        total = reach.copy()
        for _ in range(k_count):
            reach = (reach @ structure.path_mask.astype(int) > 0).astype(int)
            total |= reach
        longer = (structure.path_mask.astype(int) @ total) > 0
        return cls(
            structure=structure,
            paths=tuple((position[p.source], position[p.target]) for p in spec.paths),
            effects=tuple(
                (a, b) for a in range(k_count) for b in range(k_count) if total[a, b]
            ),
            indirect=tuple(
                (a, b) for a in range(k_count) for b in range(k_count) if longer[a, b]
            ),
            endogenous=tuple(k for k in range(k_count) if structure.predecessors[k].size),
        )

    def names(self, family: str) -> list[tuple[str, str]]:
        """(first, second) labels of each entry: (from, to), (construct, indicator) or
        (construct, "")."""
        c = self.structure.constructs
        if family == "paths":
            return [(c[a], c[b]) for a, b in self.paths]
        if family == "total_effects":
            return [(c[a], c[b]) for a, b in self.effects]
        if family == "indirect_effects":
            return [(c[a], c[b]) for a, b in self.indirect]
        if family in ("weights", "loadings", "item_weights", "item_performance"):
            return [(c[k], item) for k, item in zip(self.structure.block_of,
                                                     self.structure.indicators)]
        if family == "r2":
            return [(c[k], "") for k in self.endogenous]
        if family in ("index", "score_sd"):
            return [(name, "") for name in c]
        raise KeyError(family)


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
