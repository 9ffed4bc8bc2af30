"""Completion times: which columns hold them, and each respondent's time in seconds.

Survey platforms record how long a respondent took in one of two ways:
- a duration column: Qualtrics `Duration (in seconds)`, Wenjuanxing-style `所用时间`
  ("312秒"), `答题时长` / `作答时长` ("5分12秒"), `completion time`, `time taken`; a number
  is seconds unless the name says minutes (`分钟`, `min`) or hours; text is read as
  `1小时2分3秒`, `5 min 12 s` or `0:05:12`;
- start and submit timestamps: `StartDate`/`EndDate`, `开始时间`/`结束时间`,
  `开始答题时间`/`提交答卷时间`, `提交时间`, `submitted at`, ...; the time is submit - start.
A duration column is preferred. A submit timestamp alone gives no time, but is reported.
Names are compared after case folding and removing blanks and punctuation.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

_DURATION = re.compile(
    r"^(duration|所用时间|用时|答题用时|作答用时|答题时长|作答时长|填写时长|答卷时长|填答时长|"
    r"完成时长|耗时|答题耗时|completiontime|timetaken|timespent|totaltime|responsetime|"
    r"elapsedtime)(in)?(seconds?|secs?|s|秒|minutes?|mins?|分钟|分|hours?|小时)?$")
_START = ("startdate", "starttime", "startedat", "start", "开始时间", "开始答题时间",
          "开始作答时间", "答题开始时间", "作答开始时间", "开始填写时间")
_END = ("enddate", "endtime", "submitdate", "submittime", "submittedat", "submitted",
        "completedat", "completiondate", "提交答卷时间", "提交时间", "结束时间", "结束答题时间",
        "答题结束时间", "完成时间", "交卷时间", "填写完成时间", "recordeddate")
_HOURS = re.compile(r"(\d+(?:\.\d+)?)\s*(?:小时|hours?|hrs?|h)(?![a-z])", re.IGNORECASE)
_MINUTES = re.compile(r"(\d+(?:\.\d+)?)\s*(?:分钟|分|minutes?|mins?|m)(?![a-z])",
                      re.IGNORECASE)
_SECONDS = re.compile(r"(\d+(?:\.\d+)?)\s*(?:秒钟|秒|seconds?|secs?|s)(?![a-z])",
                      re.IGNORECASE)
_CLOCK = r"^\s*(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)\s*$"


@dataclass(frozen=True)
class Timing:
    """The completion-time columns found, and each respondent's time (NaN when unknown)."""

    how: str | None  # "duration" | "submit - start" | None
    columns: tuple[str, ...]  # the column(s) the time comes from
    seconds: np.ndarray | None
    submitted: str | None = None  # the submit timestamp column, if any

    def to_dict(self) -> dict | None:
        """The JSON `completion_time` block (None when the survey has no time column)."""
        if self.how is None and self.submitted is None:
            return None
        known = self.seconds[np.isfinite(self.seconds)] if self.seconds is not None else None
        return {
            "how": self.how,
            "columns": list(self.columns),
            "submitted": self.submitted,
            "rows_with_time": None if known is None else int(known.size),
            "median_seconds": (float(np.median(known)) if known is not None and known.size
                               else None),
        }


NO_TIMING = Timing(None, (), None)  # a survey without time columns


def find_timing(frame: pd.DataFrame) -> Timing:
    """Recognise the time columns of a survey frame and compute the completion times."""
    duration, start, end = timing_columns(frame.columns)
    if duration is None and start is None and end is None:
        return NO_TIMING
    if duration is not None:
        seconds = duration_seconds(frame[duration], _unit(duration))
        return Timing("duration", (duration,), seconds, end)
    if start is not None and end is not None:
        elapsed = (_timestamps(frame[end]) - _timestamps(frame[start])).dt.total_seconds()
        seconds = elapsed.to_numpy(dtype=float, na_value=np.nan, copy=True)
        seconds[seconds < 0] = np.nan
        return Timing("submit - start", (start, end), seconds, end)
    return Timing(None, (), None, end)


def timing_columns(names) -> tuple[str | None, str | None, str | None]:
    """The duration, start-time and submit-time columns among `names` (None when absent):
    found by name alone, so a survey without them needs no look at its cells."""
    keys = {}
    for column in names:
        keys.setdefault(_key(column), column)
    duration = next((column for key, column in keys.items() if _DURATION.match(key)), None)
    start = next((keys[k] for k in _START if k in keys), None)
    end = next((keys[k] for k in _END if k in keys), None)
    return duration, start, end


def duration_seconds(column: pd.Series, unit: float = 1.0) -> np.ndarray:
    """A duration column in seconds: numbers times `unit`, or text such as `312秒`,
    `5分12秒`, `1 h 2 min`, `0:05:12`; NaN where unreadable or negative."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(
            column.dtype):
        seconds = column.to_numpy(dtype=float, na_value=np.nan) * unit
    else:
        text = column.astype("string").str.strip()
        seconds = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float,
                                                                 na_value=np.nan) * unit
        clock = text.str.extract(_CLOCK).astype(float)
        on_clock = clock[1].notna().to_numpy()
        from_clock = (clock[0].fillna(0) * 3600 + clock[1] * 60 + clock[2]).to_numpy(
            dtype=float, na_value=np.nan)
        parts = [text.str.extract(pattern, expand=False).astype(float)
                 for pattern in (_HOURS, _MINUTES, _SECONDS)]
        found = pd.concat(parts, axis=1).notna().any(axis=1).to_numpy()
        from_units = (parts[0].fillna(0) * 3600 + parts[1].fillna(0) * 60
                      + parts[2].fillna(0)).to_numpy(dtype=float, na_value=np.nan)
        seconds = np.where(np.isnan(seconds) & on_clock, from_clock, seconds)
        seconds = np.where(np.isnan(seconds) & found & ~on_clock, from_units, seconds)
    seconds = np.asarray(seconds, dtype=float)
    seconds[~(seconds >= 0)] = np.nan
    return seconds


def _timestamps(column: pd.Series) -> pd.Series:
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        return column
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "could not infer format": parsed cell by cell
        return pd.to_datetime(column.astype("string").str.strip(), errors="coerce")


def _unit(name: str) -> float:
    key = _key(name)
    if re.search(r"小时|hour", key):
        return 3600.0
    if re.search(r"分钟|minute|mins?$|inmin", key):
        return 60.0
    return 1.0


def _key(name) -> str:
    return re.sub(r"[\W_]+", "", str(name).casefold())
