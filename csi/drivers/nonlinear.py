"""The non-linear variant: asymmetric, quadratic and smooth structural effects on the 0-100
construct scores of the linear PLS measurement model (so the indices are unchanged).

- Asymmetric (piecewise-linear) effects: each predictor's slope below and above a knot, the
  penalty and reward effects of penalty-reward contrast analysis; impact asymmetry
  IA = (reward - penalty) / (|reward| + |penalty|) in [-1, 1] (Mikulić & Prebežac 2008,
  Managing Service Quality 18(6), 559-576).
- Quadratic terms, two-stage approach (Henseler, Fassott, Dijkstra & Wilson 2012, European
  Journal of Information Systems 21(1)): scores from stage one, squares in stage two.
- The knot: by default each predictor's (weighted) median score, so both slopes rest on half
  of the respondents; or the scale midpoint (50), the mean score, or a value on 0-100.
- Response curves: the fitted piecewise shape itself (the slopes below and above the knot),
  other predictors at their mean contribution, with a pointwise percentile bootstrap band;
  a natural cubic spline per equation (knots chosen by cross-validation) is kept beside it,
  labelled as a spline, as a descriptive check of the shape.
- Kano class per direct driver of the target (KANO_RULE): a driver is "basic" only when its
  bootstrap probability P(basic) (share of resamples with IA < -0.2) is at least 0.5 and the
  Bonferroni-adjusted bootstrap interval of IA lies below 0; "excitement" likewise above 0.
  When the interval includes 0 it is "performance" if P(performance) >= 0.5, else
  "performance (not significant)": no asymmetry is established, but the shape is not clearly
  symmetric either. When the interval excludes 0 on one side and that side's class has
  P < 0.5, it is "performance" if P(performance) >= 0.5 (a significant but small asymmetry),
  else unclassified (null). Each driver's `kano_reason` says which branch applied. Bonferroni
  over the target's drivers keeps a linear population from yielding a false class.
- Linear vs non-linear by repeated k-fold cross-validation with the corrected resampled
  t-test of Nadeau & Bengio (2003, Machine Learning 52, 239-281).
Every per-resample statistic is computed for a whole chunk of resamples at once, from the
respondent counts the bootstrap draws, through `NonlinearModel.statistics`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from csi.diagnostics import NO_INTERVALS_BELOW
from csi.distributions import stdtr
from csi.errors import EstimationError
from csi.jsonio import number, records
from csi.model.structure import Layout

if TYPE_CHECKING:  # pandas loads where a table is built, not with the fit (issue 15)
    import pandas as pd

KNOT_RULES = ("median", "midpoint", "mean")
MODELS = ("linear", "nonlinear")  # what --priorities-from may force
CLASS_BAND = 0.2  # |IA| > 0.2 <=> one slope at least 1.5 times the other
CLASS_PROBABILITY = 0.5  # a class is given only when its bootstrap probability reaches this
MIN_SIDE_SHARE = 0.05
MIN_SIDE_COUNT = 10
IMPACT_POINTS = 5.0
KANO_RULE = (
    "Direct drivers of the target only. P(basic), P(performance), P(excitement) are the shares "
    f"of resamples with asymmetry below -{CLASS_BAND}, within ±{CLASS_BAND}, above "
    f"{CLASS_BAND}; the asymmetry interval is the bootstrap percentile interval at level "
    "1 - (1 - level) / (number of classified drivers) (Bonferroni). basic: the interval lies "
    f"below 0 and P(basic) >= {CLASS_PROBABILITY}; excitement: it lies above 0 and "
    f"P(excitement) >= {CLASS_PROBABILITY}. The interval includes 0: performance if "
    f"P(performance) >= {CLASS_PROBABILITY}, else 'performance (not significant)'. The "
    "interval excludes 0 but that side's probability is lower: performance if P(performance) "
    f">= {CLASS_PROBABILITY} (a significant but small asymmetry), else unclassified (null)."
)
CURVES = {
    "curve": "the fitted piecewise-linear effect (slope_low below the knot, slope_high above "
             "it), other predictors at their mean contribution; [driver score, target score]",
    "curve_ci_low": "pointwise bootstrap percentile band of `curve` at the bootstrap level, "
                    "one value per point of `curve`",
    "curve_ci_high": "the band's upper bound, one value per point of `curve`",
    "spline_curve": "a natural cubic spline (interior knots chosen by cross-validation, "
                    "`spline_knots`), other predictors at their mean contribution: a "
                    "descriptive smooth, not the model the slopes describe",
}


def parse_knot(value) -> str | float:
    """A knot rule (median, midpoint, mean) or a fixed knot on 0-100 (a number or its text)."""
    if isinstance(value, str) and value.strip().lower() in KNOT_RULES:
        return value.strip().lower()
    try:
        knot = float(value)
    except (TypeError, ValueError):
        knot = float("nan")
    if not 0 <= knot <= 100:  # also rejects NaN
        raise ValueError(f"the knot must be median, midpoint, mean or a number from 0 to 100, "
                         f"not '{value}'")
    return knot


@dataclass(frozen=True)
class NonlinearSettings:
    # each predictor's (weighted) median score, the 0-100 midpoint (50), its mean score, or a
    # fixed value on 0-100 (a float)
    knot: str | float = "median"
    folds: int = 5
    repeats: int = 10
    max_spline_knots: int = 3
    curve_points: int = 21
    # the model the priorities use: None = the one the cross-validated comparison prefers
    priorities_from: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "knot", parse_knot(self.knot))
        if self.priorities_from not in (None, *MODELS):
            raise ValueError(f"priorities_from must be one of {', '.join(MODELS)}, "
                             f"not '{self.priorities_from}'")


def weighted_median(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Column medians of values (n, K) under frequency weights (n,): the mean of the smallest
    value whose cumulative weight reaches half the total and the smallest that passes it. For
    integer weights this is the median of the rows repeated (numpy's median for unit weights)."""
    order = np.argsort(values, axis=0, kind="stable")
    ordered = np.take_along_axis(values, order, axis=0)
    cumulative = np.cumsum(weights[order], axis=0)
    half = cumulative[-1] / 2
    columns = np.arange(values.shape[1])
    lower = ordered[np.argmax(cumulative >= half, axis=0), columns]
    upper = ordered[np.argmax(cumulative > half, axis=0), columns]
    return (lower + upper) / 2


