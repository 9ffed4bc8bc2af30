"""`csi schema`: print the JSON Schema of a csi document (the published JSON contract)."""

from __future__ import annotations

import click

from csi import schemas


@click.command("schema")
@click.argument("document", type=click.Choice(schemas.NAMES), default="fit", required=False)
def schema_command(document: str) -> None:
    """Print the JSON Schema (draft 2020-12) of a csi document: fit (default), check, compare,
    segments, simulate, plan, aggregate, predict or latent."""
    click.echo(schemas.text(document), nl=False)
