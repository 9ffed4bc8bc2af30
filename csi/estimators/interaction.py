"""Interaction (moderation) and quadratic terms in PLS path models: the generated indicators
of a product term and the moments of the data they extend, for a batch of resamples.

A term `X:M -> Y` becomes a construct of its own, measured by indicators generated from the
data, and the model with it is estimated by PLS like any other (Henseler & Chin 2010; Hair et
al. 2022, ch. 7). Three ways to generate them, as seminr's `interaction_term()`:
- two-stage (Chin, Marcolin & Newsted 2003; the default Hair et al. 2022, p. 260 recommend):
  stage 1 estimates the main-effects model, the single indicator is the product of X's and
  M's stage-1 construct scores;
- product-indicator (Kenny & Judd 1984; Chin et al. 2003): every product of an X indicator
  and an M indicator, each standardized;
- orthogonal (Little, Bovaird & Widaman 2006): those products' residuals from an OLS
  regression (with intercept) on all X and M indicators, so the term is uncorrelated with
  the main effects.
The generated indicators depend on the (re)sample: `InteractionSample` recomputes them, and
for two-stage the whole stage 1, for every row of frequencies, so the bootstrap redoes both
stages per resample, batched as the rest. The indicators are standardized as seminr does.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from csi.errors import EstimationError, ModelError
from csi.estimators.base import PlsEstimates, PlsSettings
from csi.estimators.pls import weights_for
from csi.model.spec import Block, ModelSpec, StructuralPath
from csi.model.structure import Structure
from csi.sample import Moments, Sample, batch_moments

METHODS = ("two-stage", "orthogonal", "product-indicator")
DEFAULT_METHOD = "two-stage"


def generated_names(spec: ModelSpec, method: str) -> dict[str, tuple[str, ...]]:
    """The generated indicators of each interaction construct: its own name for two-stage
    (one column), else `x:m` for every X item x and M item m (X's items varying slowest)."""
    names = {}
    for term in spec.interactions:
        if method == "two-stage":
            names[term.name] = (term.name,)
        else:
            names[term.name] = tuple(
                f"{x}:{m}" for x in spec.block(term.focal).indicators
                for m in spec.block(term.moderator).indicators)
    return names


def main_effects(spec: ModelSpec) -> ModelSpec:
    """The stage-1 model: the model without its product terms, each term's constructs
    predicting its target (Hair et al. 2022, p. 261)."""
    paths = list(spec.paths)
    for term in spec.interactions:
        for end in dict.fromkeys((term.focal, term.moderator)):
            if not any(p.source == end and p.target == term.target for p in paths):
                paths.append(StructuralPath(end, term.target, term.line))
    return dataclasses.replace(spec, paths=tuple(paths), interactions=())


def augment(spec: ModelSpec, method: str) -> ModelSpec:
    """The estimated (stage-2) model: the interaction constructs appended as Mode A blocks of
    their generated indicators, with a path into their targets (after the model's paths)."""
    if method not in METHODS:
        raise ModelError(f"unknown interaction method '{method}' ({', '.join(METHODS)})")
    base = main_effects(spec)
    names = generated_names(spec, method)
    blocks, paths, labels = list(base.blocks), list(base.paths), dict(base.labels)
    for term in spec.interactions:
        if term.name not in {b.construct for b in blocks}:
            blocks.append(Block(term.name, names[term.name], "A", term.line))
            labels.setdefault(term.name, f"{spec.label(term.focal)} × "
                                         f"{spec.label(term.moderator)}")
        paths.append(StructuralPath(term.name, term.target, term.line))
    return dataclasses.replace(base, blocks=tuple(blocks), paths=tuple(paths), labels=labels,
                               interactions=spec.interactions)


@dataclass(frozen=True)
class InteractionSample:
    """A Sample extended by the generated indicators of the model's product terms.

    It answers what the bootstrap and the point fit ask of a Sample (csi.sample.Sample):
    the moments of the extended data under any frequencies (b, n), with the generated
    columns recomputed from each row of frequencies (stage 1 re-estimated for two-stage).
    """

    base: Sample
    spec: ModelSpec  # the model as written, with its interactions
    method: str
    settings: PlsSettings
    stage1: Structure = field(init=False, repr=False)
    columns: tuple = field(init=False, repr=False)  # per term: (focal items, moderator items)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ModelError(f"unknown interaction method '{self.method}' "
                             f"({', '.join(METHODS)})")
        stage1 = Structure.from_spec(main_effects(self.spec))
        position = {item: i for i, item in enumerate(stage1.indicators)}
        object.__setattr__(self, "stage1", stage1)
        object.__setattr__(self, "columns", tuple(
            (np.array([position[i] for i in self.spec.block(t.focal).indicators]),
             np.array([position[i] for i in self.spec.block(t.moderator).indicators]))
            for t in self.spec.interactions))

    # what a Sample answers, for the base data
    @property
    def rows(self) -> int:
        return self.base.rows

    @property
    def size(self) -> int:
        return self.base.size

    @property
    def weights(self):
        return self.base.weights

    @property
    def em_iterations(self):
        return self.base.em_iterations

    def frequencies(self) -> np.ndarray:
        return self.base.frequencies()

    def within(self, membership: np.ndarray) -> np.ndarray:
        return self.base.within(membership)

    def resample_counts(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return self.base.resample_counts(rng, size)

    def leave_one_out(self, groups: int):
        return self.base.leave_one_out(groups)

    @property
    def values(self) -> np.ndarray:
        """The extended data (n, p + q) of the sample itself (the point fit's)."""
        generated = self.generated(self.frequencies())[0]
        return np.hstack([self.base.values, generated])

    def moments(self) -> Moments:
        """The point fit's moments of the extended data (under --missing em: of the
        EM-imputed rows, since the products need rows)."""
        mean, sd, cov = self.batch_moments(self.frequencies())
        return Moments(n=self.base.size, mean=mean[0], sd=sd[0], cov=cov[0])

    def generated(self, frequency: np.ndarray, moments=None) -> np.ndarray:
        """The generated indicators (b, n, q) under each row of frequencies (b, n)."""
        x = self.base.values
        f = np.asarray(frequency, float)
        mean, sd, cov = moments if moments is not None else batch_moments(x, f)
        parts = []
        if self.method == "two-stage":
            cor = cov / (sd[:, :, None] * sd[:, None, :])
            weights, _, converged = weights_for(cor, self.stage1, self.settings)
            if f.shape[0] == 1 and not converged[0]:
                raise EstimationError(
                    "stage 1 of the two-stage interaction (the main-effects model) did not "
                    f"converge in {self.settings.max_iter} iterations; try --max-iter 1000")
            weights = np.where(converged[:, None], weights, np.nan)
            for fx, mx in self.columns:
                parts.append((self._score(x, weights, mean, sd, fx)
                              * self._score(x, weights, mean, sd, mx))[:, :, None])
        else:
            for fx, mx in self.columns:
                zf = (x[None, :, fx] - mean[:, None, fx]) / sd[:, None, fx]
                zm = (x[None, :, mx] - mean[:, None, mx]) / sd[:, None, mx]
                products = (zf[:, :, :, None] * zm[:, :, None, :]).reshape(
                    f.shape[0], x.shape[0], fx.size * mx.size)
                if self.method == "orthogonal":
                    products = _residuals(products, x[:, np.unique(np.r_[fx, mx])], f)
                parts.append(products)
        return np.concatenate(parts, axis=2)

    @staticmethod
    def _score(x, weights, mean, sd, columns) -> np.ndarray:
        """Standardized construct scores (b, n) of one block: z W (Lohmöller 1989, ch. 2)."""
        scaled = weights[:, columns] / sd[:, columns]
        return np.einsum("ni,bi->bn", x[:, columns], scaled) - np.einsum(
            "bi,bi->b", mean[:, columns], scaled)[:, None]

    def batch_moments(self, frequency: np.ndarray, pairs=None, budget: int = 32 * 2**20):
        """(mean, sd, cov) of the extended data under each row of frequencies (b, n); all
        covariances are computed (`pairs` is a hint the base Sample may use)."""
        x = self.base.values
        n, p = x.shape
        q = sum(len(v) for v in generated_names(self.spec, self.method).values())
        step = int(max(1, budget // (8 * n * (2 * p + 3 * q + 4))))
        pieces = [self._extended(x, np.asarray(frequency[s : s + step], float))
                  for s in range(0, frequency.shape[0], step)]
        return tuple(np.concatenate([piece[k] for piece in pieces]) for k in range(3))

    def _extended(self, x: np.ndarray, f: np.ndarray):
        base = batch_moments(x, f)
        mean, sd, cov = base
        g = self.generated(f, base)
        total = f.sum(axis=1)
        g_mean = np.einsum("bn,bnj->bj", f, g) / total[:, None]
        g_centred = g - g_mean[:, None, :]
        weighted = f[:, :, None] * g_centred  # (b, n, q); matmul beats einsum here (BLAS)
        cross = np.swapaxes(np.swapaxes(weighted, 1, 2) @ (x - x.mean(axis=0)), 1, 2)
        cross /= (total - 1)[:, None, None]  # sum f (x - c) g~ = sum f (x - m) g~: g~ sums to 0
        own = (np.swapaxes(weighted, 1, 2) @ g_centred) / (total - 1)[:, None, None]
        top = np.concatenate([cov, cross], axis=2)
        bottom = np.concatenate([np.swapaxes(cross, 1, 2), own], axis=2)
        full = np.concatenate([top, bottom], axis=1)
        full_sd = np.sqrt(np.clip(np.diagonal(full, axis1=1, axis2=2), 0.0, None))
        return np.concatenate([mean, g_mean], axis=1), full_sd, full


@dataclass(frozen=True)
class Adjustment:
    """Henseler & Chin's (2010) variance adjustment, as seminr applies it: an interaction
    construct's effects are reported per unit of the product of the standardized main
    constructs, i.e. divided by c = sum |loading_i| sd_i / sum |loading_i| over its
    generated indicators (sd_i their SD in the (re)sample). For two-stage c is the SD of the
    product of scores, so b1 + b3 m is the focal effect at moderator value m (in SDs).

    It rides the bootstrap as its `extension` (csi.inference.bootstrap.Problem): no extra
    families, and `adjust` applied to every resample's estimates."""

    constructs: tuple[int, ...]  # the interaction constructs in the stage-2 Structure
    columns: tuple[np.ndarray, ...]  # their generated indicators' columns

    @classmethod
    def of(cls, augmented: Structure, spec: ModelSpec) -> Adjustment:
        names = {t.name for t in spec.interactions}
        ks = tuple(k for k, c in enumerate(augmented.constructs) if c in names)
        return cls(ks, tuple(np.flatnonzero(augmented.block_of == k) for k in ks))

    def families(self) -> dict[str, int]:
        return {}

    def statistics(self, frequency, estimates) -> dict:
        return {}

    def adjust(self, estimates: PlsEstimates, sd: np.ndarray) -> PlsEstimates:
        """Estimates with each interaction construct's paths and total effects divided by
        its c (b, ) computed from the loadings and the indicator SDs sd (b, p)."""
        paths = estimates.paths.copy()
        total = estimates.total_effects.copy()
        for k, columns in zip(self.constructs, self.columns):
            loading = np.abs(estimates.loadings[:, columns])
            c = (loading * sd[:, columns]).sum(axis=1) / loading.sum(axis=1)
            paths[:, k, :] /= c[:, None]
            total[:, k, :] /= c[:, None]
        return dataclasses.replace(estimates, paths=paths, total_effects=total)


def _residuals(products: np.ndarray, predictors: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Residuals (b, n, q) of each product column regressed with an intercept on the raw
    predictors (n, r), by frequency-weighted least squares per row of f (b, n)."""
    total = f.sum(axis=1)
    x_mean = f @ predictors / total[:, None]
    p_mean = np.einsum("bn,bnj->bj", f, products) / total[:, None]
    xc = predictors[None] - x_mean[:, None, :]
    pc = products - p_mean[:, None, :]
    weighted = np.swapaxes(f[:, :, None] * xc, 1, 2)  # (b, r, n)
    sxx = weighted @ xc
    sxp = weighted @ pc
    try:
        beta = np.linalg.solve(sxx, sxp)
    except np.linalg.LinAlgError as exc:
        raise EstimationError("the orthogonalizing regression of an interaction's products "
                              "is singular (collinear indicators)") from exc
    return pc - xc @ beta


__all__ = ["Adjustment", "DEFAULT_METHOD", "METHODS", "InteractionSample", "augment", "generated_names",
           "main_effects"]
