"""`csi compare`: did satisfaction (a path, a driver's importance) really change between two
groups: two files (waves), or the two levels of a column?"""

from __future__ import annotations


import click

from csi.cli.bootstrap_options import bootstrap_options, bootstrap_settings
from csi.cli.emit import emit, notes
from csi.cli.ingest_options import ingest_options, options_from
from csi.cli.pls_options import pls_options, pls_settings
from csi.cli.progress import progress_bar
from csi.cli.segments import scheduler_option
from csi.cli.paths import OUTPUT
from csi.cli.report import lang_option
from csi.multi.compare import DEFAULT_PERMUTATIONS, compare, compare_by
from csi.ingest import item_matrix, read_survey
from csi.report.segments import comparison_csv, render_comparison
from csi.report.micom import render_micom
from csi.scale_out import executor_for
from csi.model.spec import load_model

HELP = """Compare two groups: A and B (two survey files, e.g. two waves; B - A), or the two
levels of COLUMN in one SURVEY with --by COLUMN (the second level minus the first, in
natural order).

Every construct's index, every path and the importance of every driver of the target
construct is compared: the difference, a permutation-test p value (Chin & Dibbern 2010:
the group labels are permuted and both groups refitted), a bootstrap CI of the difference
(each group resampled on its own) and a verdict such as "Customer Satisfaction rose 2.1
points (72.4 → 74.5), 95% CI 0.4–3.8, p = 0.02". Both groups share the model, the
settings and the answer scale.
"""


@click.command("compare", help=HELP)
@click.argument("surveys", nargs=-1, required=True, metavar="A [B]")
@click.option("-m", "--model", default="acsi", show_default=True,
              help="Built-in model name (see `csi models`) or a lavaan-style model file.")
@click.option("--by", metavar="COLUMN",
              help="Compare the two levels of COLUMN of one survey instead of two files.")
@click.option("--permutations", type=click.IntRange(min=1), default=DEFAULT_PERMUTATIONS,
              show_default=True, help="Permutations of the group labels for the p values.")
@click.option("--target", help="Construct whose drivers' importances are compared (default: "
                               "the model's @target, else the construct with the most "
                               "predecessors).")
@click.option("--format", "output_format", type=click.Choice(["table", "json", "csv"]),
              default="table", show_default=True,
              help="table: verdicts and a table; json: `csi.compare/1` with both fits; csv: "
                   "the differences.")
@click.option("-o", "--output", type=OUTPUT,
              help="Write the output to this file (atomically) instead of standard output.")
@click.option("-q", "--quiet", is_flag=True, help="No notes or progress on standard error.")
@click.option("--micom", "show_micom", is_flag=True,
              help="Show MICOM's three steps per construct (Henseler, Ringle & Sarstedt 2016);"
                   " without it, a one-line MICOM verdict.")
@pls_options
@ingest_options
@bootstrap_options
@scheduler_option
@lang_option
def compare_command(surveys, model, by, permutations, target, output_format, output, quiet,
                    show_micom, scheduler, lang, **options) -> None:
    if by is None and len(surveys) != 2:
        raise click.UsageError("give two survey files (A B), or one survey and --by COLUMN")
    if by is not None and len(surveys) != 1:
        raise click.UsageError("--by compares the two levels of a column of one survey; give "
                               "one survey file")
    spec = load_model(model)
    ingest = options_from(options)
    settings = pls_settings(options)
    resampling = bootstrap_settings(options)
    common = dict(settings=settings, bootstrap=resampling, permutations=permutations,
                  target=target)
    data = [read_survey(s, ingest) for s in surveys]
    prepared = [item_matrix(d, spec, options=ingest) for d in data]  # data errors first
    with executor_for(scheduler, resampling.workers) as executor, \
            progress_bar(3, "Comparing", quiet) as advance:
        if by is not None:
            comparison = compare_by(data[0], spec, by, options=ingest, items=prepared[0],
                                    executor=executor, progress=advance, **common)
        else:
            comparison = compare(data[0], data[1], spec, options=ingest, items=tuple(prepared),
                                 executor=executor, progress=advance, **common)
        where = executor.notes
    notes(where, quiet, lang)
    emit(output_format, output, lambda console: (render_comparison(comparison, console, lang),
                                                 render_micom(comparison.micom, show_micom,
                                                              console, lang)),
         lambda kind: comparison.to_json() if kind == "json" else comparison_csv(comparison),
         width=120)
    if output_format != "table":
        notes(comparison.warnings, quiet, lang)
