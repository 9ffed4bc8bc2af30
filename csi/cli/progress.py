"""A progress bar on standard error that stays silent when stderr is not a terminal."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def progress_bar(total: int, label: str, quiet: bool = False) -> Iterator[Callable[[int], None]]:
    """Yield an `advance(n)` callback; a rich bar on stderr only for an interactive terminal
    and without --quiet (colour follows NO_COLOR, which rich honours)."""
    if quiet or total <= 0 or not sys.stderr.isatty():
        yield lambda n: None
        return
    from rich.console import Console  # only when a bar is drawn
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeRemainingColumn)

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(label, total=total)
        yield lambda n: progress.advance(task, n)
