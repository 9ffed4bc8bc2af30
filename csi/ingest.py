"""Reading survey files into a Survey, and turning a model's items into a clean numeric matrix.

Every problem is raised as a DataError naming the file, the column and the row (rows are
numbered from 1 for the first respondent, after the header).
"""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from csi.errors import DataError
from csi.spec import ModelSpec

MIN_ROWS = 10


@dataclass(frozen=True)
class Survey:
    """A survey as read: every column, plus where it came from."""

    source: str
    frame: pd.DataFrame
    labels: dict[str, str] = field(default_factory=dict)  # column -> question text

    @property
    def rows_read(self) -> int:
        return len(self.frame)


@dataclass(frozen=True)
class Scale:
    """The answer scale the 0-100 index is computed on."""

    low: float
    high: float
    from_data: bool  # True when taken from the observed range because --scale was not given

    def to_dict(self) -> dict:
        return {"min": self.low, "max": self.high, "from_data": self.from_data}


@dataclass(frozen=True)
class ItemData:
    """The model's indicator columns as a complete float matrix, and what it took to get it."""

    values: np.ndarray  # (n_used, p)
    items: tuple[str, ...]
    rows_read: int
    rows_dropped_missing: int
    missing_cells: dict[str, int]
    scale: Scale

    @property
    def rows_used(self) -> int:
        return self.values.shape[0]

    def to_dict(self) -> dict:
        return {
            "rows_read": self.rows_read,
            "rows_used": self.rows_used,
            "rows_dropped_missing": self.rows_dropped_missing,
            "missing": "listwise",
            "missing_cells": dict(self.missing_cells),
        }


def parse_scale(text: str) -> tuple[float, float]:
    """Parse `MIN:MAX` (e.g. `1:10`)."""
    low, sep, high = text.partition(":")
    try:
        bounds = (float(low), float(high))
    except ValueError:
        bounds = None
    if not sep or bounds is None or not np.all(np.isfinite(bounds)) or bounds[0] >= bounds[1]:
        raise DataError(f"--scale '{text}': write it as MIN:MAX with MIN < MAX, e.g. 1:10")
    return bounds


def read_survey(path: str | Path) -> Survey:
    """Read a CSV survey file (or `-` for standard input).

    Files are parsed by pyarrow straight from disk into Arrow-backed columns (no copy of the
    raw bytes in Python, no second copy in pandas), which keeps a million-row survey's peak
    memory low. Anything pyarrow rejects is re-read by the slower path below, which says
    precisely what is wrong.
    """
    if str(path) != "-":
        frame = _read_with_arrow(Path(path))
        if frame is not None:
            return Survey(source=str(path), frame=frame)
    return _read_bytes(path)


