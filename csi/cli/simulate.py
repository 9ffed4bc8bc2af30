"""`csi simulate`: what a change of constructs or items does downstream, from a saved fit."""

from __future__ import annotations

import click

from csi.cli.paths import OUTPUT

from csi.cli.emit import emit, notes, status
from csi.cli.report import lang_option
from csi.report.decisions import render_simulation
from csi.cli.results_file import read_results


def model_option(command):
    return click.option(
        "--model", "structural", type=click.Choice(["auto", "linear", "nonlinear"]),
        default="auto", show_default=True,
        help="Structural model to propagate through: the one the fit's priorities used "
             "(auto), the linear paths, or the non-linear piecewise responses.")(command)


def load(results: str, structural: str, draws_file: str | None):
    """The Fitted model of RESULTS.json and, with --draws, its resampled parameters."""
    from csi.decisions.draws import parameters
    from csi.decisions.fitted import from_document

    doc = read_results(results)
    fitted = from_document(doc, results, None if structural == "auto" else structural)
    draws = parameters(fitted, doc, draws_file) if draws_file else None
    return fitted, draws


def withheld_line(fitted, what: str, lang: str | None = None) -> None:
    """The one loud stderr line for a fit whose advice is withheld, in `lang`."""
    if fitted.advice["status"] != "ok":
        status(f"{fitted.source}: the fit's advice is withheld "
               f"({fitted.advice['message'] or fitted.advice['status']}); {what}", lang,
               head="Warning")


@click.command("simulate")
@click.argument("results", metavar="RESULTS.json")
@click.option("--change", "changes", multiple=True, required=True, metavar="NAME=+POINTS",
              help="A construct's index (0-100 points) or an item's mean (answer-scale "
                   "points) and its change, e.g. Quality=+5 or PERQ2=+1. Repeatable.")
@click.option("--draws", "draws_file", type=click.Path(dir_okay=False),
              help="The fit's bootstrap draws (`csi fit --draws FILE`): intervals.")
@model_option
@click.option("--format", "output_format", type=click.Choice(["table", "json"]),
              default="table", show_default=True, help="Output format.")
@click.option("-o", "--output", type=OUTPUT,
              help="Write the output to this file (atomically) instead of standard output.")
@click.option("--pdf", "pdf_file", type=OUTPUT,
              help="Also write the PDF report of RESULTS.json with this simulation on its "
                   "Scenarios page (as `csi report --simulate`).")
@click.option("-q", "--quiet", is_flag=True, help="No notes on standard error.")
@lang_option
def simulate_command(results, changes, draws_file, structural, output_format, output, pdf_file,
                     quiet, lang) -> None:
    """What happens downstream of a change, from RESULTS.json (`csi fit --format json`):
    every construct the change reaches, before and after, never upstream; capped at 0-100."""
    from csi.decisions.simulate import parse_change, simulate
    from csi.jsonio import dumps

    fitted, draws = load(results, structural, draws_file)
    simulation = simulate(fitted, [parse_change(text) for text in changes], draws)
    withheld_line(fitted, "these numbers come from an inadmissible solution", lang)
    if pdf_file:
        write_pdf(results, pdf_file, quiet, lang, scenarios=[(results, simulation.to_dict())])
    emit(output_format, output, lambda console: render_simulation(simulation, console, lang),
         lambda kind: dumps(simulation.to_dict()))
    notes(simulation.notes, quiet, lang)


def write_pdf(results: str, path: str, quiet: bool, lang: str | None, **sections) -> None:
    """The PDF report of RESULTS.json with the scenarios `sections` add (never refitted)."""
    from csi.report.pdf import write

    info = write(read_results(results), path, lang=lang, **sections)
    if not quiet:
        status(f"Wrote {path} ({info.pages} pages)", lang)