def knot_positions(rule: str | float, scores: np.ndarray, weights: np.ndarray,
                   centre: np.ndarray) -> np.ndarray:
    """Each construct's knot (K,) on 0-100 under `rule` (see NonlinearSettings.knot)."""
    if rule == "median":
        return weighted_median(scores, weights)
    if rule == "mean":
        return centre.copy()
    return np.full(scores.shape[1], 50.0 if rule == "midpoint" else float(rule))


def topological_order(layout: Layout) -> list[int]:
    """Constructs ordered so every predictor comes before its targets."""
    mask = layout.structure.path_mask
    order, placed = [], set()
    while len(order) < mask.shape[0]:
        for k in range(mask.shape[0]):
            if k not in placed and all(p in placed for p in np.flatnonzero(mask[:, k])):
                order.append(k)
                placed.add(k)
    return order


class NonlinearModel:
    """The non-linear structural model of one fit: fixed knots and feature layout, evaluated
    for any batch of (measurement weights, respondent frequencies)."""

    def __init__(self, layout: Layout, rescaled: np.ndarray, point_weights: np.ndarray,
                 target: int, settings: NonlinearSettings,
                 frequency: np.ndarray | None = None):
        self.layout = layout
        # the sample's own frequency weights (n,): centres, knot sides, and the point-only
        # analyses (curves, cross-validation) weigh respondents as the fit does
        self.weighted = frequency is not None and not np.all(frequency == 1)
        self.frequency = (np.asarray(frequency, float) if self.weighted
                          else np.ones(rescaled.shape[0]))
        self.structure = layout.structure
        self.rescaled = rescaled  # (n, p) items on 0-100
        self.target = target
        self.settings = settings
        k_count = len(self.structure.constructs)
        scores = self.scores(point_weights[None])[0]
        self.centre = self.mean(scores)
        self.knots = knot_positions(settings.knot, scores, self.frequency, self.centre)
        n = self.frequency.sum()
        needed = max(MIN_SIDE_COUNT, MIN_SIDE_SHARE * n)
        below = self.frequency @ (scores < self.knots)
        self.piecewise = (below >= needed) & (n - below >= needed)  # (K,) per predictor
        self.endogenous = list(layout.endogenous)
        self.order = topological_order(layout)
        position = {pair: i for i, pair in enumerate(layout.paths)}
        self.path_index = position
        self.drivers = sorted({a for a, b in layout.effects if b == target})
        self.direct = [d for d in self.drivers if self.structure.path_mask[d, target]]
        # the grid of each path's response curve: the predictor's observed range, plus its
        # knot when the path bends there; fixed by the fit, so resamples are evaluated on it
        self.grids = [curve_grid(scores[:, k], self.knots[k] if self.piecewise[k] else None,
                                 settings.curve_points) for k, _ in layout.paths]
        self.grid_start = np.cumsum([0] + [len(g) for g in self.grids])

    def mean(self, values: np.ndarray, rows=slice(None)) -> np.ndarray:
        """The (weighted) mean over respondents `rows` of values (n, ...)."""
        if not self.weighted:
            return values[rows].mean(axis=0)
        w = self.frequency[rows]
        return np.tensordot(w, values[rows], axes=1) / w.sum()

    # -- scores and designs -------------------------------------------------------------
    def scores(self, item_weights: np.ndarray) -> np.ndarray:
        """0-100 construct scores (b, n, K) for normalized unstandardized weights (b, p)."""
        w = item_weights[:, :, None] * self.structure.membership[None, :, :]  # (b, p, K)
        b, p, k = w.shape
        flat = self.rescaled @ w.transpose(1, 0, 2).reshape(p, b * k)  # one BLAS product
        return flat.reshape(-1, b, k).transpose(1, 0, 2)

    def _piecewise_design(self, scores: np.ndarray, j: int) -> tuple[np.ndarray, list]:
        columns, labels = [np.ones(scores.shape[:2])], []
        for k in self.structure.predecessors[j]:
            shifted = scores[:, :, k] - self.knots[k]
            if self.piecewise[k]:
                columns += [np.minimum(shifted, 0.0), np.maximum(shifted, 0.0)]
                labels += [(k, "low"), (k, "high")]
            else:
                columns.append(shifted)
                labels.append((k, "both"))
        return np.stack(columns, axis=1), labels

    def _quadratic_design(self, scores: np.ndarray, j: int) -> np.ndarray:
        columns = [np.ones(scores.shape[:2])]
        for k in self.structure.predecessors[j]:
            centred = scores[:, :, k] - self.centre[k]
            columns += [centred, centred**2]
        return np.stack(columns, axis=1)

    def _linear_design(self, scores: np.ndarray, j: int) -> np.ndarray:
        columns = [np.ones(scores.shape[:2])]
        columns += [scores[:, :, k] for k in self.structure.predecessors[j]]
        return np.stack(columns, axis=1)

    # -- per-resample statistics --------------------------------------------------------
    def families(self) -> dict[str, int]:
        n_paths = len(self.layout.paths)
        return {
            "nl_slope_low": n_paths, "nl_slope_high": n_paths, "nl_asymmetry": n_paths,
            "nl_quadratic": n_paths, "nl_quadratic_linear": n_paths,
            "nl_turning_point": n_paths,
            "nl_impact": len(self.drivers), "nl_marginal": len(self.drivers),
            "nl_r2_linear": len(self.endogenous), "nl_r2_piecewise": len(self.endogenous),
            "nl_curve": int(self.grid_start[-1]),
        }

    def statistics(self, frequency: np.ndarray, vectors: dict[str, np.ndarray]) -> dict:
        """Every non-linear statistic for a batch: frequency (b, n) respondent weights of each
        resample, vectors its estimate families (item_weights is used)."""
        scores = self.scores(vectors["item_weights"])
        b = scores.shape[0]
        out = {name: np.full((b, width), np.nan) for name, width in self.families().items()}
        slopes = {}  # (k, j) -> (low (b,), high (b,))
        for position, j in enumerate(self.endogenous):
            y = scores[:, :, j]
            design, labels = self._piecewise_design(scores, j)
            beta, r2 = _weighted_ls(design, y, frequency)
            out["nl_r2_piecewise"][:, position] = r2
            self._curves(design, beta, labels, frequency, j, out["nl_curve"])
            for column, (k, side) in enumerate(labels, start=1):
                low, high = slopes.get((k, j), (None, None))
                if side in ("low", "both"):
                    low = beta[:, column]
                if side in ("high", "both"):
                    high = beta[:, column]
                slopes[(k, j)] = (low, high)
            _, r2_linear = _weighted_ls(self._linear_design(scores, j), y, frequency)
            out["nl_r2_linear"][:, position] = r2_linear
            quad, _ = _weighted_ls(self._quadratic_design(scores, j), y, frequency)
            for i, k in enumerate(self.structure.predecessors[j]):
                path = self.path_index[(k, j)]
                linear, square = quad[:, 1 + 2 * i], quad[:, 2 + 2 * i]
                out["nl_quadratic_linear"][:, path] = linear
                out["nl_quadratic"][:, path] = square
                with np.errstate(divide="ignore", invalid="ignore"):
                    turning = self.centre[k] - linear / (2 * square)
                out["nl_turning_point"][:, path] = np.where(
                    (turning >= 0) & (turning <= 100), turning, np.nan)
        for (k, j), (low, high) in slopes.items():
            path = self.path_index[(k, j)]
            out["nl_slope_low"][:, path] = low
            out["nl_slope_high"][:, path] = high
            if self.piecewise[k]:
                with np.errstate(divide="ignore", invalid="ignore"):
                    out["nl_asymmetry"][:, path] = (high - low) / (np.abs(high) + np.abs(low))
        level = np.einsum("bn,bnk->bk", frequency, scores) / frequency.sum(axis=1)[:, None]
        for position, driver in enumerate(self.drivers):
            out["nl_impact"][:, position] = self._propagate(level, driver, IMPACT_POINTS, slopes)
            out["nl_marginal"][:, position] = self._propagate(level, driver, 0.01, slopes) / 0.01
        return out

    def _curves(self, design: np.ndarray, beta: np.ndarray, labels: list, frequency: np.ndarray,
                j: int, out: np.ndarray) -> None:
        """The response curve of each path into j for a batch, written into out (b, width):
        the fitted piecewise effect of the predictor on its grid, plus the intercept and the
        other columns at their (weighted) mean contribution."""
        means = (np.einsum("bmn,bn->bm", design, frequency)
                 / frequency.sum(axis=1)[:, None])
        contribution = beta * means  # (b, m); column 0 is the intercept
        owner = np.array([-1] + [k for k, _ in labels])
        for k in self.structure.predecessors[j]:
            columns = np.flatnonzero(owner == k)
            base = contribution.sum(axis=1) - contribution[:, columns].sum(axis=1)
            path = self.path_index[(k, j)]
            shifted = self.grids[path] - self.knots[k]
            low = beta[:, columns[0]]
            high = beta[:, columns[-1]]  # the same column when the effect is linear
            values = (base[:, None] + low[:, None] * np.minimum(shifted, 0.0)
                      + high[:, None] * np.maximum(shifted, 0.0))
            out[:, self.grid_start[path]:self.grid_start[path + 1]] = values

    def curve(self, vector: np.ndarray, path: int) -> np.ndarray:
        """One path's slice of an nl_curve vector (..., width)."""
        return vector[..., self.grid_start[path]:self.grid_start[path + 1]]

    def _propagate(self, level: np.ndarray, driver: int, bump: float, slopes: dict) -> np.ndarray:
        """Change in the target when `driver` rises by `bump` points from the current levels,
        carried through every fitted piecewise equation in causal order."""
        moved = level.copy()
        moved[:, driver] += bump
        for j in self.order:
            if j == driver or not self.structure.predecessors[j].size:
                continue
            change = np.zeros(level.shape[0])
            for k in self.structure.predecessors[j]:
                low, high = slopes[(k, j)]
                change += (_piece(moved[:, k], self.knots[k], low, high)
                           - _piece(level[:, k], self.knots[k], low, high))
            moved[:, j] = level[:, j] + change
        return moved[:, self.target] - level[:, self.target]


