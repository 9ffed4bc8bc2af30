"""A plain numeric delimited file read with the csv module and numpy (no pandas, no pyarrow).

The common survey export - a header row, then one respondent a line, every cell a number or
empty - needs no DataFrame to fit a model, and importing pandas and pyarrow costs a short
run several times what reading the file does (issue 15, docs/speed.md). This reader gives the
columns pyarrow's reader gives such a file (csi.ingest.delimited._read_with_arrow), value for
value and type for type: whole-number columns without gaps as the smallest integer type,
every other numeric column as float64 with NaN for an empty cell (or one of Arrow's null
texts). Any other file - a text cell, a `+5` or ` 5` that Arrow reads its own way, a
repeated or missing column name, rows of another width, a column with no value - returns
None, and the pandas/pyarrow reader reads it as before. A column of words (an ID such as
`R_0001`, a store name) is held as its cells, for the fit's ID check; the DataFrame of such a
file is the pyarrow reader's, built only when something asks for it.
"""

from __future__ import annotations

import csv
import io
import re
from itertools import repeat

import numpy as np

from csi.ingest.columnar import Columns
from csi.ingest.frames import tidy_names

# Arrow's default null texts (pyarrow.csv.ConvertOptions().null_values; a test keeps them equal)
ARROW_NULLS = ("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
               "1.#QNAN", "N/A", "NA", "NULL", "NaN", "n/a", "nan", "null")
# ASCII digits only (Python's int() reads other scripts' digits, Arrow does not); whole
# numbers within int64 as Arrow infers them (a leading + makes Arrow read floats)
_INT_CELL = re.compile(r"-?\d{1,18}", re.ASCII)
_FLOAT_CELL = {mark: re.compile(rf"-?(?:\d+(?:{re.escape(mark)}\d*)?|{re.escape(mark)}\d+)"
                                r"(?:[eE][-+]?\d{1,4})?", re.ASCII)
               for mark in ".,"}
_NULL_SET = frozenset(ARROW_NULLS)
_LONG = re.compile(r"[0-9]{19}")


def read_numeric(text: str, delimiter: str, decimal: str) -> Columns | None:
    """The named columns of delimited `text` (a whole file, its BOM removed) whose every cell
    is a number or null, typed as Arrow types them; None for any other file."""
    quick = _whole_numbers(text, delimiter)
    if quick is not None:
        return quick
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
    arrays, texts = [], {}
    for name, cells in zip(names, zip(*rows)):
        array = _numbers(cells, decimal)
        if array is None:
            if not _words(cells, decimal):
                return None
            texts[name] = cells
        arrays.append(array)
    if len(texts) == width:
        return None  # no number at all: not a survey this reader is for
    return Columns(tuple(names), tuple(arrays), texts)


# words Arrow reads as booleans or numbers (it ignores case for these)
_NOT_WORDS = frozenset(("true", "false", "inf", "infinity", "nan"))


def _word(cell: str) -> bool:
    """A cell starting with a letter (any script) or `_`, on one line."""
    return ((cell[:1].isalpha() or cell.startswith("_")) and "\n" not in cell
            and "\r" not in cell and cell.lower() not in _NOT_WORDS)


def _words(cells: tuple[str, ...], decimal: str) -> bool:
    """Whether Arrow reads this column as text that csi can hold without pandas: some cell
    is a word (starting with a letter or `_`: `R_0001`, `store A`, `广州`) and every other
    is a number or null. A cell Arrow might read as a date, time, boolean or number in its
    own way (`2024-01-31`, `12:30`, `TRUE`, `+5`, ` 5`) sends the file to pyarrow."""
    found = False
    for cell in set(cells):
        if cell in _NULL_SET or _INT_CELL.fullmatch(cell) or (
                _FLOAT_CELL[decimal].fullmatch(cell) and not _LONG.search(cell)):
            continue
        if not _word(cell):
            return False
        found = True
    return found


def _whole_numbers(text: str, delimiter: str) -> Columns | None:
    """The common case at C speed: an unquoted header, then rows of non-negative whole
    numbers without a gap (digits and delimiters only); None for anything else, which the
    csv module reads."""
    first = text.find("\n")
    if first < 0 or '"' in text[:first]:
        return None
    body = text[first + 1:].replace("\r\n", "\n")
    d = delimiter
    if not _DIGITS[d].fullmatch(body) or body.startswith(d) or body.endswith(d) or any(
            gap in body for gap in (d + d, "\n" + d, d + "\n")):
        return None  # another character (a lone carriage return too), or an empty cell
    header = next(csv.reader([text[:first].rstrip("\r")], delimiter=delimiter))
    width = len(header)
    lines = [line for line in body.split("\n") if line]
    if width < 2 or not lines or set(map(str.count, lines, repeat(delimiter))) != {width - 1}:
        return None  # rows of another width
    names, duplicates = tidy_names(header)
    if duplicates:
        return None
    values = np.fromstring(delimiter.join(lines), dtype=np.int64, sep=delimiter)
    if values.size != width * len(lines) or values.max() >= 10**18:
        return None  # (numbers beyond int64 saturate: left to the csv module and Arrow)
    values = values.reshape(-1, width)
    lows, highs = values.min(axis=0), values.max(axis=0)
    return Columns(tuple(names), tuple(values[:, j].astype(_smallest_type(lows[j], highs[j]))
                                       for j in range(width)))


_DIGITS = {mark: re.compile(f"[0-9{re.escape(mark)}\n]*") for mark in ",;\t|"}


def _numbers(cells: tuple[str, ...], decimal: str) -> np.ndarray | None:
    """One column's cells as Arrow converts them (then csi.ingest.frames.compact stores
    them): int64 narrowed to the smallest type that holds it when every cell is a whole
    number, else float64 with NaN for nulls; None when a cell is neither number nor null.
    Each distinct cell is checked and converted once (a survey column has few)."""
    distinct = set(cells)
    nulls = distinct & _NULL_SET
    texts = distinct - nulls
    if not texts:
        return None  # Arrow types a column without values as null
    if all(_INT_CELL.fullmatch(text) for text in texts):
        if not nulls:
            table = {text: int(text) for text in texts}
            return _smallest(np.fromiter(map(table.__getitem__, cells), np.int64, len(cells)))
        table = {text: float(int(text)) for text in texts}
    elif all(_FLOAT_CELL[decimal].fullmatch(text) and not _LONG.search(text)
             for text in texts):  # (19 digits or more: Arrow may read a whole number)
        table = {text: float(text.replace(",", ".") if decimal == "," else text)
                 for text in texts}
    else:
        return None
    table.update(dict.fromkeys(nulls, np.nan))
    return np.fromiter(map(table.__getitem__, cells), float, len(cells))


def _smallest(values: np.ndarray) -> np.ndarray:
    """Whole numbers in the smallest of int8, int16, int32 that holds them (else int64), as
    csi.ingest.frames.compact stores an Arrow integer column."""
    return values.astype(_smallest_type(values.min(), values.max()))


def _smallest_type(low, high) -> type:
    for kind, smallest, largest in _INT_TYPES:
        if smallest <= low and high <= largest:
            return kind
    return np.int64


_INT_TYPES = tuple((kind, int(np.iinfo(kind).min), int(np.iinfo(kind).max))
                   for kind in (np.int8, np.int16, np.int32))
