"""`csi report`: a PDF report of a saved fit, rendered from its JSON (no refitting)."""

from __future__ import annotations

import click

from csi.cli.results_file import read_results
from csi.cli.paths import OUTPUT


@click.command("report")
@click.argument("results", metavar="RESULTS.json")
@click.option("-o", "--output", required=True, type=OUTPUT,
              help="The PDF file to write (atomically).")
@click.option("--title", help="Title of the report (default: Customer satisfaction report).")
@click.option("--labels", "labels_file", type=click.Path(dir_okay=False),
              help="Construct and question labels: a CSV file of name,label rows or a YAML "
                   "mapping (name: label). Any language; they override the model's @label "
                   "and the question texts kept from the survey.")
@click.option("-q", "--quiet", is_flag=True, help="No notes on standard error.")
def report_command(results, output, title, labels_file, quiet) -> None:
    """Write a PDF report of RESULTS.json (from `csi fit --format json`) for managers: the
    indices, drivers and priorities, path diagram and charts, measurement and data quality,
    and the methods."""
    from csi.report.labels import Labels, read_labels
    from csi.report.pdf import write

    doc = read_results(results)
    labels = read_labels(labels_file) if labels_file else None
    info = write(doc, output, title=title, labels=labels)
    if quiet:
        return
    if labels:
        unknown = Labels(doc, labels).unknown()
        if unknown:
            click.echo(f"Note: {labels_file}: {len(unknown)} name"
                       f"{'s' if len(unknown) != 1 else ''} not in the model, ignored: "
                       + ", ".join(unknown[:10]) + (" ..." if len(unknown) > 10 else ""),
                       err=True)
    click.echo(f"Wrote {output} ({info.pages} pages, {info.size / 1024:.0f} KB)", err=True)
