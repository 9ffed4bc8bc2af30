"""Delimited text surveys: CSV, TSV and the semicolon CSV of European Excel.

The delimiter is sniffed from the first records (comma, semicolon, tab or `|`: the one that
splits the header and the rows below it into the same number of fields, more than one); with a
semicolon, tab or `|` delimiter, numbers written with a decimal comma (`3,5`) are read as such
when no number in the sample uses a decimal point. Survey-tool header rows, question-text rows
and merged header cells are recognised (see csi.ingest.exports); `header_row` drops the lines
above the column names and `skip_rows` says how many rows under them hold no respondent.

Two ways in, one result. The fast path parses a plain UTF-8 file straight from disk with
pyarrow's multi-threaded CSV reader, small whole numbers as int16 from the start, and then
stores each column compactly (a million-row survey reads at pyarrow speed, with a peak memory
near the size of its float64 item matrix). Anything else - another
encoding, an export layout, standard input, or a file the fast path rejects - is decoded in
memory (see csi.ingest.decoding), its header rows parsed by Python's csv module, and its body
parsed by pyarrow as text columns that are then converted column by column; cells that are
not numbers stay text and are reported, with their row, only if the model uses them. Rows
with more or fewer fields than the header are refused with their row and line numbers.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from typing import TYPE_CHECKING

import numpy as np

from csi.errors import DataError
from csi.ingest.columnar import Columns
from csi.ingest.decoding import decode, head_is_utf8
from csi.ingest.exports import detect_layout
from csi.ingest.header_rows import RECORDS
from csi.ingest.frames import (
    compact,
    frame_from_series,
    series_from_chunks,
    tidy_names,
)
from csi.ingest.numeric_csv import read_numeric
from csi.ingest.survey import Survey

if TYPE_CHECKING:
    import pandas as pd

HEAD_BYTES = 1 << 18
# Files up to this size whose every cell is a number are read without pandas or pyarrow
# (csi.ingest.numeric_csv): below it, importing them costs more than the csv module's
# slower parsing (docs/speed.md); above it, or for any other file, pyarrow reads.
NUMERIC_BYTES = HEAD_BYTES - 1
SNIFF_RECORDS = 60
DELIMITERS = (",", ";", "\t", "|")
_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
_DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+$")
_DECIMAL_POINT = re.compile(r"^[+-]?\d*\.\d+$")


@dataclass(frozen=True)
class Dialect:
    delimiter: str
    decimal: str  # "." or ","


def read_delimited_path(path: Path, source: str, encoding: str | None,
                        skip_rows: int | None = None, header_row: int | None = None) -> Survey:
    """Read a delimited text file from disk (fast path first)."""
    with path.open("rb") as stream:
        head = stream.read(HEAD_BYTES)
    if not head.strip():
        raise DataError(f"{source}: the file is empty")
    complete = len(head) < HEAD_BYTES
    if encoding is None and head_is_utf8(head) and (header_row or 1) == 1 and not skip_rows:
        text = head.decode("utf-8", errors="ignore").removeprefix("\ufeff")
        dialect = sniff_dialect(text, path.suffix, complete)
        records, _ = leading_records(text, dialect.delimiter, RECORDS)
        layout = detect_layout(records, skip_rows)
        if layout.name == "plain":
            frame = _read_numeric(head, dialect) if len(head) <= NUMERIC_BYTES else None
            if frame is None:
                frame = _read_with_arrow(path, dialect, head, complete)
            if frame is not None:
                return Survey(source=source, frame=frame, format="csv", encoding="utf-8",
                              delimiter=dialect.delimiter, decimal=dialect.decimal,
                              notes=_dialect_notes(dialect, "utf-8"))
    return read_delimited_bytes(path.read_bytes(), source, encoding, path.suffix,
                                skip_rows=skip_rows, header_row=header_row)


def read_delimited_bytes(raw: bytes, source: str, encoding: str | None, suffix: str = "",
                         *, skip_rows: int | None = None,
                         header_row: int | None = None) -> Survey:
    """Read delimited text held in memory (standard input, or a file the fast path left)."""
    if not raw.strip():
        raise DataError(f"{source}: the file is empty")
    text, used = decode(raw, source, encoding)
    text, above = _from_header_row(text, header_row or 1, source)
    if not text.strip():
        raise DataError(f"{source}: the file is empty")
    dialect = sniff_dialect(text[:HEAD_BYTES], suffix, len(text) <= HEAD_BYTES)
    records, ends = leading_records(text, dialect.delimiter,
                                    RECORDS + (skip_rows or 0))
    if not records:
        raise DataError(f"{source}: no columns found")
    layout = detect_layout(records, skip_rows)
    names, duplicates = tidy_names(layout.names)
    labels = {new: layout.labels[old] for old, new in zip(layout.names, names)
              if old in layout.labels}
    body_start = ends[min(layout.header_rows, len(ends)) - 1]
    lines_before = above + sum(1 for _ in io.StringIO(text[:body_start], newline=""))
    frame = _parse_body(text[body_start:], names, dialect, source, lines_before)
    notes = _dialect_notes(dialect, used) + ((layout.note,) if layout.note else ())
    if above:
        notes += (f"--header-row {above + 1}: the column names are on line {above + 1}; the "
                  f"{above} line{'s' if above > 1 else ''} above {'are' if above > 1 else 'is'}"
                  " not read",)
    return Survey(source=source, frame=frame, labels=labels, format="csv", encoding=used,
                  delimiter=dialect.delimiter, decimal=dialect.decimal, layout=layout.name,
                  header_rows=layout.header_rows, duplicate_columns=duplicates, notes=notes,
                  header_row=above + 1)


def _from_header_row(text: str, header_row: int, source: str) -> tuple[str, int]:
    """The text from line `header_row` on, and the number of lines dropped above it."""
    if header_row == 1:
        return text, 0
    offset = 0
    lines = io.StringIO(text, newline="")
    for dropped in range(header_row - 1):
        line = lines.readline()
        if not line:
            raise DataError(f"{source}: --header-row {header_row}: the file has only "
                            f"{dropped} line{'s' if dropped != 1 else ''}")
        offset += len(line)
    if not text[offset:].strip():
        raise DataError(f"{source}: --header-row {header_row}: no column names on or below "
                        f"line {header_row}")
    return text[offset:], header_row - 1


def sniff_dialect(sample: str, suffix: str = "", complete: bool = True) -> Dialect:
    """The delimiter and decimal mark of delimited text, from its first records."""
    lines = sample.splitlines()
    if not complete and len(lines) > 1:
        lines = lines[:-1]  # the sample may end inside a line
    lines = [line for line in lines if line.strip()][: SNIFF_RECORDS * 2]
    order = ("\t", ",", ";", "|") if suffix.lower() in (".tsv", ".tab") else DELIMITERS
    best, best_score = ",", (0.0, 0, 0)
    for rank, delimiter in enumerate(order):
        if delimiter not in sample:
            continue
        counts = [len(row) for row in _records(lines, delimiter)][:SNIFF_RECORDS]
        if not counts or counts[0] < 2:
            continue
        agreement = sum(count == counts[0] for count in counts) / len(counts)
        score = (agreement, counts[0], -rank)
        if score > best_score:
            best, best_score = delimiter, score
    decimal = "."
    if best != ",":
        cells = [cell.strip() for row in _records(lines[1:], best) for cell in row]
        if any(_DECIMAL_COMMA.match(c) for c in cells) and not any(
                _DECIMAL_POINT.match(c) for c in cells):
            decimal = ","
    return Dialect(best, decimal)


def _records(lines: list[str], delimiter: str) -> list[list[str]]:
    try:
        return list(csv.reader(lines, delimiter=delimiter, strict=False))
    except csv.Error:
        return []


def leading_records(text: str, delimiter: str, count: int) -> tuple[list[list[str]], list[int]]:
    """The first `count` non-blank records of `text` (quoted line breaks allowed) and, for
    each, the offset in `text` just after it."""
    consumed = [0]

    def lines():
        for line in io.StringIO(text, newline=""):
            consumed[0] += len(line)
            yield line

    records, ends = [], []
    reader = csv.reader(lines(), delimiter=delimiter, strict=False)
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                if records:
                    break  # a blank line ends the header rows
                continue
            records.append(record)
            ends.append(consumed[0])
            if len(records) == count:
                break
    except csv.Error:
        pass
    return records, ends


def _dialect_notes(dialect: Dialect, encoding: str) -> tuple[str, ...]:
    notes = []
    if encoding not in ("utf-8", "ascii"):
        notes.append(f"read as {encoding} text")
    if dialect.delimiter != ",":
        notes.append(f"fields separated by {_NAMES[dialect.delimiter]}s")
    if dialect.decimal == ",":
        notes.append("numbers written with a decimal comma")
    return tuple(notes)


def _read_numeric(head: bytes, dialect: Dialect) -> Columns | None:
    """A whole file (`head`) of numbers read by csi.ingest.numeric_csv; None otherwise."""
    try:
        text = head.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        return None
    columns = read_numeric(text, dialect.delimiter, dialect.decimal)
    if columns is None or not columns.texts:
        return columns
    # a text column: the DataFrame, when asked for, is the one the readers below give
    return replace(columns, rebuild=partial(_frame_of, head, dialect))


def _frame_of(head: bytes, dialect: Dialect) -> pd.DataFrame:
    """The DataFrame of a whole file's bytes as read_delimited_path reads it without the
    numeric reader: pyarrow's, else the careful reader's."""
    frame = _read_with_arrow(None, dialect, head, True)
    if frame is None:
        frame = read_delimited_bytes(head, "<survey>", "utf-8").frame
    return frame


def _read_with_arrow(path: Path, dialect: Dialect, head: bytes,
                     complete: bool = False) -> pd.DataFrame | None:
    """Parse the file with pyarrow's multi-threaded reader, then store each column compactly,
    releasing its Arrow copy as it goes; None if pyarrow cannot read the file as it is.

    Integer columns whose values in the first block are small (survey answers) are parsed as
    int16 straight away, so the parsed table takes a quarter of the int64 default; should a
    later value not fit, the file is parsed again with inferred types. A file `complete` in
    its head is parsed once, from the head (there is no memory to save).
    """
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    hints = {} if complete else _small_integer_columns(head, dialect)
    table = None
    for column_types in ([hints, None] if hints else [None]):
        try:
            table = pa_csv.read_csv(
                io.BytesIO(head) if complete else path,
                read_options=pa_csv.ReadOptions(block_size=1 << 22),
                parse_options=pa_csv.ParseOptions(delimiter=dialect.delimiter),
                convert_options=pa_csv.ConvertOptions(decimal_point=dialect.decimal,
                                                      column_types=column_types or {}),
                memory_pool=pa.system_memory_pool(),
            )
            break
        except Exception:  # noqa: BLE001 - retried, then the careful path reports it
            table = None
    if table is None or table.num_columns == 0 or table.num_rows == 0:
        return None
    names, duplicates = tidy_names(table.column_names)
    if duplicates:
        return None  # the careful path names the copies
    series = []
    for _ in range(len(names)):
        column = table.column(0)
        table = table.remove_column(0)
        joined = series_from_chunks([compact(chunk) for chunk in column.chunks])
        if joined is None:
            return None
        series.append(joined)
        del column
    return frame_from_series(list(names), series)


def _small_integer_columns(head: bytes, dialect: Dialect) -> dict:
    """{column: int16} for the integer columns of the file's first block whose values lie
    within +-1000."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pa_csv

    cut = head[: head.rfind(b"\n") + 1]
    try:
        sample = pa_csv.read_csv(
            io.BytesIO(cut),
            parse_options=pa_csv.ParseOptions(delimiter=dialect.delimiter),
            convert_options=pa_csv.ConvertOptions(decimal_point=dialect.decimal),
        )
    except Exception:  # noqa: BLE001 - no hints then
        return {}
    hints = {}
    for name, column in zip(sample.column_names, sample.columns):
        if pa.types.is_integer(column.type) and column.null_count < len(column):
            bounds = pc.min_max(column).as_py()
            if max(abs(bounds["min"]), abs(bounds["max"])) <= 1000:
                hints[name] = pa.int16()
    return hints


