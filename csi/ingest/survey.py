"""The Survey: a survey file as read, with what csi learnt about it on the way."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from csi.ingest.columnar import Columns, LazyFrame

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Survey:
    """A survey as read: every column, plus where it came from and how it was read.

    Rows are respondents, numbered from 1 for the first respondent after the header (and
    after any extra header rows of a survey-tool export); blank lines are skipped and not
    counted. `header_rows` says how many rows precede the first respondent, from the header
    row on; `header_row` is the row (line) of the file or sheet holding the column names (1
    unless --header-row says otherwise). So in a file without blank lines or line breaks
    inside quoted cells, respondent row r is line r + header_row - 1 + header_rows of the
    file (and of a spreadsheet).

    `frame` may be given as a DataFrame or as csi.ingest.columnar.Columns (the numeric
    reader's named numpy arrays); it always reads as a DataFrame, built on first access.
    `names` and `column` read the columns without building it (no pandas on the fit path).
    """

    source: str
    frame: pd.DataFrame = LazyFrame()  # type: ignore[assignment]
    labels: dict[str, str] = field(default_factory=dict)  # column -> question text
    value_labels: dict[str, dict[float, str]] = field(default_factory=dict)  # SPSS
    user_missing: dict[str, tuple[tuple[float, float], ...]] = field(default_factory=dict)
    format: str = "csv"  # csv | xlsx | sav | parquet
    encoding: str | None = None
    delimiter: str | None = None
    decimal: str = "."
    layout: str = "plain"  # see csi.ingest.exports.LAYOUTS
    header_rows: int = 1
    sheet: str | None = None
    sheets: tuple[str, ...] = ()  # every sheet of the workbook
    duplicate_columns: dict[str, int] = field(default_factory=dict)  # name -> times in header
    notes: tuple[str, ...] = ()
    header_row: int = 1
    sha256: str | None = None  # of the file's bytes (of a DataFrame: its canonical CSV)

    @property
    def rows_read(self) -> int:
        return len(self.held)

    @property
    def held(self) -> pd.DataFrame | Columns:
        """The frame as given (a DataFrame, or Columns not yet turned into one): what
        dataclasses.replace(survey, frame=survey.held, ...) keeps without building it."""
        return self.__dict__["_held"]

    @property
    def names(self) -> list[str]:
        """The column names, in file order."""
        held = self.held
        return list(held.names) if isinstance(held, Columns) else list(held.columns)

    def text(self, name: str) -> tuple[str, ...] | None:
        """Column `name`'s cells as read when the survey holds it as text without pandas
        (csi.ingest.numeric_csv); None otherwise (read survey.frame[name] then)."""
        held = self.held
        return held.text(name) if isinstance(held, Columns) else None

    def column(self, name: str) -> np.ndarray | None:
        """Column `name` as a numpy array when it is held as numbers in numpy storage (an
        integer or float64 column), else None (read survey.frame[name] then). KeyError
        when there is no such column."""
        held = self.held
        if isinstance(held, Columns):
            return held.get(name)
        column = held[name]
        dtype = getattr(column, "dtype", None)  # a DataFrame when the name is repeated
        if isinstance(dtype, np.dtype) and dtype.kind in "iuf":
            return column.to_numpy()
        return None

    def reading(self) -> dict:
        """How the file was read, for the data-quality report."""
        return {
            "source": self.source,
            "format": self.format,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "decimal": self.decimal if self.format == "csv" else None,
            "layout": self.layout,
            "header_rows": self.header_rows,
            "header_row": self.header_row,
            "sheet": self.sheet,
            "row_numbering": row_numbering(self),
        }


def row_numbering(survey: Survey) -> str:
    """One sentence on how rows are numbered in csi's messages."""
    if survey.format in ("sav", "parquet"):
        return "rows are respondents (cases), numbered from 1"
    extra = survey.header_rows - 1
    after = "the header row" if extra == 0 else f"the {survey.header_rows} header rows"
    if survey.header_row > 1:
        place = "sheet" if survey.format == "xlsx" else "file"
        after += (f" (row {survey.header_row} of the {place})" if extra == 0 else
                  f" (from row {survey.header_row} of the {place})")
    blank = "rows" if survey.format == "xlsx" else "lines"
    return f"rows are respondents, numbered from 1 after {after}; blank {blank} are not counted"
