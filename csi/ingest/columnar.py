"""Named numpy columns: a survey read without pandas, turned into a DataFrame only on demand.

A plain numeric delimited file (csi.ingest.numeric_csv) is held as one numpy array per
column, in the types pandas would give them (whole numbers in the smallest integer type,
float64 with NaN otherwise), so the fit path reads names and columns without importing
pandas, and `Survey.frame` builds the same DataFrame the pandas reader builds when something
asks for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Columns:
    """Column names (tidied, unique) and one 1-d numpy array per column, of equal length;
    a text column (an ID such as `R_0001`) has None there and its cells in `texts`, and then
    `rebuild` makes the DataFrame (the pyarrow reader's, from the bytes read)."""

    names: tuple[str, ...]
    arrays: tuple[np.ndarray | None, ...]
    texts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    rebuild: Callable[[], object] | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        for array in self.arrays:
            if array is not None:
                return len(array)
        return len(next(iter(self.texts.values()), ()))

    def get(self, name: str) -> np.ndarray | None:
        """A numeric column; None for a text column (KeyError: no such column)."""
        if name not in self.names:
            raise KeyError(name)
        return self.arrays[self.names.index(name)]

    def text(self, name: str) -> tuple[str, ...] | None:
        """A text column's cells as read; None for a numeric one."""
        return self.texts.get(name)

    def frame(self):
        """The DataFrame pandas' reader gives for these columns (one RangeIndex, the arrays
        not copied: csi.ingest.frames.frame_from_series); with text columns, the pyarrow
        reader's frame of the same bytes."""
        if self.texts:
            return self.rebuild()
        import pandas as pd

        from csi.ingest.frames import frame_from_series

        return frame_from_series(list(self.names),
                                 [pd.Series(a, copy=False) for a in self.arrays])


class LazyFrame:
    """The `frame` field of csi.ingest.survey.Survey (a data descriptor): holds what was given,
    a DataFrame or Columns, and returns a DataFrame, built from Columns on first access."""

    def __get__(self, survey, owner=None):
        if survey is None:
            raise AttributeError("frame")  # a required field: no class-level default
        held = survey.__dict__["_held"]
        if not isinstance(held, Columns):
            return held
        built = survey.__dict__.get("_built")
        if built is None:
            built = held.frame()
            survey.__dict__["_built"] = built
        return built

    def __set__(self, survey, value) -> None:
        survey.__dict__["_held"] = value
        survey.__dict__.pop("_built", None)