def _parse_body(body: str, names: list[str], dialect: Dialect, source: str,
                lines_before: int) -> pd.DataFrame:
    """The respondents' rows as a DataFrame, every column parsed as text by pyarrow and then
    converted to numbers where every cell is one."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    if not body.strip():
        return frame_from_series(names, [pd.Series([], dtype=float) for _ in names])
    ragged: list = []

    def on_bad_row(row) -> str:
        if row.text is not None and not row.text.strip():
            return "skip"  # a line of blanks is a blank line
        ragged.append(row)
        return "error"

    try:
        table = pa_csv.read_csv(
            io.BytesIO(body.encode("utf-8")),
            read_options=pa_csv.ReadOptions(column_names=names, block_size=1 << 22),
            parse_options=pa_csv.ParseOptions(delimiter=dialect.delimiter,
                                              newlines_in_values=True,
                                              invalid_row_handler=on_bad_row),
            convert_options=pa_csv.ConvertOptions(
                column_types={name: pa.string() for name in names},
                strings_can_be_null=True, quoted_strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as exc:
        if ragged:
            _raise_ragged(body, len(names), dialect, source, lines_before)
        detail = str(exc).removeprefix("CSV parse error: ").splitlines()[0]
        raise DataError(f"{source}: malformed {_NAMES[dialect.delimiter]}-separated "
                        f"text: {detail}") from None
    series = [_text_to_numbers(table.column(position), dialect.decimal)
              for position in range(table.num_columns)]
    return frame_from_series(names, series)


def _text_to_numbers(column, decimal: str) -> pd.Series:
    """A text column as compact numbers when every non-empty cell is a number, else text."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    trimmed = pc.utf8_trim_whitespace(column)
    trimmed = pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)
    candidate = pc.replace_substring(trimmed, ",", ".") if decimal == "," else trimmed
    for target in (pa.int64(), pa.float64()):
        try:
            converted = pc.cast(candidate, target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        chunks = [compact(chunk) for chunk in converted.chunks] or [np.empty(0, np.int8)]
        joined = series_from_chunks(chunks)
        if joined is not None:
            return joined
    chunks = trimmed.chunks or [pa.array([], pa.string())]
    joined = pa.chunked_array(chunks, type=pa.string())
    return pd.Series(joined, dtype=pd.ArrowDtype(pa.string()), copy=False)


def _raise_ragged(body: str, width: int, dialect: Dialect, source: str, lines_before: int):
    """Find the first row whose field count differs from the header's and say where it is."""
    consumed = [0]

    def lines():
        for line in io.StringIO(body, newline=""):
            consumed[0] += 1
            yield line

    row = 0
    try:
        for record in csv.reader(lines(), delimiter=dialect.delimiter, strict=False):
            if not any(cell.strip() for cell in record):
                continue
            row += 1
            if len(record) != width:
                line = consumed[0] + lines_before
                hint = ""
                if len(record) > width and (width == 1 or row <= 3):
                    hint = (f"; if the column names are on line {line} (a title above them), "
                            f"give --header-row {line}")
                raise DataError(
                    f"{source}, row {row} (line {line}): {len(record)} fields where the header "
                    f"has {width}; check for an unquoted {_NAMES[dialect.delimiter]} or line "
                    f"break in a cell, or a missing field{hint}"
                )
    except csv.Error as exc:
        raise DataError(f"{source}, row {row + 1}: malformed text ({exc})") from None
    raise DataError(f"{source}: rows have more or fewer fields than the header")
