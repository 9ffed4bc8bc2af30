"""`csi compare-estimators`: the same model by PLS, consistent PLS and CB-SEM, side by side."""

from __future__ import annotations

import io
import json

import click
import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from csi.cli.ingest_options import ingest_options, options_from
from csi.cli.paths import OUTPUT
from csi.errors import CsiError
from csi.pipeline import fit_items
from csi.ingest import item_matrix, read_survey
from csi.jsonio import dumps, write_atomic
from csi.estimators.base import OBJECTIVES, PlsSettings
from csi.result import Result
from csi import estimators
from csi.model.spec import load_model

NAMES = {"pls": "PLS", "plsc": "PLSc", "cbsem": "CB-SEM"}
SCHEMA = "csi.compare-estimators/1"


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
    spec = load_model(model, composite=False)
    ingest = options_from(options)
    data = read_survey(survey, ingest)
    items = item_matrix(data, spec, options=ingest)
    results: dict[str, Result] = {}
    errors: dict[str, str] = {}
    for estimator in estimators.NAMES:
        try:
            results[estimator] = fit_items(items, spec,
                                           PlsSettings(estimator=estimator, objective=objective),
                                           source=data.source)
        except CsiError as error:
            errors[estimator] = str(error)
    if not results:
        raise CsiError(next(iter(errors.values())))
    table = comparison_table(results)
    reading = disagreement(results, table)
    if output_format == "json":
        payload = dumps(_document(results, errors, table, reading))
        if output:
            write_atomic(output, payload)
        else:
            click.echo(payload, nl=False)
        return
    if output:
        buffer = io.StringIO()
        _render(results, errors, table, reading, Console(file=buffer, width=100, no_color=True))
        write_atomic(output, buffer.getvalue())
    else:
        _render(results, errors, table, reading, Console())
    if not quiet and output:
        click.echo(f"Wrote {output}", err=True)


def comparison_table(results: dict[str, Result]) -> pd.DataFrame:
    """Long-to-wide: one row per path and per construct index, one column per estimator."""
    first = next(iter(results.values()))
    rows = [("path", f"{a} -> {b}", a, b) for a, b in first.model.paths]
    rows += [("index", c, c, "") for c in first.model.constructs]
    table = pd.DataFrame(rows, columns=["kind", "name", "first", "second"])
    for estimator, result in results.items():
        paths = result.paths.set_index(["from", "to"])["estimate"]
        index = result.index.set_index("construct")["score"]
        table[estimator] = [paths.get((a, b), np.nan) if kind == "path" else index.get(a, np.nan)
                            for kind, _, a, b in rows]
    return table


def disagreement(results: dict[str, Result], table: pd.DataFrame) -> str:
    """One line: how far PLSc and CB-SEM paths exceed PLS's, and what each flags."""
    parts = []
    paths = table[table["kind"] == "path"]
    if "pls" in results:
        pls = paths["pls"].abs()
        larger = [e for e in ("plsc", "cbsem") if e in results]
        if larger:
            gaps = [f"{NAMES[e]} paths by up to {(paths[e].abs() - pls).max():.2f}"
                    for e in larger]
            parts.append(f"{', '.join(gaps)} exceed PLS's in absolute value, because common "
                         "factors correct for the measurement error that attenuates PLS's "
                         "composite paths")
    if "plsc" in results:
        details = results["plsc"].estimator_details or {}
        if details.get("admissible") is False:
            parts.append("PLSc is inadmissible (cSEM's verify() checks fail)")
    if "cbsem" in results:
        warnings = results["cbsem"].warnings
        fit = results["cbsem"].fit_indices or {}
        flags = []
        if any(w.startswith("Heywood case") for w in warnings):
            flags.append("Heywood cases")
        if any(w.startswith("latent correlations near") for w in warnings):
            flags.append("latent correlations near 1")
        biggest = paths["cbsem"].abs().max()
        if biggest > 1:
            flags.append(f"standardized paths up to {biggest:.2f}")
        if flags:
            parts.append(f"CB-SEM flags {', '.join(flags)}")
        if fit.get("cfi") is not None:
            parts.append(f"CB-SEM fit CFI {fit['cfi']:.3f}, RMSEA {fit['rmsea']:.3f}")
    index = table[table["kind"] == "index"]
    columns = [e for e in results]
    if len(columns) > 1:
        spread = (index[columns].max(axis=1) - index[columns].min(axis=1)).max()
        parts.append(f"indices differ by at most {spread:.1f} points (PLSc uses PLS's weights, "
                     "so its index equals PLS's)" if "plsc" in results and "pls" in results
                     else f"indices differ by at most {spread:.1f} points")
    return "; ".join(parts) + "." if parts else ""


def _render(results, errors, table, reading, console: Console) -> None:
    first = next(iter(results.values()))
    console.print(f"[bold]csi compare-estimators[/] — model [bold]{first.model.name}[/] on "
                  f"{first.source}: n = {first.n_obs}; point estimates")
    out = Table(title="Paths (standardized) and indices (0–100) by estimator",
                title_justify="left")
    out.add_column("")
    out.add_column("")
    estimators = [e for e in ESTIMATORS if e in results]
    for estimator in estimators:
        out.add_column(NAMES[estimator], justify="right")
    label = first.model.label
    for row in table.to_dict("records"):
        name = (f"{label(row['first'])} → {label(row['second'])}" if row["kind"] == "path"
                else label(row["first"]))
        digits = 3 if row["kind"] == "path" else 1
        out.add_row(row["kind"], name, *[
            "—" if np.isnan(row[e]) else f"{row[e]:.{digits}f}" for e in estimators])
    console.print(out)
    if "cbsem" in results and results["cbsem"].fit_indices:
        from csi.report.terminal import render_fit_indices

        render_fit_indices(results["cbsem"].fit_indices, console)
    console.print(f"[bold]Reading:[/] {reading}")
    for estimator, message in errors.items():
        console.print(f"[yellow]{NAMES[estimator]} not estimated:[/] {message}")
    for who, message in _notes(results):
        console.print(f"[yellow]{who}:[/] {message}", highlight=False)


def _notes(results: dict[str, Result]) -> list[tuple[str, str]]:
    """Each estimator's notes, those shared by all (data notes) once; not the note on
    standard errors, which this command does not show."""
    shared = set.intersection(*(set(r.warnings) for r in results.values()))
    notes = [("Data", m) for m in next(iter(results.values())).warnings if m in shared]
    for estimator, result in results.items():
        notes += [(NAMES[estimator], m) for m in result.warnings
                  if m not in shared and not m.startswith("standard errors, p-values")]
    return notes


def _document(results, errors, table, reading) -> dict:
    def number(value):
        return None if value is None or (isinstance(value, float) and np.isnan(value)) \
            else float(value)

    first = next(iter(results.values()))
    return {
        "schema": SCHEMA,
        "source": first.source,
        "model": first.model.name,
        "n_obs": first.n_obs,
        "paths": [{"from": r["first"], "to": r["second"],
                   **{e: number(r[e]) for e in results}}
                  for r in table.to_dict("records") if r["kind"] == "path"],
        "index": [{"construct": r["first"], **{e: number(r[e]) for e in results}}
                  for r in table.to_dict("records") if r["kind"] == "index"],
        "fit": results["cbsem"].fit_indices if "cbsem" in results else None,
        "reading": reading,
        "errors": errors,
        "warnings": {e: list(r.warnings) for e, r in results.items()},
    }
