"""Two-group comparison: did satisfaction (a path, a driver's importance) really change?

    compare(a, b, model)            two survey files (e.g. two waves)
    compare_by(survey, model, by)   one survey whose column `by` has exactly two levels

Every construct's index, every structural path and the importance of every driver of the
target construct are compared as the difference b - a (a is the baseline: the first file,
or the first level in natural order), each with

- a permutation-test p value (Chin & Dibbern 2010, "An introduction to a permutation based
  procedure for multi-group PLS analysis", in Esposito Vinzi et al. (eds.), Handbook of
  Partial Least Squares, pp. 171-193): the group labels are permuted across the pooled
  respondents, both groups refitted, and p = (1 + #{|d*| >= |d|}) / (1 + R) over the R
  permutations that could be estimated (the +1 counts the observed split, which keeps the
  test exact: Phipson & Smyth 2010). Under the null hypothesis that both groups come from one
  population the labels are exchangeable, so the test has its nominal size whatever the
  distribution of the data;
- a bootstrap confidence interval of the difference: each group is resampled on its own
  (independent streams), and resample r of b minus resample r of a gives one draw of the
  difference (percentile interval);
- a plain verdict: "Customer Satisfaction rose 2.1 points (72.4 -> 74.5), 95% CI 0.4-3.8,
  p = 0.02".

Permutations are vectorised like the bootstrap: PLS needs only the item moments, and a
permutation is a 0/1 membership vector m over the pooled respondents, so group a's moments
are m-weighted sums and group b's (1 - m)-weighted ones. A chunk of permutations is one
(2 x chunk, n) membership matrix whose product with the respondents' cross-products gives
every group's moments (csi.sample.batch_moments), and the batched estimator runs on
the stacked moment matrices. Each chunk has its own seed spawned from the run's, so p values
do not depend on the workers.

Seeds: with run seed S, group g's bootstrap uses csi.segments.segment_seed(S, name of g)
(so a group's fit equals its segment's fit in `csi fit --by`), and the permutations use
SeedSequence(S, spawn_key=(0,)), spawned once more per chunk.

The p values are per estimate and not adjusted for the number of estimates compared.
Comparing paths across groups presumes the constructs are measured alike in both
(measurement invariance; Henseler, Ringle & Sarstedt 2016, MICOM).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from csi._version import __version__
from csi.inference.bootstrap import (DEFAULT_SEED, BootstrapSettings, Problem, chunk_size, estimate_batch)
from csi.errors import DataError, EstimationError
from csi.model.structure import Layout
from csi.ingest import IngestOptions, ItemData, Survey, item_matrix, read_survey
from csi import estimators
from csi.estimators.base import PlsSettings
from csi.model.structure import Structure
from csi.pipeline import sample_of
from csi.sample import pooled
from csi.drivers.priorities import choose_target, ipma
from csi.result import Result
from csi.scale_out import Executor, LocalExecutor
from csi.multi.segments import (FitContext, SharedScale, fit_group, segment_items, segment_seed, split)
from csi.model.spec import ModelSpec, load_model
from csi.jsonio import dumps, records

SCHEMA = "csi.compare/1"
DEFAULT_PERMUTATIONS = 999  # with the observed split, 1000 equally likely: p <= 0.05 exactly 5%
FAMILIES = ("index", "path", "importance")
DIGITS = {"index": 1, "path": 2, "importance": 2}


# --------------------------------------------------------------------------------------------
# what is compared


@dataclass(frozen=True)
class Metrics:
    """The compared estimates, in order: every construct's index, every path, the importance
    of every driver of the target; and how to read them from a batch of estimate families."""

    layout: Layout
    target: int  # construct index of the target
    drivers: np.ndarray  # construct indices of the target's drivers

    @classmethod
    def for_model(cls, spec: ModelSpec, target: str | None = None) -> Metrics:
        structure = Structure.from_spec(spec)
        layout = Layout.from_spec(spec, structure)
        constructs = structure.constructs
        name, _ = choose_target(constructs, {c: spec.predecessors(c) for c in constructs},
                                spec.target, target)
        t = constructs.index(name)
        drivers = np.array(sorted({a for a, b in layout.effects if b == t}), dtype=int)
        return cls(layout, t, drivers)

    @property
    def target_name(self) -> str:
        return self.layout.structure.constructs[self.target]

    def table(self) -> pd.DataFrame:
        """family, construct (index) or from/to (path, importance) of each metric."""
        constructs = self.layout.structure.constructs
        rows = [{"family": "index", "construct": c, "from": None, "to": None}
                for c in constructs]
        rows += [{"family": "path", "construct": None, "from": a, "to": b}
                 for a, b in self.layout.names("paths")]
        rows += [{"family": "importance", "construct": None, "from": constructs[d],
                  "to": constructs[self.target]} for d in self.drivers]
        return pd.DataFrame(rows, columns=["family", "construct", "from", "to"])

    def extract(self, families: dict[str, np.ndarray]) -> np.ndarray:
        """(b, M) metrics from a batch of estimate families {family: (b, m)}."""
        k_count = len(self.layout.structure.constructs)
        total = np.zeros((families["total_effects"].shape[0], k_count, k_count))
        for column, (a, b) in enumerate(self.layout.effects):
            total[:, a, b] = families["total_effects"][:, column]
        importance = ipma(total, families["score_sd"], families["index"],
                          families["item_weights"], families["item_performance"], self.drivers,
                          self.target, self.layout.structure.block_of)["importance"]
        return np.concatenate([families["index"], families["paths"], importance], axis=1)


# --------------------------------------------------------------------------------------------
# the permutation test


@dataclass(frozen=True)
class PermutationTest:
    """Permutation p values of the differences b - a (Chin & Dibbern 2010)."""

    observed: np.ndarray  # (M,) b - a on the observed split, as the permutations compute it
    p: np.ndarray  # (M,)
    n_requested: int
    n_used: int  # permutations in which both groups could be estimated
    exceed: np.ndarray  # (M,) permutations with |d*| >= |d|

    @property
    def n_failed(self) -> int:
        return self.n_requested - self.n_used


def permutation_chunk(context: tuple, job: tuple) -> tuple[np.ndarray, int]:
    """Differences b - a for one chunk of permutations: job = (size, SeedSequence).

    Each permutation draws which n_a of the pooled respondents form group a (the rest form
    b); the 2 x size membership rows go through the bootstrap's batched estimator. Returns
    the (used, M) differences and the number of permutations that could not be estimated.
    """
    problem, n_a, sign_change, metrics = context
    size, seed = job
    n = problem.sample.rows
    rng = np.random.default_rng(seed)
    base = np.zeros((size, n))
    base[:, :n_a] = 1.0
    membership = rng.permuted(base, axis=1)
    values = _group_metrics(problem, problem.sample.within(
        np.concatenate([membership, 1.0 - membership])), sign_change, metrics)
    difference = values[size:] - values[:size]
    ok = ~np.isnan(difference).any(axis=1)
    return difference[ok], int((~ok).sum())


def _group_metrics(problem: Problem, frequency: np.ndarray, sign_change: str,
                   metrics: Metrics) -> np.ndarray:
    vectors, failed, _ = estimate_batch(problem, frequency, sign_change)
    values = np.full((frequency.shape[0], len(metrics.table())), np.nan)
    ok = np.flatnonzero(~failed)
    if ok.size:
        values[ok] = metrics.extract({family: v[ok] for family, v in vectors.items()})
    return values


def permutation_test(items_a: ItemData, items_b: ItemData, spec: ModelSpec,
                     settings: PlsSettings | None = None, *,
                     permutations: int = DEFAULT_PERMUTATIONS,
                     seed: int | np.random.SeedSequence = DEFAULT_SEED,
                     sign_change: str = "construct", target: str | None = None,
                     executor: Executor | None = None,
                     metrics: Metrics | None = None,
                     observed: np.ndarray | None = None) -> PermutationTest:
    """Permutation p values for every compared estimate (see the module doc).

    Both groups' item matrices must share the scale. Respondents are permuted with their
    weights, and each permuted group's statistic is weighted as the groups' fits are.
    `observed`, the differences the comparison reports (from the groups' fits: under
    --missing em those use EM's moments), is what the permuted differences are measured
    against; without it, the observed split's differences. Resamples are aligned in sign
    with the pooled fit (as bootstrap resamples are with the fit), so a construct's arbitrary
    sign never counts as a difference.
    """
    if permutations < 1:
        raise ValueError("permutations must be at least 1")
    settings = settings or PlsSettings()
    metrics = metrics or Metrics.for_model(spec, target)
    problem = pooled_problem(items_a, items_b, metrics.layout, settings)
    n_a, n = items_a.rows_used, problem.sample.rows
    observed_split = np.zeros((2, n))
    observed_split[0, :n_a] = 1.0
    observed_split[1, n_a:] = 1.0
    split = _group_metrics(problem, problem.sample.within(observed_split), sign_change,
                           metrics)
    if np.isnan(split).any():
        raise EstimationError("a group could not be estimated for the permutation test")
    observed = split[1] - split[0] if observed is None else np.asarray(observed, float)

    step = max(1, chunk_size(n) // 2)
    sizes = [min(step, permutations - start) for start in range(0, permutations, step)]
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    jobs = list(zip(sizes, root.spawn(len(sizes))))
    executor = executor or LocalExecutor(1)
    outcomes = executor.map(permutation_chunk, jobs,
                            shared=(problem, n_a, sign_change, metrics))
    differences = np.concatenate([d for d, _ in outcomes])
    # a permuted difference "reaches" the observed one when |d*| >= |d|, with a relative
    # tolerance so the observed split itself (and exact ties) count despite rounding
    reach = np.abs(differences) >= np.abs(observed) * (1 - 1e-9) - 1e-12
    exceed = reach.sum(axis=0)
    used = differences.shape[0]
    p = (1 + exceed) / (1 + used)
    return PermutationTest(observed=observed, p=p, n_requested=permutations, n_used=used,
                           exceed=exceed)


def pooled_problem(items_a: ItemData, items_b: ItemData, layout: Layout,
                   settings: PlsSettings) -> Problem:
    """The pooled respondents as a bootstrap Problem, signs referenced to the pooled fit."""
    if (items_a.scale.low, items_a.scale.high) != (items_b.scale.low, items_b.scale.high):
        raise DataError("the two groups use different answer scales; prepare both with the "
                        "same --scale (csi.segments.SharedScale)")
    sample = pooled(sample_of(items_a), sample_of(items_b))
    stats = sample.moments()
    estimator = estimators.get(settings.estimator)
    settings = estimator.prepare(settings)
    point = estimator.point_fit((stats.cor if settings.standardize else stats.cov),
                                stats.n, layout.structure, settings)
    return Problem(sample=sample, layout=layout, pls=settings,
                   low=items_a.scale.low, high=items_a.scale.high, reference=point)


# --------------------------------------------------------------------------------------------
# the comparison


@dataclass(frozen=True)
class Group:
    """One side of a comparison: its name, fit and bootstrap seed."""

    name: str
    source: str
    seed: int | None
    result: Result

    def to_dict(self, role: str) -> dict:
        return {"role": role, "name": self.name, "source": self.source,
                "n_obs": self.result.n_obs, "seed": self.seed}


@dataclass(frozen=True)
class Comparison:
    """Differences b - a with permutation p values, bootstrap CIs and verdicts."""

    a: Group
    b: Group
    by: str | None
    target: str
    level: float
    permutation: PermutationTest
    differences: pd.DataFrame  # family, construct, from, to, a, b, difference, se, ci_low,
    # ci_high, p, significant, verdict
    seed: int
    bootstrap_pairs: int  # resample pairs behind the CIs (0 without a bootstrap)
    warnings: tuple[str, ...] = ()
    micom: object = None  # csi.multi.micom.Micom: measurement invariance of the composites

    @property
    def alpha(self) -> float:
        return 1 - self.level

    def to_dict(self) -> dict:
        """The `csi.compare/1` document."""
        return {
            "schema": SCHEMA,
            "csi_version": __version__,
            "by": self.by,
            "direction": "b - a",
            "groups": [self.a.to_dict("a"), self.b.to_dict("b")],
            "target": self.target,
            "settings": {
                "test": "permutation (Chin & Dibbern 2010), two-sided, "
                        "p = (1 + #{|d*| >= |d|}) / (1 + permutations used)",
                "permutations": self.permutation.n_requested,
                "level": self.level,
                "ci": "percentile bootstrap of the difference, groups resampled independently",
                "seed": self.seed,
            },
            "permutation": {"n_requested": self.permutation.n_requested,
                            "n_used": self.permutation.n_used,
                            "n_failed": self.permutation.n_failed},
            "bootstrap_pairs": self.bootstrap_pairs,
            "differences": records(self.differences),
            "fits": [self.a.result.to_dict(), self.b.result.to_dict()],
            **({"micom": self.micom.to_dict()} if self.micom is not None else {}),
            "warnings": list(self.warnings),
            "diagnostics": [d.to_dict() | {"subject": f"{group.name}: {d.subject}"
                                           if d.subject else group.name}
                            for group in (self.a, self.b) for d in group.result.diagnostics],
        }

    def to_json(self) -> str:
        return dumps(self.to_dict())


def compare(a: Survey | str | Path, b: Survey | str | Path, model: ModelSpec | str = "acsi",
            *, options: IngestOptions | None = None, names: tuple[str, str] | None = None,
            items: tuple[ItemData, ItemData] | None = None, **kwargs) -> Comparison:
    """Compare two surveys (a is the baseline; e.g. two waves). `items` may pass both
    surveys' item matrices prepared with `options`. Keyword arguments as compare_items."""
    options = options or IngestOptions()
    spec = model if isinstance(model, ModelSpec) else load_model(str(model))
    surveys = [s if isinstance(s, Survey) else read_survey(s, options)
               for s in (a, b)]
    prepared = (list(items) if items is not None else
                [item_matrix(s, spec, options=options) for s in surveys])
    shared = SharedScale.of(prepared, options, where="both surveys", unit="group")
    if shared.from_data:
        prepared = [item_matrix(s, spec, options=shared.options) for s in surveys]
    names = names or group_names([s.source for s in surveys])
    return compare_items(prepared[0], prepared[1], spec, names=names,
                         sources=(surveys[0].source, surveys[1].source), shared=shared,
                         **kwargs)


def compare_by(survey: Survey | str | Path, model: ModelSpec | str, by: str, *,
               options: IngestOptions | None = None, items: ItemData | None = None,
               **kwargs) -> Comparison:
    """Compare the two levels of column `by` (the first in natural order is the baseline).
    `items` may pass the whole survey's prepared item matrix."""
    options = options or IngestOptions()
    spec = model if isinstance(model, ModelSpec) else load_model(str(model))
    survey = survey if isinstance(survey, Survey) else read_survey(survey, options)
    groups, _ = split(survey, by)
    if len(groups) != 2:
        listed = ", ".join(list(groups)[:6]) + (", ..." if len(groups) > 6 else "")
        raise DataError(
            f"--by {by} has {len(groups)} level{'s' if len(groups) != 1 else ''}"
            f"{' (' + listed + ')' if groups else ''}; csi compare needs exactly two: filter "
            "the file, or fit every level with `csi fit --by`"
        )
    full = items if items is not None else item_matrix(survey, spec, options=options)
    shared = SharedScale.of([full], options, unit="group")
    names = tuple(groups)
    prepared = [segment_items(survey, rows, by, name, spec, shared.options)
                for name, rows in groups.items()]
    return compare_items(prepared[0], prepared[1], spec, names=names,
                         sources=(survey.source, survey.source), shared=shared, by=by,
                         **kwargs)


def compare_items(items_a: ItemData, items_b: ItemData, spec: ModelSpec, *,
                  names: tuple[str, str] = ("a", "b"), sources: tuple[str, str] = ("a", "b"),
                  settings: PlsSettings | None = None,
                  bootstrap: BootstrapSettings | None = None,
                  permutations: int = DEFAULT_PERMUTATIONS, target: str | None = None,
                  executor: Executor | None = None, shared: SharedScale | None = None,
                  by: str | None = None,
                  progress: Callable[[int], None] | None = None) -> Comparison:
    """Compare two prepared item matrices on one scale (a is the baseline).

    `bootstrap` settings give each group's fit its inference and the differences their
    CIs (its seed is the run seed; without it the run seed is csi's default and there are no
    CIs). `progress(1)` is called as each group's fit finishes and once after the
    permutations. `executor` (csi.scale_out) runs the group fits and permutation chunks.
    """
    settings = settings or PlsSettings()
    executor = executor or LocalExecutor(1)
    run_seed = bootstrap.seed if bootstrap is not None else DEFAULT_SEED
    level = bootstrap.level if bootstrap is not None else 0.95
    sign_change = bootstrap.sign_change if bootstrap is not None else "construct"
    metrics = Metrics.for_model(spec, target)
    with_draws = bootstrap is not None and bootstrap.resamples > 0
    seeds = [segment_seed(run_seed, name) if with_draws else None for name in names]

    context = FitContext(spec, settings, bootstrap, target, None, keep_draws=True)
    jobs = [(names[i], seeds[i] or 0, items, sources[i])
            for i, items in enumerate((items_a, items_b))]
    outcomes = executor.map(fit_group, jobs, shared=context, on_done=(
        None if progress is None else lambda _: progress(1)))
    for name, outcome in zip(names, outcomes):
        if isinstance(outcome, str):
            raise EstimationError(f"group {name}: {outcome}")
    results = [shared.restore(r) if shared is not None else r for r in outcomes]

    point = [metrics.extract({k: v[None] for k, v in r.point_vectors.items()})[0]
             for r in results]
    test = permutation_test(items_a, items_b, spec, settings, permutations=permutations,
                            seed=np.random.SeedSequence(run_seed, spawn_key=(0,)),
                            sign_change=sign_change, executor=executor, metrics=metrics,
                            observed=point[1] - point[0])
    if progress is not None:
        progress(1)

    table = metrics.table()
    table["a"], table["b"] = point[0], point[1]
    table["difference"] = point[1] - point[0]
    pairs = 0
    if with_draws and all(r.draws is not None for r in results):  # none below 200 resamples
        draws = [metrics.extract(r.draws.values) for r in results]
        pairs = min(d.shape[0] for d in draws)
        delta = draws[1][:pairs] - draws[0][:pairs]
        table["se"] = delta.std(axis=0, ddof=1) if pairs > 1 else np.nan
        table["ci_low"] = np.quantile(delta, (1 - level) / 2, axis=0) if pairs else np.nan
        table["ci_high"] = np.quantile(delta, 1 - (1 - level) / 2, axis=0) if pairs else np.nan
    else:
        table["se"] = table["ci_low"] = table["ci_high"] = np.nan
    table["p"] = test.p
    table["significant"] = test.p <= 1 - level
    constructs = {c: spec.label(c) for c in spec.constructs}
    table["verdict"] = [verdict(row, constructs.get, level) for row in table.to_dict("records")]

    warnings = [f"p values are per estimate, not adjusted for the {len(table)} estimates "
                "compared"]
    if test.n_failed:
        warnings.append(f"{test.n_failed} of {test.n_requested} permutations could not be "
                        f"estimated; p values use the {test.n_used} that could")
    if pairs and pairs < bootstrap.resamples:
        warnings.append(f"the CIs of the differences use {pairs} resample pairs (failed "
                        "resamples were dropped)")
    invariance = None
    if settings.estimator == "pls":  # MICOM is defined for composites (csi.multi.micom)
        from csi.multi.micom import micom

        invariance = micom(pooled(sample_of(items_a), sample_of(items_b)), items_a.rows_used,
                           metrics.layout.structure, settings, permutations=permutations,
                           seed=np.random.SeedSequence(run_seed, spawn_key=(1,)), level=level)
        warnings += [f"{spec.label(row['construct'])} lacks compositional invariance (MICOM "
                     f"c = {row['c']:.4f} below its permutation 5% quantile "
                     f"{row['c_quantile_5']:.4f}): its index and path differences are not "
                     "interpretable" for row in invariance.constructs
                     if not row["compositional_invariance"]]
    groups = [Group(names[i], sources[i], seeds[i], results[i]) for i in range(2)]
    return Comparison(a=groups[0], b=groups[1], by=by, target=metrics.target_name, level=level,
                      permutation=test, differences=table, seed=run_seed,
                      bootstrap_pairs=pairs, warnings=tuple(warnings), micom=invariance)


def group_names(sources: list[str]) -> tuple[str, str]:
    """Display names of two files: their names, or the full paths (or a/b) if those tie."""
    short = [Path(s).name if s != "<stdin>" else s for s in sources]
    if short[0] != short[1]:
        return short[0], short[1]
    if sources[0] != sources[1]:
        return sources[0], sources[1]
    return f"{sources[0]} (a)", f"{sources[1]} (b)"


# --------------------------------------------------------------------------------------------
# verdicts


def format_p(p: float) -> str:
    """Two significant digits (p = 0.02, p = 0.046, p = 0.6), or p < 0.001."""
    if p is None or math.isnan(p):
        return "p = n/a"
    if p < 0.001:
        return "p < 0.001"
    return f"p = {float(f'{p:.2g}')}"


def _fixed(value: float, digits: int) -> str:
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text  # no "-0.00"


def format_interval(low: float, high: float, digits: int) -> str:
    """0.4–3.8, or -1.2 to 0.6 when a bound is negative (a dash would read as a minus)."""
    lo, hi = _fixed(low, digits), _fixed(high, digits)
    return f"{lo} to {hi}" if lo.startswith("-") or hi.startswith("-") else f"{lo}–{hi}"


def verdict(row: dict, label: Callable[[str], str | None], level: float) -> str:
    """One sentence for one compared estimate (row of Comparison.differences)."""
    family, digits = row["family"], DIGITS[row["family"]]

    def name(construct: str) -> str:
        return label(construct) or construct

    if family == "index":
        subject, unit = name(row["construct"]), " points"
    elif family == "path":
        subject, unit = f"The path {name(row['from'])} → {name(row['to'])}", ""
    else:
        subject = f"The importance of {name(row['from'])} for {name(row['to'])}"
        unit = " points per point"
    change = row["difference"]
    size = f"{abs(change):.{digits}f}"
    values = f"({_fixed(row['a'], digits)} → {_fixed(row['b'], digits)})"
    if float(size) == 0:
        text = f"{subject} was unchanged {values}"
    else:
        text = f"{subject} {'rose' if change > 0 else 'fell'} {size}{unit} {values}"
    if not math.isnan(row.get("ci_low", math.nan)):
        text += (f", {level:.0%} CI {format_interval(row['ci_low'], row['ci_high'], digits)}")
    text += f", {format_p(row['p'])}"
    if not row["significant"]:
        text += f": not a significant change at the {1 - level:.0%} level"
    return text



__all__ = ["DEFAULT_PERMUTATIONS", "SCHEMA", "Comparison", "Group", "Metrics",
           "PermutationTest", "compare", "compare_by", "compare_items", "format_interval",
           "format_p", "group_names", "permutation_chunk", "permutation_test", "pooled_problem",
           "verdict"]
