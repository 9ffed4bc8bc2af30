"""The model compiled to index arrays: which indicator belongs to which construct, which paths
exist, and which entries of the estimate matrices are reported, in what order."""

from __future__ import annotations

import dataclasses
import functools
import threading
from dataclasses import dataclass

import numpy as np

from csi.model.spec import ModelSpec


@dataclass(frozen=True)
class Structure:
    """The model compiled to index arrays over indicators (p) and constructs (K)."""

    indicators: tuple[str, ...]
    constructs: tuple[str, ...]
    block_of: np.ndarray  # (p,) construct index of each indicator
    mode_b: np.ndarray  # (K,) bool
    path_mask: np.ndarray  # (K, K) bool, [k, j] true for a path k -> j
    predecessors: tuple[np.ndarray, ...]  # per construct, indices of its predecessors
    spec: ModelSpec | None = dataclasses.field(default=None, repr=False, compare=False)

    @classmethod
    def from_spec(cls, spec: ModelSpec) -> Structure:
        constructs = spec.constructs
        position = {c: k for k, c in enumerate(constructs)}
        block_of = np.array([position[b.construct] for b in spec.blocks for _ in b.indicators])
        path_mask = np.zeros((len(constructs), len(constructs)), dtype=bool)
        for path in spec.paths:
            path_mask[position[path.source], position[path.target]] = True
        return cls(
            indicators=spec.indicators,
            constructs=constructs,
            block_of=block_of,
            mode_b=np.array([b.mode == "B" for b in spec.blocks]),
            path_mask=path_mask,
            predecessors=tuple(np.flatnonzero(path_mask[:, j]) for j in range(len(constructs))),
            spec=spec,
        )

    @functools.cached_property
    def membership(self) -> np.ndarray:
        """(p, K) 0/1 matrix: indicator i belongs to construct k."""
        return (self.block_of[:, None] == np.arange(len(self.constructs))[None, :]).astype(float)

    def blocks(self) -> list[np.ndarray]:
        """Each construct's indicator positions (a new list of the cached arrays)."""
        return list(self._blocks)

    @functools.cached_property
    def _blocks(self) -> tuple[np.ndarray, ...]:
        return tuple(np.flatnonzero(self.block_of == k) for k in range(len(self.constructs)))

    @functools.cached_property
    def padded_predecessors(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(targets (E,), index (E, m), valid (E, m)): each construct with predecessors and
        its predecessors padded to the largest count m, so that every structural regression
        of a fit is one stacked solve."""
        targets = np.array([j for j, preds in enumerate(self.predecessors) if preds.size],
                           dtype=int)
        size = max((self.predecessors[j].size for j in targets), default=0)
        index = np.zeros((targets.size, size), dtype=int)
        valid = np.zeros((targets.size, size), dtype=bool)
        for row, j in enumerate(targets):
            preds = self.predecessors[j]
            index[row, : preds.size] = preds
            valid[row, : preds.size] = True
        return targets, index, valid

    @functools.cached_property
    def regression_gather(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Flat indices for `padded_predecessors`' stacked systems: (into K*K + 2 values,
        the construct correlations followed by 0 and 1) the (E, m, m) matrices, padded with
        an identity, and the (E, m) right-hand sides, padded with 0; and where each valid
        coefficient goes in a flat (K, K) matrix ([k, j] for k -> j)."""
        targets, index, valid = self.padded_predecessors
        k_count = len(self.constructs)
        zero, one = k_count * k_count, k_count * k_count + 1
        size = index.shape[1]
        matrices = index[:, :, None] * k_count + index[:, None, :]
        both = valid[:, :, None] & valid[:, None, :]
        matrices = np.where(both, matrices, np.where(np.eye(size, dtype=bool), one, zero))
        sides = np.where(valid, index * k_count + targets[:, None], zero)
        coefficients = (index * k_count + targets[:, None])[valid]
        return matrices, sides, coefficients

    @functools.cached_property
    def own_columns(self) -> tuple[np.ndarray, np.ndarray]:
        """(rows, columns) picking each indicator's own construct from a (.., p, K) array."""
        return np.arange(len(self.indicators)), self.block_of

    @functools.cached_property
    def padded_blocks(self) -> tuple[np.ndarray, np.ndarray, bool]:
        """(index (K, m), valid (K, m), plain): each construct's indicators padded to the
        largest block's size m; plain when the blocks are contiguous and equal in size, so
        that a (.., p, ..) axis is a (.., K, m, ..) view without copying. Computed once per
        model: every PLS iteration of every resample reads it."""
        blocks = self.blocks()
        size = max(len(block) for block in blocks)
        index = np.zeros((len(blocks), size), dtype=int)
        valid = np.zeros((len(blocks), size), dtype=bool)
        for k, block in enumerate(blocks):
            index[k, : block.size] = block
            valid[k, : block.size] = True
        plain = bool(valid.all()) and np.array_equal(index.ravel(), np.arange(index.size))
        return index, valid, plain



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
        known = self._names
        if family not in known:
            known[family] = tuple(self._listed_names(family))
        return list(known[family])

    @functools.cached_property
    def _names(self) -> dict[str, tuple[tuple[str, str], ...]]:
        return {}  # family -> names, filled on first use

    def _listed_names(self, family: str) -> list[tuple[str, str]]:
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


_COMPILED: dict[int, tuple[ModelSpec, Structure, Layout]] = {}
_COMPILING = threading.Lock()
COMPILED_KEPT = 32  # the last models compiled, by identity


def compiled(spec: ModelSpec) -> tuple[Structure, Layout]:
    """The Structure and Layout of `spec`, compiled once per ModelSpec object: a fit, its
    segments and repeated fits of a built-in model (parsed once per process) reuse them and
    their cached index arrays. The entry holds the spec, so its id is not reused while kept."""
    with _COMPILING:  # segments fit on threads
        found = _COMPILED.get(id(spec))
        if found is not None and found[0] is spec:
            return found[1], found[2]
        structure = Structure.from_spec(spec)
        layout = Layout.from_spec(spec, structure)
        while len(_COMPILED) >= COMPILED_KEPT:
            del _COMPILED[next(iter(_COMPILED))]
        _COMPILED[id(spec)] = (spec, structure, layout)
        return structure, layout
