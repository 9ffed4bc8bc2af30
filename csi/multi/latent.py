"""Latent classes (`csi latent`): customers whose satisfaction drivers differ, found by
FIMIX-PLS (csi.multi.fimix) on the PLS construct scores, the number of classes chosen by a
bootstrap likelihood-ratio test, and each class re-estimated as a segment (as `--by`).

Steps:
1. One PLS fit of the whole survey gives the construct scores (standardized).
2. FIMIX for K = 1..max_classes from seeded random starts; per K the log-likelihood, the
   information criteria, EN and the class shares.
3. K is chosen by the bootstrap likelihood-ratio test of K - 1 against K classes (McLachlan
   1987, Applied Statistics 36, pp. 318-324), K = 2, 3, ... until a test is not significant:
   data sets are regenerated from the K - 1-class solution (each respondent's class drawn
   from its posterior, the exogenous scores kept, every equation's residual resampled from
   the solution's standardized residuals, whole rows, so their skew, discreteness and
   cross-equation dependence are kept) and refitted with K - 1 and K classes. Information
   criteria are reported beside it: on skewed 1-10 answers they find classes that are not
   there (issue 18), so they do not choose.
4. A solution whose classes' structural slopes do not differ (Wald test per equation,
   Bonferroni) is reported as "no actionable segments".
5. The chosen classes (modal assignment) are re-estimated as segments with the model's own
   index, paths, R², importances and priorities (csi.multi.segments).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from csi._version import __version__
from csi.estimators.base import PlsSettings
from csi.errors import DataError, ModelError
from csi.inference.bootstrap import DEFAULT_SEED, BootstrapSettings
from csi.ingest import MIN_ROWS, IngestOptions, ItemData, Survey
from csi.jsonio import dumps, number
from csi.model.spec import ModelSpec
from csi.multi import fimix
from csi.multi.segments import SegmentResults, fit_segments
from csi.pipeline import fit_items, sample_of
from csi.result import Result

SCHEMA = "csi.latent/1"
CLASS_COLUMN = "latent class"
CHUNK_CELLS = 4_000_000  # bootstrap data sets per EM batch: (sets x starts x n x J x K) cells
BATCH_SETS = 8  # at most this many regenerated data sets per batch (early stopping granularity)
BOOT_TOL = 1e-4  # EM on regenerated data: the LR statistic needs no more digits
BOOT_MAX_ITER = 1000


@dataclass(frozen=True)
class LatentSettings:
    """How FIMIX is run and K chosen."""

    max_classes: int = 5
    starts: int = 10
    lrt_bootstrap: int = 99
    seed: int = DEFAULT_SEED
    alpha: float = 0.05
    tol: float = fimix.TOL
    max_iter: int = fimix.MAX_ITER
    bootstrap_starts: int = 5  # EM starts per regenerated data set and K

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class LatentResult:
    """Everything `csi latent` found; `to_dict()` is the `csi.latent/1` document."""

    source: str
    model: ModelSpec
    settings: LatentSettings
    n_obs: float
    equations: list[dict]
    excluded: list[dict]
    criteria: pd.DataFrame  # one row per K
    lrt: list[dict]
    chosen_k: int
    rule: str
    criteria_choice: dict
    actionable: dict
    classes: list[dict]
    membership: pd.DataFrame  # row, class, probability (+ p_1..p_K)
    segments: SegmentResults | None = field(default=None, repr=False)
    explain: list[dict] = field(default_factory=list)
    warnings: tuple[str, ...] = ()
    whole: Result | None = field(default=None, repr=False)  # the whole survey's fit

    def to_dict(self) -> dict:
        fits = {} if self.segments is None else {f.name: f for f in self.segments.fits}
        skipped = {} if self.segments is None else {s.name: s for s in self.segments.skipped}
        classes = []
        for entry in self.classes:
            name = str(entry["class"])
            doc = dict(entry)
            doc["fit"] = (fits[name].to_dict(CLASS_COLUMN) if name in fits else None)
            doc["not_estimated"] = skipped[name].reason if name in skipped else None
            classes.append(doc)
        return {
            "schema": SCHEMA,
            "csi_version": __version__,
            "source": self.source,
            "model": self.model.name,
            "n_obs": number(self.n_obs),
            "settings": self.settings.to_dict(),
            "equations": self.equations,
            "excluded": self.excluded,
            "criteria": [{k: _plain(v) for k, v in row.items()}
                         for row in self.criteria.to_dict("records")],
            "lrt": self.lrt,
            "chosen_k": self.chosen_k,
            "rule": self.rule,
            "criteria_choice": self.criteria_choice,
            "actionable": self.actionable,
            "classes": classes,
            "membership": [{"row": int(r), "class": int(c), "probability": float(p)}
                           for r, c, p in zip(self.membership["row"],
                                              self.membership["class"],
                                              self.membership["probability"])],
            "explain": self.explain,
            "warnings": list(self.warnings),
        }

    def to_json(self) -> str:
        return dumps(self.to_dict())


def _plain(value):
    if isinstance(value, (list, tuple, np.ndarray)):
        return [number(v) for v in value]
    return number(value)


# --------------------------------------------------------------------------------------------
# the structural equations


def equations_of(spec: ModelSpec, items: ItemData) -> tuple[list[fimix.Equation], list[dict],
                                                            list[dict]]:
    """The structural equations in causal order, and the constructs left out of the
    likelihood: a single-item construct with two answers (complained: yes/no) cannot follow a
    normal regression within a class, so it is a predictor only."""
    constructs = list(spec.constructs)
    binary = set()
    for block in spec.blocks:
        if len(block.indicators) == 1:
            column = items.values[:, items.items.index(block.indicators[0])]
            if np.unique(column).size <= 2:
                binary.add(block.construct)
    pending = [c for c in constructs if spec.predecessors(c)]
    ordered, placed = [], {c for c in constructs if not spec.predecessors(c)}
    while pending:  # targets after their predictors (the structural model is recursive)
        ready = [c for c in pending if set(spec.predecessors(c)) <= placed]
        if not ready:
            raise ModelError("the structural model has a cycle; FIMIX needs a recursive model")
        ordered += ready
        placed |= set(ready)
        pending = [c for c in pending if c not in ready]
    equations, described, excluded = [], [], []
    for target in ordered:
        predictors = spec.predecessors(target)
        kept = target not in binary
        described.append({"target": target, "predictors": list(predictors),
                          "in_likelihood": kept})
        if kept:
            equations.append(fimix.Equation(constructs.index(target),
                                            tuple(constructs.index(p) for p in predictors)))
        else:
            excluded.append({"construct": target, "reason": (
                f"{spec.label(target)} is a single yes/no item: it cannot follow a normal "
                "regression within a class, so it takes part as a predictor only and its "
                "equation is left out of the mixture likelihood")})
    if not equations:
        raise ModelError("the model has no structural equation FIMIX can use")
    return equations, described, excluded


# --------------------------------------------------------------------------------------------
# the bootstrap likelihood-ratio test


def regenerate(scores: np.ndarray, frequency: np.ndarray, equations: list[fimix.Equation],
               null: fimix.Mixture, count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` data sets (count, n, C) drawn from the fitted K-class solution `null` (one
    problem): each respondent's class from its posterior, exogenous scores kept, each
    equation's value = the class's regression + the class's SD x a standardized residual,
    whole rows of residuals resampled (with the frequency weights) from the solution's own
    (each respondent in its modal class). McLachlan (1987), residual resampling."""
    n = scores.shape[0]
    x, y = fimix.design(scores, equations)  # (n, J, q), (n, J)
    coef = np.stack([np.pad(c[0], ((0, 0), (0, x.shape[-1] - c.shape[-1])))
                     for c in null.coef], axis=1)  # (K, J, q)
    sd = np.sqrt(null.variance[0])  # (K, J)
    posterior = null.posterior[0]
    modal = posterior.argmax(axis=1)
    standardized = (y - np.einsum("njq,njq->nj", x, coef[modal])) / sd[modal]  # (n, J)
    k = posterior.shape[1]
    cumulative = np.cumsum(posterior, axis=1)
    cumulative[:, -1] = 1.0
    classes = (rng.random((count, n, 1)) > cumulative[None]).sum(axis=2)  # (count, n)
    classes = np.minimum(classes, k - 1)
    rows = rng.choice(n, size=(count, n), p=frequency / frequency.sum())
    out = np.repeat(scores[None], count, axis=0)
    for j, eq in enumerate(equations):  # in causal order: predictors already regenerated
        design_j = np.concatenate([np.ones((count, n, 1)), out[..., list(eq.predictors)]],
                                  axis=2)
        beta = coef[classes, j, :1 + len(eq.predictors)]  # (count, n, q_j)
        out[..., eq.target] = ((design_j * beta).sum(axis=2)
                               + sd[classes, j] * standardized[rows, j])
    return out


