"""read_survey: any survey file (or standard input) into a Survey.

The format is recognised by the file's first bytes, then by its extension: Excel workbooks
(`.xlsx`, `.xlsm`; a zip file), SPSS (`.sav`, `.zsav`), Parquet, and otherwise delimited text
(CSV, TSV, semicolon CSV; see csi.ingest.delimited). Standard input (`-`) may hold any of
them. Problems are DataErrors naming the file.
"""

from __future__ import annotations

import hashlib
import io
import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from csi.errors import DataError
from csi.ingest.delimited import read_delimited_bytes, read_delimited_path
from csi.ingest.exports import detect_layout
from csi.ingest.frames import NULL_TEXTS, compact, frame_from_series, series_from_chunks, tidy_names
from csi.ingest.header_rows import RECORDS
from csi.ingest.options import IngestOptions
from csi.ingest.survey import Survey

if TYPE_CHECKING:
    import pandas as pd

_XLSX = (".xlsx", ".xlsm")
_SAV = (".sav", ".zsav")
_PARQUET = (".parquet", ".pq")


def read_survey(path: str | Path, options: IngestOptions | None = None, *,
                encoding: str | None = None, sheet: str | None = None,
                skip_rows: int | None = None, header_row: int | None = None) -> Survey:
    """Read a survey file, or `-` for standard input.

    `encoding` forces the text encoding of a delimited file (and of an SPSS file's strings);
    without it csi detects it (see csi.ingest.decoding). `sheet` chooses a workbook's sheet by
    name (or by number, 1 for the first); without it the first sheet is read, and the report
    says which when there are several. `header_row` is the row (line) of a text file or sheet
    that holds the column names, counting every row from 1 (default 1); `skip_rows` the number
    of rows under it that hold no respondent (default: recognised, see csi.ingest.exports).
    `options` (IngestOptions) supplies whichever of these four is not given.
    """
    if options is not None:
        given = options.read_options()
        encoding = encoding if encoding is not None else given["encoding"]
        sheet = sheet if sheet is not None else given["sheet"]
        skip_rows = skip_rows if skip_rows is not None else given["skip_rows"]
        header_row = header_row if header_row is not None else given["header_row"]
    rows = _Rows(skip_rows, header_row)
    if str(path) == "-":
        raw = sys.stdin.buffer.read()
        survey = _from_bytes(raw, "<stdin>", "", encoding, sheet, rows)
        return replace(survey, frame=survey.held, sha256=hashlib.sha256(raw).hexdigest())
    survey = _read_file(path, encoding, sheet, rows)
    return replace(survey, frame=survey.held, sha256=_file_sha256(Path(path)))


def _file_sha256(file: Path) -> str:
    """The SHA-256 of a file's bytes: what identifies the data in a result (`data.sha256`),
    wherever the file lives."""
    with file.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def _read_file(path: str | Path, encoding: str | None, sheet: str | None,
               rows: _Rows) -> Survey:
    name = str(path)
    file = Path(path)
    try:
        with file.open("rb") as stream:
            magic = stream.read(8)
    except FileNotFoundError:
        raise DataError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{name}: is a directory, not a survey file") from None
    except OSError as exc:
        raise DataError(f"{name}: cannot read ({exc.strerror})") from None
    kind = _kind(magic, file.suffix.lower(), name)
    _check_sheet(kind, sheet, name)
    _check_rows(kind, rows, name)
    if kind == "csv":
        try:
            return read_delimited_path(file, name, encoding, rows.skip, rows.header)
        except OSError as exc:
            raise DataError(f"{name}: cannot read ({exc.strerror})") from None
    if kind == "xlsx":
        return _ignored_encoding(_read_xlsx(file, name, sheet, rows), encoding)
    if kind == "sav":
        return _read_sav(file, name, encoding)
    return _ignored_encoding(_read_parquet(file, name), encoding)


def _ignored_encoding(survey: Survey, encoding: str | None) -> Survey:
    if not encoding:
        return survey
    note = f"--encoding {encoding} ignored: {survey.format} files record their own encoding"
    return replace(survey, notes=survey.notes + (note,))


@dataclass(frozen=True)
class _Rows:
    """--skip-rows and --header-row (None when not given)."""

    skip: int | None = None
    header: int | None = None


def _from_bytes(raw: bytes, name: str, suffix: str, encoding: str | None,
                sheet: str | None, rows: _Rows) -> Survey:
    if not raw.strip():
        raise DataError(f"{name}: the file is empty")
    kind = _kind(raw[:8], suffix, name)
    _check_sheet(kind, sheet, name)
    _check_rows(kind, rows, name)
    if kind == "csv":
        return read_delimited_bytes(raw, name, encoding, skip_rows=rows.skip,
                                    header_row=rows.header)
    if kind == "xlsx":
        return _ignored_encoding(_read_xlsx(io.BytesIO(raw), name, sheet, rows), encoding)
    if kind == "parquet":
        return _ignored_encoding(_read_parquet(io.BytesIO(raw), name), encoding)
    import tempfile

    handle, temporary = tempfile.mkstemp(suffix=".sav")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(raw)
        return _read_sav(Path(temporary), name, encoding)
    finally:
        Path(temporary).unlink(missing_ok=True)


