"""Steps 2-4 of preparing the items, column by column: numbers, non-answers, the scale.

- numbers: every cell must be a finite number or empty; a decimal comma is read when the
  file uses one. A text cell that is a declared non-answer (`--na 不知道`) is missing, not an
  error; any other text is an error naming the value, column and row, which suggests --na
  when the text reads like a non-answer or recurs in the column.
- non-answers: numeric `--na` codes and SPSS user-missing values become missing.
- scale: a value outside its item's bounds is an error naming column and row (with a hint
  when it looks like a code) unless `--clip` moves it to the nearest bound. Without known
  bounds, a value above MAX_ANSWER in magnitude is refused as no survey answer.

Columns are converted one at a time (contiguous and cheap) into the (n, p) matrix the
respondent-wise steps work on, kept one or two bytes a cell when the answers are whole
numbers (csi.ingest.compact.CompactAnswers, read as float64 block by block). When every item
column is held as numbers in numpy (csi.ingest.survey.Survey.column: a plain numeric file,
or numeric DataFrame columns) and the survey is not big (MATRIX_BYTES), the steps run on the
(n, p) float matrix at once, as column reductions, with the same counts and messages; pandas
is imported only for other columns.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from csi.ingest.compact import CompactAnswers
from csi.ingest.frames import NULL_TEXTS
from csi.ingest.messages import Messages
from csi.ingest.options import IngestOptions
from csi.ingest.quality import item_stats, matrix_item_stats
from csi.ingest.survey import Survey

MAX_ANSWER = 1e12
# The matrix steps hold a few (n, p) float and bool matrices at once: up to this size of the
# float matrix (2 million answers); bigger surveys go column by column, whose peak stays near
# the compact matrix (issue 21, docs/scale.md).
MATRIX_BYTES = 1 << 24
_NA_HINT = re.compile(r"know|refus|applicable|no answer|not answer|n/a|prefer not|not sure|"
                      r"unsure|no opinion|keine|weiß|sais pas|no sabe|不知道|不清楚|说不清|"
                      r"不好说|不确定|无法回答|无法评价|拒绝|拒答|不适用|无意见|没有意见",
                      re.IGNORECASE)
_CODE_LIKE = {-999.0, -99.0, -98.0, -97.0, -9.0, -8.0, -7.0, -1.0, 97.0, 98.0, 99.0, 997.0,
              998.0, 999.0, 9999.0}
COUNTS = ("non_numeric", "na_coded", "user_missing", "out_of_scale", "clipped")


@dataclass
class Answers:
    """The items' answers as an (n, p) matrix read as float64 (NaN = missing; stored compact),
    with per-item counts of what the column steps did and each item's summary (item_stats)."""

    raw: CompactAnswers
    counts: dict[str, np.ndarray]  # COUNTS -> (p,) int
    stats: list[tuple]
    missing_per_row: np.ndarray  # (n,)
    missing_per_item: np.ndarray  # (p,)


def read_answers(survey: Survey, indicators: tuple[str, ...], columns: dict[str, str],
                 shown: list[str], options: IngestOptions, low: np.ndarray,
                 high: np.ndarray, report: Messages) -> Answers:
    """Steps 2-4 for every item; `low`/`high` are the items' bounds (NaN when unknown)."""
    codes = np.array(options.na_codes, dtype=float)
    texts = na_text_set(options.na_texts)
    arrays = [survey.column(columns[item]) for item in indicators]
    if indicators and all(array is not None for array in arrays) and \
            survey.rows_read * len(indicators) * 8 <= MATRIX_BYTES:
        steps = _matrix_steps(survey, arrays, columns, indicators, shown, options, codes,
                              low, high, report)
    else:
        steps = _column_steps(survey, indicators, columns, shown, options, codes, texts,
                              low, high, report)
    raw, counts, stats, missing_per_row, missing_per_item, outside_first, huge_first = steps
    _messages(survey, indicators, columns, shown, options, codes, texts, low, high, counts,
              outside_first, huge_first, report)
    return Answers(raw, counts, stats, missing_per_row, missing_per_item)


