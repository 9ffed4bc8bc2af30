"""`csi report`: a PDF report of a saved fit, rendered from its JSON (no refitting)."""

from __future__ import annotations

from pathlib import Path

import click

from csi.cli.results_file import read_results
from csi.cli.emit import status
from csi.cli.paths import OUTPUT

LANGUAGES = ("en", "zh-CN")


def lang_option(command):
    """--lang en|zh-CN for every command that writes a report (default CSI_LANG, else en)."""
    return click.option(
        "--lang", type=click.Choice(LANGUAGES, case_sensitive=False), envvar="CSI_LANG",
        default="en", show_default=True, show_envvar=True,
        help="Language of the report's headings, tables and sentences (the JSON stays "
             "English).")(command)


@click.command("report")
@click.argument("results", metavar="RESULTS.json", nargs=-1, required=True)
@click.option("-o", "--output", required=True, type=OUTPUT,
              help="The PDF file to write (atomically).")
@click.option("--wave-labels", help="Comma-separated names of the waves, one per results "
                                    "file (default: the file names).")
@click.option("--title", help="Title of the report (default: Customer satisfaction report).")
@click.option("--labels", "labels_file", type=click.Path(dir_okay=False),
              help="Construct and question labels: a CSV file of name,label rows or a YAML "
                   "mapping (name: label). Any language; they override the model's @label "
                   "and the question texts kept from the survey.")
@click.option("--simulate", "simulations", multiple=True, type=click.Path(dir_okay=False),
              metavar="SIM.json", help="A `csi simulate --format json` result of this fit: "
                                       "the Scenarios section shows it. Repeatable.")
@click.option("--plan", "plans", multiple=True, type=click.Path(dir_okay=False),
              metavar="PLAN.json", help="A `csi plan --format json` result of this fit: the "
                                        "Scenarios section shows it. Repeatable.")
@click.option("--latent", "latent_file", type=click.Path(dir_okay=False),
              metavar="LATENT.json", help="A `csi latent --format json` result of the same "
                                          "model and survey: the Hidden segments section.")
@click.option("-q", "--quiet", is_flag=True, help="No notes on standard error.")
@lang_option
def report_command(results, output, wave_labels, title, labels_file, simulations, plans,
                   latent_file, quiet, lang) -> None:
    """Write a PDF report of RESULTS.json (from `csi fit --format json`) for managers: the
    indices, drivers and priorities, path diagram and charts, measurement and data quality,
    and the methods. Several files are waves in order: a trend section comes first."""
    from csi.report.labels import Labels, read_labels
    from csi.report.pdf import write

    docs = [read_results(path) for path in results]
    names = _wave_names(results, wave_labels)
    doc = docs[-1]
    labels = read_labels(labels_file) if labels_file else None
    waves = list(zip(names, docs)) if len(docs) > 1 else None
    scenarios = ([(path, read_results(path, "csi.simulate/")) for path in simulations]
                 + [(path, read_results(path, "csi.plan/")) for path in plans])
    latent = (latent_file, read_results(latent_file, "csi.latent/")) if latent_file else None
    info = write(doc, output, title=title, labels=labels, lang=lang, waves=waves,
                 scenarios=scenarios, latent=latent)
    if quiet:
        return
    if labels:
        unknown = Labels(doc, labels).unknown()
        if unknown:
            status(f"{labels_file}: {len(unknown)} name"
                   f"{'s' if len(unknown) != 1 else ''} not in the model, ignored: "
                   + ", ".join(unknown[:10]) + (" ..." if len(unknown) > 10 else ""), lang,
                   note=True)
    status(f"Wrote {output} ({info.pages} pages, {info.size / 1024:.0f} KB)", lang)


def _wave_names(results: tuple[str, ...], wave_labels: str | None) -> list[str]:
    """The waves' names: --wave-labels, else the file names without .json."""
    if wave_labels is None:
        return [Path(path).stem for path in results]
    names = [name.strip() for name in wave_labels.split(",")]
    if len(names) != len(results) or not all(names):
        raise click.BadParameter(f"{len(names)} names for {len(results)} results files",
                                 param_hint="'--wave-labels'")
    return names
