"""JSON values and output files: the one conversion of numbers and tables to JSON, and
atomic writes (a reader never sees a half-written file).

The rules, for every document csi writes: floats stay exact (repr round-trips); NaN and
infinities become null (JSON has neither); numpy integers and booleans become Python ones;
keys keep their order, non-ASCII text stays readable.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from csi.errors import CsiError, DataError, ExitCode


class OutputError(CsiError):
    """An output file cannot be written."""

    exit_code = ExitCode.DATA


def write_atomic(path: str | Path, payload: str | bytes) -> None:
    """Write to a temporary file beside `path`, then rename it over `path`."""
    target = Path(path)
    data = payload.encode("utf-8") if isinstance(payload, str) else payload
    handle, temporary = _temporary_beside(target)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o666 & ~_umask())  # made owner-only (0600), as mkstemp does
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _temporary_beside(target: Path) -> tuple[int, Path]:
    """A new file `.NAME.XXXXXXXX` in the target's folder, created exclusively (what
    tempfile.mkstemp does, without the ~10 ms its import costs every short run)."""
    flags = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
             | getattr(os, "O_BINARY", 0))
    for _ in range(100):
        temporary = (target.parent or Path(".")) / f".{target.name}.{os.urandom(6).hex()}"
        try:
            return os.open(temporary, flags, 0o600), temporary
        except FileExistsError:
            continue
        except OSError as exc:
            raise OutputError(f"{target}: cannot write ({exc.strerror})") from None
    raise OutputError(f"{target}: cannot write (no free temporary name)")


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def number(value: Any) -> Any:
    """A JSON-safe scalar: bools and integers as such, floats exact, NaN/inf as None."""
    if type(value).__module__ == "numpy" and hasattr(value, "dtype"):  # numpy scalars,
        value = value.item()  # without importing numpy here (`csi --help` never loads it)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return value


def read_number(value: Any) -> float | None:
    """A number read back from a JSON document: a float, or None for null, NaN, a boolean
    and text (a hand-edited or older file)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else value


def real(value: Any) -> float | None:
    """A measurement as a JSON float (None when absent, NaN or infinite)."""
    return None if value is None else number(float(value))


def clean(value: Any) -> Any:
    """`value` with every number made JSON-safe, through dicts, lists, tuples and arrays."""
    if isinstance(value, dict):
        return {key: clean(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(item) for item in value]
    if type(value).__module__ == "numpy" and getattr(value, "ndim", 0):  # arrays
        return clean(value.tolist())
    return number(value)


def records(frame) -> list[dict]:
    """A long DataFrame as a list of JSON-safe row objects."""
    return [{key: number(item) for key, item in row.items()}
            for row in frame.to_dict("records")]


def dumps(document: dict) -> str:
    """The JSON text of a document, as every csi output writes it."""
    return json.dumps(clean(document), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def read_results(path: str | Path, schema: str = "csi.fit/") -> dict:
    """A saved JSON document of `schema`; DataError (exit 3) if unreadable or another kind."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}, line {exc.lineno}: not valid JSON ({exc.msg})") from None
    if not isinstance(doc, dict) or not str(doc.get("schema", "")).startswith(schema):
        kind = schema.strip("/").removeprefix("csi.")
        raise DataError(f"{path}: not a csi {kind} result (no 'schema': '{schema}…' key)")
    return doc