def _column_steps(survey: Survey, indicators: tuple[str, ...], columns: dict[str, str],
                  shown: list[str], options: IngestOptions, codes: np.ndarray,
                  texts: frozenset[str], low: np.ndarray, high: np.ndarray, report: Messages):
    """Steps 2-4 a column at a time (any column: text, Arrow, SPSS); returns (raw, counts,
    stats, missing per row, missing per item, first value outside its scale as (row, item,
    value) or None, first implausible value likewise)."""
    n, p = survey.rows_read, len(indicators)
    known = ~np.isnan(low)
    counts = {key: np.zeros(p, dtype=np.int64) for key in COUNTS}
    raw = CompactAnswers.empty(n, p)
    stats = []
    missing_per_row = np.zeros(n, dtype=np.int32)
    missing_per_item = np.zeros(p, dtype=np.int64)
    outside_first: tuple[int, int, float] | None = None
    huge_first: tuple[int, int, float] | None = None
    for j, item in enumerate(indicators):
        column = columns[item]
        x, bad, message, text_hits = numbers(survey, column, shown[j], texts)
        counts["non_numeric"][j] = int(bad.sum())
        if message:
            report.errors.append(message)
        counts["na_coded"][j], counts["user_missing"][j] = non_answers(
            x, codes, survey.user_missing.get(column, ()))
        counts["na_coded"][j] += text_hits
        label_hints(survey, column, shown[j], x, options, report)
        if known[j]:
            counts["out_of_scale"][j], counts["clipped"][j], first = on_scale(
                x, low[j], high[j], options.clip)
            if first is not None and (outside_first is None or first[0] < outside_first[0]):
                outside_first = (first[0], j, first[1])
        else:
            counts["out_of_scale"][j], first = plausible(x)
            if first is not None and (huge_first is None or first[0] < huge_first[0]):
                huge_first = (first[0], j, first[1])
        stats.append(item_stats(x))
        absent = np.isnan(x)
        missing_per_item[j] = int(absent.sum())
        missing_per_row += absent
        raw.put(j, x)
        del x, absent
    return raw, counts, stats, missing_per_row, missing_per_item, outside_first, huge_first


def _matrix_steps(survey: Survey, arrays: list[np.ndarray], columns: dict[str, str],
                  indicators: tuple[str, ...], shown: list[str], options: IngestOptions,
                  codes: np.ndarray, low: np.ndarray, high: np.ndarray, report: Messages):
    """Steps 2-4 on the (n, p) float matrix of numeric columns at once: what _column_steps
    does column by column, as column reductions (the same counts, values and messages: the
    first offending row of the first column)."""
    n, p = survey.rows_read, len(indicators)
    x = np.empty((n, p))
    for j, array in enumerate(arrays):
        x[:, j] = array  # whole numbers and floats convert exactly
    counts = {key: np.zeros(p, dtype=np.int64) for key in COUNTS}
    infinite = np.isinf(x)
    if infinite.any():
        counts["non_numeric"] = infinite.sum(axis=0)
        for j in np.flatnonzero(counts["non_numeric"]):
            row = int(np.argmax(infinite[:, j]))
            report.errors.append(f"{survey.source}, column {shown[j]}, row {row + 1}: the "
                                 "value is not finite")
        x[infinite] = np.nan
    if codes.size:
        hit = np.isin(x, codes)
        counts["na_coded"] = hit.sum(axis=0)
        x[hit] = np.nan
    for j, item in enumerate(indicators):
        ranges = survey.user_missing.get(columns[item], ())
        if ranges:
            counts["user_missing"][j] = non_answers(x[:, j], np.empty(0), ranges)[1]
    for j, item in enumerate(indicators):
        label_hints(survey, columns[item], shown[j], x[:, j], options, report)
    known = ~np.isnan(low)
    outside_first = huge_first = None
    if known.any():
        part = x[:, known]
        outside = (part < low[known]) | (part > high[known])
        found = outside.sum(axis=0)
        if options.clip:
            counts["clipped"][known] = found
            x[:, known] = np.clip(part, low[known], high[known])
        else:
            counts["out_of_scale"][known] = found
            outside_first = _first(outside, part, np.flatnonzero(known))
            part[outside] = np.nan
            x[:, known] = part
    if not known.all():
        part = x[:, ~known]
        with np.errstate(invalid="ignore"):
            huge = np.abs(part) > MAX_ANSWER
        counts["out_of_scale"][~known] = huge.sum(axis=0)
        huge_first = _first(huge, part, np.flatnonzero(~known))
        part[huge] = np.nan
        x[:, ~known] = part
    absent = np.isnan(x)
    stats = matrix_item_stats(x)
    missing_per_item = absent.sum(axis=0, dtype=np.int64)
    missing_per_row = absent.sum(axis=1, dtype=np.int32)
    return (CompactAnswers.from_matrix(x), counts, stats, missing_per_row, missing_per_item,
            outside_first, huge_first)


