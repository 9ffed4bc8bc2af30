"""PLSpredict and CVPAT: does the model predict the indicators of its endogenous constructs
out of sample?

PLSpredict (Shmueli et al. 2016, J. Bus. Res. 69, pp. 4552-4564; Shmueli et al. 2019, Eur. J.
Mark. 53(11), pp. 2322-2347): k-fold cross-validation; in each fold PLS is re-estimated on
the training rows, the held-out rows are standardized with the training means and SDs, their
construct scores Y = Z W are formed, endogenous scores are predicted from the earliest
antecedents (EA: the exogenous scores, propagated through the paths in causal order) or the
direct antecedents (DA), and each indicator is predicted as mean + sd * loading * score.
Benchmarks: LM (each endogenous indicator regressed on the exogenous constructs' indicators,
EA, or on its construct's direct antecedents' indicators, DA) and the indicator average (IA,
the training mean). Q2_predict = 1 - SSE_PLS / SSE_IA.

CVPAT (Liengaard et al. 2021, Decis. Sci. 52(2), pp. 362-392; Sharma et al. 2023, Inf. Syst.
Res. 34(2)): the per-respondent average squared prediction error over all endogenous
indicators, PLS against a benchmark; the mean loss difference is tested by a t statistic and,
as Sharma et al. recommend, by a bootstrap of the centred differences (one-sided: PLS
predicts better).

Every fold is a frequency vector over the respondents (zero for the held-out rows), so all
folds of all repetitions are estimated as one batch (csi.sample.batch_moments) and the
predictions are gathered per respondent without a loop over rows. Fold assignments come from
one SeedSequence: the same seed gives the same folds and the same output.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from csi.estimators.base import PlsSettings
from csi.model.structure import Structure
from csi.sample import Sample

SCHEMA = "csi.predict/1"
TECHNIQUES = ("earliest", "direct")
CVPAT_BOOTSTRAP = 2000


def fold_assignment(n: int, folds: int, repeats: int, seed: int) -> np.ndarray:
    """(repeats, n) fold labels 0..folds-1: each repetition permutes the rows with a
    generator spawned from SeedSequence(seed) and cuts the permutation into `folds`
    contiguous blocks (numpy's array_split: R's cut() when folds divides n). folds == n:
    leave-one-out, deterministic (one repetition)."""
    if folds == n:
        return np.arange(n)[None, :]
    labels = np.empty((repeats, n), dtype=np.int64)
    block = np.concatenate([np.full(len(part), k) for k, part in
                            enumerate(np.array_split(np.arange(n), folds))])
    for r, child in enumerate(np.random.SeedSequence(seed).spawn(repeats)):
        ordering = np.random.default_rng(child).permutation(n)
        labels[r, ordering] = block
    return labels


def causal_order(structure: Structure) -> list[int]:
    """Endogenous constructs, each after all its predecessors."""
    done = {k for k, preds in enumerate(structure.predecessors) if not preds.size}
    order, pending = [], [k for k, preds in enumerate(structure.predecessors) if preds.size]
    while pending:
        ready = [k for k in pending if all(int(p) in done for p in structure.predecessors[k])]
        if not ready:
            raise ValueError("the structural model is not recursive")
        for k in ready:
            order.append(k)
            done.add(k)
            pending.remove(k)
    return order


@dataclass(frozen=True)
class Predictions:
    """Out-of-sample predictions (repeats, n, q) of the q endogenous indicators."""

    indicators: tuple[str, ...]
    constructs: tuple[str, ...]  # construct of each predicted indicator
    actual: np.ndarray  # (n, q)
    pls: np.ndarray
    lm: np.ndarray
    ia: np.ndarray


def predict(sample: Sample, structure: Structure, settings: PlsSettings, labels: np.ndarray,
            technique: str = "earliest", estimator=None, reference=None) -> Predictions:
    """PLS, LM and IA out-of-sample predictions of every endogenous indicator for the fold
    labels (repeats, n); all folds of all repetitions estimated as one batch."""
    if technique not in TECHNIQUES:
        raise ValueError(f"unknown technique '{technique}' ({', '.join(TECHNIQUES)})")
    if estimator is None:
        from csi import estimators

        estimator = estimators.get("pls")
    values = sample.values
    repeats, n = labels.shape
    fold_count = int(labels.max()) + 1
    base = sample.frequencies()[0]
    # batch row b = (repeat r, fold f): training frequencies, zero for the held-out rows
    train = (labels[:, None, :] != np.arange(fold_count)[None, :, None]).reshape(-1, n)
    mean, sd, cov = sample.batch_moments(train * base[None, :])
    cor = cov / (sd[:, :, None] * sd[:, None, :])
    estimates = estimator.estimate(cor, structure, settings, reference=reference, align=True)
    # each respondent's own batch row: the fold it is held out of, per repetition
    which = (np.arange(repeats)[:, None] * fold_count + labels)  # (repeats, n)
    exogenous = [k for k, preds in enumerate(structure.predecessors) if not preds.size]
    endogenous = [k for k, preds in enumerate(structure.predecessors) if preds.size]
    items = np.flatnonzero(np.isin(structure.block_of, endogenous))
    # gathered per respondent as (repeats, n, ...) arrays of vectors, never of matrices, so
    # memory stays O(repeats n p)
    z = (values[None] - mean[which]) / sd[which]  # (repeats, n, p)
    scores = (z * estimates.weights[which]) @ structure.membership  # (repeats, n, K)
    if technique == "earliest":
        predicted = scores.copy()
        for j in causal_order(structure):
            predicted[..., j] = np.einsum("rnk,rnk->rn", predicted,
                                          estimates.paths[:, :, j][which])
    else:
        predicted = scores.copy()
        for j in endogenous:
            predicted[..., j] = np.einsum("rnk,rnk->rn", scores, estimates.paths[:, :, j][which])
    own = structure.block_of[items]
    loadings = estimates.loadings[which][..., items]
    pls = mean[which][..., items] + sd[which][..., items] * loadings * predicted[..., own]
    ia = mean[which][..., items]
    lm = np.empty_like(pls)
    for k in endogenous:
        sources = exogenous if technique == "earliest" else list(structure.predecessors[k])
        x = np.flatnonzero(np.isin(structure.block_of, sources))
        y = np.flatnonzero(structure.block_of == k)
        # weighted OLS with intercept from the training moments: beta = Sxx^-1 Sxy
        beta = np.linalg.solve(cov[:, x[:, None], x[None, :]], cov[:, x[:, None], y[None, :]])
        centred = values[None][..., x] - mean[which][..., x]
        for column, item in enumerate(y):
            lm[..., np.searchsorted(items, item)] = mean[which][..., item] + np.einsum(
                "rnx,rnx->rn", centred, beta[:, :, column][which])
    return Predictions(
        indicators=tuple(structure.indicators[i] for i in items),
        constructs=tuple(structure.constructs[k] for k in own),
        actual=values[:, items], pls=pls, lm=lm, ia=ia)


def _weighted_mean(values: np.ndarray, frequency: np.ndarray) -> np.ndarray:
    return frequency @ values / frequency.sum()


def _skewness(errors: np.ndarray, frequency: np.ndarray) -> np.ndarray:
    centred = errors - _weighted_mean(errors, frequency)
    spread = np.sqrt(_weighted_mean(centred ** 2, frequency))
    with np.errstate(invalid="ignore", divide="ignore"):
        return _weighted_mean(centred ** 3, frequency) / spread ** 3


VERDICTS = {
    "high": "the model has high predictive power: every indicator is predicted with lower "
            "{metric} by PLS than by the linear-model benchmark",
    "medium": "the model has medium predictive power: the majority (or half) of the indicators "
              "are predicted with lower {metric} by PLS than by the linear-model benchmark",
    "low": "the model has low predictive power: a minority of the indicators are predicted "
           "with lower {metric} by PLS than by the linear-model benchmark",
    "none": "the model lacks predictive power: {reason}",
}


def verdict(q2: np.ndarray, better: np.ndarray, metric: str) -> tuple[str, str]:
    """Shmueli et al.'s (2019, pp. 2331-2332) reading of one construct's indicators: Q2_predict
    must exceed 0; then the share predicted better by PLS than by LM decides."""
    if not np.all(q2 > 0):
        return "none", VERDICTS["none"].format(
            reason="Q²_predict is not above 0 for every indicator (PLS does not beat the "
                   "indicator averages)")
    wins = int(better.sum())
    if wins == better.size:
        return "high", VERDICTS["high"].format(metric=metric)
    if wins == 0:
        return "none", VERDICTS["none"].format(
            reason=f"no indicator is predicted with lower {metric} by PLS than by the "
                   "linear-model benchmark")
    if 2 * wins >= better.size:
        return "medium", VERDICTS["medium"].format(metric=metric)
    return "low", VERDICTS["low"].format(metric=metric)


@dataclass(frozen=True)
class PredictResult:
    """PLSpredict and CVPAT for one survey (or one segment)."""

    source: str
    n_obs: int
    settings: dict
    indicators: list[dict]
    constructs: list[dict]
    target: str
    verdict: str
    verdict_text: str
    cvpat: list[dict]
    segments: list[dict] = field(default_factory=list)
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"schema": SCHEMA, "source": self.source, "n_obs": self.n_obs,
                "settings": self.settings, "indicators": self.indicators,
                "constructs": self.constructs, "target": self.target,
                "verdict": self.verdict, "verdict_text": self.verdict_text,
                "cvpat": self.cvpat,
                **({"segments": self.segments} if self.segments else {}),
                "warnings": list(self.warnings)}

    def to_json(self) -> str:
        from csi.jsonio import dumps

        return dumps(self.to_dict())


def metrics(found: Predictions, frequency: np.ndarray) -> dict[str, np.ndarray]:
    """Per indicator (q,): rmse, mae (PLS), rmse_lm, mae_lm, rmse_ia, q2_predict and the
    skewness of the PLS errors. Predictions are averaged over the repetitions first (the
    repeated cross-validation's prediction of each respondent), errors weighted by the
    respondents' frequencies."""
    errors = {name: found.actual - getattr(found, name).mean(axis=0)
              for name in ("pls", "lm", "ia")}
    out = {}
    for name, suffix in (("pls", ""), ("lm", "_lm"), ("ia", "_ia")):
        out["rmse" + suffix] = np.sqrt(_weighted_mean(errors[name] ** 2, frequency))
        out["mae" + suffix] = _weighted_mean(np.abs(errors[name]), frequency)
    out["q2_predict"] = 1 - (frequency @ errors["pls"] ** 2) / (frequency @ errors["ia"] ** 2)
    out["skewness"] = _skewness(errors["pls"], frequency)
    return out


def cvpat(found: Predictions, frequency: np.ndarray, seed: int,
          resamples: int = CVPAT_BOOTSTRAP) -> list[dict]:
    """CVPAT of PLS against IA and LM: per-respondent average squared error over all
    endogenous indicators (averaged over repetitions), D = L_benchmark - L_PLS; t = mean D /
    se (Liengaard et al. 2021, eq. 6) and a bootstrap p of the centred D (Sharma et al. 2023),
    both one-sided for H1: PLS has the lower loss. Weighted respondents count their weight."""
    from scipy import stats

    pls = ((found.actual[None] - found.pls) ** 2).mean(axis=2).mean(axis=0)
    total = frequency.sum()
    differences, means = {}, {}
    for name in ("ia", "lm"):
        bench = ((found.actual[None] - getattr(found, name)) ** 2).mean(axis=2).mean(axis=0)
        differences[name] = bench - pls
        means[name] = float(frequency @ differences[name] / total)
    # bootstrap means of the centred differences, 200 resamples at a time (O(200 n) memory)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 17]))
    n = frequency.size
    units = int(round(total)) if total == int(total) else n
    boot = {name: [] for name in differences}
    for start in range(0, resamples, 200):
        chunk = rng.choice(n, size=(min(200, resamples - start), units), p=frequency / total)
        for name, difference in differences.items():
            boot[name].append((difference - means[name])[chunk].mean(axis=1))
    rows = []
    for name, difference in differences.items():
        mean = means[name]
        var = float(frequency @ (difference - mean) ** 2 / (total - 1))
        se = np.sqrt(var / total)
        t = mean / se if se > 0 else float("nan")
        p = float((np.sum(np.concatenate(boot[name]) >= mean) + 1) / (resamples + 1))
        rows.append({
            "benchmark": name.upper(),
            "pls_loss": float(frequency @ pls / total),
            "benchmark_loss": float(frequency @ (difference + pls) / total),
            "difference": mean,
            "t": float(t),
            "p_t": float(stats.t.sf(t, df=total - 1)) if np.isfinite(t) else None,
            "p": p,
            "pls_better": bool(mean > 0 and p < 0.05),
        })
    return rows


def summarize(found: Predictions, frequency: np.ndarray, target: str, seed: int,
              source: str, settings: dict, warnings: tuple[str, ...] = ()) -> PredictResult:
    """The PredictResult of a set of predictions: the indicator table, the construct
    summary with Shmueli et al.'s verdict, CVPAT."""
    found_metrics = metrics(found, frequency)
    skewed = bool(np.any(np.abs(found_metrics["skewness"]) > 1))
    metric = "MAE" if skewed else "RMSE"  # Shmueli et al. 2019, p. 2331: MAE if highly skewed
    key = metric.lower()
    better = found_metrics[key] < found_metrics[key + "_lm"]
    indicators = [
        {"indicator": name, "construct": construct,
         "q2_predict": float(found_metrics["q2_predict"][i]),
         "rmse": float(found_metrics["rmse"][i]), "mae": float(found_metrics["mae"][i]),
         "rmse_lm": float(found_metrics["rmse_lm"][i]), "mae_lm": float(found_metrics["mae_lm"][i]),
         "rmse_ia": float(found_metrics["rmse_ia"][i]),
         "error_skewness": float(found_metrics["skewness"][i]),
         "pls_better_than_lm": bool(better[i])}
        for i, (name, construct) in enumerate(zip(found.indicators, found.constructs))]
    constructs = []
    names = list(dict.fromkeys(found.constructs))
    for construct in names:
        rows = np.array([c == construct for c in found.constructs])
        level, text = verdict(found_metrics["q2_predict"][rows], better[rows], metric)
        constructs.append({
            "construct": construct,
            "indicators": int(rows.sum()),
            "q2_predict_min": float(found_metrics["q2_predict"][rows].min()),
            "q2_predict_mean": float(found_metrics["q2_predict"][rows].mean()),
            "pls_better_than_lm": int(better[rows].sum()),
            "metric": metric, "verdict": level, "verdict_text": text})
    main = next(c for c in constructs if c["construct"] == target)
    return PredictResult(
        source=source, n_obs=int(round(frequency.sum())), settings=settings | {"metric": metric},
        indicators=indicators, constructs=constructs, target=target,
        verdict=main["verdict"], verdict_text=main["verdict_text"],
        cvpat=cvpat(found, frequency, seed), warnings=warnings)


def predict_items(items, spec, settings: PlsSettings | None = None, *, folds: int = 10,
                  repeats: int = 10, seed: int = 20261128, technique: str = "earliest",
                  source: str = "", labels: np.ndarray | None = None,
                  target: str | None = None) -> PredictResult:
    """PLSpredict and CVPAT of `spec` on a validated item matrix (csi.ingest.ItemData).
    folds >= n (or 0) means leave-one-out; `labels` (repeats, n) gives the folds instead."""
    from csi import estimators
    from csi.drivers.priorities import choose_target
    from csi.errors import ModelError
    from csi.pipeline import sample_of

    settings = settings or PlsSettings()
    if settings.estimator != "pls":
        raise ModelError("csi predict estimates PLS (composites); PLSpredict is defined for "
                         "PLS path models")
    spec.check_for(True)
    structure = Structure.from_spec(spec)
    if not any(preds.size for preds in structure.predecessors):
        raise ModelError(f"model {spec.name} has no structural paths: nothing to predict")
    sample = sample_of(items)
    n = sample.rows
    loo = labels is None and (folds == 0 or folds >= n)
    if labels is None:
        if folds < 2 and not loo:
            raise ModelError("--folds must be at least 2 (or 0 for leave-one-out)")
        labels = fold_assignment(n, n if loo else folds, repeats, seed)
    estimator = estimators.get("pls")
    stats = sample.moments()
    reference = estimator.point_fit(stats.cor, stats.n, structure, settings)
    found = predict(sample, structure, settings, labels, technique, estimator, reference)
    constructs = structure.constructs
    name, _ = choose_target(constructs, {c: spec.predecessors(c) for c in constructs},
                            spec.target, target)
    return summarize(found, sample.frequencies()[0], name, seed, source, {
        "folds": "loo" if loo else int(labels.max()) + 1,
        "repeats": int(labels.shape[0]), "seed": seed, "technique": technique,
        "scheme": settings.scheme, "tol": settings.tol, "max_iter": settings.max_iter,
        "lm_predictors": ("exogenous constructs' indicators" if technique == "earliest"
                          else "direct antecedents' indicators"),
        "cvpat_bootstrap": CVPAT_BOOTSTRAP})
