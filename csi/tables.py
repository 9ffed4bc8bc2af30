"""Result tables built fast: a fit makes some twenty small DataFrames whose name columns
(constructs, indicators, paths) are the same fit after fit, and pandas' general constructor
(type inference, a string array, an index per table) costs more than the estimation.

`table` builds the same DataFrame as `pd.DataFrame(columns)` (same dtypes and values) from
string columns made once per distinct tuple of names and a cached column index.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import numpy as np
import pandas as pd


@lru_cache(maxsize=2048)
def _strings(values: tuple[str, ...]):
    return pd.array(values, dtype="str")


@lru_cache(maxsize=512)
def _column_index(names: tuple[str, ...]) -> pd.Index:
    return pd.Index(names)


def _scalar(value) -> bool:
    return value is None or isinstance(value, (str, int, float, bool, np.generic))


def _column(values, length: int):
    """A column as its own array (never shared with the caller or another table), or None
    when pandas' inference should decide (empty, mixed or object values). A scalar is
    repeated down the column, as pandas does."""
    if _scalar(values):
        if isinstance(values, str):
            return _strings((values,) * length).copy()
        if values is None:
            return np.full(length, None, dtype=object)
        array = np.full(length, values)
        return array if array.dtype.kind in "biuf" else None
    if isinstance(values, np.ndarray) and values.ndim == 1 and values.dtype.kind in "biuf":
        return values.copy()
    if isinstance(values, (pd.Series, pd.Index)) or not len(values):
        return None
    values = tuple(values)
    if all(isinstance(value, str) for value in values):
        return _strings(values).copy()  # a new wrapper of the same immutable Arrow data
    array = np.asarray(values)
    return array if array.ndim == 1 and array.dtype.kind in "biuf" else None


def table(columns: Mapping[str, object]) -> pd.DataFrame:
    """pd.DataFrame(columns) for 1-D columns of equal length (strings or numbers) and
    scalars, which fill their column."""
    lengths = {len(values) for values in columns.values() if not _scalar(values)}
    if len(lengths) != 1:
        return pd.DataFrame(dict(columns))  # the general path (and its error messages)
    length = lengths.pop()
    arrays = [_column(values, length) for values in columns.values()]
    if any(array is None for array in arrays):
        return pd.DataFrame(dict(columns))
    names = tuple(columns)
    # pandas' own array-list constructor (used by its readers): the checks it skips are
    # made above (1-D arrays of one length, distinct names from a mapping); indexes are
    # copied, as a table may rename its own
    return pd.DataFrame._from_arrays(arrays, columns=_column_index(names).copy(),
                                     index=pd.RangeIndex(length), verify_integrity=False)
