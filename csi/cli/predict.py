"""`csi predict`: PLSpredict and CVPAT -- does the model predict new respondents' answers?"""

from __future__ import annotations

import click

from csi.cli.emit import emit, notes
from csi.cli.ingest_options import ingest_options, options_from
from csi.cli.pls_options import pls_options, pls_settings
from csi.cli.report import lang_option
from csi.report.predict import render_predict

HELP = """Out-of-sample prediction of MODEL's endogenous indicators on SURVEY: PLSpredict
with linear-model and indicator-average benchmarks, and CVPAT.

PLSpredict follows Shmueli et al. (2016, 2019), CVPAT Liengaard et al. (2021) and Sharma et
al. (2023).

Each of --repeats repetitions splits the respondents into --folds folds from one seed; PLS is
re-estimated without each fold and predicts its answers. Per indicator: Q²_predict (against
the training averages), RMSE and MAE of PLS and of the linear-model benchmark; per construct
the verdict in Shmueli et al.'s terms (none, low, medium, high predictive power); CVPAT tests
PLS's loss against the indicator averages (IA) and the linear model (LM). --folds 0:
leave-one-out.
"""


@click.command("predict", help=HELP)
@click.argument("survey")
@click.option("-m", "--model", default="acsi", show_default=True,
              help="Built-in model name (see `csi models`) or a lavaan-style model file.")
@click.option("--folds", type=click.IntRange(min=0), default=10, show_default=True,
              help="Folds of the cross-validation (0 or the sample size: leave-one-out).")
@click.option("--repeats", type=click.IntRange(min=1), default=10, show_default=True,
              help="Repetitions with new random folds; predictions are averaged over them.")
@click.option("--seed", type=click.IntRange(min=0), default=20261128, show_default=True,
              help="Seed of the fold assignment and of CVPAT's bootstrap.")
@click.option("--technique", type=click.Choice(["earliest", "direct"]), default="earliest",
              show_default=True,
              help="Predict endogenous scores from the earliest antecedents (exogenous "
                   "constructs) or from each construct's direct antecedents.")
@click.option("--target", help="Construct whose verdict is the model's (default: the model's "
                               "@target, else the construct with the most predecessors).")
@click.option("--by", metavar="COLUMN", help="Predict within each value of COLUMN separately.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]),
              default="table", show_default=True, help="table, or json (`csi.predict/1`).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write the output to this file (atomically) instead of standard output.")
@click.option("-q", "--quiet", is_flag=True, help="No notes on standard error.")
@lang_option
@pls_options
@ingest_options
def predict_command(survey, model, folds, repeats, seed, technique, target, by, output_format,
                    output, quiet, lang, **options) -> None:
    from csi.ingest import item_matrix, read_survey
    from csi.model.spec import load_model
    from csi.multi.predict import predict_items

    spec = load_model(model)
    ingest = options_from(options)
    settings = pls_settings(options)
    data = read_survey(survey, ingest)
    common = dict(folds=folds, repeats=repeats, seed=seed, technique=technique, target=target)
    if by is None:
        items = item_matrix(data, spec, options=ingest)
        result = predict_items(items, spec, settings, source=data.source, **common)
        segments = []
    else:
        from dataclasses import replace

        from csi.multi.segments import segment_items, split

        groups, _ = split(data, by)
        segments = []
        for name, rows in groups.items():
            items = segment_items(data, rows, by, name, spec, ingest)
            found = predict_items(items, spec, settings, source=f"{data.source} [{by} = {name}]",
                                  **common)
            segments.append((name, found))
        first = segments[0][1]
        result = replace(first, source=data.source, segments=[
            {"segment": name, **found.to_dict()} for name, found in segments])
    emit(output_format, output, lambda console: render_predict(result, segments, console, lang),
         lambda kind: result.to_json(), width=110)
    notes(result.warnings, quiet, lang)

