"""`csi models`: list the built-in models and their indicators."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from csi.model.spec import builtin_models, parse_model


@click.command("models")
def models_command() -> None:
    """List the built-in models, their constructs and indicators."""
    console = Console()
    for name, text in builtin_models().items():
        spec = parse_model(text, name=name)
        table = Table(title=f"{name}  (--model {name})", title_justify="left")
        for column in ("Construct", "Label", "Mode", "Indicators", "Predictors"):
            table.add_column(column)
        for block in spec.blocks:
            table.add_row(
                block.construct,
                spec.label(block.construct),
                block.mode,
                " ".join(block.indicators),
                " ".join(spec.predecessors(block.construct)) or "—",
            )
        console.print(table)