def curve_grid(x: np.ndarray, knot: float | None, points: int) -> np.ndarray:
    """`points` equally spaced values over x's range, plus the knot when it lies inside."""
    grid = np.linspace(x.min(), x.max(), points)
    if knot is not None and grid[0] < knot < grid[-1] and not np.any(grid == knot):
        grid = np.sort(np.append(grid, knot))
    return grid


def _piece(x: np.ndarray, knot: float, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    return low * np.minimum(x - knot, 0.0) + high * np.maximum(x - knot, 0.0)


def _weighted_ls(design: np.ndarray, y: np.ndarray, frequency: np.ndarray):
    """Weighted least squares for a batch: design (b, m, n) (one row per regressor), y (b, n),
    weights (b, n). Returns coefficients (b, m) and weighted R² (b,)."""
    weighted = design * frequency[:, None, :]
    gram = weighted @ design.transpose(0, 2, 1)
    moment = (weighted @ y[:, :, None])[..., 0]
    try:
        beta = np.linalg.solve(gram, moment[..., None])[..., 0]
    except np.linalg.LinAlgError as exc:
        raise EstimationError("a non-linear structural regression is singular") from exc
    total = frequency.sum(axis=1)
    weighted_y = frequency * y
    mean = weighted_y.sum(axis=1) / total
    squares = (weighted_y * y).sum(axis=1)
    sse = squares - np.einsum("bi,bi->b", beta, moment)  # y'Wy - b'X'Wy at the LS solution
    sst = squares - total * mean**2
    return beta, 1 - sse / sst


# -- point-only analyses -------------------------------------------------------------------

def natural_spline_basis(x: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """Natural cubic spline basis without the constant (Hastie, Tibshirani & Friedman 2009,
    eq. 5.4-5.5): x, then d_k(x) - d_{K-1}(x) for k = 1..K-2."""
    columns = [x]
    last, before = knots[-1], knots[-2]

    def d(k):
        return (np.maximum(x - knots[k], 0) ** 3 - np.maximum(x - last, 0) ** 3) / (last - knots[k])

    for k in range(len(knots) - 2):
        columns.append(d(k) - (np.maximum(x - before, 0) ** 3 - np.maximum(x - last, 0) ** 3)
                       / (last - before))
    return np.column_stack(columns)


def _spline_knots(x: np.ndarray, interior: int, weights: np.ndarray) -> np.ndarray:
    """Knots at equally spaced weighted quantiles of x (the smallest x whose cumulative
    weight share reaches each level; the plain quantiles for unit weights up to interpolation)."""
    if np.all(weights == 1):
        return np.unique(np.quantile(x, np.linspace(0, 1, interior + 2)))
    order = np.argsort(x, kind="stable")
    share = np.cumsum(weights[order]) / weights.sum()
    levels = np.linspace(0, 1, interior + 2)
    positions = np.minimum(np.searchsorted(share, levels - 1e-12), len(x) - 1)
    return np.unique(x[order][positions])


def _additive_design(scores: np.ndarray, predictors, interior: int, knot_sets=None,
                     weights: np.ndarray | None = None):
    columns, sets = [np.ones(len(scores))], []
    for i, k in enumerate(predictors):
        knots = (knot_sets[i] if knot_sets else
                 _spline_knots(scores[:, k], interior,
                               np.ones(len(scores)) if weights is None else weights))
        sets.append(knots)
        basis = natural_spline_basis(scores[:, k], knots) if len(knots) > 2 else scores[:, [k]]
        columns.append(basis)
    return np.column_stack(columns), sets


def _ols(design: np.ndarray, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted least squares: respondent i counts weights[i] times."""
    if np.all(weights == 1):
        return np.linalg.lstsq(design, y, rcond=None)[0]
    root = np.sqrt(weights)
    return np.linalg.lstsq(design * root[:, None], y * root, rcond=None)[0]


def spline_curves(scores: np.ndarray, model: NonlinearModel, rng: np.random.Generator) -> dict:
    """Per path: the additive natural-spline curve of the target against the predictor, other
    predictors held at their mean contribution; interior knots (0-3) chosen by k-fold CV."""
    settings = model.settings
    w = model.frequency
    curves = {}
    for j in model.endogenous:
        predictors = list(model.structure.predecessors[j])
        y = scores[:, j]
        folds = rng.permutation(len(y)) % settings.folds
        errors = []
        for interior in range(settings.max_spline_knots + 1):
            sse = 0.0
            for fold in range(settings.folds):
                train, test = folds != fold, folds == fold
                design, sets = _additive_design(scores[train], predictors, interior,
                                                weights=w[train])
                beta = _ols(design, y[train], w[train])
                test_design, _ = _additive_design(scores[test], predictors, interior, sets)
                sse += (w[test] * (y[test] - test_design @ beta) ** 2).sum()
            errors.append(sse)
        interior = int(np.argmin(errors))
        design, sets = _additive_design(scores, predictors, interior, weights=w)
        beta = _ols(design, y, w)
        bases = [natural_spline_basis(scores[:, k], sets[i]) if len(sets[i]) > 2
                 else scores[:, [k]] for i, k in enumerate(predictors)]
        starts = np.cumsum([1] + [basis.shape[1] for basis in bases])
        contributions = [bases[i] @ beta[starts[i]:starts[i + 1]] for i in range(len(bases))]
        for i, k in enumerate(predictors):
            grid = np.linspace(scores[:, k].min(), scores[:, k].max(), settings.curve_points)
            basis = natural_spline_basis(grid, sets[i]) if len(sets[i]) > 2 else grid[:, None]
            others = sum(model.mean(c) for m, c in enumerate(contributions) if m != i)
            values = beta[0] + basis @ beta[starts[i]:starts[i + 1]] + others
            curves[(k, j)] = {"spline_curve": [[float(a), float(b)]
                                               for a, b in zip(grid, values)],
                              "spline_knots": int(interior)}
    return curves


def compare(scores: np.ndarray, model: NonlinearModel, rng: np.random.Generator) -> dict:
    """In-sample and repeated k-fold out-of-sample R² of the target's linear and piecewise
    equations; prefer the non-linear one only if the corrected resampled t-test (Nadeau &
    Bengio 2003) finds it better at the 5% level, one-sided."""
    settings = model.settings
    j = model.target
    y = scores[:, j]
    w = model.frequency
    linear_design = model._linear_design(scores[None], j)[0].T  # (n, m)
    piece_design, _ = model._piecewise_design(scores[None], j)
    piece_design = piece_design[0].T
    _, r2_linear = _weighted_ls(linear_design.T[None], y[None], w[None])
    _, r2_piece = _weighted_ls(piece_design.T[None], y[None], w[None])
    differences, cv = [], {"linear": [], "nonlinear": []}
    for _ in range(settings.repeats):
        folds = rng.permutation(len(y)) % settings.folds
        for fold in range(settings.folds):
            train, test = folds != fold, folds == fold
            centre = model.mean(y, train)
            baseline = (w[test] * (y[test] - centre) ** 2).sum()
            scores_r2 = {}
            for name, design in (("linear", linear_design), ("nonlinear", piece_design)):
                beta = _ols(design[train], y[train], w[train])
                scores_r2[name] = 1 - ((w[test] * (y[test] - design[test] @ beta) ** 2).sum()
                                       / baseline)
                cv[name].append(scores_r2[name])
            differences.append(scores_r2["nonlinear"] - scores_r2["linear"])
    d = np.array(differences)
    count = d.size
    n_test = len(y) / settings.folds
    variance = d.var(ddof=1) * (1 / count + n_test / (len(y) - n_test))
    t = d.mean() / np.sqrt(variance) if variance > 0 else 0.0
    p = float(stdtr(count - 1, -t))
    preferred = "nonlinear" if p < 0.05 and d.mean() > 0 else "linear"
    return {
        "r2_linear": float(r2_linear[0]),
        "r2_nonlinear": float(r2_piece[0]),
        "cv_r2_linear": float(np.mean(cv["linear"])),
        "cv_r2_nonlinear": float(np.mean(cv["nonlinear"])),
        "cv_folds": settings.folds,
        "cv_repeats": settings.repeats,
        "t": float(t),
        "p": p,
        "preferred": preferred,
    }


def kano_probabilities(asymmetry_draws: np.ndarray, level: float, count: int):
    """Per driver (columns of the draws (B, D)): the bootstrap percentile interval of IA at
    level 1 - (1 - level) / count (Bonferroni over the target's classified drivers), and the
    share of resamples in each band: P(basic) IA < -0.2, P(excitement) IA > 0.2,
    P(performance) the rest. Returns low, high, p_basic, p_performance, p_excitement."""
    alpha = (1 - level) / max(count, 1)
    valid = ~np.isnan(asymmetry_draws)
    usable = valid.any(axis=0)
    filled = np.where(usable[None, :], asymmetry_draws, 0.0)  # all-NaN columns: no interval
    low = np.where(usable, np.nanquantile(filled, alpha / 2, axis=0), np.nan)
    high = np.where(usable, np.nanquantile(filled, 1 - alpha / 2, axis=0), np.nan)
    total = np.maximum(valid.sum(axis=0), 1)
    p_basic = ((asymmetry_draws < -CLASS_BAND) & valid).sum(axis=0) / total
    p_excitement = ((asymmetry_draws > CLASS_BAND) & valid).sum(axis=0) / total
    p_performance = np.where(usable, 1 - p_basic - p_excitement, np.nan)
    p_basic = np.where(usable, p_basic, np.nan)
    p_excitement = np.where(usable, p_excitement, np.nan)
    return low, high, p_basic, p_performance, p_excitement


def kano_classes(low, high, p_basic, p_performance, p_excitement):
    """The Kano class and the reason for it, per driver, from the asymmetry interval and the
    class probabilities (arrays (D,)), by KANO_RULE. A class is None when none applies."""
    low, high = np.asarray(low, float), np.asarray(high, float)
    p_basic, p_performance, p_excitement = (np.asarray(p, float) for p in
                                            (p_basic, p_performance, p_excitement))
    missing = np.isnan(low) | np.isnan(high)
    below, above = high < 0, low > 0
    includes = ~missing & ~below & ~above
    performs = p_performance >= CLASS_PROBABILITY
    branches = [
        (missing, None, "no resample gave an asymmetry"),
        (includes & performs, "performance",
         "the asymmetry interval includes 0 and P(performance) >= 0.5"),
        (includes, "performance (not significant)",
         "the asymmetry interval includes 0 (no asymmetry established) but P(performance) "
         "< 0.5: the shape is not clearly symmetric either"),
        (below & (p_basic >= CLASS_PROBABILITY), "basic",
         "the asymmetry interval lies below 0 and P(basic) >= 0.5"),
        (above & (p_excitement >= CLASS_PROBABILITY), "excitement",
         "the asymmetry interval lies above 0 and P(excitement) >= 0.5"),
        (performs, "performance",
         "the asymmetry interval excludes 0 but |asymmetry| <= 0.2 in most resamples "
         "(P(performance) >= 0.5): a significant but small asymmetry"),
    ]
    fallback = ("the asymmetry interval excludes 0 but no class has a bootstrap probability "
                "of at least 0.5: unclassified")
    classes = np.full(low.shape, None, dtype=object)
    reasons = np.full(low.shape, fallback, dtype=object)
    taken = np.zeros(low.shape, dtype=bool)
    for mask, kind, reason in branches:  # the first branch that applies decides
        chosen = mask & ~taken
        classes[chosen] = kind
        reasons[chosen] = reason
        taken |= chosen
    return classes, reasons


@dataclass(frozen=True)
class NonlinearResult:
    """The `nonlinear` block of the results."""

    knot: str | float  # the rule (median, midpoint, mean) or the fixed value
    knots: dict[str, float]
    paths: pd.DataFrame
    drivers: pd.DataFrame
    comparison: dict
    notes: tuple[str, ...]
    kano_rule: str = KANO_RULE
    curves: dict | None = None  # what each path's curve keys hold (CURVES)

    def to_dict(self) -> dict:
        return {
            "knot": self.knot,
            "knots": {k: number(v) for k, v in self.knots.items()},
            "paths": records(self.paths),
            "drivers": records(self.drivers),
            "comparison": {k: number(v) for k, v in self.comparison.items()},
            "notes": list(self.notes),
            "kano_rule": self.kano_rule,
            "curves": dict(self.curves or CURVES),
        }


def verdict(comparison: dict, target_label: str) -> str:
    """The comparison in one plain sentence."""
    gain = comparison["cv_r2_nonlinear"] - comparison["cv_r2_linear"]
    if comparison["preferred"] == "nonlinear":
        return (f"The non-linear model predicts {target_label} better out of sample "
                f"(cross-validated R² {comparison['cv_r2_nonlinear']:.3f} vs "
                f"{comparison['cv_r2_linear']:.3f}, p = {comparison['p']:.3f}); its shapes "
                "are worth acting on.")
    return (f"The non-linear model does not predict {target_label} reliably better out of "
            f"sample (cross-validated R² {comparison['cv_r2_nonlinear']:.3f} vs "
            f"{comparison['cv_r2_linear']:.3f}, difference {gain:+.3f}, p = "
            f"{comparison['p']:.2f}); prefer the linear model and read the shapes as "
            "descriptive.")


NO_CLASS_WITHOUT_BOOTSTRAP = ("Kano classes need bootstrap intervals (--bootstrap "
                              f"{NO_INTERVALS_BELOW} or more)")


def unclassified(model: NonlinearModel, driver: int, draws) -> str:
    """Why a driver of the target has no Kano class (when KANO_RULE was not applied)."""
    if driver not in model.direct:
        return "an indirect driver: only direct drivers of the target are classified"
    if not model.piecewise[driver]:
        return ("too few respondents on one side of the knot: its effect is estimated "
                "linearly and not classified")
    return NO_CLASS_WITHOUT_BOOTSTRAP


def summarize(model: NonlinearModel, point: dict[str, np.ndarray],
              draws: dict[str, np.ndarray] | None, level: float | None, seed: int,
              label) -> NonlinearResult:
    """The non-linear block: shapes with intervals, Kano classes, curves and the comparison.

    `point` and `draws` hold the nl_* families of the fit and of the resamples.
    """
    structure = model.structure
    constructs = structure.constructs
    rng = np.random.default_rng(seed)
    scores = model.scores(point["item_weights"][None])[0]
    spline = spline_curves(scores, model, rng)
    comparison = compare(scores, model, rng)
    comparison["target"] = constructs[model.target]
    comparison["verdict"] = verdict(comparison, label(constructs[model.target]))
    alpha = 1 - level if level else None

    rows = []
    for position, (k, j) in enumerate(model.layout.paths):
        row = {"from": constructs[k], "to": constructs[j]}
        for metric in ("slope_low", "slope_high", "asymmetry", "quadratic", "quadratic_linear",
                       "turning_point"):
            row[metric] = point[f"nl_{metric}"][position]
        row["piecewise"] = bool(model.piecewise[k])
        if draws is not None:
            for metric in ("slope_low", "slope_high", "asymmetry", "quadratic"):
                values = draws[f"nl_{metric}"][:, position]
                if np.all(np.isnan(values)):
                    row |= {f"{metric}_se": np.nan, f"{metric}_ci_low": np.nan,
                            f"{metric}_ci_high": np.nan}
                    continue
                row[f"{metric}_se"] = np.nanstd(values, ddof=1)
                row[f"{metric}_ci_low"] = np.nanquantile(values, alpha / 2)
                row[f"{metric}_ci_high"] = np.nanquantile(values, 1 - alpha / 2)
        grid = model.grids[position]
        row["curve"] = [[float(x), float(y)]
                        for x, y in zip(grid, model.curve(point["nl_curve"], position))]
        if draws is not None:
            band = model.curve(draws["nl_curve"], position)
            usable = ~np.all(np.isnan(band), axis=0)
            filled = np.where(usable[None, :], band, 0.0)
            row["curve_ci_low"] = np.where(
                usable, np.nanquantile(filled, alpha / 2, axis=0), np.nan).tolist()
            row["curve_ci_high"] = np.where(
                usable, np.nanquantile(filled, 1 - alpha / 2, axis=0), np.nan).tolist()
        row |= spline[(k, j)]
        rows.append(row)

    classified = [d for d in model.direct if model.piecewise[d]]
    direct_paths = [model.path_index[(d, model.target)] for d in classified]
    classes = {}
    if draws is not None and direct_paths:
        low, high, *shares = kano_probabilities(draws["nl_asymmetry"][:, direct_paths], level,
                                                len(direct_paths))
        kinds, reasons = kano_classes(low, high, *shares)
        for i, d in enumerate(classified):
            classes[d] = {"kano_class": kinds[i], "kano_reason": reasons[i],
                          "asymmetry_ci_low": low[i], "asymmetry_ci_high": high[i],
                          "p_basic": shares[0][i], "p_performance": shares[1][i],
                          "p_excitement": shares[2][i]}
    drivers = []
    for position, d in enumerate(model.drivers):
        row = {"driver": constructs[d], "target": constructs[model.target],
               "direct": d in model.direct,
               "asymmetry": (point["nl_asymmetry"][model.path_index[(d, model.target)]]
                             if d in model.direct else np.nan)}
        row |= classes.get(d, {"kano_class": None, "kano_reason": unclassified(model, d, draws),
                               "p_basic": np.nan, "p_performance": np.nan,
                               "p_excitement": np.nan})
        row["marginal_effect"] = point["nl_marginal"][position]
        row["impact_5pt"] = point["nl_impact"][position]
        if draws is not None:
            values = draws["nl_impact"][:, position]
            row["impact_5pt_ci_low"] = np.nanquantile(values, alpha / 2)
            row["impact_5pt_ci_high"] = np.nanquantile(values, 1 - alpha / 2)
        drivers.append(row)

    notes = []
    linear_only = [constructs[k] for k in sorted({k for k, _ in model.layout.paths})
                   if not model.piecewise[k]]
    if linear_only:
        notes.append(
            f"too few respondents on one side of the knot for {', '.join(linear_only)} (fewer "
            f"than {MIN_SIDE_COUNT} or {MIN_SIDE_SHARE:.0%}): their effects are estimated "
            "linearly and not classified; try another --knot (median, mean or a value)"
        )
    if draws is None:
        notes.append(NO_CLASS_WITHOUT_BOOTSTRAP + "; none were assigned")
    import pandas as pd

    return NonlinearResult(
        knot=model.settings.knot,
        knots={c: float(model.knots[k]) for k, c in enumerate(constructs)},
        paths=pd.DataFrame(rows),
        drivers=pd.DataFrame(drivers),
        comparison=comparison,
        notes=tuple(notes),
    )
