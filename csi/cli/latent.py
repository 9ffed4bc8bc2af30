"""`csi latent`: hidden segments (FIMIX-PLS latent classes) whose satisfaction drivers differ."""

from __future__ import annotations

import click

from csi.cli.emit import emit, notes
from csi.cli.paths import OUTPUT
from csi.cli.report import lang_option
from csi.cli.ingest_options import ingest_options, options_from
from csi.cli.pls_options import pls_options, pls_settings
from csi.inference.bootstrap import DEFAULT_SEED, BootstrapSettings
from csi.report.latent import render_latent


@click.command("latent")
@click.argument("survey", metavar="SURVEY")
@click.option("-m", "--model", default="acsi", show_default=True,
              help="Built-in model name (see `csi models`) or a lavaan-style model file.")
@click.option("--max-classes", type=click.IntRange(min=1, max=20), default=5, show_default=True,
              help="Fit FIMIX with 1 to this many classes.")
@click.option("--starts", type=click.IntRange(min=1), default=10, show_default=True,
              help="Seeded random EM starts per number of classes (the best is kept).")
@click.option("--lrt-bootstrap", type=click.IntRange(min=19), default=99, show_default=True,
              help="Regenerated data sets of the bootstrap likelihood-ratio test that "
                   "chooses the number of classes (its p is at least 1/(N+1): below 39 it "
                   "cannot reject at the 5% level).")
@click.option("--seed", type=click.IntRange(min=0), default=DEFAULT_SEED, show_default=True,
              help="Seed of the EM starts and the test (same seed, same output).")
@click.option("--bootstrap", "resamples", type=click.IntRange(min=0), default=0,
              show_default=True, help="Bootstrap resamples of each class's re-estimation "
                                      "(0: point estimates).")
@click.option("--target", help="Construct whose drivers are ranked in each class.")
@click.option("--explain", "explain", metavar="COLUMNS",
              help="Comma-separated columns (age, region, channel...): cross-tabs against "
                   "the classes with chi-square tests.")
@click.option("--save-classes", type=OUTPUT,
              help="Write the membership (row, class, probability, p_1..p_K) as CSV.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]),
              default="table", show_default=True, help="Output format.")
@click.option("-o", "--output", type=OUTPUT,
              help="Write the output to this file (atomically) instead of standard output.")
@click.option("--pdf", "pdf_file", type=OUTPUT,
              help="Also write a PDF report: the whole survey's fit with a Hidden segments "
                   "section (as `csi report --latent`).")
@click.option("-q", "--quiet", is_flag=True, help="No notes on standard error.")
@lang_option
@pls_options
@ingest_options
def latent_command(survey, model, max_classes, starts, lrt_bootstrap, seed, resamples, target,
                   explain, save_classes, output_format, output, pdf_file, quiet, lang,
                   **options) -> None:
    """Find hidden segments of SURVEY whose drivers differ: FIMIX-PLS latent classes on the
    PLS construct scores, the number of classes chosen by a bootstrap likelihood-ratio test
    (information criteria shown beside it), each class re-estimated with its own index,
    paths and priorities."""
    from csi.ingest import item_matrix, read_survey
    from csi.jsonio import write_atomic
    from csi.model.spec import load_model
    from csi.multi.latent import LatentSettings, analyse

    spec = load_model(model)
    ingest = options_from(options)
    data = read_survey(survey, encoding=ingest.encoding, sheet=ingest.sheet)
    items = item_matrix(data, spec, options=ingest)
    settings = pls_settings(options)
    columns = tuple(c.strip() for c in explain.split(",") if c.strip()) if explain else ()
    result = analyse(
        items, spec, data, settings=settings, options=ingest,
        latent=LatentSettings(max_classes=max_classes, starts=starts,
                              lrt_bootstrap=lrt_bootstrap, seed=seed),
        bootstrap=BootstrapSettings(resamples=resamples, seed=seed, workers=1),
        target=target, explain=columns)
    if save_classes:
        write_atomic(save_classes, result.membership.to_csv(index=False))
    if pdf_file:
        from csi.report.pdf import write

        info = write(result.whole.to_dict(), pdf_file, lang=lang,
                     latent=(survey, result.to_dict()))
        if not quiet:
            click.echo(f"Wrote {pdf_file} ({info.pages} pages)", err=True)
    emit(output_format, output, lambda console: render_latent(result, console, lang),
         lambda kind: result.to_json(), width=110)
    notes(result.warnings, quiet, lang)  # on stderr in every format
