"""Named numpy columns: a survey read without pandas, turned into a DataFrame only on demand.

A plain numeric delimited file (csi.ingest.numeric_csv) is held as one numpy array per
column, in the types pandas would give them (whole numbers in the smallest integer type,
float64 with NaN otherwise), so the fit path reads names and columns without importing
pandas, and `Survey.frame` builds the same DataFrame the pandas reader builds when something
asks for it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Columns:
    """Column names (tidied, unique) and one 1-d numpy array per column, of equal length."""

    names: tuple[str, ...]
    arrays: tuple[np.ndarray, ...]

    def __len__(self) -> int:
        return len(self.arrays[0]) if self.arrays else 0

    def get(self, name: str) -> np.ndarray:
        return self.arrays[self.names.index(name)]

    def frame(self):
        """The DataFrame pandas' reader gives for these columns (one RangeIndex, the arrays
        not copied: csi.ingest.frames.frame_from_series)."""
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
