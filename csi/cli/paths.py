"""Output paths checked when the options are parsed: a run that cannot write its output fails
at once with a usage error (exit 2), not after minutes of estimation."""

from __future__ import annotations

import os
from pathlib import Path

import click


class OutputPath(click.Path):
    """A file csi will write: not a directory, and its directory exists and is writable."""

    def __init__(self) -> None:
        super().__init__(dir_okay=False, writable=True)

    def convert(self, value, param, ctx):
        value = super().convert(value, param, ctx)
        folder = Path(value).parent
        if not folder.is_dir():
            self.fail(f"{value}: the folder {folder} does not exist", param, ctx)
        if not os.access(folder, os.W_OK | os.X_OK):
            self.fail(f"{value}: the folder {folder} is not writable", param, ctx)
        return value


OUTPUT = OutputPath()
