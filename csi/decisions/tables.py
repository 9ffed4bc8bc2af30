"""The small CSV inputs of the decision commands (costs, weights): read once, the same way,
with one-line errors naming the file, row and column."""

from __future__ import annotations

import csv
from pathlib import Path

from csi.errors import DataError


def read_records(path: str | Path, what: str, required: tuple[str, ...],
                 hint: str | None = None) -> list[tuple[int, dict[str, str]]]:
    """(row number from 1, {column: trimmed text}) of a CSV `what` file (e.g. "costs") that
    must have the `required` columns; `hint` replaces the list of columns in that error."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError(f"{path}: no such {what} file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read the {what} file ({exc})") from None
    reader = csv.DictReader(text.splitlines())
    header = [name.strip() for name in (reader.fieldnames or [])]
    for column in required:
        if column not in header:
            raise DataError(f"{path}: no column '{column}' "
                            f"({hint or 'columns: ' + ', '.join(header)})")
    return [(number, {(k or "").strip(): (v or "").strip() for k, v in record.items()})
            for number, record in enumerate(reader, start=1)]
