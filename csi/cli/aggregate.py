"""`csi aggregate`: industry, sector and national indices from company fits."""

from __future__ import annotations

import click

from csi.cli.paths import OUTPUT

from csi.cli.emit import emit, notes
from csi.cli.report import lang_option
from csi.report.decisions import render_aggregate
from csi.cli.results_file import read_results


@click.command("aggregate")
@click.argument("results", metavar="A.json B.json ...", nargs=-1, required=True)
@click.option("--weights", "weights_file", type=click.Path(dir_okay=False), required=True,
              help="CSV with columns result (each file as named on the command line) and "
                   "weight (sales or customers), and any level columns.")
@click.option("--level-column", "level_columns", multiple=True,
              help="A column of the weights file that groups members (e.g. industry); "
                   "repeat, innermost first, for nested levels (industry, then sector).")
@click.option("--level", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=0.95, show_default=True, help="Confidence level of the intervals.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]),
              default="table", show_default=True, help="Output format.")
@click.option("-o", "--output", type=OUTPUT,
              help="Write the output to this file (atomically) instead of standard output.")
@click.option("-q", "--quiet", is_flag=True, help="No notes on standard error.")
@lang_option
def aggregate_command(results, weights_file, level_columns, level, output_format, output,
                      quiet, lang) -> None:
    """Combine company fits (`csi fit --format json`) into a weighted index per construct,
    with the standard error of independent samples (the ACSI's aggregation)."""
    from csi.decisions.aggregate import aggregate, read_weights
    from csi.jsonio import dumps

    documents = {}
    for name in results:
        if name in documents:
            raise click.UsageError(f"{name} is given twice")
        documents[name] = read_results(name)
    weights = read_weights(weights_file, tuple(level_columns))
    result = aggregate(documents, weights, weights_file, tuple(level_columns), level)
    emit(output_format, output, lambda console: render_aggregate(result, console, lang),
         lambda kind: dumps(result.to_dict()))
    notes(result.notes, quiet, lang)
