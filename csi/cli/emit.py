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


def notes(messages: Iterable[str], quiet: bool, lang: str | None = None) -> None:
    """Each message as a `Note:` line on stderr, unless --quiet, in `lang` (default
    CSI_LANG, else English: csi.report.notes)."""
    if quiet:
        return
    messages = list(messages)
    if not messages:
        return
    from rich.console import Console
    from rich.markup import escape

    from csi.report import i18n
    from csi.report.notes import note

    err = Console(stderr=True)
    with i18n.use(lang):
        head = i18n._("Note")
        for message in messages:
            err.print(f"[yellow]{head}:[/] {escape(note(message))}", highlight=False)


def status(message: str, lang: str | None = None, note: bool = False,
           head: str | None = None) -> None:
    """One status line csi writes in English ("Wrote FILE (N pages)"), on stderr in `lang`
    (csi.report.notes); `note` prefixes "Note:", `head` another word ("Warning")."""
    from csi.report import i18n
    from csi.report.notes import note as translate

    head = "Note" if note else head
    with i18n.use(lang):
        click.echo((i18n._(head) + ": " if head else "") + translate(message), err=True)