def _first(hits: np.ndarray, values: np.ndarray,
           items: np.ndarray) -> tuple[int, int, float] | None:
    """(row, item, value) of the earliest row holding a hit, the first such item on a tie;
    `hits` and `values` are the columns `items` of the matrix."""
    if not hits.size:
        return None
    rows = np.where(hits.any(axis=0), np.argmax(hits, axis=0), len(hits))
    if rows.min() == len(hits):
        return None
    k = int(np.argmin(rows))
    return int(rows[k]), int(items[k]), float(values[rows[k], k])


def _messages(survey: Survey, indicators: tuple[str, ...], columns: dict[str, str],
              shown: list[str], options: IngestOptions, codes: np.ndarray,
              texts: frozenset[str], low: np.ndarray, high: np.ndarray, counts: dict,
              outside_first, huge_first, report: Messages) -> None:
    """The errors for the first value outside its scale and the first implausible one, and
    the notes on what was recoded."""
    if outside_first is not None:
        row, j, value = outside_first
        report.errors.append(outside_message(survey, columns[indicators[j]], shown[j], row,
                                             value, low[j], high[j]))
    if huge_first is not None:
        row, j, value = huge_first
        report.errors.append(
            f"{survey.source}, column {shown[j]}, row {row + 1}: {value:g} is no plausible "
            "survey answer; give the answer scale with --scale MIN:MAX"
        )
    if codes.size or texts:
        listed = ",".join([f"{c:g}" for c in codes] + list(options.na_texts))
        report.notes.append(f"--na {listed}: {int(counts['na_coded'].sum())} answers recoded "
                            "as missing")
    if counts["user_missing"].any():
        report.notes.append(f"SPSS user-missing values: {int(counts['user_missing'].sum())} "
                            "answers treated as missing")
    if counts["clipped"].any():
        report.notes.append(f"--clip: {int(counts['clipped'].sum())} values outside the scale "
                            "moved to its bounds")


def na_text_set(texts) -> frozenset[str]:
    """Text non-answer codes in the form cells are compared in (normalize_text)."""
    return frozenset(normalize_text(t) for t in texts if normalize_text(t))


def normalize_text(text: str) -> str:
    """Trimmed, NFKC-normalised (full-width forms become ASCII) and case-folded."""
    return unicodedata.normalize("NFKC", str(text)).strip().casefold()


def numbers(survey: Survey, column_name: str, shown: str, na_texts: frozenset[str] = frozenset()):
    """Step 2: a column as float64 with NaN for empty cells and declared text non-answers;
    also the mask of cells that are not finite numbers, the message for the first of them
    (None if there is none) and the number of text non-answers."""
    source = survey.source
    held = survey.column(column_name)
    if held is not None:  # numbers in numpy storage (most answer columns): no pandas
        n = len(held)
        if held.dtype.kind in "iu":  # whole numbers: nothing missing, all finite
            return held.astype(float), np.zeros(n, dtype=bool), None, 0
        values, bad, message, hits = held.astype(float, copy=True), np.zeros(n, bool), None, 0
        return _finite(values, bad, message, hits, source, shown)
    import pandas as pd

    column = survey.frame[column_name]
    n = len(column)
    if pd.api.types.is_bool_dtype(column.dtype):
        values = np.full(n, np.nan)
        bad = column.notna().to_numpy(dtype=bool)
        message = f"{source}, column {shown}: true/false values are not survey answers"
        return values, bad, message, 0
    hits = 0
    if pd.api.types.is_numeric_dtype(column.dtype):
        values = column.to_numpy(dtype=float, na_value=np.nan, copy=True)
        bad = np.zeros(n, dtype=bool)
        message = None
    else:
        text = column.astype("string").str.strip()
        candidate = text.str.replace(",", ".", regex=False) if survey.decimal == "," else text
        values = pd.to_numeric(candidate, errors="coerce").to_numpy(dtype=float,
                                                                   na_value=np.nan)
        filled = text.fillna("")
        empty = filled.isin(NULL_TEXTS).to_numpy(dtype=bool)
        bad = np.isnan(values) & ~empty
        if na_texts and bad.any():
            suspects = np.flatnonzero(bad)
            cells = text.iloc[suspects]
            codes = [cell for cell in cells.unique() if normalize_text(cell) in na_texts]
            declared = cells.isin(codes).to_numpy(dtype=bool)
            bad[suspects[declared]] = False
            hits = int(declared.sum())
        message = None
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            value = text.iloc[row]
            message = (f"{source}, column {shown}, row {row + 1}: {_quoted(value)} is not a "
                       "number")
            message += _na_hint(value, int((filled == value).sum())) + _export_hint(survey)
        values[bad] = np.nan
    return _finite(values, bad, message, hits, source, shown)


