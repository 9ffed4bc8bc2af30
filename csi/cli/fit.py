"""`csi fit`: estimate a model on a survey and render the result."""

from __future__ import annotations

import dataclasses

import click

from csi.cli.bootstrap_options import bootstrap_options, bootstrap_settings
from csi.cli.check import check_options, fit_check_from_options
from csi.cli.emit import emit, notes, status
from csi.cli.ingest_options import ingest_options, options_from
from csi.cli.pls_options import pls_options, pls_settings
from csi.cli.progress import progress_bar
from csi.cli.segments import pop_segment_options, segment_options
from csi.cli.paths import OUTPUT
from csi.cli.report import lang_option
from csi.pipeline import fit_items, summed_survey
from csi.ingest import item_matrix
from csi.ingest.partitions import read_source
from csi.estimators.base import OBJECTIVES
from csi.estimators.interaction import DEFAULT_METHOD, METHODS as INTERACTION_METHODS
from csi.scale_out import scheduled
from csi import estimators
from csi.model.spec import load_model


def _knot(context, parameter, value):
    """--knot: a rule name or a number on 0-100 (the default rule needs no parsing, and the
    linear variant's fit no non-linear module)."""
    if value == parameter.default:
        return value
    from csi.drivers.nonlinear import parse_knot

    try:
        return parse_knot(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command("fit")
@click.argument("survey", metavar="SURVEY")
@click.option("-m", "--model", default="acsi", show_default=True,
              help="Built-in model name (see `csi models`) or a lavaan-style model file.")
@click.option("--estimator", type=click.Choice(estimators.NAMES), default="pls", show_default=True,
              help="pls (composites), plsc (consistent PLS: PLS weights, paths corrected for "
                   "measurement error) or cbsem (covariance-based SEM through semopy, with fit "
                   "indices; ML standard errors unless --bootstrap N is given).")
@click.option("--objective", type=click.Choice(OBJECTIVES), default="ML", show_default=True,
              help="CB-SEM discrepancy function (--estimator cbsem).")
@click.option("--format", "output_format", type=click.Choice(["table", "json", "csv"]),
              default="table", show_default=True, help="Output format.")
@click.option("-o", "--output", type=OUTPUT,
              help="Write the output to this file (atomically) instead of standard output.")
@click.option("--pdf", "pdf_file", type=OUTPUT,
              help="Also write a PDF report of the fit to this file (as `csi report`).")
@click.option("--target", help="Construct whose drivers are ranked (default: the model's "
                               "@target, else the construct with the most predecessors).")
@click.option("--variant", type=click.Choice(["linear", "nonlinear"]), default="linear",
              show_default=True, help="nonlinear adds asymmetric, quadratic and spline "
              "structural effects, Kano classes and a linear-vs-non-linear test.")
@click.option("--knot", default="median", show_default=True, callback=_knot,
              metavar="midpoint|mean|median|VALUE",
              help="Where the non-linear variant splits each driver into penalty and reward "
              "slopes: the driver's median score (half the respondents on each side), the "
              "0-100 midpoint (50), the driver's mean, or a value from 0 to 100.")
@click.option("--priorities-from", type=click.Choice(["linear", "nonlinear"]),
              help="The model the priorities use under --variant nonlinear (default: the one "
              "its cross-validated comparison prefers).")
@click.option("--interaction", type=click.Choice(INTERACTION_METHODS), default=DEFAULT_METHOD,
              show_default=True, help="How the model's interaction terms (`Y ~ X + M + X:M`, "
              "`X:X`) are built: two-stage (products of stage-1 construct scores), "
              "orthogonal (residualized item products) or product-indicator (item products).")
@click.option("-q", "--quiet", is_flag=True, help="No notes or progress on standard error.")
@lang_option
@click.option("--draws", "draws_file", type=OUTPUT,
              help="Also save the bootstrap resamples `csi simulate` and `csi plan` need for "
                   "intervals (Parquet).")
@click.option("--fit-test", is_flag=True, help="With the bootstrap, also the Bollen-Stine "
              "bootstrap of the exact-fit test of a PLS/PLSc model (HI95, HI99, p of SRMR, "
              "d_ULS, d_G); it costs two more bootstraps.")
@click.option("--necessity", is_flag=True, help="Necessary Condition Analysis of each driver "
              "of the target on the 0-100 construct scores (CE-FDH and CR-FDH ceilings, "
              "permutation test, bottlenecks); necessary bottleneck drivers come first in the "
              "priorities (cIPMA).")
@click.option("--necessity-permutations", type=click.IntRange(min=0), default=10_000,
              show_default=True, help="Permutations of the NCA significance test.")
@pls_options
@ingest_options
@bootstrap_options
@check_options
@segment_options
def fit_command(survey, model, output_format, output, pdf_file, quiet, lang, draws_file,
                **options) -> None:
    """Estimate MODEL on SURVEY (CSV/TSV, .xlsx, .sav, .parquet, or - for standard input) by
    PLS path modeling, consistent PLS or CB-SEM (--estimator)."""
    check = fit_check_from_options(options, output)  # reads the baseline before fitting
    nonlinear = _variant(options)
    estimator, objective = options.pop("estimator"), options.pop("objective")
    spec = load_model(model, composite=estimators.entry(estimator).composite)
    _check_target(options.get("target"), spec)
    ingest = options_from(options)
    on_cluster = _on_cluster(survey, options.get("scheduler"))
    if not on_cluster:  # else the rows stay on the cluster's workers (csi.partition_sums)
        data, starts = read_source(survey, ingest)
        items = item_matrix(data, spec, options=ingest)
    settings = pls_settings(options, estimator=estimator, objective=objective)
    resampling = bootstrap_settings(options)
    if not estimators.entry(estimator).composite and click.get_current_context().get_parameter_source(
            "resamples") is click.core.ParameterSource.DEFAULT:
        # each CB-SEM resample is a full refit: without --bootstrap N, ML standard errors
        # (the result's notes say so)
        resampling = dataclasses.replace(resampling, resamples=0)
    necessity = (options.pop("necessity_permutations") if options.pop("necessity")
                 else None)
    by, min_n, scheduler = pop_segment_options(options)
    if on_cluster:
        resampling = _check_on_cluster(spec, ingest, resampling, by, nonlinear, necessity,
                                       options)
    if draws_file and resampling.resamples == 0:
        raise click.UsageError("--draws saves the bootstrap's resamples: give --bootstrap N")
    if by is not None and draws_file:
        raise click.UsageError("--draws saves one fit's resamples; it cannot be used with --by")
    if by is not None and necessity is not None:
        raise click.UsageError("--necessity analyses one fit; it cannot be combined with --by")
    if by is not None:
        from csi.cli.segments import fit_by_segments

        return fit_by_segments(data, spec, items, ingest, settings, resampling, by=by,
                               min_n=min_n, scheduler=scheduler, check=check, pdf=pdf_file,
                               target=options.pop("target"),
                               nonlinear=nonlinear, interaction=options.pop("interaction"),
                               output_format=output_format, output=output, quiet=quiet,
                               lang=lang)
    with scheduled(scheduler), progress_bar(resampling.resamples, "Bootstrap", quiet) as advance:
        summed = summed_survey(survey, spec, ingest) if on_cluster else None
        if summed is not None:
            items, starts = summed.items, None
        result = fit_items(items, spec, settings,
                           source=str(survey) if summed is not None else data.source,
                           bootstrap=resampling, progress=advance,
                           target=options.pop("target"), nonlinear=nonlinear,
                           partitions=starts, necessity=necessity,
                           fit_test=options.pop("fit_test"),
                           interaction=options.pop("interaction"),
                           given=summed.sample if summed is not None else None)
        if summed is not None:
            result = result.replace(diagnostics=result.diagnostics + summed.diagnostics)
        if on_cluster and resampling.resamples == 0 and _defaulted("resamples"):
            from csi.partition_sums import NO_BOOTSTRAP

            result = result.replace(warnings=result.warnings + (NO_BOOTSTRAP,))
    if pdf_file:
        _write_pdf(result, pdf_file, quiet, lang)
    if draws_file:
        from csi.decisions.draws import write_draws

        size = write_draws(result, draws_file)
        if not quiet:
            status(f"Wrote {draws_file} ({result.draws.n_used} resamples, "
                   f"{size / 1024:.0f} KB)", lang)

    if check is not None and not check.show_fit:
        check.finish(result, quiet, lang)  # only the check's report; exits with its code
    emit(output_format, output, lambda console: _render(result, console, lang),
         lambda kind: result.to_json() if kind == "json" else _csv(result))
    notes(result.warnings, quiet, lang)  # on stderr in every format; stdout holds only the output
    if check is not None:
        check.finish(result, quiet, lang)


def _render(result, console, lang: str | None) -> None:
    """The terminal tables (rich and the renderers load only for --format table)."""
    from csi.report.terminal import render

    render(result, console, lang)


def _csv(result) -> str:
    from csi.report.csv import to_csv

    return to_csv(result)


def _on_cluster(survey: str, scheduler: str | None) -> bool:
    """A survey in partitions with a cluster to run on (--scheduler or
    DASK_SCHEDULER_ADDRESS): the driver then never reads its rows (docs/scale.md)."""
    from csi.ingest.partitions import is_partitioned
    from csi.scale_out import scheduler_address

    return is_partitioned(survey) and scheduler_address(scheduler) is not None


def _check_on_cluster(spec, ingest, resampling, by, nonlinear, necessity, options):
    """Usage errors before connecting: --scale is required, and what needs the rows on one
    machine is refused by name; the default bootstrap becomes none (an explicit
    --bootstrap N is refused: not offered at that scale yet)."""
    from csi.partition_sums import check_options, require_scale

    if by is not None:
        raise click.UsageError("--by fits segments of the rows on one machine; fit a survey "
                               "in partitions on a cluster without --by")
    if _defaulted("resamples"):
        resampling = dataclasses.replace(resampling, resamples=0)
    require_scale(spec, ingest)
    check_options(ingest, bootstrap=resampling.resamples,
                  variant="linear" if nonlinear is None else "nonlinear", necessity=necessity,
                  fit_test=options.get("fit_test", False), interactions=bool(spec.interactions))
    return resampling


def _defaulted(parameter: str) -> bool:
    """Whether the user left `parameter` at its default."""
    source = click.get_current_context().get_parameter_source(parameter)
    return source is click.core.ParameterSource.DEFAULT


def _check_target(target: str | None, spec) -> None:
    """An unknown --target is a usage error (exit 2), found before the data are read."""
    if target is not None and target not in spec.constructs:
        raise click.BadParameter(
            f"'{target}' is not a construct of {spec.name} ({', '.join(spec.constructs)})",
            param_hint="'--target'")


def _variant(options: dict) -> NonlinearSettings | None:
    """The non-linear variant's settings (None for the linear variant)."""
    variant, knot = options.pop("variant"), options.pop("knot")
    forced = options.pop("priorities_from")
    if variant != "nonlinear":
        if forced == "nonlinear":
            raise click.UsageError("--priorities-from nonlinear needs --variant nonlinear")
        return None
    from csi.drivers.nonlinear import NonlinearSettings

    return NonlinearSettings(knot=knot, priorities_from=forced)


def _write_pdf(result, path: str, quiet: bool, lang: str | None = None) -> None:
    """The PDF report, rendered from the result's JSON document (never by refitting)."""
    from csi.report.pdf import write

    info = write(result.to_dict(), path, lang=lang)
    if not quiet:
        status(f"Wrote {path} ({info.pages} pages)", lang)
