"""`csi compare-estimators`: the same model by PLS, consistent PLS and CB-SEM, side by side."""

from __future__ import annotations

import io

import click
import numpy as np
from rich.console import Console
from rich.table import Table

from csi.cli.ingest_options import ingest_options, options_from
from csi.cli.paths import OUTPUT
from csi.estimators.base import OBJECTIVES
from csi.jsonio import write_atomic
from csi.multi.estimator_comparison import LABELS, EstimatorComparison, compare_estimators


@click.command("compare-estimators")
@click.argument("survey", metavar="SURVEY")
@click.option("-m", "--model", default="acsi", show_default=True,
              help="Built-in model name (see `csi models`) or a lavaan-style model file.")
@click.option("--objective", type=click.Choice(OBJECTIVES), default="ML", show_default=True,
              help="CB-SEM discrepancy function.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]),
              default="table", show_default=True, help="Output format.")
@click.option("-o", "--output", type=OUTPUT,
              help="Write the output to this file (atomically) instead of standard output.")
@click.option("-q", "--quiet", is_flag=True, help="No notes on standard error.")
@ingest_options
def compare_estimators_command(survey, model, objective, output_format, output, quiet,
                               **options) -> None:
    """Estimate MODEL on SURVEY by pls, plsc and cbsem (point estimates) and show their paths
    and 0-100 indices in one table, with a one-line reading of where they disagree.

    PLS estimates composites; PLSc and CB-SEM common factors, so their paths correct for
    measurement error. A model with covariances or fixed values ('~~', '1*x') runs by CB-SEM
    only. Each estimator's notes (inadmissible PLSc, Heywood cases) follow the table."""
    ingest = options_from(options)
    comparison = compare_estimators(survey, model, options=ingest, objective=objective)
    if output_format == "json":
        payload = comparison.to_json()
        if output:
            write_atomic(output, payload)
        else:
            click.echo(payload, nl=False)
        return
    if output:
        buffer = io.StringIO()
        _render(comparison, Console(file=buffer, width=100, no_color=True))
        write_atomic(output, buffer.getvalue())
    else:
        _render(comparison, Console())
    if not quiet and output:
        click.echo(f"Wrote {output}", err=True)


def _render(comparison: EstimatorComparison, console: Console) -> None:
    first = comparison.first
    console.print(f"[bold]csi compare-estimators[/] — model [bold]{first.model.name}[/] on "
                  f"{first.source}: n = {first.n_obs}; point estimates")
    out = Table(title="Paths (standardized) and indices (0–100) by estimator",
                title_justify="left")
    out.add_column("")
    out.add_column("")
    for estimator in comparison.estimators:
        out.add_column(LABELS[estimator], justify="right")
    label = first.model.label
    for row in comparison.table.to_dict("records"):
        name = (f"{label(row['first'])} → {label(row['second'])}" if row["kind"] == "path"
                else label(row["first"]))
        digits = 3 if row["kind"] == "path" else 1
        out.add_row(row["kind"], name, *[
            "—" if np.isnan(row[e]) else f"{row[e]:.{digits}f}" for e in comparison.estimators])
    console.print(out)
    if comparison.fit_indices:
        from csi.report.terminal import render_fit_indices

        render_fit_indices(comparison.fit_indices, console)
    console.print(f"[bold]Reading:[/] {comparison.reading}")
    for estimator, message in comparison.errors.items():
        console.print(f"[yellow]{LABELS[estimator]} not estimated:[/] {message}")
    for who, message in comparison.notes:
        console.print(f"[yellow]{who}:[/] {message}", highlight=False)