def _finite(values: np.ndarray, bad: np.ndarray, message: str | None, hits: int,
            source: str, shown: str):
    """numbers' last step: infinite values are not answers either."""
    infinite = np.isinf(values)
    if infinite.any():
        row = int(np.flatnonzero(infinite)[0])
        if message is None:
            message = f"{source}, column {shown}, row {row + 1}: the value is not finite"
        bad = bad | infinite
        values[infinite] = np.nan
    return values, bad, message, hits


def non_answers(x: np.ndarray, codes: np.ndarray,
                ranges: tuple[tuple[float, float], ...]) -> tuple[int, int]:
    """Step 3, in place: numeric --na codes and SPSS user-missing ranges become NaN; returns
    how many of each."""
    coded = user = 0
    if codes.size:
        hit = np.isin(x, codes)
        coded = int(hit.sum())
        x[hit] = np.nan
    if ranges:
        hit = np.zeros(len(x), dtype=bool)
        for lo, hi in ranges:
            hit |= (x >= lo) & (x <= hi)
        user = int(hit.sum())
        x[hit] = np.nan
    return coded, user


def on_scale(x: np.ndarray, low: float, high: float,
             clip: bool) -> tuple[int, int, tuple[int, float] | None]:
    """Step 4, in place, for an item with known bounds: values outside them are clipped
    (with --clip) or made missing and reported; returns (outside, clipped, (row, value) of
    the first value outside or None)."""
    outside = (x < low) | (x > high)
    if not outside.any():
        return 0, 0, None
    if clip:
        count = int(outside.sum())
        np.clip(x, low, high, out=x)
        return 0, count, None
    row = int(np.argmax(outside))
    first = (row, float(x[row]))
    x[outside] = np.nan
    return int(outside.sum()), 0, first


def plausible(x: np.ndarray) -> tuple[int, tuple[int, float] | None]:
    """Step 4, in place, for an item without known bounds: values beyond MAX_ANSWER in
    magnitude are made missing; returns (count, (row, value) of the first or None)."""
    with np.errstate(invalid="ignore"):
        huge = np.abs(x) > MAX_ANSWER
    if not huge.any():
        return 0, None
    row = int(np.argmax(huge))
    first = (row, float(x[row]))
    x[huge] = np.nan
    return int(huge.sum()), first


def outside_message(survey: Survey, column: str, shown: str, row: int, value: float,
                    low: float, high: float) -> str:
    message = (f"{survey.source}, column {shown}, row {row + 1}: {value:g} is outside the "
               f"scale {low:g}:{high:g}")
    label = survey.value_labels.get(column, {}).get(float(value))
    if label:
        message += f" ('{label}': if it means no answer, declare it with --na {value:g})"
    elif float(value) in _CODE_LIKE:
        message += (f"; if {value:g} codes \"don't know\" or a refusal, declare it with "
                    f"--na {value:g}")
    return message


def label_hints(survey: Survey, column: str, shown: str, x: np.ndarray,
                options: IngestOptions, report: Messages) -> None:
    """Warn about SPSS value labels that read like non-answers but are not declared missing."""
    labels = survey.value_labels.get(column)
    if not labels:
        return
    for code, text in labels.items():
        if _NA_HINT.search(text) and code not in options.na_codes and np.any(x == code):
            report.warnings.append(
                f"{shown}: {code:g} is labelled '{text}' but is not declared missing; give "
                f"--na {code:g} if it means no answer"
            )


def _quoted(text: str, limit: int = 40) -> str:
    """A cell's text for a one-line message: quoted, shortened, unprintable characters
    escaped."""
    text = str(text)
    short = text if len(text) <= limit else text[: limit - 1] + "…"
    if short.isprintable():
        return f"'{short}'"
    return repr(short)


def _na_hint(value: str, times: int) -> str:
    """The --na suggestion for a text answer that reads like a non-answer or recurs."""
    if not (_NA_HINT.search(value) or times > 1):
        return ""
    often = f" ({times} cells of the column)" if times > 1 else ""
    if value.isprintable() and len(value) <= 40 and not set(value) & set(',"'):
        option = f'--na "{value}"' if re.search(r"[\s'\"]", value) else f"--na {value}"
        return f"{often}; if it means no answer (don't know, refused), declare it: {option}"
    return f"{often}; if it means no answer (don't know, refused), declare it with --na"


def _export_hint(survey: Survey) -> str:
    if survey.layout == "qualtrics":
        return "; export numeric values (Qualtrics: Download Data, 'Use numeric values')"
    if survey.layout == "surveymonkey":
        return "; export numerical values (SurveyMonkey: 'Numerical value' format)"
    return ""
