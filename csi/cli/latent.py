"""`csi latent`: hidden segments (FIMIX-PLS latent classes) whose satisfaction drivers differ."""

from __future__ import annotations

import click

from csi.cli.paths import OUTPUT

from csi.cli.emit import emit, notes
from csi.cli.ingest_options import ingest_options, options_from
from csi.cli.pls_options import pls_options, pls_settings
from csi.inference.bootstrap import DEFAULT_SEED, BootstrapSettings


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
                   "chooses the number of classes.")
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
@click.option("-q", "--quiet", is_flag=True, help="No notes on standard error.")
@pls_options
@ingest_options
def latent_command(survey, model, max_classes, starts, lrt_bootstrap, seed, resamples, target,
                   explain, save_classes, output_format, output, quiet, **options) -> None:
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
    emit(output_format, output, lambda console: _render(result, console),
         lambda kind: result.to_json(), width=110)
    if output_format != "table":
        notes(result.warnings, quiet)


def _render(result, console) -> None:
    """The criteria per K, the test's verdict, and each class's size, index and priorities.
    (Lives here because csi/report/ was not this change's to edit; it belongs there.)"""
    from rich.table import Table

    table = Table(title=f"FIMIX-PLS on {result.source}: classes by K (AIC, AIC4, HQ, MDL5 "
                        "in the JSON)")
    for column in ("K", "lnL", "AIC3", "BIC", "CAIC", "EN", "shares", "LRT p"):
        table.add_column(column, justify="right", no_wrap=True)
    p_of = {t["k"]: t["p"] for t in result.lrt}
    for row in result.criteria.to_dict("records"):
        table.add_row(str(row["k"]), f"{row['loglik']:.2f}",
                      *(f"{row[c]:.1f}" for c in ("AIC3", "BIC", "CAIC")),
                      "" if row["k"] == 1 else f"{row['EN']:.3f}",
                      " ".join(f"{s:.0%}" for s in row["shares"]),
                      f"{p_of[row['k']]:.3f}" if row["k"] in p_of else "")
    console.print(table)
    console.print(f"[bold]{result.chosen_k} class{'es' if result.chosen_k != 1 else ''}[/] "
                  f"- {result.rule}")
    picks = ", ".join(f"{k} {v}" for k, v in result.criteria_choice.items())
    console.print(f"Information criteria alone would choose: {picks} (not used: they find "
                  "classes in skewed answers that have none)")
    console.print(result.actionable["verdict"])
    for excluded in result.excluded:
        console.print(f"Note: {excluded['reason']}")
    fits = {} if result.segments is None else {f.name: f.result for f in result.segments.fits}
    for entry in result.classes:
        name = str(entry["class"])
        console.print(f"\n[bold]Class {name}[/]: {entry['share']:.0%} "
                      f"({entry['size']:.0f} respondents expected, {entry['n_modal']:.0f} "
                      "assigned)")
        fit = fits.get(name)
        if fit is None:
            console.print("  not re-estimated (too few respondents)")
            continue
        paths = ", ".join(f"{p['from']}->{p['to']} {p['estimate']:.2f}"
                          for p in entry["fimix"]["paths"])
        console.print(f"  FIMIX paths: {paths}")
        index = ", ".join(f"{fit.model.label(r.construct)} {r.score:.1f}"
                          for r in fit.index.itertuples())
        console.print(f"  Index: {index}")
        if fit.priorities is not None:
            order = ", ".join(fit.model.label(d) for d in fit.priorities.ranking["driver"])
            console.print(f"  Priorities for {fit.model.label(fit.priorities.target)}: {order}")
    for entry in result.explain:
        verdict = ("" if entry["p"] is None else
                   f"chi-square {entry['statistic']:.1f}, df {entry['df']}, p = {entry['p']:.3f}, "
                   f"Cramer's V {entry['cramers_v']:.2f}")
        console.print(f"\n{entry['column']} vs class: {verdict}")
