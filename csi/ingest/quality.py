"""Data-quality checks and the data-quality report (`csi validate`, JSON `data_quality`).

What is checked, per survey and model:
- rows read and used, and what the missing-data method did (cases and cells affected);
- per item: missing answers (% of rows read; a warning above 5%), "don't know" codes and SPSS
  user-missing values turned into missing, cells that are not numbers, values outside the
  scale (an error unless --clip), distinct values, range, mean and standard deviation;
- straight-liners: respondents who gave the same answer to every item they answered, having
  answered at least half of the model's items (and at least 3); checked on the answers as
  given, before reverse-coding, so a respondent who ignores reverse-worded questions is caught
  (csi.ingest.careless.screen finds them as the extreme longstring);
- careless respondents (csi.ingest.careless): longstring, random and speeder flags, listed
  with their row and respondent ID, and kept unless --drop-careless;
- duplicate respondent IDs (--id, or a column named like id, respondent_id, ResponseId,
  编号, 序号, 答卷编号, 用户ID);
- completion-time columns (csi.ingest.timing);
- constant items (an error: they carry no information) and items with fewer than 3 distinct
  values (a warning: hardly an interval scale);
- survey weights: range and Kish's effective sample size (sum w)^2 / sum w^2 (Kish 1965,
  *Survey Sampling*, sec. 11.7).
Rows are numbered as in every csi message (see csi.ingest.survey.Survey).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from typing import TYPE_CHECKING

import numpy as np

from csi.jsonio import real

if TYPE_CHECKING:
    import pandas as pd

MISSING_WARN = 0.05
FEW_DISTINCT = 3
LIST_LIMIT = 20  # rows or IDs listed in the report; counts are always complete
_ID_NAMES = ("responseid", "respondentid", "respid", "caseid", "participantid", "recordid",
             "interviewid", "答卷编号", "答卷id", "答题编号", "答题id", "问卷编号", "受访者编号",
             "受访者id", "被访者编号", "样本编号", "用户id", "用户编号", "会员id", "编号", "序号",
             "id", "uuid", "respondent", "userid")


@dataclass(frozen=True)
class ItemQuality:
    """The checks of one indicator."""

    indicator: str
    column: str
    label: str | None
    low: float | None
    high: float | None
    reversed: bool
    missing: int
    na_coded: int
    user_missing: int
    non_numeric: int
    out_of_scale: int
    clipped: int
    distinct: int
    minimum: float | None
    maximum: float | None
    mean: float | None
    sd: float | None

    def to_dict(self, rows_read: int) -> dict:
        return {
            "indicator": self.indicator,
            "column": self.column,
            "label": self.label,
            "scale": None if self.low is None else [self.low, self.high],
            "reversed": self.reversed,
            "missing": self.missing,
            "missing_pct": real(100 * self.missing / rows_read) if rows_read else None,
            "na_coded": self.na_coded,
            "user_missing": self.user_missing,
            "non_numeric": self.non_numeric,
            "out_of_scale": self.out_of_scale,
            "clipped": self.clipped,
            "distinct": self.distinct,
            "min": real(self.minimum),
            "max": real(self.maximum),
            "mean": real(self.mean),
            "sd": real(self.sd),
        }


def item_qualities(indicators, columns: dict, labels: dict, low: np.ndarray,
                   high: np.ndarray, known: np.ndarray, reverse, missing: np.ndarray,
                   counts: dict, stats: list[tuple]) -> tuple[ItemQuality, ...]:
    """Each item's quality entry from the per-item arrays of the answer steps: bounds (given
    where `known`: a questionnaire's scale, not the data's range), missing cells, the step
    counts (csi.ingest.answers.COUNTS) and the summaries (distinct, min, max, mean, sd) of
    item_stats."""
    return tuple(
        ItemQuality(
            indicator=item, column=columns[item], label=labels.get(item),
            low=float(low[j]) if known[j] else None, high=float(high[j]) if known[j] else None,
            reversed=item in reverse, missing=int(missing[j]),
            na_coded=int(counts["na_coded"][j]), user_missing=int(counts["user_missing"][j]),
            non_numeric=int(counts["non_numeric"][j]),
            out_of_scale=int(counts["out_of_scale"][j]), clipped=int(counts["clipped"][j]),
            distinct=stats[j][0], minimum=stats[j][1], maximum=stats[j][2], mean=stats[j][3],
            sd=stats[j][4],
        )
        for j, item in enumerate(indicators)
    )


@dataclass(frozen=True)
class DataQuality:
    """The data-quality report of one survey for one model."""

    reading: dict
    rows_read: int
    rows_used: int
    missing: dict
    items: tuple[ItemQuality, ...]
    straightliners: dict
    duplicate_ids: dict
    weights: dict | None
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    constant_items: tuple[str, ...] = field(default=())
    few_distinct_items: tuple[str, ...] = field(default=())
    careless: tuple[dict, ...] = field(default=())  # one entry per flagged respondent
    careless_screen: dict | None = None  # counts, thresholds, what was dropped
    completion_time: dict | None = None  # csi.ingest.timing.Timing.to_dict()

    @property
    def usable(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict:
        """The JSON `data_quality` block."""
        return {
            **self.reading,
            "usable": self.usable,
            "rows_read": self.rows_read,
            "rows_used": self.rows_used,
            "missing": dict(self.missing),
            "items": [item.to_dict(self.rows_read) for item in self.items],
            "straightliners": dict(self.straightliners),
            "duplicate_ids": dict(self.duplicate_ids),
            "constant_items": list(self.constant_items),
            "few_distinct_items": list(self.few_distinct_items),
            "weights": None if self.weights is None else dict(self.weights),
            "careless": [dict(entry) for entry in self.careless],
            "careless_screen": None if self.careless_screen is None else dict(
                self.careless_screen),
            "completion_time": None if self.completion_time is None else dict(
                self.completion_time),
            "notes": list(self.notes),
            "warnings": list(self.warnings),
            "errors": list(self.errors),
        }


def find_id_column(columns: list[str]) -> str | None:
    """The first column named like a respondent ID (id, respondent_id, ResponseId, 编号,
    答卷编号, 用户ID, ...), compared after case folding and removing blanks and punctuation."""
    keys = {re.sub(r"[\W_]+", "", str(c).casefold()): c for c in reversed(columns)}
    for name in _ID_NAMES:
        if name in keys:
            return keys[name]
    return None


def duplicate_ids(column: pd.Series | np.ndarray) -> tuple[int, list[dict]]:
    """How many IDs appear more than once (blank IDs ignored), and the first few with their
    rows. `column` is a Series, or a numpy array: numbers (csi.ingest.survey.Survey.column)
    or text cells (an object array, Survey.text). IDs are compared as text, stripped; only
    a column with a repeated ID needs pandas, to list them."""
    if isinstance(column, np.ndarray) and column.dtype.kind == "O":  # text cells
        present = [cell.strip() for cell in column.tolist()]
        present = [cell for cell in present if cell]
        if len(set(present)) == len(present):
            return 0, []
    elif isinstance(column, np.ndarray):
        present = column[~np.isnan(column)] if column.dtype.kind == "f" else column
        ordered = np.sort(present)
        if not (ordered[1:] == ordered[:-1]).any():
            return 0, []
    import pandas as pd

    if isinstance(column, np.ndarray):
        column = pd.Series(column, copy=False)
    values = column.astype("string").str.strip()
    present = values.notna() & (values != "")
    frame = pd.DataFrame({"id": values[present].to_numpy(dtype=object),
                          "row": np.flatnonzero(present.to_numpy(dtype=bool)) + 1})
    repeated = frame[frame.duplicated("id", keep=False)]
    if repeated.empty:
        return 0, []
    groups = repeated.groupby("id", sort=False)["row"]
    listed = [{"id": str(key), "rows": [int(r) for r in rows]}
              for key, rows in list(groups)[:LIST_LIMIT]]
    return int(groups.ngroups), listed


def weight_summary(weights: np.ndarray, column: str) -> dict:
    """Range and Kish's effective sample size of the (normalised) weights."""
    total = float(weights.sum())
    squares = float(np.square(weights).sum())
    return {
        "column": column,
        "min": real(float(weights.min())) if weights.size else None,
        "max": real(float(weights.max())) if weights.size else None,
        "effective_n": real(total * total / squares) if squares > 0 else None,
    }


