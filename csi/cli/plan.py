"""`csi plan`: where a budget of improvement points lifts the target most, from a saved fit."""

from __future__ import annotations

import click

from csi.cli.paths import OUTPUT

from csi.cli.emit import emit, notes
from csi.cli.report import lang_option
from csi.report.decisions import render_plan
from csi.cli.simulate import load, model_option, withheld_line, write_pdf


@click.command("plan")
@click.argument("results", metavar="RESULTS.json")
@click.option("--budget", type=float, required=True, metavar="POINTS",
              help="Improvement points to spend (cost units when --costs gives prices).")
@click.option("--costs", "costs_file", type=click.Path(dir_okay=False),
              help="CSV with columns driver,cost_per_point,max_points (a construct or an item "
                   "per row; max_points may be empty). Default: every driver at 1 a point.")
@click.option("--target", help="Construct to raise (default: the fit's priorities target).")
@click.option("--max-per-driver", type=click.FloatRange(min=0), metavar="N",
              help="At most N points on any one driver.")
@click.option("--step", type=click.FloatRange(min=0, min_open=True), default=1.0,
              show_default=True, help="Points per greedy step.")
@click.option("--draws", "draws_file", type=click.Path(dir_okay=False),
              help="The fit's bootstrap draws (`csi fit --draws FILE`): an interval.")
@click.option("--force", is_flag=True, help="Plan even when the fit's advice is withheld "
                                            "(the output says so).")
@model_option
@click.option("--format", "output_format", type=click.Choice(["table", "json"]),
              default="table", show_default=True, help="Output format.")
@click.option("-o", "--output", type=OUTPUT,
              help="Write the output to this file (atomically) instead of standard output.")
@click.option("--pdf", "pdf_file", type=OUTPUT,
              help="Also write the PDF report of RESULTS.json with this plan on its Scenarios "
                   "page (as `csi report --plan`).")
@click.option("-q", "--quiet", is_flag=True, help="No notes on standard error.")
@lang_option
def plan_command(results, budget, costs_file, target, max_per_driver, step, draws_file, force,
                 structural, output_format, output, pdf_file, quiet, lang) -> None:
    """Spend a budget of improvement points where it raises the target most per unit cost
    (greedy, step by step; never past 100), from RESULTS.json (`csi fit --format json`)."""
    from csi.decisions.plan import plan, read_costs
    from csi.jsonio import dumps

    fitted, draws = load(results, structural, draws_file)
    costs = read_costs(costs_file) if costs_file else None
    result = plan(fitted, budget, target, costs, costs_file, max_per_driver, draws, step, force)
    withheld_line(fitted, "this plan comes from an inadmissible solution", lang)
    if pdf_file:
        write_pdf(results, pdf_file, quiet, lang, scenarios=[(results, result.to_dict())])
    emit(output_format, output, lambda console: render_plan(result, console, lang),
         lambda kind: dumps(result.to_dict()))
    notes(result.notes, quiet, lang)
