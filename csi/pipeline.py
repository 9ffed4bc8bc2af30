"""Fit a model to a survey: ingest -> spec -> estimator -> inference -> drivers -> Result.

Orchestration only: each step is owned by its own module. This is the library entry point a
notebook calls (`csi.fit`); the CLI does the I/O around it.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from csi import diagnostics as checks
from csi import estimators
from csi.diagnostics import Diagnostic
from csi.drivers.advice import advise
from csi.drivers.priorities import Priorities, analyse, choose_target, priority_model
from csi.errors import EstimationError, ModelError
from csi.estimators.base import EstimatorFit, PlsEstimates, PlsSettings
from csi.estimators.reported import estimate_vectors
from csi.inference import bootstrap as boot
from csi.inference.analytic import with_analytic_errors
from csi.inference.intervals import summarize
from csi.ingest import IngestOptions, ItemData, Survey, item_matrix
from csi.ingest.partitions import read_source, used_starts
from csi.measures.index import rescale_0_100, unstandardized_weights
from csi.measures.reliability import fornell_larcker, htmt, reliability, structural_vif
from csi.model.spec import ModelSpec, load_model
from csi.model.structure import Layout, Structure, compiled
from csi.result import ModelInfo, Result, family_tables
from csi.sample import Moments, Sample
from csi.tables import Table

if TYPE_CHECKING:  # a fit to JSON never loads pandas (issue 15); a DataFrame source has
    import pandas as pd  # loaded it already

    from csi.drivers.nonlinear import NonlinearModel, NonlinearSettings

VARIANTS = ("linear", "nonlinear")


def fit(
    source: Survey | str | Path | pd.DataFrame,
    model: ModelSpec | str = "acsi",
    *,
    scale: tuple[float, float] | None = None,
    weights: str | None = None,
    missing: str = "listwise",
    na: Sequence[float | str] | None = None,
    reverse: Sequence[str] | None = None,
    column_map: str | Path | Mapping[str, str] | None = None,
    bootstrap: int | boot.BootstrapSettings = 5000,
    seed: int = boot.DEFAULT_SEED,
    estimator: str = "pls",
    variant: str = "linear",
    target: str | None = None,
    priorities_from: str | None = None,
    settings: PlsSettings | None = None,
    nonlinear: NonlinearSettings | None = None,
    options: IngestOptions | None = None,
    progress: Callable[[int], None] | None = None,
    necessity: int | None = None,
    fit_test: bool = False,
    interaction: str = "two-stage",
) -> Result:
    """Estimate `model` (a ModelSpec, built-in name or model file) on `source` (a survey file
    or a pandas DataFrame), with the CLI's defaults.

    Survey options as in `csi fit`: `scale` (MIN, MAX) of the answers, `weights` (a column of
    frequency weights), `missing` (listwise, mean or em), `na` (codes that mean no answer),
    `reverse` (reverse-worded items), `column_map` (item -> column), or a whole `options`.
    `bootstrap` resamples (0: point estimates only) or BootstrapSettings, seeded by `seed`.
    `estimator` pls, plsc or cbsem (or `settings` for scheme, tol, ...); `variant` linear or
    nonlinear (or `nonlinear` settings: knot, ...); `target` is the construct whose drivers
    are ranked; `priorities_from` ("linear" or "nonlinear") forces the model the priorities
    use under the non-linear variant, which by default is the one its cross-validated
    comparison prefers; `necessity` adds NCA of its drivers with that many permutations (as
    `--necessity`);
    `fit_test` adds the Bollen-Stine bootstrap of the model fit (PLS, PLSc: HI95, HI99, p),
    which costs two more bootstraps (as `--fit-test`);
    `interaction` how the model's interaction terms (`Y ~ X:M`) are estimated: two-stage,
    orthogonal or product-indicator (as `--interaction`, csi.estimators.interaction).
    """
    settings = settings or PlsSettings(estimator=estimator)
    entry = estimators.entry(settings.estimator)
    spec = (model if isinstance(model, ModelSpec)
            else load_model(str(model), composite=entry.composite))
    if options is None:
        options = IngestOptions(
            scale=scale, weights=weights, missing=missing,
            na_codes=tuple(na or ()), reverse=tuple(reverse or ()), column_map=column_map)
    summed = summed_survey(source, spec, options, scale, bootstrap, variant, nonlinear,
                           necessity, fit_test)
    if summed is None:
        survey, starts = _survey(source, options)
        items = item_matrix(survey, spec, scale, options)
        name = survey.source
        del survey  # the item matrix is all the fit reads: the raw columns go now
    else:  # a survey in partitions on a cluster: only sums came back (csi.partition_sums)
        items, starts, name = summed.items, None, str(source)
    if isinstance(bootstrap, int):
        bootstrap = boot.BootstrapSettings(resamples=bootstrap, seed=seed)
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant '{variant}' ({', '.join(VARIANTS)})")
    if nonlinear is None and variant == "nonlinear":
        from csi.drivers.nonlinear import NonlinearSettings

        nonlinear = NonlinearSettings()
    if priorities_from is not None:
        if nonlinear is None:
            priority_model(None, priorities_from)  # "linear" is the linear variant's anyway
        else:
            nonlinear = dataclasses.replace(nonlinear, priorities_from=priorities_from)
    result = fit_items(items, spec, settings, source=name, bootstrap=bootstrap,
                       progress=progress, target=target, nonlinear=nonlinear,
                       partitions=starts, necessity=necessity, fit_test=fit_test,
                       interaction=interaction, given=summed and summed.sample)
    if summed is not None:
        result = result.replace(diagnostics=result.diagnostics + summed.diagnostics)
    return result


def summed_survey(source, spec: ModelSpec, options: IngestOptions, scale=None, bootstrap=0,
                  variant="linear", nonlinear=None, necessity=None, fit_test=False):
    """A survey in partitions (a directory or glob) while a cluster is in use
    (csi.scale_out.use, --scheduler): read and reduced on its workers
    (csi.partition_sums.summed); else None."""
    from csi import scale_out
    from csi.ingest.partitions import is_partitioned

    executor = scale_out.active()
    if executor is None or not is_partitioned(source):
        return None
    from csi import partition_sums

    if scale is not None:
        options = dataclasses.replace(options, scale=tuple(scale))
    partition_sums.check_options(
        options, bootstrap=bootstrap if isinstance(bootstrap, int) else bootstrap.resamples,
        variant="nonlinear" if nonlinear is not None or variant != "linear" else "linear",
        necessity=necessity, fit_test=fit_test, interactions=bool(spec.interactions))
    return partition_sums.summed(source, spec, options, executor)


def _survey(source, options: IngestOptions) -> tuple[Survey, np.ndarray | None]:
    """The survey and, for a directory or glob of partitions, where each one starts."""
    if isinstance(source, Survey):
        return source, None
    if isinstance(source, (str, Path)):
        return read_source(source, options)
    if _is_frame(source):
        frame = source.reset_index(drop=True)
        return Survey(source="<DataFrame>", frame=frame, format="dataframe",
                      sha256=frame_sha256(frame)), None
    raise TypeError("source must be a path, a pandas DataFrame or a csi Survey")


def _is_frame(source) -> bool:
    """Whether `source` is a pandas DataFrame (without importing pandas for a path)."""
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(source, pandas.DataFrame)


def frame_sha256(frame: pd.DataFrame) -> str:
    """The SHA-256 of a DataFrame's canonical CSV (UTF-8, `\\n` line ends, no index, floats
    as repr), so a frame and the CSV file it was written to as such hash alike."""
    import hashlib

    text = frame.to_csv(index=False, lineterminator="\n")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sample_of(items: ItemData, partitions: np.ndarray | None = None,
              compact: bool = False) -> Sample:
    """The Sample the estimators see (csi.sample.Sample.of): the item matrix with its gaps
    filled under --missing mean or em, its frequency weights and EM's moment estimates
    (`partitions`: the survey's partition starts; `compact`: a point fit's, on the compact
    answers)."""
    return Sample.of(items, partitions, compact)


def fit_items(items: ItemData, spec: ModelSpec, settings: PlsSettings, source: str,
              bootstrap: boot.BootstrapSettings | None = None,
              progress: Callable[[int], None] | None = None,
              target: str | None = None,
              nonlinear: NonlinearSettings | None = None,
              partitions: np.ndarray | None = None,
              necessity: int | None = None, fit_test: bool = False,
              interaction: str = "two-stage", given: Sample | None = None) -> Result:
    """Estimate from an already-validated item matrix (`partitions`: where each partition
    of a partitioned survey starts, csi.ingest.partitions; its moments are reduced).
    `necessity`: NCA of the target's drivers with that many permutations
    (csi.drivers.necessity), marked in the priorities; `fit_test` and `interaction` as in
    `fit`. `given`: the Sample to use instead of the items' (a survey in partitions on a
    cluster, csi.partition_sums: its moments only)."""
    estimator = estimators.get(settings.estimator)
    settings = estimator.prepare(settings)
    spec.check_for(estimator.composite)
    structure, layout = compiled(spec)
    point_only = ((bootstrap is None or bootstrap.resamples == 0) and nonlinear is None
                  and necessity is None and not fit_test and not spec.interactions)
    sample = (sample_of(items, partitions, compact=point_only)  # no float matrix (issue 21)
              if given is None else given)
    if sample.values is not items.values:  # --missing mean or em filled the gaps
        items = dataclasses.replace(items, values=sample.values)
    written, written_items, adjustment = spec, items, None
    if spec.interactions:  # product terms: the stage-2 model on the extended data
        spec, sample, items, adjustment = with_interactions(spec, sample, items, settings,
                                                            interaction, nonlinear)
        structure, layout = compiled(spec)
        adjustment = adjustment.of(structure, written)
    stats = sample.moments()
    cov = stats.cor if settings.standardize else stats.cov
    point = estimator.point_fit(cov, stats.n, structure, settings)
    if adjustment is not None:
        point = dataclasses.replace(point, estimates=adjustment.adjust(point.estimates,
                                                                      stats.sd[None]))
    estimates = point.estimates
    if not estimates.converged[0]:
        raise EstimationError(
            f"PLS did not converge in {settings.max_iter} iterations; try --max-iter 1000, "
            "the centroid scheme (--scheme centroid), or check blocks whose items correlate "
            "weakly or negatively"
        )
    result = with_estimator(
        assemble(spec, layout, settings, items, stats, estimates, source, estimator.composite),
        point, bootstrap, estimator.composite)
    if adjustment is not None:  # the data as read, not the generated products
        result = result.replace(data=written_items.to_dict(),
                                data_quality=written_items.data_quality())
    if sample.em_iterations is not None:  # EM ran in the Sample: its count joins the report
        quality = dict(result.data_quality)
        quality["missing"] = dict(quality["missing"]) | {"em_iterations": sample.em_iterations}
        result = result.replace(data_quality=quality)
    if estimator.composite and adjustment is None:
        result = with_model_fit(result, sample, structure, settings, point,
                                bootstrap if fit_test else None)
    variant = None
    if nonlinear is not None:
        variant = nonlinear_model(result, spec, layout, items, target, nonlinear)
        extra = variant.statistics(sample.frequencies(),
                                   {k: v[None] for k, v in result.point_vectors.items()})
        result = result.replace(
            point_vectors=result.point_vectors | {k: v[0] for k, v in extra.items()})
    if bootstrap is not None and bootstrap.resamples > 0:
        result = with_inference(result, sample, items, layout, settings, point, bootstrap,
                                progress, extension=variant or adjustment)
    if variant is not None:
        from csi.drivers.nonlinear import summarize as summarize_nonlinear

        block = summarize_nonlinear(
            variant, result.point_vectors,
            result.draws.values if result.draws is not None else None,
            result.bootstrap["level"] if result.bootstrap else None,
            bootstrap.seed if bootstrap is not None else boot.DEFAULT_SEED, spec.label)
        result = result.replace(nonlinear=block, settings=result.settings | {
            "variant": "nonlinear", "knot": nonlinear.knot,
            "priorities_from": nonlinear.priorities_from})
    fitted = variant is not None  # the non-linear variant ran: its comparison decides
    used = priority_model(result.nonlinear.comparison["preferred"] if fitted else None,
                          nonlinear.priorities_from if fitted else None)
    if adjustment is not None:
        result = with_moderation(result, written, layout, bootstrap, interaction)
    priorities = (drivers(result, spec, layout, target, used,
                          exclude={t.name for t in written.interactions})
                  if spec.paths else None)
    if necessity is not None and priorities is not None:  # NCA and cIPMA (issue 18)
        result, priorities = with_necessity(result, items, layout, priorities, spec, necessity,
                                            bootstrap.seed if bootstrap else boot.DEFAULT_SEED)
    if adjustment is not None:
        result = _without_product_scales(result, {t.name for t in written.interactions})
    found = tuple(diagnose(result, written_items, spec, layout, estimators.entry(settings.estimator),
                           point, priorities))
    return result.replace(priorities=priorities, diagnostics=found,
                          advice=advise(found, bool(spec.paths)))


def with_interactions(spec: ModelSpec, sample: Sample, items: ItemData, settings: PlsSettings,
                      method: str, nonlinear: NonlinearSettings | None):
    """The stage-2 model of a model with product terms, the Sample extended by their
    generated indicators (csi.estimators.interaction), the items extended alike (no 0-100
    scale: their constructs' index is not reported, _without_product_scales) and the
    adjustment of their effects."""
    from csi.estimators import interaction as terms

    where = spec.interactions[0]
    if settings.estimator != "pls":
        raise ModelError(f"{spec.name}, line {where.line}: interaction term '{where.name}' "
                         "needs --estimator pls")
    if not settings.standardize:
        raise ModelError(f"{spec.name}, line {where.line}: interaction term '{where.name}' "
                         "needs standardized indicators; drop --unstandardized")
    if nonlinear is not None:
        raise ModelError(f"{spec.name}, line {where.line}: interaction term '{where.name}' "
                         "and --variant nonlinear are two models of one non-linearity; "
                         "use one")
    extended = terms.InteractionSample(sample, spec, method, settings)
    stage2 = terms.augment(spec, method)
    values = extended.values
    added = values.shape[1] - items.values.shape[1]
    items = dataclasses.replace(
        items, values=values, items=stage2.indicators,
        item_low=np.r_[items.item_low, np.zeros(added)],  # placeholders, so that no NaN
        item_high=np.r_[items.item_high, np.ones(added)])  # spreads; not reported
    return stage2, extended, items, terms.Adjustment


def _without_product_scales(result: Result, products: set[str]) -> Result:
    """Blank the 0-100 index, score SD and item weights of interaction constructs: their
    generated indicators have no answer scale."""
    index = result.index.copy()
    numbers = [c for c in index.columns if c != "construct"]
    index.loc[index["construct"].isin(products), numbers] = np.nan
    item_weights = result.item_weights.copy()
    numbers = ["unstandardized", "normalized", "performance"]
    item_weights.loc[item_weights["construct"].isin(products), numbers] = np.nan
    score_sd = np.where(np.isin(list(result.model.constructs), list(products)), np.nan,
                        result.point_vectors["score_sd"])
    return result.replace(index=index, item_weights=item_weights,
                          point_vectors=result.point_vectors | {"score_sd": score_sd})


def with_moderation(result: Result, spec: ModelSpec, layout: Layout,
                    bootstrap: boot.BootstrapSettings | None, method: str) -> Result:
    """Simple slopes and floodlight of each interaction term (csi.drivers.moderation), and
    a note on how the priorities treat them."""
    from csi.drivers import moderation

    ran = result.draws is not None and bootstrap is not None
    found = moderation.analyse(spec.interactions, layout.names("paths"),
                               result.point_vectors["paths"],
                               result.draws.values["paths"] if ran else None,
                               bootstrap if ran else None, result.n_obs, method)
    notes = tuple(
        f"interaction {t.name}: the importance of {spec.label(t.focal)} is its total effect "
        f"at the mean of {spec.label(t.moderator)}; the interaction term is not ranked as a "
        "driver" for t in spec.interactions)
    return result.replace(moderation=found, warnings=result.warnings + notes,
                          settings=result.settings | {"interaction": method})


def with_necessity(result: Result, items: ItemData, layout: Layout, priorities: Priorities,
                   spec: ModelSpec, permutations: int, seed: int) -> tuple[Result, Priorities]:
    """NCA of every driver of the target on the 0-100 construct scores; the priorities marked
    with it (cIPMA: necessary drivers that are bottlenecks first)."""
    from csi.drivers import necessity as necessity_mod

    structure = layout.structure
    scores = necessity_mod.scores_0_100(
        items.values, items.item_low, items.item_high,
        result.item_weights["normalized"].to_numpy(), structure.block_of,
        list(structure.constructs))
    target = priorities.target
    level = float(result.index.set_index("construct").loc[target, "score"])
    found = necessity_mod.analyse(
        scores, [(d, target) for d in priorities.importance["driver"]],
        sample_of(items).frequencies()[0], permutations, seed, {target: level})
    return (result.replace(necessity=found),
            necessity_mod.mark_priorities(priorities, found, spec.label))


def diagnose(result: Result, items: ItemData, spec: ModelSpec, layout: Layout,
             entry: estimators.Entry, point: EstimatorFit,
             priorities: Priorities | None) -> list[Diagnostic]:
    """Every structured diagnostic of a fit (csi.diagnostics), each from the layer that
    knows: the data (scale, listwise loss, size), the estimator (admissibility), the
    bootstrap (resamples) and the measures (discriminant validity)."""
    structure = layout.structure
    constructs = list(structure.constructs)
    found: list[Diagnostic] = []
    if entry.common_factor:
        estimates = point.estimates
        target = priorities.target if priorities is not None else None
        found += checks.inadmissible(
            constructs, result.point_vectors["loadings"], estimates.r2[0],
            {(a, b): v for (a, b), v in zip(layout.names("paths"), result.point_vectors["paths"])},
            estimates.construct_cor[0], (point.details or {}).get("rho_a"),
            list(structure.indicators),
            list(spec.predecessors(target)) if target is not None else [])
    if result.bootstrap is not None:
        block = result.bootstrap
        found += checks.resampling(block["n_requested"], block["n_used"], block["n_failed"])
    lowest, highest = (items.observed_range() if hasattr(items, "observed_range")
                       else (float(items.values.min()), float(items.values.max())))
    found += checks.scale_use(items.scale.low, items.scale.high, lowest, highest,
                              items.scale.from_data)
    found += checks.listwise_loss(items.rows_read, items.rows_dropped_missing)
    arrows = [len(spec.predecessors(c)) + (len(b.indicators) if b.mode == "B" else 0)
              for c, b in zip(constructs, spec.blocks)]
    most = int(np.argmax(arrows)) if arrows else 0
    found += checks.sample_size(result.n_obs, len(structure.indicators), max(arrows, default=0),
                                constructs[most] if arrows else None)
    ratios = result.table("htmt")
    htmt_values = dict(zip(zip(ratios.column("a"), ratios.column("b")),
                           ratios.column("value").tolist()))
    found += checks.discriminant_validity({
        (a, b): htmt_values.get((a, b), htmt_values.get((b, a), np.nan)) for a, b in
        ((p.source, p.target) for p in spec.paths)})
    return found


def nonlinear_model(result: Result, spec: ModelSpec, layout: Layout, items: ItemData,
                    target: str | None, settings: NonlinearSettings) -> NonlinearModel:
    """The non-linear structural model on the linear fit's 0-100 construct scores."""
    from csi.drivers.nonlinear import NonlinearModel

    constructs = layout.structure.constructs
    name, _ = choose_target(constructs, {c: spec.predecessors(c) for c in constructs},
                            spec.target, target)
    rescaled = rescale_0_100(items.values, items.item_low, items.item_high)
    return NonlinearModel(layout, rescaled, result.point_vectors["item_weights"],
                          constructs.index(name), settings,
                          frequency=sample_of(items).frequencies()[0])


def drivers(result: Result, spec: ModelSpec, layout: Layout, target: str | None,
            model: tuple[str, str] = ("linear", "linear"),
            exclude: set[str] = frozenset()) -> Priorities:
    """Importance, performance and priorities of the drivers of the target construct, from
    `model` (model_used, its sentence: csi.drivers.priorities.priority_model); `exclude`
    names constructs that are no drivers (interaction terms)."""
    structure = layout.structure
    left_out = {structure.constructs.index(c) for c in exclude}
    used, sentence = model
    return analyse(
        constructs=structure.constructs,
        indicators=structure.indicators,
        block_of=structure.block_of,
        predecessors={c: spec.predecessors(c) for c in structure.constructs},
        point=result.point_vectors,
        draws=result.draws.values if result.draws is not None else None,
        effect_pairs=list(layout.effects),
        not_drivers=left_out,
        model_target=spec.target,
        requested=target,
        level=result.bootstrap["level"] if result.bootstrap else None,
        impact_family="nl_impact" if used == "nonlinear" else None,
        model=sentence,
        model_used=used,
    )


def with_inference(result: Result, sample: Sample, items: ItemData, layout: Layout,
                   settings: PlsSettings, point: EstimatorFit,
                   bootstrap: boot.BootstrapSettings,
                   progress: Callable[[int], None] | None, extension=None) -> Result:
    """Bootstrap every estimate family and add se, t, p, ci_low, ci_high to its table."""
    problem = boot.Problem(
        sample=sample,
        layout=layout,
        pls=settings,
        low=items.item_low,
        high=items.item_high,
        reference=point,
        extension=extension,
    )
    draws = boot.draw(problem, bootstrap, progress=progress)
    if draws.n_used < 2 and bootstrap.resamples >= checks.NO_INTERVALS_BELOW:
        raise EstimationError(
            f"only {draws.n_used} of {draws.n_requested} bootstrap resamples could be "
            "estimated; the data are too thin for inference (see the failure reasons with "
            "--on-failure redraw)"
        )
    if draws.n_requested < checks.NO_INTERVALS_BELOW:  # too few for any interval: counts only
        return result.replace(bootstrap=_bootstrap_block(bootstrap, draws))
    jackknife, jackknife_weights = ((boot.jackknife(problem, bootstrap.sign_change))
                                    if bootstrap.ci == "bca" else ({}, None))
    vectors = result.point_vectors
    tables = {}
    for family, table in result.family_tables().items():
        summary = summarize(vectors[family], draws.values[family], bootstrap, result.n_obs,
                            jackknife.get(family), jackknife_weights)
        tables[family] = table.assign(se=summary.se, t=summary.t, p=summary.p,
                                      ci_low=summary.ci_low, ci_high=summary.ci_high)
    block = _bootstrap_block(bootstrap, draws)
    warnings = list(result.warnings)
    if draws.n_failed:
        warnings.append(
            f"{draws.n_failed} bootstrap resamples could not be estimated "
            f"({', '.join(f'{k}: {v}' for k, v in draws.failure_reasons.items())}); "
            + ("they were redrawn" if bootstrap.on_failure == "redraw" else
               f"inference uses the {draws.n_used} that could")
        )
    return result.replace(**tables, bootstrap=block, draws=draws, warnings=tuple(warnings))


def with_model_fit(result: Result, sample: Sample, structure: Structure, settings: PlsSettings,
                   point: EstimatorFit, bootstrap: boot.BootstrapSettings | None) -> Result:
    """PLS and PLSc: SRMR, d_ULS, d_G of the estimated and saturated model (JSON `fit`)
    and, with the bootstrap, the Bollen-Stine quantiles and p values
    (csi.inference.model_fit)."""
    from csi.inference import model_fit

    cor = sample.moments().cor
    block = model_fit.point_fit(point, cor, structure, settings.estimator)
    if bootstrap is not None and bootstrap.resamples > 0:
        found = model_fit.bollen_stine(sample, structure, settings, point, bootstrap.resamples,
                                       bootstrap.seed, workers=bootstrap.workers)
        for key in ("hi95", "hi99", "p"):
            block[key] = found["estimated"][key]
            block["saturated"][key] = found["saturated"][key]
        block["bollen_stine"] = {"n_requested": bootstrap.resamples, "seed": bootstrap.seed,
                                 "n_used": found["estimated"]["n_used"],
                                 "n_used_saturated": found["saturated"]["n_used"]}
    return result.replace(model_fit=block)


def _bootstrap_block(bootstrap: boot.BootstrapSettings, draws: boot.Draws) -> dict:
    return bootstrap.to_dict() | {
        "n_used": draws.n_used,
        "n_failed": draws.n_failed,
        "n_redrawn": draws.n_redrawn,
        "failures": draws.failure_reasons,
    }


def with_estimator(result: Result, point: EstimatorFit,
                   bootstrap: boot.BootstrapSettings | None, composite: bool) -> Result:
    """Add what only some estimators give: warnings, fit indices, estimator details, and
    analytic standard errors (csi.inference.analytic); a bootstrap, when run, replaces them."""
    changes = {"warnings": result.warnings + point.warnings, "fit_indices": point.fit_indices,
               "estimator_details": point.details}
    if not composite:  # rho_A is a property of composite weights; a common-factor model's is
        changes["reliability"] = result.table("reliability").assign(rho_a=np.nan)  # rho_C (CR)
    if point.standard_errors:
        level = bootstrap.level if bootstrap is not None else 0.95
        changes |= with_analytic_errors(family_tables(result), point.standard_errors, level)
        if bootstrap is None or bootstrap.resamples == 0:
            changes["warnings"] += (
                "standard errors, p-values and intervals of the paths, loadings, effects and "
                f"R² are ML ones (expected information, delta method; lavaan's defaults) at "
                f"{level:.0%}, not bootstrap; the index has none: give --bootstrap N for "
                "bootstrap inference (each resample is a full CB-SEM refit)",)
    return result.replace(**changes)


def assemble(spec: ModelSpec, layout: Layout, settings: PlsSettings, items: ItemData,
             stats: Moments, estimates: PlsEstimates, source: str,
             composite: bool = True) -> Result:
    """Turn the point estimates (batch of one) into the tables of a Result."""
    structure = layout.structure
    constructs = list(structure.constructs)
    indicators = list(structure.indicators)
    k_count = len(constructs)
    blocks = structure.blocks()
    low, high = items.item_low, items.item_high
    point = {
        family: values[0]
        for family, values in estimate_vectors(
            estimates, stats.mean[None], stats.sd[None], layout, low, high, settings.standardize
        ).items()
    }

    def long(family: str, first: str, second: str) -> Table:
        names = layout.names(family)
        return Table({first: [a for a, _ in names], second: [b for _, b in names],
                             "estimate": point[family]})

    paths = long("paths", "from", "to")
    total = long("total_effects", "from", "to")
    indirect = long("indirect_effects", "from", "to")
    weights = long("weights", "construct", "indicator")
    loadings = long("loadings", "construct", "indicator")
    n = stats.n
    preds = [structure.predecessors[k].size for k in layout.endogenous]
    r2_table = Table({
        "construct": [constructs[k] for k in layout.endogenous],
        "estimate": point["r2"],
        "adjusted": 1 - (1 - point["r2"]) * (n - 1) / (n - np.array(preds) - 1),
    })
    index = Table({"construct": constructs, "score": point["index"]})
    cross = Table({
        "indicator": np.repeat(indicators, k_count),
        "construct": np.tile(constructs, len(indicators)),
        "estimate": estimates.cross_loadings[0].ravel(),
    })
    std_w = point["weights"]
    item_weights = Table({
        "construct": [a for a, _ in layout.names("weights")],
        "indicator": indicators,
        "unstandardized": std_w / stats.sd,
        "normalized": unstandardized_weights(std_w, stats.sd, structure.block_of, k_count,
                                             low, high),
        "performance": rescale_0_100(stats.mean, low, high),
    })

    cor = stats.cor
    rel = reliability(cor, std_w, point["loadings"], blocks)
    reliability_table = Table({"construct": constructs, "alpha": rel.alpha,
                                      "rho_a": rel.rho_a, "rho_c": rel.rho_c, "ave": rel.ave})
    construct_cor = estimates.construct_cor[0]
    lower = [(a, b) for a in range(k_count) for b in range(a)]
    ratio = htmt(cor, blocks)
    htmt_table = Table({"a": [constructs[a] for a, _ in lower],
                               "b": [constructs[b] for _, b in lower],
                               "value": [ratio[a, b] for a, b in lower]})
    fl = fornell_larcker(construct_cor, rel.ave)
    with_diagonal = [(a, b) for a in range(k_count) for b in range(a + 1)]
    fl_table = Table({"a": [constructs[a] for a, _ in with_diagonal],
                             "b": [constructs[b] for _, b in with_diagonal],
                             "value": [fl[a, b] for a, b in with_diagonal]})
    vif = structural_vif(construct_cor, structure.predecessors)
    vif_table = Table({"from": [constructs[a] for a, _ in vif],
                              "to": [constructs[b] for _, b in vif],
                              "value": list(vif.values())})

    weight_notes = _weight_warnings(std_w / stats.sd, indicators,
                                    [constructs[k] for k in structure.block_of], spec)
    info = ModelInfo(
        name=spec.name,
        constructs=tuple(constructs),
        labels={c: spec.label(c) for c in constructs}
        | {i: spec.labels[i] for i in indicators if i in spec.labels},
        modes={b.construct: b.mode for b in spec.blocks},
        indicators={b.construct: b.indicators for b in spec.blocks},
        paths=tuple((p.source, p.target) for p in spec.paths),
        target=spec.target,
    )
    return Result(
        model=info,
        source=source,
        settings={
            "estimator": settings.estimator,
            **({"objective": settings.objective} if not composite else {}),
            "scheme": settings.scheme,
            "tol": settings.tol,
            "max_iter": settings.max_iter,
            "standardized": settings.standardize,
            "scale": items.scale.to_dict(),
        },
        data=items.to_dict(),
        data_quality=items.data_quality(),
        n_obs=stats.n,
        converged=bool(estimates.converged[0]),
        iterations=int(estimates.iterations[0]),
        paths=paths,
        weights=weights,
        loadings=loadings,
        cross_loadings=cross,
        r2=r2_table,
        total_effects=total,
        indirect_effects=indirect,
        index=index,
        item_weights=item_weights,
        reliability=reliability_table,
        htmt=htmt_table,
        fornell_larcker=fl_table,
        vif=vif_table,
        scores=_scores(items.values, stats, std_w, structure, constructs),
        point_vectors=point,
        warnings=tuple(list(items.warnings) + weight_notes + _scale_notes(items)
                       + _bootstrap_notes(items)),
    )


def _scores(values: np.ndarray, stats: Moments, std_w: np.ndarray, structure: Structure,
            constructs: list[str]) -> Table:
    """Standardized construct scores Y = Z W, computed as X (W/sd) - m'(W/sd) without a copy
    of the standardized data."""
    w = (std_w / stats.sd)[:, None] * structure.membership
    scores = values @ w
    scores -= stats.mean @ w
    return Table.of_matrix(scores, constructs)


def _weight_warnings(weights: np.ndarray, indicators: list[str], constructs: list[str],
                     spec: ModelSpec) -> list[str]:
    """Explain non-positive unstandardized weights, which break the index's meaning
    (`constructs`: each indicator's construct)."""
    products = {t.name for t in spec.interactions}  # generated products have no scale
    return [
        f"{indicators[row]} has a non-positive weight ({weights[row]:.4f}) in "
        f"{spec.label(constructs[row])}: higher answers to it lower the index, and the "
        "index is no longer a weighted average of its items (it can leave 0-100); check the "
        "item's wording (reverse-coded?) or drop it"
        for row in np.flatnonzero(weights <= 0) if constructs[row] not in products
    ]


def _bootstrap_notes(items: ItemData) -> list[str]:
    if items.missing == "em" and items.cells_imputed:
        return ["--missing em: the point estimates use EM's moments; the bootstrap resamples "
                "the EM-imputed rows, so its intervals slightly understate the uncertainty "
                "that missing data add"]
    return []


def _scale_notes(items: ItemData) -> list[str]:
    if items.scale.from_data:
        return [
            f"no --scale given: the index uses the observed answer range "
            f"{items.scale.low:g}..{items.scale.high:g}; give --scale MIN:MAX if the "
            "questionnaire's scale is wider"
        ]
    return []


__all__ = ["fit", "fit_items", "sample_of"]