def item_stats(values: np.ndarray) -> tuple[int, float | None, float | None, float | None,
                                            float | None]:
    """Distinct values, min, max, mean and sd (n - 1) of the observed answers (NaN missing)."""
    return matrix_item_stats(values[:, None])[0]


def matrix_item_stats(x: np.ndarray, widest: int = 1_000) -> list[tuple]:
    """item_stats of every column of x (n, p): (distinct, min, max, mean, sd).

    Whole-number answers spanning fewer than `widest` levels (the usual case) are summarised
    from their histograms over `widest` levels, made for all such columns by one bincount;
    other columns directly. Each row of the histograms is reduced on its own, so a column's
    summary does not depend on the others (item_stats is this function on one column)."""
    n, p = x.shape
    stats: list[tuple] = [(0, None, None, None, None)] * p
    if n == 0:
        return stats
    missing = np.isnan(x)
    low, high = np.fmin.reduce(x, axis=0), np.fmax.reduce(x, axis=0)  # NaN: nothing seen
    offsets = x - low
    with np.errstate(invalid="ignore"):
        whole = ((offsets == np.floor(offsets)) | missing).all(axis=0) & (high - low < widest)
    columns = np.flatnonzero(whole)
    if columns.size:
        width = widest
        seen = ~missing[:, columns]
        codes = np.where(seen, offsets[:, columns], 0).astype(np.intp)
        codes += np.arange(columns.size) * width
        counts = np.bincount(codes[seen], minlength=columns.size * width).reshape(
            columns.size, width).astype(float)
        size = counts.sum(axis=1)
        level = low[columns, None] + np.arange(width, dtype=float)  # each column's values
        mean = (counts * level).sum(axis=1) / size  # exact sums for whole-number answers
        with np.errstate(invalid="ignore", divide="ignore"):
            sd = np.sqrt((counts * np.square(level - mean[:, None])).sum(axis=1) / (size - 1))
        distinct = (counts > 0).sum(axis=1).tolist()
        lows, highs = low[columns].tolist(), high[columns].tolist()
        means = mean.tolist()
        sds = np.where(size > 1, sd, np.nan).tolist()
        for row, j in enumerate(columns.tolist()):
            stats[j] = (distinct[row], lows[row], highs[row], means[row],
                        None if math.isnan(sds[row]) else sds[row])
    for j in np.flatnonzero(~whole & ~np.isnan(low)).tolist():
        seen = x[~missing[:, j], j]
        stats[j] = (int(np.unique(seen).size), float(low[j]), float(high[j]),
                    float(seen.mean()), float(seen.std(ddof=1)) if seen.size > 1 else None)
    return stats


def rows_list(mask: np.ndarray) -> list[int]:
    """The first LIST_LIMIT row numbers (from 1) where `mask` holds."""
    return [int(r) + 1 for r in np.flatnonzero(mask)[:LIST_LIMIT]]