def _kind(magic: bytes, suffix: str, name: str) -> str:
    if magic.startswith(b"PK\x03\x04"):
        return "xlsx"
    if magic.startswith((b"$FL2", b"$FL3")):
        return "sav"
    if magic.startswith(b"PAR1"):
        return "parquet"
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise DataError(
            f"{name}: an old Excel .xls workbook (or another OLE file); save it as .xlsx or CSV"
        )
    if suffix in _XLSX:
        raise DataError(f"{name}: not an .xlsx workbook (it is not a zip file); is it CSV?")
    if suffix in _SAV:
        raise DataError(f"{name}: not an SPSS .sav file (it does not start with $FL2)")
    if suffix in _PARQUET:
        raise DataError(f"{name}: not a Parquet file (it does not start with PAR1)")
    if suffix == ".xls":
        raise DataError(f"{name}: old Excel .xls workbooks are not read; save it as .xlsx or CSV")
    return "csv"


def _check_sheet(kind: str, sheet: str | None, name: str) -> None:
    if sheet is not None and kind != "xlsx":
        raise DataError(f"{name}: --sheet applies to Excel workbooks only, and this is not one")


def _check_rows(kind: str, rows: _Rows, name: str) -> None:
    if kind in ("csv", "xlsx"):
        return
    for flag, value, default in (("--header-row", rows.header, 1), ("--skip-rows", rows.skip, 0)):
        if value not in (None, default):
            raise DataError(f"{name}: {flag} applies to text files and Excel workbooks only; "
                            f"a {'SPSS' if kind == 'sav' else 'Parquet'} file has no header rows")


# Excel ----------------------------------------------------------------------------------

def _read_xlsx(file, name: str, sheet: str | None, rows_given: _Rows = _Rows()) -> Survey:
    """The chosen sheet of a workbook: blank rows skipped, cached formula values, the header
    layout recognised as in delimited files (Qualtrics' Excel export has the same rows; a
    merged cell reads as its value in its first cell and blanks in the others)."""
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(file, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError,
            TypeError, IndexError) as exc:
        hint = ""
        if isinstance(file, Path) and _is_opendocument(file):
            hint = "; an OpenDocument spreadsheet: save it as .xlsx or CSV"
        raise DataError(f"{name}: not a readable .xlsx workbook ({_reason(exc)}){hint}") from None
    try:
        worksheets = [ws for ws in book.worksheets]
        titles = [ws.title for ws in worksheets]
        if not worksheets:
            raise DataError(f"{name}: the workbook has no worksheets")
        chosen = _choose_sheet(titles, sheet, name)
        start = rows_given.header or 1
        rows = [row for row in worksheets[chosen].iter_rows(min_row=start, values_only=True)
                if any(_present(cell) for cell in row)]
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as exc:
        raise DataError(f"{name}: cannot read the workbook ({_reason(exc)})") from None
    finally:
        book.close()
    title = titles[chosen]
    notes = []
    if len(titles) > 1 and sheet is None:
        notes.append(f"read sheet '{title}', the first of {len(titles)} "
                     f"({', '.join(repr(t) for t in titles)}); choose another with --sheet")
    if not rows and start > 1:
        raise DataError(f"{name}, sheet '{title}': --header-row {start}: no column names on or "
                        f"below row {start}")
    if not rows:
        raise DataError(f"{name}, sheet '{title}': the sheet is empty")
    if start > 1:
        notes.append(f"--header-row {start}: the column names are in row {start} of sheet "
                     f"'{title}'; the rows above are not read")
    width = max(len(row) for row in rows)
    texts = [[_text(cell) for cell in row] + [""] * (width - len(row))
             for row in rows[:RECORDS + (rows_given.skip or 0)]]
    layout = detect_layout(texts, rows_given.skip)
    names, duplicates = tidy_names(layout.names + [""] * (width - len(layout.names)))
    labels = {new: layout.labels[old] for old, new in zip(layout.names, names)
              if old in layout.labels}
    body = rows[layout.header_rows:]
    series = [_sheet_column([row[k] if k < len(row) else None for row in body])
              for k in range(width)]
    keep = [k for k in range(width)
            if not (names[k].startswith("Unnamed: ") and series[k].isna().all())]
    frame = frame_from_series([names[k] for k in keep], [series[k] for k in keep])
    if layout.note:
        notes.append(layout.note)
    return Survey(source=name, frame=frame, labels=labels, format="xlsx", layout=layout.name,
                  header_rows=layout.header_rows, sheet=title, sheets=tuple(titles),
                  duplicate_columns=duplicates, notes=tuple(notes), header_row=start)


