"""`csi models`: list the built-in models and their indicators (a table, or JSON for scripts)."""

from __future__ import annotations

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from csi.model.catalog import builtin_catalog, catalog_json
from csi.cli.emit import emit
from csi.cli.paths import OUTPUT


@click.command("models")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]),
              default="table", show_default=True,
              help="A table per model, or the csi.models/1 JSON document.")
@click.option("-o", "--output", type=OUTPUT,
              help="Write to this file (atomically) instead of standard output.")
def models_command(output_format: str, output: str | None) -> None:
    """List the built-in models: title, citation, constructs, indicators and paths."""
    entries = builtin_catalog()

    def render(console: Console) -> None:
        for entry in entries:
            title = f"{entry.name}  (--model {entry.name})"
            if entry.title:
                title = f"{entry.name}: {entry.title}  (--model {entry.name})"
            table = Table(title=escape(title), title_justify="left",
                          caption=escape(entry.citation) if entry.citation else None,
                          caption_justify="left")
            for column in ("Construct", "Label", "Mode", "Indicators", "Predictors"):
                table.add_column(column)
            spec = entry.spec
            for block in spec.blocks:
                table.add_row(
                    block.construct,
                    escape(spec.label(block.construct)),
                    block.mode,
                    " ".join(block.indicators),
                    " ".join(spec.predecessors(block.construct)) or "—",
                )
            console.print(table)

    emit(output_format, output, render, lambda _: catalog_json(entries))
