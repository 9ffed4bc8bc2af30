"""How every command hands its result to the user: a table, JSON or CSV, to stdout or to a
file written atomically, and notes on stderr (silent with --quiet)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable

from typing import TYPE_CHECKING

import click

from csi.jsonio import write_atomic

if TYPE_CHECKING:  # rich loads when a table or a note is printed, not for JSON to a file
    from rich.console import Console


def emit(output_format: str, output: str | None, render: Callable[[Console], None],
         payload: Callable[[str], str], width: int = 100) -> None:
    """`render` draws the table on a console; `payload(format)` returns JSON or CSV text."""
    if output_format == "table":
        from rich.console import Console

        if output:
            buffer = io.StringIO()
            render(Console(file=buffer, width=width, no_color=True))
            write_atomic(output, buffer.getvalue())
        else:
            render(Console())
        return
    text = payload(output_format)
    if output:
        write_atomic(output, text)
    else:
        click.echo(text, nl=False)


def notes(messages: Iterable[str], quiet: bool) -> None:
    """Each message as a `Note:` line on stderr, unless --quiet."""
    if quiet:
        return
    from rich.console import Console
    from rich.markup import escape

    err = Console(stderr=True)
    for message in messages:
        err.print(f"[yellow]Note:[/] {escape(message)}", highlight=False)
