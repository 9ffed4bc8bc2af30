"""A plain numeric delimited file read with the csv module and numpy (no pandas, no pyarrow).

The common survey export - a header row, then one respondent a line, every cell a number or
empty - needs no DataFrame to fit a model, and importing pandas and pyarrow costs a short
run several times what reading the file does (issue 15, docs/speed.md). This reader gives the
columns pyarrow's reader gives such a file (csi.ingest.delimited._read_with_arrow), value for
value and type for type: whole-number columns without gaps as the smallest integer type,
every other numeric column as float64 with NaN for an empty cell (or one of Arrow's null
texts). Any other file - a text cell, a `+5` or ` 5` that Arrow reads its own way, a
repeated or missing column name, rows of another width, a column with no value - returns
None, and the pandas/pyarrow reader reads it as before.
"""

from __future__ import annotations

import csv
import io
import re

import numpy as np

from csi.ingest.columnar import Columns
from csi.ingest.frames import tidy_names

# Arrow's default null texts (pyarrow.csv.ConvertOptions().null_values; a test keeps them equal)
ARROW_NULLS = ("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
               "1.#QNAN", "N/A", "NA", "NULL", "NaN", "n/a", "nan", "null")
_NULL = "|".join(re.escape(text) for text in ARROW_NULLS if text)
_INT = r"-?\d{1,18}"  # within int64, as Arrow infers it (a leading + makes Arrow read floats)


def _column_pattern(cell: str) -> re.Pattern:
    """A whole column (cells joined by line feeds) of `cell`s or nulls."""
    one = f"(?:{cell}|{_NULL})?"
    return re.compile(f"{one}(?:\n{one})*")


_INTS = _column_pattern(_INT)
_FLOATS = {mark: _column_pattern(rf"-?(?:\d+(?:{re.escape(mark)}\d*)?|{re.escape(mark)}\d+)"
                                 r"(?:[eE][-+]?\d{1,4})?")
           for mark in ".,"}
_NULL_SET = frozenset(ARROW_NULLS)


def read_numeric(text: str, delimiter: str, decimal: str) -> Columns | None:
    """The named columns of delimited `text` (a whole file, its BOM removed) whose every cell
    is a number or null, typed as Arrow types them; None for any other file."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
        rows = [row for row in reader if row]  # blank lines are skipped
    except csv.Error:
        return None
    if not header or len(header) < 2 or not rows:
        return None
    width = len(header)
    if any(len(row) != width for row in rows):
        return None
    names, duplicates = tidy_names(header)
    if duplicates:
        return None
    arrays = []
    for cells in zip(*rows):
        array = _numbers(cells, decimal)
        if array is None:
            return None
        arrays.append(array)
    return Columns(tuple(names), tuple(arrays))


def _numbers(cells: tuple[str, ...], decimal: str) -> np.ndarray | None:
    """One column's cells as Arrow converts them (then csi.ingest.frames.compact stores
    them): int64 narrowed to the smallest type that holds it when every cell is a whole
    number, else float64 with NaN for nulls; None when a cell is neither number nor null."""
    joined = "\n".join(cells)
    n = len(cells)
    if _INTS.fullmatch(joined):
        nulls = [cell in _NULL_SET for cell in cells]
        if not any(nulls):
            return _smallest(np.fromiter(map(int, cells), dtype=np.int64, count=n))
        if all(nulls):
            return None  # Arrow types such a column as null
        return np.fromiter((np.nan if null else float(int(cell))
                            for cell, null in zip(cells, nulls)), dtype=float, count=n)
    if not _FLOATS[decimal].fullmatch(joined):
        return None
    if decimal == ",":
        cells = joined.replace(",", ".").split("\n")
    return np.fromiter((np.nan if cell in _NULL_SET else float(cell) for cell in cells),
                       dtype=float, count=n)


def _smallest(values: np.ndarray) -> np.ndarray:
    """Whole numbers in the smallest of int8, int16, int32 that holds them (else int64)."""
    low, high = values.min(), values.max()
    for kind in (np.int8, np.int16, np.int32):
        info = np.iinfo(kind)
        if info.min <= low and high <= info.max:
            return values.astype(kind)
    return values
