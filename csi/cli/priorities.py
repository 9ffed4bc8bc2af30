"""`csi priorities`: re-render the drivers and priorities of a saved fit."""

from __future__ import annotations

import click
from rich.console import Console

from csi.cli.report import lang_option
from csi.cli.results_file import read_results
from csi.drivers.priorities import Priorities
from csi.report.terminal import render_priorities


@click.command("priorities")
@click.argument("results", metavar="RESULTS.json")
@lang_option
def priorities_command(results, lang) -> None:
    """Show what to improve first, from a `csi fit --format json` file (no refitting)."""
    doc = read_results(results)
    if "priorities" not in doc:
        from csi.errors import DataError

        raise DataError(f"{results}: the file has no priorities (made by an older csi?)")
    labels = {c["name"]: c["label"] for c in doc["model"]["constructs"]}
    render_priorities(Priorities.from_dict(doc), lambda name: labels.get(name, name), Console(),
                      lang=lang, names=list(labels.values()))
