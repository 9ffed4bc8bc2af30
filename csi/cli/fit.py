"""`csi fit`: estimate a model on a survey and render the result."""

from __future__ import annotations

import io

import click
from rich.console import Console

from csi.cli.bootstrap_options import bootstrap_options, bootstrap_settings
from csi.cli.progress import progress_bar
from csi.fit import fit
from csi.ingest import parse_scale, read_survey
from csi.output import write_atomic
from csi.pls import SCHEMES, PlsSettings
from csi.report.csv import to_csv
from csi.report.terminal import render
from csi.spec import load_model


@click.command("fit")
@click.argument("survey", metavar="SURVEY")
@click.option("-m", "--model", default="acsi", show_default=True,
              help="Built-in model name (see `csi models`) or a lavaan-style model file.")
@click.option("--scale", metavar="MIN:MAX",
              help="Answer scale of the items, e.g. 1:10 (default: the observed range).")
@click.option("--scheme", type=click.Choice(SCHEMES), default="path", show_default=True,
              help="Inner weighting scheme.")
@click.option("--tol", type=click.FloatRange(min=0, min_open=True), default=1e-7,
              show_default=True, help="Convergence tolerance: max change in any outer weight.")
@click.option("--max-iter", type=click.IntRange(min=1), default=300, show_default=True,
              help="Iteration limit of the PLS algorithm.")
@click.option("--unstandardized", is_flag=True,
              help="Estimate on centred raw items (R plspm's scaled = FALSE) instead of "
                   "standardized ones.")
@click.option("--format", "output_format", type=click.Choice(["table", "json", "csv"]),
              default="table", show_default=True, help="Output format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write the output to this file (atomically) instead of standard output.")
@click.option("--target", help="Construct whose drivers are ranked (default: the model's "
                               "@target, else the construct with the most predecessors).")
@click.option("-q", "--quiet", is_flag=True, help="No notes or progress on standard error.")
@bootstrap_options
def fit_command(survey, model, scale, scheme, tol, max_iter, unstandardized, output_format,
                output, quiet, **options) -> None:
    """Estimate MODEL on SURVEY (a CSV file, or - for standard input) by PLS path modeling."""
    spec = load_model(model)
    bounds = parse_scale(scale) if scale else None
    data = read_survey(survey)
    settings = PlsSettings(scheme=scheme, tol=tol, max_iter=max_iter,
                           standardize=not unstandardized)
    resampling = bootstrap_settings(options)
    with progress_bar(resampling.resamples, "Bootstrap", quiet) as advance:
        result = fit(data, spec, settings=settings, scale=bounds, bootstrap=resampling,
                     progress=advance, target=options.pop("target"))

    if output_format == "table":
        if output:
            buffer = io.StringIO()
            render(result, Console(file=buffer, width=100, no_color=True))
            write_atomic(output, buffer.getvalue())
        else:
            render(result, Console())
        return
    payload = result.to_json() if output_format == "json" else to_csv(result)
    if output:
        write_atomic(output, payload)
    else:
        click.echo(payload, nl=False)
    if not quiet:
        err = Console(stderr=True)
        for message in result.warnings:
            err.print(f"[yellow]Note:[/] {message}", highlight=False)
