"""Writing outputs atomically: a reader never sees a half-written file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from csi.errors import CsiError, ExitCode


class OutputError(CsiError):
    """An output file cannot be written."""

    exit_code = ExitCode.DATA


def write_atomic(path: str | Path, payload: str | bytes) -> None:
    """Write to a temporary file beside `path`, then rename it over `path`."""
    target = Path(path)
    data = payload.encode("utf-8") if isinstance(payload, str) else payload
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent or ".", prefix=f".{target.name}.")
    except OSError as exc:
        raise OutputError(f"{target}: cannot write ({exc.strerror})") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes files owner-only (0600)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