def bootstrap_lrt(scores: np.ndarray, frequency: np.ndarray, equations: list[fimix.Equation],
                  null: fimix.Mixture, alternative: fimix.Mixture, k: int,
                  settings: LatentSettings, rng: np.random.Generator) -> dict:
    """p value of K - 1 (`null`) against K (`alternative`) classes: (1 + b) / (B + 1), b the
    regenerated data sets whose LR statistic is at least the observed one. The K - 1 classes
    are refitted from the parameters that generated the data plus one random start, the K
    classes from `bootstrap_starts` random starts. Data sets are
    fitted in batches (vectorised over sets and starts); once b reaches alpha (B + 1) - 1
    the test cannot become significant and stops (the decision is that of all B sets;
    Besag & Clifford 1991), p then being the estimate from the sets drawn."""
    observed = 2 * float(alternative.loglik[0] - null.loglik[0])
    total = settings.lrt_bootstrap
    n = scores.shape[0]
    per_set = settings.bootstrap_starts * n * len(equations) * k
    chunk = max(1, min(total, CHUNK_CELLS // per_set, BATCH_SETS))
    settled = settings.alpha * (total + 1)  # 1 + exceedances from here on: not significant
    exceed, used = 0, 0
    statistics = []
    while used < total and (used == 0 or 1 + exceed < settled):
        size = min(chunk, total - used)
        data = regenerate(scores, frequency, equations, null, size, rng)
        low = fimix.fit(data, frequency, equations, k - 1, 1, rng, BOOT_TOL, BOOT_MAX_ITER,
                        initial=null if k > 2 else None)
        high = fimix.fit(data, frequency, equations, k, settings.bootstrap_starts, rng,
                         BOOT_TOL, BOOT_MAX_ITER)
        draws = 2 * (np.maximum(high.loglik, low.loglik) - low.loglik)
        draws = np.where(np.isfinite(draws), draws, 0.0)
        statistics.append(draws)
        exceed += int((draws >= observed).sum())
        used += size
    p = (1 + exceed) / (used + 1)
    return {"k": k, "null_k": k - 1, "statistic": observed, "p": p, "resamples": used,
            "stopped_early": used < total, "significant": bool(used == total and
                                                               p < settings.alpha)}


# --------------------------------------------------------------------------------------------
# are the classes' structural paths different?


def slope_tests(scores: np.ndarray, frequency: np.ndarray, equations: list[fimix.Equation],
                mixture: fimix.Mixture, names: list[str], alpha: float) -> dict:
    """Wald test per equation that every class has the same slopes (intercepts and
    variances may differ), with the posterior-weighted least-squares covariance
    s2_k (X' W_k X)^-1 of each class's slopes (classification uncertainty ignored, so it is
    if anything liberal); Bonferroni over the equations."""
    from scipy import stats

    k = mixture.share.shape[1]
    weight = mixture.posterior[0] * frequency[:, None]
    tests = []
    for j, eq in enumerate(equations):
        x = np.column_stack([np.ones(scores.shape[0]), scores[:, list(eq.predictors)]])
        coef = mixture.coef[j][0]  # (K, q)
        cov = []
        for c in range(k):  # K is small: classes, not respondents
            cross = x.T @ (x * weight[:, c:c + 1])
            cov.append(mixture.variance[0, c, j] * np.linalg.inv(cross)[1:, 1:])
        p_j = len(eq.predictors)
        difference = (coef[1:, 1:] - coef[0, 1:]).ravel()
        sigma = np.kron(np.ones((k - 1, k - 1)), cov[0])
        for c in range(1, k):
            block = slice((c - 1) * p_j, c * p_j)
            sigma[block, block] += cov[c]
        statistic = float(difference @ np.linalg.solve(sigma, difference))
        df = (k - 1) * p_j
        p = float(stats.chi2.sf(statistic, df))
        tests.append({"target": names[eq.target], "statistic": statistic, "df": df, "p": p,
                      "p_adjusted": min(1.0, p * len(equations))})
    actionable = any(t["p_adjusted"] < alpha for t in tests)
    return {"actionable": actionable, "tests": tests}


# --------------------------------------------------------------------------------------------
# the analysis


def analyse(items: ItemData, spec: ModelSpec, survey: Survey, *,
            settings: PlsSettings | None = None, options: IngestOptions | None = None,
            latent: LatentSettings | None = None, bootstrap: BootstrapSettings | None = None,
            target: str | None = None, explain: tuple[str, ...] = (),
            executor=None) -> LatentResult:
    """FIMIX-PLS on `items` (the survey's prepared item matrix), K chosen by the bootstrap
    LRT, the chosen classes re-estimated as segments (with `bootstrap`, if any)."""
    settings = settings or PlsSettings()
    latent = latent or LatentSettings()
    if latent.max_classes < 1:
        raise DataError("--max-classes must be at least 1")
    whole = fit_items(items, spec, settings, source=survey.source)
    constructs = list(whole.model.constructs)
    scores = whole.scores[constructs].to_numpy()
    frequency = sample_of(items).frequencies()[0]
    n_obs = float(frequency.sum())
    equations, described, excluded = equations_of(spec, items)
    seeds = np.random.SeedSequence(latent.seed).spawn(2 * latent.max_classes + 1)

    fits: dict[int, fimix.Mixture] = {}
    rows = []
    for k in range(1, latent.max_classes + 1):
        if n_obs / k < 2 * max(e.parameters for e in equations):
            break  # too few respondents per class to estimate a class's regressions
        mixture = fimix.fit(scores, frequency, equations, k, latent.starts,
                            np.random.default_rng(seeds[k]), latent.tol, latent.max_iter)
        if not np.isfinite(mixture.loglik[0]):
            break  # every start lost a class: K is beyond what the data can support
        fits[k] = mixture
        q = fimix.n_parameters(equations, k)
        share = mixture.share[0]
        rows.append({"k": k, "loglik": float(mixture.loglik[0]), "n_parameters": q,
                     **fimix.criteria(float(mixture.loglik[0]), q, n_obs),
                     "EN": fimix.entropy(mixture.posterior[0], frequency),
                     "shares": share.tolist(), "sizes": (share * n_obs).tolist(),
                     "iterations": int(mixture.iterations[0]),
                     "converged": bool(mixture.converged[0])})
    criteria = pd.DataFrame(rows)

    lrt, chosen = [], 1
    for k in range(2, max(fits) + 1):
        test = bootstrap_lrt(scores, frequency, equations, fits[k - 1], fits[k], k, latent,
                             np.random.default_rng(seeds[latent.max_classes + k]))
        lrt.append(test)
        if not test["significant"]:
            break
        chosen = k
    rule = _rule(lrt, chosen, latent)
    choice = _criteria_choice(criteria)
    mixture = fits[chosen]
    actionable = ({"actionable": False, "tests": [],
                   "verdict": "one class: no segments whose drivers differ"}
                  if chosen == 1 else slope_tests(scores, frequency, equations, mixture,
                                                  constructs, latent.alpha))
    if chosen > 1:
        actionable["verdict"] = (
            "the classes' structural paths differ: actionable segments" if actionable["actionable"]
            else "no actionable segments: the classes do not differ significantly in their "
                 "structural paths")
    posterior = mixture.posterior[0]
    modal = posterior.argmax(axis=1)
    file_rows = (items.rows if items.rows is not None else np.arange(items.rows_used)) + 1
    membership = pd.DataFrame({"row": file_rows, "class": modal + 1,
                               "probability": posterior[np.arange(len(modal)), modal]})
    for c in range(posterior.shape[1]):
        membership[f"p_{c + 1}"] = posterior[:, c]

    segments = _refit_classes(survey, items, spec, membership, settings, options, bootstrap,
                              target, executor)
    classes = _classes(mixture, equations, constructs, frequency, modal, scores, n_obs)
    warnings = []
    if excluded:
        warnings += [e["reason"] for e in excluded]
    if not all(r["converged"] for r in rows):
        warnings.append("EM did not converge within --max-iter for some K; its criteria are "
                        "those of the last iteration")
    found = (_explain(survey, membership, explain) if explain else [])
    return LatentResult(
        source=survey.source, model=spec, settings=latent, n_obs=n_obs, equations=described,
        excluded=excluded, criteria=criteria, lrt=lrt, chosen_k=chosen, rule=rule,
        criteria_choice=choice, actionable=actionable, classes=classes,
        membership=membership, segments=segments, explain=found, warnings=tuple(warnings),
        whole=whole)


def _rule(lrt: list[dict], chosen: int, latent: LatentSettings) -> str:
    tests = "; ".join(f"{t['k']} vs {t['null_k']} classes p = {t['p']:.3f}" for t in lrt)
    head = (f"bootstrap likelihood-ratio test (McLachlan 1987; {latent.lrt_bootstrap} "
            f"regenerated data sets, alpha {latent.alpha:g})")
    if not lrt:
        return f"{head}: only one class could be estimated"
    return f"{head}: {tests} -> {chosen} class{'es' if chosen != 1 else ''}"


def _criteria_choice(criteria: pd.DataFrame) -> dict:
    """What each information criterion alone would choose, and the Hair et al. (2016)
    heuristic (AIC3 and CAIC agreeing, else BIC), shown beside the test."""
    best = {name: int(criteria.loc[criteria[name].idxmin(), "k"])
            for name in ("AIC", "AIC3", "AIC4", "BIC", "CAIC", "HQ", "MDL5")}
    heuristic = best["AIC3"] if best["AIC3"] == best["CAIC"] else best["BIC"]
    return best | {"AIC3_CAIC_else_BIC": heuristic}


def _classes(mixture: fimix.Mixture, equations: list[fimix.Equation], constructs: list[str],
             frequency: np.ndarray, modal: np.ndarray, scores: np.ndarray,
             n_obs: float) -> list[dict]:
    """Per class: share, expected size, modal count and FIMIX's own regressions (on the
    standardized scores) with each equation's R² within the class."""
    out = []
    weight = mixture.posterior[0] * frequency[:, None]
    for c in range(mixture.share.shape[1]):
        paths, equations_out = [], []
        for j, eq in enumerate(equations):
            coef = mixture.coef[j][0, c]
            y = scores[:, eq.target]
            w = weight[:, c]
            mean = (w * y).sum() / w.sum()
            total = (w * (y - mean) ** 2).sum() / w.sum()
            variance = float(mixture.variance[0, c, j])
            equations_out.append({"target": constructs[eq.target], "intercept": float(coef[0]),
                                  "variance": variance,
                                  "r2": float(1 - variance / total) if total > 0 else None})
            paths += [{"from": constructs[p], "to": constructs[eq.target],
                       "estimate": float(b)} for p, b in zip(eq.predictors, coef[1:])]
        out.append({"class": c + 1, "share": float(mixture.share[0, c]),
                    "size": float(mixture.share[0, c] * n_obs),
                    "n_modal": float(frequency[modal == c].sum()),
                    "fimix": {"paths": paths, "equations": equations_out}})
    return out


def _refit_classes(survey: Survey, items: ItemData, spec: ModelSpec, membership: pd.DataFrame,
                   settings: PlsSettings, options: IngestOptions | None,
                   bootstrap: BootstrapSettings | None, target: str | None,
                   executor) -> SegmentResults:
    """Each class (modal assignment) fitted as a segment of the survey, as `--by` does."""
    column = pd.Series(pd.NA, index=range(survey.rows_read), dtype=object)
    column.iloc[membership["row"].to_numpy() - 1] = membership["class"].astype(str).to_numpy()
    frame = survey.frame.copy()
    frame[CLASS_COLUMN] = column.to_numpy()
    labelled = dataclasses.replace(survey, frame=frame)
    return fit_segments(labelled, spec, CLASS_COLUMN, settings=settings, options=options,
                        bootstrap=bootstrap, min_n=MIN_ROWS, target=target, executor=executor,
                        items=items)


# --------------------------------------------------------------------------------------------
# which observed variables predict class membership


def _explain(survey: Survey, membership: pd.DataFrame, columns: tuple[str, ...]) -> list[dict]:
    """Cross-tab of the modal class against each column, with Pearson's chi-square test and
    Cramér's V (numeric columns with more than 10 values are cut at their quartiles)."""
    from scipy import stats

    out = []
    frame = survey.frame
    for column in columns:
        if column not in frame.columns:
            raise DataError(f"--explain '{column}' is not a column of {survey.source}")
        values = frame[column].iloc[membership["row"].to_numpy() - 1].reset_index(drop=True)
        numeric = pd.to_numeric(values, errors="coerce")
        if numeric.notna().all() and numeric.nunique() > 10:
            values = pd.qcut(numeric, 4, duplicates="drop").astype(str)
        else:
            values = values.astype(object).where(values.notna(), None)
        kept = values.notna().to_numpy()
        table = pd.crosstab(values[kept].astype(str),
                            membership["class"].to_numpy()[kept]).sort_index()
        entry = {"column": column, "test": "chi-square", "n": int(kept.sum()),
                 "table": [{"value": value, **{str(c): int(v) for c, v in row.items()}}
                           for value, row in table.iterrows()]}
        if table.shape[0] >= 2 and table.shape[1] >= 2:
            chi2, p, df, expected = stats.chi2_contingency(table.to_numpy(), correction=False)
            v = math.sqrt(chi2 / (table.to_numpy().sum() * (min(table.shape) - 1)))
            entry |= {"statistic": float(chi2), "df": int(df), "p": float(p), "cramers_v": v,
                      "sparse": bool((expected < 5).mean() > 0.2)}
        else:
            entry |= {"statistic": None, "df": 0, "p": None, "cramers_v": None, "sparse": False}
        out.append(entry)
    return out


__all__ = ["CLASS_COLUMN", "SCHEMA", "LatentResult", "LatentSettings", "analyse",
           "bootstrap_lrt", "equations_of", "regenerate", "slope_tests"]