def _choose_sheet(titles: list[str], sheet: str | None, name: str) -> int:
    if sheet is None:
        return 0
    if sheet in titles:
        return titles.index(sheet)
    folded = [t.casefold() for t in titles]
    if sheet.casefold() in folded:
        return folded.index(sheet.casefold())
    if sheet.isdigit() and 1 <= int(sheet) <= len(titles):
        return int(sheet) - 1
    raise DataError(f"{name}: no sheet '{sheet}' (sheets: {', '.join(titles)})")


def _present(cell) -> bool:
    return cell is not None and not (isinstance(cell, str) and not cell.strip())


def _text(cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


def _sheet_column(cells: list) -> pd.Series:
    """A sheet column as numbers when every cell is a number (or empty), else as text."""
    import pandas as pd

    cleaned = [None if (cell is None or (isinstance(cell, str) and cell.strip() in NULL_TEXTS))
               else cell for cell in cells]
    numeric = all(c is None or (isinstance(c, (int, float)) and not isinstance(c, bool))
                  for c in cleaned)
    if numeric:
        if cleaned and all(isinstance(c, int) and abs(c) < 2**62 for c in cleaned):
            return series_from_chunks([compact(_arrow(np.asarray(cleaned, dtype=np.int64)))])
        return pd.Series(np.array([np.nan if c is None else float(c) for c in cleaned]),
                         copy=False)
    return pd.Series([None if c is None else _text(c) if not isinstance(c, str) else c
                      for c in cleaned], dtype="string")


def _arrow(values: np.ndarray):
    import pyarrow as pa

    return pa.array(values)


def _is_opendocument(file: Path) -> bool:
    import zipfile

    try:
        with zipfile.ZipFile(file) as archive:
            return archive.read("mimetype").startswith(b"application/vnd.oasis.opendocument")
    except (zipfile.BadZipFile, KeyError, OSError):
        return False


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]


# SPSS -----------------------------------------------------------------------------------

def _read_sav(file: Path, name: str, encoding: str | None) -> Survey:
    """An SPSS file with its variable labels (the question text), value labels and
    user-missing values (kept as codes here and turned into missing answers, and counted,
    when the items are prepared)."""
    import pandas as pd
    import pyreadstat

    try:
        frame, meta = pyreadstat.read_sav(str(file), user_missing=True,
                                          encoding=encoding or None)
    except Exception as exc:  # noqa: BLE001 - pyreadstat raises bare Exceptions
        raise DataError(f"{name}: not a readable SPSS .sav file ({_reason(exc)})") from None
    names, duplicates = tidy_names(list(frame.columns))
    renamed = dict(zip(frame.columns, names))
    frame.columns = names
    labels = {renamed[k]: v for k, v in (meta.column_names_to_labels or {}).items()
              if v and k in renamed}
    value_labels = {renamed[k]: {float(code): str(text) for code, text in v.items()
                                 if isinstance(code, (int, float))}
                    for k, v in (meta.variable_value_labels or {}).items() if k in renamed}
    user_missing = {}
    for column, ranges in (meta.missing_ranges or {}).items():
        bounds = tuple((float(r["lo"]), float(r["hi"])) for r in ranges
                       if isinstance(r.get("lo"), (int, float)))
        if bounds and column in renamed:
            user_missing[renamed[column]] = bounds
    for column in frame.columns:
        if pd.api.types.is_float_dtype(frame[column].dtype):
            values = frame[column].to_numpy()
            finite = values[~np.isnan(values)]
            if finite.size == values.size and np.all(finite == np.round(finite)) and \
                    finite.size and np.abs(finite).max() < 2**31:
                frame[column] = series_from_chunks([compact(_arrow(values.astype(np.int64)))])
    notes = ()
    if user_missing:
        notes = (f"SPSS user-missing values declared for {len(user_missing)} variables",)
    return Survey(source=name, frame=frame, labels=labels, value_labels=value_labels,
                  user_missing=user_missing, format="sav", encoding=meta.file_encoding,
                  header_rows=0, duplicate_columns=duplicates, notes=notes)


# Parquet --------------------------------------------------------------------------------

def _read_parquet(file, name: str) -> Survey:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(file)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise DataError(f"{name}: not a readable Parquet file ({_reason(exc)})") from None
    names, duplicates = tidy_names(table.column_names)
    series = []
    for position in range(table.num_columns):
        column = table.column(position)
        chunks = [compact(chunk) for chunk in column.chunks]
        joined = series_from_chunks(chunks) if chunks else pd.Series(
            np.empty(0), copy=False)
        if joined is None:
            joined = pd.Series(column, dtype=pd.ArrowDtype(column.type), copy=False)
        series.append(joined)
    return Survey(source=name, frame=frame_from_series(names, series), format="parquet",
                  header_rows=0, duplicate_columns=duplicates)
