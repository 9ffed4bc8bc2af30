"""Building a survey DataFrame from Arrow or spreadsheet columns, compactly.

Whole-number columns are stored in the smallest integer type that holds them (a 1-10 answer
takes one byte, not eight); columns with missing numbers become float64 with NaN; anything
else stays an Arrow-backed column (no Python objects per cell).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

# Cell texts read as "no value" in every format (pandas' and Arrow's defaults).
NULL_TEXTS = frozenset({"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan",
                        "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a",
                        "nan", "null"})


def tidy_names(names: list[str]) -> tuple[list[str], dict[str, int]]:
    """Column names stripped of surrounding blanks (a line break inside becomes a space),
    `Unnamed: k` for an empty one (k counts columns from 0), and `name.1`, `name.2` for
    repeats; also {name: count} of the repeats."""
    stripped = ["" if name is None else " ".join(str(name).split())
                if any(c in str(name) for c in "\r\n") else str(name).strip()
                for name in names]
    stripped = [name or f"Unnamed: {k}" for k, name in enumerate(stripped)]
    counts: dict[str, int] = {}
    for name in stripped:
        counts[name] = counts.get(name, 0) + 1
    taken = set(stripped)
    result = []
    seen: dict[str, int] = {}
    for name in stripped:
        if name in seen:
            suffix = seen[name]
            while f"{name}.{suffix}" in taken:
                suffix += 1
            seen[name] = suffix + 1
            new = f"{name}.{suffix}"
            taken.add(new)
            result.append(new)
        else:
            seen[name] = 1
            result.append(name)
    return result, {name: count for name, count in counts.items() if count > 1}


def compact(column):
    """One block of an Arrow column: numbers as the smallest numpy type, anything else as
    Arrow."""
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
    if pa.types.is_decimal(column.type):
        return column.cast(pa.float64()).to_numpy(zero_copy_only=False)
    if pa.types.is_dictionary(column.type):
        return compact(column.dictionary_decode())
    return column


def series_from_chunks(chunks: list) -> pd.Series | None:
    """A Series from a column's compacted blocks; None when the blocks' types disagree."""
    import pandas as pd
    import pyarrow as pa

    if not chunks:
        return pd.Series([], dtype=float)
    if all(isinstance(c, np.ndarray) for c in chunks):
        kinds = {c.dtype.kind for c in chunks}
        if kinds <= {"i", "f"}:
            joined = np.concatenate(chunks)
            if joined.dtype.kind == "i" and len(chunks) > 1:
                joined = _smallest_int(joined)
            return pd.Series(joined, copy=False)
    arrays = [pa.array(c) if isinstance(c, np.ndarray) else c for c in chunks]
    arrays = [a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a for a in arrays]
    types = {a.type for a in arrays}
    if len(types) != 1:
        return None
    joined = pa.chunked_array(arrays)
    return pd.Series(joined, dtype=pd.ArrowDtype(joined.type), copy=False)


def _smallest_int(values: np.ndarray) -> np.ndarray:
    low, high = values.min(), values.max()
    for candidate in (np.int8, np.int16, np.int32):
        info = np.iinfo(candidate)
        if info.min <= low and high <= info.max:
            return values.astype(candidate, copy=False)
    return values


def frame_from_series(names: list[str], series: list[pd.Series]) -> pd.DataFrame:
    """A DataFrame of the columns (each indexed 0..n-1), without copying them: built from
    their arrays on one row index, as aligning Series on their indexes costs more than
    reading a small file."""
    import pandas as pd

    if not names:
        return pd.DataFrame()
    rows = {len(column) for column in series}
    if len(rows) != 1:
        return pd.DataFrame(dict(zip(names, series)), copy=False)
    return pd.DataFrame({name: column.array for name, column in zip(names, series)},
                        index=pd.RangeIndex(rows.pop()), copy=False)
