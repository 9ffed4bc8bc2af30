"""Result tables held as named columns, a DataFrame only when someone asks for one.

A fit makes some twenty small long tables (paths, loadings, index, ...). Building them as
DataFrames cost more than the estimation, and importing pandas more than the whole short run
(issue 15), while the JSON document needs only their rows. A `Table` keeps the columns as
numpy arrays (names as tuples of str) and writes JSON rows from them; `Table.frame()` builds,
on first use, the same DataFrame `pd.DataFrame(columns)` would (same dtypes and values).
`FramesOnAccess` lets a result dataclass hold Tables while its readers still get DataFrames.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import numpy as np

from csi.jsonio import number


_SEQUENCES = (np.ndarray, list, tuple)


def _scalar(value) -> bool:
    return value is None or isinstance(value, (str, int, float, bool, np.generic))


def _normal(values, length: int):
    """A column as its own array (never shared with the caller or another table): a tuple
    of str for names, a 1-D numeric or boolean array, an object array of None; or None
    when pandas' inference should decide (empty, mixed or object values). A scalar is
    repeated down the column, as pandas does."""
    kind = type(values)
    if kind is np.ndarray:
        if values.ndim == 1 and values.dtype.kind in "biuf":
            return values.copy()
    elif kind is list or kind is tuple:
        if not values:
            return None  # an empty column: pandas decides
        if isinstance(values[0], str):
            names = _names(tuple(values))
            if names is not None:
                return names
    elif _scalar(values):
        if isinstance(values, str):
            return (values,) * length
        if values is None:
            return np.full(length, None, dtype=object)
        array = np.full(length, values)
        return array if array.dtype.kind in "biuf" else None
    elif not isinstance(values, (list, tuple, np.ndarray)):
        return None  # a Series, an Index: pandas decides
    if not len(values):
        return None
    if isinstance(values[0], str):
        names = _names(tuple(values))
        if names is not None:
            return names
    array = np.asarray(values)
    return array if array.ndim == 1 and array.dtype.kind in "biuf" else None


@lru_cache(maxsize=2048)
def _names(values: tuple) -> tuple[str, ...] | None:
    """A column of names as a tuple of str (the same names come fit after fit), else None."""
    if all(isinstance(value, str) for value in values):
        return tuple(str(value) for value in values)
    return None


class Table:
    """A long table: named 1-D columns of one length (see the module docstring)."""

    __slots__ = ("_columns", "_raw", "_length", "_frame", "_matrix")

    def __init__(self, columns: Mapping[str, object]):
        lengths = {len(values) for values in columns.values()
                   if type(values) in _SEQUENCES or not _scalar(values)}
        normal = None
        if len(lengths) == 1:
            length = next(iter(lengths))
            normal = {name: _normal(values, length) for name, values in columns.items()}
            if any(values is None for values in normal.values()):
                normal = None
        self._columns = normal  # None: only pandas builds it (the general constructor)
        self._raw = None if normal is not None else dict(columns)
        self._length = length if normal is not None else (0 if lengths == {0} else None)
        self._frame = self._matrix = None

    @classmethod
    def of_frame(cls, frame) -> Table:
        """A Table that is this DataFrame (kept as given)."""
        made = cls.__new__(cls)
        made._columns, made._raw, made._length, made._frame = None, None, len(frame), frame
        made._matrix = None
        return made

    @classmethod
    def of_matrix(cls, matrix: np.ndarray, names: list[str]) -> Table:
        """The columns of a 2-D array, kept as views (respondents' scores are not copied);
        its DataFrame is pd.DataFrame(matrix, columns=names, copy=False)."""
        made = cls.__new__(cls)
        made._columns = {name: matrix[:, k] for k, name in enumerate(names)}
        made._raw, made._length, made._frame = None, len(matrix), None
        made._matrix = matrix
        return made

    def __len__(self) -> int:
        return self._length if self._length is not None else len(self.frame())

    @property
    def names(self) -> tuple[str, ...]:
        if self._columns is not None:
            return tuple(self._columns)
        return tuple(self.frame().columns)

    def __contains__(self, name: str) -> bool:
        return name in self.names

    def column(self, name: str) -> np.ndarray | tuple[str, ...]:
        """One column: a numpy array, or a tuple of str for names."""
        if self._columns is not None:
            return self._columns[name]
        if self._length == 0 and self._raw is not None and name in self._raw:
            return ()  # no rows: nothing for pandas to infer
        column = self.frame()[name]
        return (tuple(column) if column.dtype == object or column.dtype.kind in "OU"
                or str(column.dtype) == "str" else column.to_numpy())

    def assign(self, **columns) -> Table:
        """A new Table with these columns added (or replaced, in place), as
        DataFrame.assign."""
        if self._columns is None or any(_from_pandas(value) for value in columns.values()):
            return Table.of_frame(self.frame().assign(**columns))  # pandas aligns a Series
        return Table(dict(self._columns) | columns)

    def drop(self, *names: str) -> Table:
        if self._columns is None:
            return Table.of_frame(self.frame().drop(columns=list(names)))
        return Table({k: v for k, v in self._columns.items() if k not in names})

    def records(self) -> list[dict]:
        """The rows as JSON-safe objects (csi.jsonio.records of the DataFrame). Once the
        DataFrame was built, its rows (a notebook may have edited it, as before)."""
        if self._length == 0 and self._frame is None:
            return []
        if self._columns is None or self._frame is not None:
            from csi.jsonio import records

            return records(self.frame())
        names = list(self._columns)
        lists = [[number(value) for value in
                  (values.tolist() if isinstance(values, np.ndarray) else values)]
                 for values in self._columns.values()]
        return [dict(zip(names, row)) for row in zip(*lists)]

    def frame(self):
        """The DataFrame (built once; shared by every reader, like any result table)."""
        if self._frame is None:
            if self._matrix is not None:
                import pandas as pd

                self._frame = pd.DataFrame(self._matrix, columns=list(self._columns),
                                           copy=False)
            else:
                self._frame = _build_frame(self._columns, self._raw, self._length)
        return self._frame


def _from_pandas(value) -> bool:
    return type(value).__module__.split(".")[0] == "pandas"


def _build_frame(columns, raw, length):
    import pandas as pd

    if columns is None:
        return pd.DataFrame(raw)  # the general path (and its error messages)
    arrays = [_strings(values).copy() if isinstance(values, tuple) else values.copy()
              for values in columns.values()]
    # pandas' own array-list constructor (used by its readers): the checks it skips are
    # made in Table (1-D arrays of one length, distinct names from a mapping); indexes are
    # copied, as a table may rename its own
    return pd.DataFrame._from_arrays(arrays, columns=_column_index(tuple(columns)).copy(),
                                     index=pd.RangeIndex(length), verify_integrity=False)


@lru_cache(maxsize=2048)
def _strings(values: tuple[str, ...]):
    import pandas as pd

    return pd.array(values, dtype="str")


@lru_cache(maxsize=512)
def _column_index(names: tuple[str, ...]):
    import pandas as pd

    return pd.Index(names)


def table(columns: Mapping[str, object]):
    """pd.DataFrame(columns) for 1-D columns of equal length (strings or numbers) and
    scalars, which fill their column."""
    return Table(columns).frame()


class FramesOnAccess:
    """For frozen result dataclasses whose table fields may hold a Table: reading such a
    field gives its DataFrame (notebooks, renderers), `table(name)` the Table itself (the
    fit's own path to JSON, which never needs pandas), and `replace` keeps Tables as they
    are."""

    __slots__ = ()

    def __getattribute__(self, name: str):
        value = object.__getattribute__(self, name)
        if type(value) is Table:
            return value.frame()
        return value

    def table(self, name: str) -> Table:
        value = object.__getattribute__(self, name)
        return value if type(value) is Table else Table.of_frame(value)

    def replace(self, **changes):
        """A copy with some fields changed (results are immutable)."""
        import dataclasses

        kept = {field.name: object.__getattribute__(self, field.name)
                for field in dataclasses.fields(self) if field.init}
        return type(self)(**(kept | changes))