def _read_with_arrow(path: Path) -> pd.DataFrame | None:
    """Stream the CSV in blocks, storing whole-number columns in the smallest integer type
    that holds each block (a 1-10 answer takes one byte, not eight); None if pyarrow cannot
    read the file as it is."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    try:
        reader = pa_csv.open_csv(
            path,
            read_options=pa_csv.ReadOptions(block_size=1 << 22),
            memory_pool=pa.system_memory_pool(),
        )
        names = reader.schema.names
        parts: list[list] = [[] for _ in names]
        for batch in reader:
            for position, column in enumerate(batch.columns):
                parts[position].append(_compact(column))
    except Exception:  # noqa: BLE001 - the careful path reports what is wrong
        return None
    if not names or not parts[0]:
        return None
    columns = {}
    for name, chunks in zip(names, parts):
        if isinstance(chunks[0], np.ndarray) and all(isinstance(c, np.ndarray) for c in chunks):
            columns[name] = pd.Series(np.concatenate(chunks), copy=False)
        else:
            arrays = [pa.array(c) if isinstance(c, np.ndarray) else c for c in chunks]
            joined = pa.chunked_array(arrays) if len({a.type for a in arrays}) == 1 else None
            if joined is None:
                return None
            columns[name] = pd.Series(joined, dtype=pd.ArrowDtype(joined.type), copy=False)
    if len(set(names)) != len(names):
        return None
    return pd.DataFrame(columns, copy=False)


def _compact(column):
    """One block of a column: numbers as the smallest numpy type, anything else as Arrow."""
    import pyarrow as pa

    if pa.types.is_integer(column.type) and column.null_count == 0:
        values = column.to_numpy()
        if values.size == 0:
            return values.astype(np.int8)
        low, high = values.min(), values.max()
        for candidate in (np.int8, np.int16, np.int32):
            info = np.iinfo(candidate)
            if info.min <= low and high <= info.max:
                return values.astype(candidate)
        return values
    if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
        return column.to_numpy(zero_copy_only=False).astype(float)
    return column


def _read_bytes(path: str | Path) -> Survey:
    name = "<stdin>" if str(path) == "-" else str(path)
    if str(path) == "-":
        raw = sys.stdin.buffer.read()
    else:
        try:
            raw = Path(path).read_bytes()
        except FileNotFoundError:
            raise DataError(f"{name}: no such file") from None
        except IsADirectoryError:
            raise DataError(f"{name}: is a directory, not a survey file") from None
        except OSError as exc:
            raise DataError(f"{name}: cannot read ({exc.strerror})") from None
    if not raw.strip():
        raise DataError(f"{name}: the file is empty")
    try:
        raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{name}: not valid UTF-8 at byte {exc.start}; give the file's encoding, "
            "e.g. --encoding cp1252"
        ) from None
    body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    try:
        frame = pd.read_csv(io.BytesIO(body), engine="c", encoding="utf-8")
    except pd.errors.EmptyDataError:
        raise DataError(f"{name}: no columns found") from None
    except pd.errors.ParserError as exc:
        detail = str(exc).split("C error: ")[-1].strip()
        raise DataError(f"{name}: malformed CSV: {detail}") from None
    return Survey(source=name, frame=frame)


def item_matrix(survey: Survey, spec: ModelSpec,
                scale: tuple[float, float] | None = None) -> ItemData:
    """The model's indicators as a complete float matrix (listwise deletion of missing rows).

    Raises DataError for a non-numeric or non-finite cell, a value outside --scale, a constant
    item, or too few complete rows.
    """
    spec.check_columns(list(survey.frame.columns), survey.source)
    values = np.empty((survey.rows_read, len(spec.indicators)))
    for position, item in enumerate(spec.indicators):
        values[:, position] = _numeric_column(survey.frame[item], item, survey.source)
    missing_per_item = np.isnan(values).sum(axis=0)
    missing_cells = {item: int(count) for item, count in zip(spec.indicators, missing_per_item)}
    complete = ~np.isnan(values).any(axis=1) if missing_per_item.any() else None
    rows_dropped = 0 if complete is None else int((~complete).sum())
    if rows_dropped:
        values = values[complete]
    n_rows = values.shape[0]
    if n_rows < MIN_ROWS:
        raise DataError(
            f"{survey.source}: only {n_rows} complete rows for the model's items; "
            f"PLS needs at least {MIN_ROWS}"
        )
    if scale is not None:
        low, high = scale
        outside = (values < low) | (values > high)
        if outside.any():
            row, col = np.argwhere(outside)[0]
            original_row = (row if complete is None else int(np.flatnonzero(complete)[row])) + 1
            raise DataError(
                f"{survey.source}, column {spec.indicators[col]}, row {original_row}: "
                f"{values[row, col]:g} is outside the scale {low:g}:{high:g}"
            )
        bounds = Scale(low=low, high=high, from_data=False)
    else:
        bounds = Scale(low=float(values.min()), high=float(values.max()), from_data=True)
        if bounds.low == bounds.high:
            raise DataError(f"{survey.source}: every answer is {bounds.low:g}; nothing to model")
    spread = values.max(axis=0) - values.min(axis=0)
    for col in np.flatnonzero(spread == 0):
        raise DataError(
            f"{survey.source}, column {spec.indicators[col]}: the item is constant (every "
            f"answer is {values[0, col]:g}); it carries no information, drop it from the model"
        )
    return ItemData(
        values=values,
        items=spec.indicators,
        rows_read=survey.rows_read,
        rows_dropped_missing=rows_dropped,
        missing_cells=missing_cells,
        scale=bounds,
    )


def _numeric_column(column: pd.Series, item: str, source: str) -> np.ndarray:
    """A column as float64 with NaN for empty cells; DataError at the first bad cell."""
    if pd.api.types.is_bool_dtype(column.dtype):
        raise DataError(f"{source}, column {item}: true/false values are not survey answers")
    if pd.api.types.is_numeric_dtype(column.dtype):
        values = column.to_numpy(dtype=float, na_value=np.nan)
    else:
        text = column.astype("string").str.strip()
        values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bad = np.isnan(values) & text.notna().to_numpy() & (text != "").fillna(False).to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"{source}, column {item}, row {row + 1}: '{text.iloc[row]}' is not a number"
            )
    infinite = np.isinf(values)
    if infinite.any():
        row = int(np.flatnonzero(infinite)[0])
        raise DataError(f"{source}, column {item}, row {row + 1}: the value is not finite")
    return values
