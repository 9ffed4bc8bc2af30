"""The non-linear variant: asymmetric, quadratic and smooth structural effects on the 0-100
construct scores of the linear PLS measurement model (so the indices are unchanged).

- Asymmetric (piecewise-linear) effects: each predictor's slope below and above a knot, the
  penalty and reward effects of penalty-reward contrast analysis; impact asymmetry
  IA = (reward - penalty) / (|reward| + |penalty|) in [-1, 1] (Mikulić & Prebežac 2008,
  Managing Service Quality 18(6), 559-576).
- Quadratic terms, two-stage approach (Henseler, Fassott, Dijkstra & Wilson 2012, European
  Journal of Information Systems 21(1)): scores from stage one, squares in stage two.
- A natural cubic spline per equation, knots chosen by cross-validation, for plotting.
- Kano class per driver of the target from the bootstrap CI of IA (Bonferroni over the
  target's drivers, so a linear population rarely yields a false "basic" or "excitement").
- Linear vs non-linear by repeated k-fold cross-validation with the corrected resampled
  t-test of Nadeau & Bengio (2003, Machine Learning 52, 239-281).
Every per-resample statistic is computed for a whole chunk of resamples at once, from the
respondent counts the bootstrap draws, through `NonlinearModel.statistics`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from csi.errors import EstimationError
from csi.jsonio import number, records
from csi.model.structure import Layout

KNOT_RULES = ("midpoint", "mean")
CLASS_BAND = 0.2  # |IA| > 0.2 <=> one slope at least 1.5 times the other
MIN_SIDE_SHARE = 0.05
MIN_SIDE_COUNT = 10
IMPACT_POINTS = 5.0


@dataclass(frozen=True)
class NonlinearSettings:
    knot: str = "midpoint"  # the 0-100 scale midpoint (50), or each predictor's mean score
    folds: int = 5
    repeats: int = 10
    max_spline_knots: int = 3
    curve_points: int = 21

    def __post_init__(self) -> None:
        if self.knot not in KNOT_RULES:
            raise ValueError(f"unknown knot rule '{self.knot}'")


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
        self.knots = np.full(k_count, 50.0) if settings.knot == "midpoint" else self.centre.copy()
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
            curves[(k, j)] = {"curve": [[float(a), float(b)] for a, b in zip(grid, values)],
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
    p = float(special.stdtr(count - 1, -t))
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


def kano_classes(asymmetry_draws: np.ndarray, level: float, count: int):
    """Class per driver from the bootstrap CI of IA at level 1 - (1 - level) / count
    (Bonferroni over the target's drivers): basic if the CI lies below 0, excitement if
    above, performance otherwise; plus the share of resamples in each band (|IA| > 0.2)."""
    alpha = (1 - level) / max(count, 1)
    low = np.nanquantile(asymmetry_draws, alpha / 2, axis=0)
    high = np.nanquantile(asymmetry_draws, 1 - alpha / 2, axis=0)
    classes = np.where(high < 0, "basic", np.where(low > 0, "excitement", "performance"))
    valid = ~np.isnan(asymmetry_draws)
    total = np.maximum(valid.sum(axis=0), 1)
    p_basic = ((asymmetry_draws < -CLASS_BAND) & valid).sum(axis=0) / total
    p_excitement = ((asymmetry_draws > CLASS_BAND) & valid).sum(axis=0) / total
    return classes, low, high, p_basic, 1 - p_basic - p_excitement, p_excitement


@dataclass(frozen=True)
class NonlinearResult:
    """The `nonlinear` block of the results."""

    knot: str
    knots: dict[str, float]
    paths: pd.DataFrame
    drivers: pd.DataFrame
    comparison: dict
    notes: tuple[str, ...]

    def to_dict(self) -> dict:
        return {
            "knot": self.knot,
            "knots": {k: number(v) for k, v in self.knots.items()},
            "paths": records(self.paths),
            "drivers": records(self.drivers),
            "comparison": {k: number(v) for k, v in self.comparison.items()},
            "notes": list(self.notes),
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
    curves = spline_curves(scores, model, rng)
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
        row |= curves[(k, j)]
        rows.append(row)

    classified = [d for d in model.direct if model.piecewise[d]]
    direct_paths = [model.path_index[(d, model.target)] for d in classified]
    classes = {}
    if draws is not None and direct_paths:
        decided = kano_classes(draws["nl_asymmetry"][:, direct_paths], level, len(direct_paths))
        for i, d in enumerate(classified):
            classes[d] = {"kano_class": str(decided[0][i]),
                          "asymmetry_ci_low": decided[1][i], "asymmetry_ci_high": decided[2][i],
                          "p_basic": decided[3][i], "p_performance": decided[4][i],
                          "p_excitement": decided[5][i]}
    drivers = []
    for position, d in enumerate(model.drivers):
        row = {"driver": constructs[d], "target": constructs[model.target],
               "direct": d in model.direct,
               "asymmetry": (point["nl_asymmetry"][model.path_index[(d, model.target)]]
                             if d in model.direct else np.nan)}
        row |= classes.get(d, {"kano_class": None, "p_basic": np.nan, "p_performance": np.nan,
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
            "linearly and not classified; try --knot mean"
        )
    if draws is None:
        notes.append("Kano classes need the bootstrap (--bootstrap N > 0); none were assigned")
    return NonlinearResult(
        knot=model.settings.knot,
        knots={c: float(model.knots[k]) for k, c in enumerate(constructs)},
        paths=pd.DataFrame(rows),
        drivers=pd.DataFrame(drivers),
        comparison=comparison,
        notes=tuple(notes),
    )
