"""From a Survey to the model's item matrix: one function per step, in this order (each
counted in the data-quality report, see csi.ingest.quality):

1. Columns (`_columns`): each indicator is the survey column of the same name, unless the
   column map assigns another column to it.
2-4. Answers (csi.ingest.answers): numbers, non-answers (`--na` codes and texts, SPSS
   user-missing values), and each item's scale (`_bounds`: its map-file scale, else
   `--scale`, else unknown; a value outside it is an error unless `--clip`).
5. Longstring (`_longstring`): each respondent's longest run of identical answers, in
   questionnaire order, on the answers as given (before reverse-coding), so a respondent
   who ignores reverse-worded questions is caught; straight-liners are the extreme case.
6. Reverse-worded items (`_reverse`) are recoded x' = min + max - x; their bounds must be
   known.
7. Weights (`_weights`: finite, non-negative in every row), respondent IDs (`_ids`) and
   completion times (`_timing`).
8. Careless respondents (`_careless`, see csi.ingest.careless): flagged and listed; dropped
   only with --drop-careless (or, straight-liners only, --drop-straightliners).
9. Rows (`_rows`): 'listwise' drops respondents with any missing item; 'mean' and 'em' keep
   every respondent who answered at least one item. At least MIN_ROWS must remain, and no
   item may be missing everywhere (`_row_errors`).
10. The index's scale (`_index_scale`): the given bounds, else the observed range.
11. Item checks (`_item_checks`): no item may be constant; few distinct answers warn.
12. Weights of the rows used (`_used_weights`) are frequency weights, kept as given
    (csi.sample.Sample applies them, as repeated rows), and missing answers are filled (`_fill_missing`) with the item mean or, for EM, the conditional mean given
    the respondent's other answers under the EM estimates (see csi.sample; the Sample fills them, with the weights).

Problems are collected in order, so `csi validate` can report them all; item_matrix raises
the first as a DataError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import numpy as np

from csi.errors import DataError, ModelError
from csi.ingest.answers import Answers, numbers, read_answers
from csi.ingest.compact import CompactAnswers
from csi.ingest.careless import REASONS, CarelessScreen, longest_run, row_blocks, screen
from csi.ingest.columns import ColumnMap, load_column_map
from csi.ingest.messages import Messages
from csi.ingest.options import IngestOptions
from csi.ingest.quality import (
    FEW_DISTINCT,
    MISSING_WARN,
    DataQuality,
    duplicate_ids,
    find_id_column,
    item_qualities,
    rows_list,
    weight_summary,
)
from csi.ingest.survey import Survey
from csi.ingest.timing import NO_TIMING, Timing, find_timing, timing_columns
from csi.model.spec import ModelSpec

MIN_ROWS = 10


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
    """The model's indicator columns as a float matrix, and what it took to get it.

    `values` (n_used, p) is in the order of `items` (the model's indicators), as read: a
    CompactAnswers (one or two bytes a cell, read as float64 by indexing; `dense()` gives the
    float matrix) from item_matrix, an ndarray once a Sample filled or densified it; under
    missing='mean' or 'em' its missing cells are NaN, filled by csi.sample.Sample.of with the
    frequency weights (which also holds EM's moments for the point fit).
    `weights` are frequency weights as given (None without --weights): a respondent counts as
    its weight, as if its row were repeated (csi.sample.Sample applies them); `item_low` /
    `item_high` the per-item scale bounds; `rows` the used respondents' positions (from 0) in
    the survey.
    """

    values: np.ndarray | CompactAnswers  # (n_used, p)
    items: tuple[str, ...]
    rows_read: int
    rows_dropped_missing: int
    missing_cells: dict[str, int]
    scale: Scale
    weights: np.ndarray | None = None
    item_low: np.ndarray | None = None
    item_high: np.ndarray | None = None
    labels: dict[str, str] = field(default_factory=dict)
    missing: str = "listwise"
    rows: np.ndarray | None = None
    columns: dict[str, str] = field(default_factory=dict)  # indicator -> survey column
    rows_dropped_straightliners: int = 0
    cells_imputed: int = 0
    quality: DataQuality | None = None
    rows_dropped_careless: int = 0  # with --drop-careless (or --drop-straightliners)
    sha256: str | None = None  # the survey's content hash (csi.ingest.survey.Survey.sha256)

    def __post_init__(self) -> None:
        p = len(self.items)
        if self.item_low is None:
            object.__setattr__(self, "item_low", np.full(p, float(self.scale.low)))
        if self.item_high is None:
            object.__setattr__(self, "item_high", np.full(p, float(self.scale.high)))

    @property
    def rows_used(self) -> int:
        return self.values.shape[0]

    @property
    def notes(self) -> tuple[str, ...]:
        """What csi did to the data (encoding, layout, codes, missing-data handling)."""
        return self.quality.notes if self.quality else ()

    @property
    def warnings(self) -> tuple[str, ...]:
        """What the analyst should look at (missing > 5%, straight-liners, duplicates...)."""
        return self.quality.warnings if self.quality else ()

    def to_dict(self) -> dict:
        """The JSON `data` block."""
        doc = {
            "rows_read": self.rows_read,
            "rows_used": self.rows_used,
            "rows_dropped_missing": self.rows_dropped_missing,
            "missing": self.missing,
            "missing_cells": dict(self.missing_cells),
            "rows_dropped_straightliners": self.rows_dropped_straightliners,
            "rows_dropped_careless": self.rows_dropped_careless,
            "cells_imputed": self.cells_imputed,
            "weights": None,
            "item_scales": {
                item: [float(low), float(high)]
                for item, low, high in zip(self.items, self.item_low, self.item_high)
                if (low, high) != (self.scale.low, self.scale.high)
            },
        }
        if self.quality is not None:
            reading = self.quality.reading
            doc["format"] = reading.get("format")
            doc["encoding"] = reading.get("encoding")
            doc["layout"] = reading.get("layout")
            if self.quality.weights:
                doc["weights"] = self.quality.weights["column"]
            doc["id_column"] = self.quality.duplicate_ids.get("column")
        doc["columns"] = {k: v for k, v in self.columns.items() if k != v}
        doc["sha256"] = self.sha256
        return doc

    def data_quality(self) -> dict:
        """The JSON `data_quality` block (see csi.ingest.quality)."""
        if self.quality is not None:
            return self.quality.to_dict()
        return {"usable": True, "rows_read": self.rows_read, "rows_used": self.rows_used,
                "missing": {"method": self.missing, "rows_dropped": self.rows_dropped_missing},
                "items": [], "notes": [], "warnings": [], "errors": []}


def item_matrix(survey: Survey, spec: ModelSpec, scale: tuple[float, float] | None = None,
                options: IngestOptions | None = None) -> ItemData:
    """The model's indicators as a matrix read as float64 (kept compact: ItemData.values is
    a csi.ingest.compact.CompactAnswers), prepared as `options` say.

    `scale` (MIN, MAX), when given, overrides options.scale. Raises ModelError when an
    indicator has no column, and DataError for the first problem with the data (a cell that
    is not a number, a value outside the scale, a bad weight, too few rows, a constant item).
    """
    quality, items = _prepare(survey, spec, _options(options, scale))
    if quality.errors:
        raise DataError(quality.errors[0])
    return items


def assess(survey: Survey, spec: ModelSpec, options: IngestOptions | None = None,
           scale: tuple[float, float] | None = None) -> DataQuality:
    """The data-quality report of `survey` for `spec`, listing every problem found instead of
    raising the first (`usable` is False when there is one). Problems with the options
    themselves (an unknown --weights or --id column, a bad map file) still raise."""
    return _prepare(survey, spec, _options(options, scale))[0]


def _options(options: IngestOptions | None, scale) -> IngestOptions:
    options = options or IngestOptions()
    if scale is not None:
        options = replace(options, scale=tuple(scale))
    return options


def item_columns(survey: Survey, spec: ModelSpec, options: IngestOptions, report: Messages):
    """Steps 1-2 for the model's items: the column map, each item's column, its name as
    shown in messages, the reverse-coded items and each item's answer bounds (NaN when
    unknown), as (column_map, columns, shown, reverse, low, high)."""
    column_map = load_column_map(options.column_map)
    columns = _columns(survey, spec, column_map, report)
    shown = [_show(columns[item], item) for item in spec.indicators]
    reverse = _reverse_items(options, column_map, columns, spec)
    low, high = _bounds(options, column_map, spec.indicators, reverse)
    return column_map, columns, shown, reverse, low, high


def _prepare(survey: Survey, spec: ModelSpec, options: IngestOptions):
    """Every step of the module docstring; returns (DataQuality, ItemData or None)."""
    report = Messages(notes=list(survey.notes))
    column_map, columns, shown, reverse, low, high = item_columns(survey, spec, options, report)
    indicators = spec.indicators
    answers = read_answers(survey, indicators, columns, shown, options, low, high, report)
    longest = _longstring(survey, columns, indicators, answers.raw)
    _reverse(answers, indicators, reverse, low, high, report)
    weights_raw = _weights(survey, options, report) if options.weights else None
    id_info = _ids(survey, options, report)
    timing = _timing(survey, report)
    careless = _careless(answers.raw, timing, longest)
    rows = _rows(careless, answers.missing_per_row, options)
    values = answers.raw.rows(rows.keep)  # still compact
    answers.raw = None  # the matrix of the rows used is all that is needed from here
    _row_errors(survey, answers, rows, options, shown, report)
    lowest, highest = _observed_range(values, answers, rows)
    scale, low, high, known = _index_scale(options, low, high, lowest, highest, survey,
                                           report)
    constant, few = _item_checks(survey, indicators, shown, answers, lowest, highest, report)
    weights = _used_weights(survey, weights_raw, rows, options, report)
    values, em = _fill_missing(values, weights, options.missing, rows, survey.source, shown,
                               report)
    report.notes.append(_missing_note(options.missing, rows, em))
    _missing_warnings(shown, answers, survey.rows_read, report)
    _straightliner_messages(careless, options, report)
    _careless_messages(careless, rows, options, report)
    summary = _weight_note(weights, options, rows, report)
    labels = {item: text for item in indicators
              if (text := _label(survey, column_map, columns, item))}
    quality = DataQuality(
        reading=survey.reading(),
        rows_read=survey.rows_read,
        rows_used=rows.used,
        missing=_missing_block(options.missing, rows, em),
        items=item_qualities(indicators, columns, labels, low, high, known, reverse,
                             answers.missing_per_item, answers.counts, answers.stats),
        straightliners={"count": int(careless.straightliners.sum()),
                        "rows": rows_list(careless.straightliners),
                        "dropped": bool(options.drop_straightliners or options.drop_careless)},
        duplicate_ids=id_info,
        weights=summary,
        notes=tuple(report.notes),
        warnings=tuple(report.warnings),
        errors=tuple(report.errors),
        constant_items=tuple(constant),
        few_distinct_items=tuple(few),
        careless=tuple(careless.entries(_id_column(survey, id_info["column"]))),
        careless_screen=careless.summary() | {
            "dropped": bool(options.drop_careless),
            "rows_dropped": int(rows.dropped_careless.sum()),
        },
        completion_time=timing.to_dict(),
    )
    if report.errors:
        return quality, None
    items = ItemData(
        values=values,
        items=indicators,
        rows_read=survey.rows_read,
        rows_dropped_missing=rows.dropped_missing,
        missing_cells={item: int(k) for item, k in zip(indicators, answers.missing_per_item)},
        scale=scale,
        weights=weights,
        item_low=low,
        item_high=high,
        labels=labels,
        missing=options.missing,
        rows=np.flatnonzero(rows.keep),
        columns=dict(columns),
        rows_dropped_straightliners=int((rows.dropped_careless
                                         & careless.straightliners).sum()),
        cells_imputed=rows.cells if options.missing != "listwise" else 0,
        quality=quality,
        rows_dropped_careless=int(rows.dropped_careless.sum()),
        sha256=survey.sha256,
    )
    return quality, items


# Steps ----------------------------------------------------------------------------------

def _bounds(options: IngestOptions, column_map: ColumnMap, indicators: tuple[str, ...],
            reverse: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Each item's scale bounds (NaN when unknown): the option's per-item scale, else the
    map file's, else --scale. --clip and --reverse need them."""
    p = len(indicators)
    low = np.full(p, np.nan)
    high = np.full(p, np.nan)
    for j, item in enumerate(indicators):
        bounds = options.item_scales.get(item) or column_map.scales.get(item) or options.scale
        if bounds is not None:
            low[j], high[j] = bounds
    known = ~np.isnan(low)
    if options.clip and not known.all():
        raise DataError("--clip needs the answer scale: give --scale MIN:MAX (or a scale for "
                        "each item in the map file)")
    for item in reverse:
        if not known[indicators.index(item)]:
            raise DataError(
                f"--reverse {item}: reversing needs the item's scale; give --scale MIN:MAX "
                f"(or a scale for {item} in the map file)"
            )
    return low, high


def _longstring(survey: Survey, columns: dict[str, str], indicators: tuple[str, ...],
                raw: np.ndarray) -> np.ndarray:
    """Each respondent's longest run of identical answers, in the order of the survey's
    columns (the questionnaire's order), on the answers as given."""
    position = {name: k for k, name in enumerate(survey.names)}
    order = np.argsort([position[columns[item]] for item in indicators], kind="stable")
    if np.array_equal(order, np.arange(len(order))):
        return longest_run(raw)
    longest = np.empty(raw.shape[0], dtype=np.int64)
    for start, stop in row_blocks(*raw.shape):  # reordered a block at a time, no copy
        longest[start:stop] = longest_run(raw[start:stop, order])
    return longest


def _reverse(answers: Answers, indicators: tuple[str, ...], reverse: list[str],
             low: np.ndarray, high: np.ndarray, report: Messages) -> None:
    """Recode reverse-worded items x' = min + max - x, in place (their summaries too)."""
    for item in reverse:
        j = indicators.index(item)
        answers.raw.put(j, low[j] + high[j] - answers.raw[:, j])
        answers.stats[j] = _reversed_stats(answers.stats[j], low[j] + high[j])
    if reverse:
        report.notes.append(f"reverse-coded {', '.join(reverse)} (x' = min + max - x)")


def _reversed_stats(stats: tuple, total: float) -> tuple:
    distinct, minimum, maximum, mean, sd = stats
    if minimum is None:
        return stats
    return distinct, total - maximum, total - minimum, total - mean, sd


def _timing(survey: Survey, report: Messages) -> Timing:
    """The completion-time columns and times (csi.ingest.timing), stated in the notes."""
    if all(column is None for column in timing_columns(survey.names)):
        return NO_TIMING  # found by name: the frame is not needed
    timing = find_timing(survey.frame)
    info = timing.to_dict()
    if info is None:
        return timing
    if timing.how is None:
        report.notes.append(f"submit time: column {timing.submitted}; no start time or "
                            "duration column, so no completion times")
        return timing
    median = info["median_seconds"]
    typical = ("no readable times" if median is None else
               f"median {median / 60:.1f} minutes" if median >= 120 else
               f"median {median:.0f} seconds")
    source = (f"column {timing.columns[0]}" if timing.how == "duration" else
              f"columns {timing.columns[0]} to {timing.columns[1]}")
    report.notes.append(f"completion time: {source} ({typical}, {info['rows_with_time']} "
                        "respondents)")
    return timing


def _careless(values: np.ndarray, timing: Timing, longest: np.ndarray) -> CarelessScreen:
    """The careless-response screen (csi.ingest.careless) of every respondent read."""
    return screen(values, timing.seconds, longest)


@dataclass(frozen=True)
class _Rows:
    """Which respondents are used, and what the missing-data method did to the others."""

    keep: np.ndarray  # (n,) bool
    dropped_careless: np.ndarray  # (n,) bool: dropped by --drop-careless/--drop-straightliners
    candidates: int  # respondents left after that
    dropped_missing: int
    affected: int  # candidates with a missing answer
    cells_missing: int  # missing cells of the candidates
    cells: int  # missing cells of the rows used
    incomplete: int  # rows used with a missing answer

    @property
    def used(self) -> int:
        return int(self.keep.sum())


def _rows(careless: CarelessScreen, missing_per_row: np.ndarray,
          options: IngestOptions) -> _Rows:
    """Drop the careless respondents asked for, then the rows the missing-data method
    cannot use ('listwise': any missing item; otherwise: no item answered)."""
    answered_none = careless.answered == 0
    if options.drop_careless:
        dropped = careless.flagged
    elif options.drop_straightliners:
        dropped = careless.straightliners
    else:
        dropped = np.zeros(len(missing_per_row), dtype=bool)
    candidates = ~dropped
    keep = candidates & ((missing_per_row == 0) if options.missing == "listwise" else ~answered_none)
    incomplete = missing_per_row > 0
    return _Rows(
        keep=keep,
        dropped_careless=dropped,
        candidates=int(candidates.sum()),
        dropped_missing=int((candidates & ~keep).sum()),
        affected=int((incomplete & candidates).sum()),
        cells_missing=int(missing_per_row[candidates].sum()),
        cells=int(missing_per_row[keep].sum()),
        incomplete=int((incomplete & keep).sum()),
    )


def _row_errors(survey: Survey, answers: Answers, rows: _Rows, options: IngestOptions,
                shown: list[str], report: Messages) -> None:
    """Items missing everywhere, and too few respondents for PLS."""
    n = survey.rows_read
    for j in np.flatnonzero((answers.missing_per_item == n) & (n > 0)):
        report.errors.append(
            f"{survey.source}, column {shown[j]}: every answer is missing; check the column, "
            "the --na codes, or drop the item from the model"
        )
    if rows.used < MIN_ROWS and options.missing == "listwise":
        report.errors.append(f"{survey.source}: only {rows.used} complete rows for the "
                             f"model's items; PLS needs at least {MIN_ROWS}")
    elif rows.used < MIN_ROWS:
        report.errors.append(f"{survey.source}: only {rows.used} respondents answered any of "
                             f"the model's items; PLS needs at least {MIN_ROWS}")


def _observed_range(values: CompactAnswers, answers: Answers,
                    rows: _Rows) -> tuple[np.ndarray, np.ndarray]:
    """Each item's lowest and highest answer among the rows used."""
    p = len(answers.stats)
    if rows.used == len(rows.keep):  # every row used: the column summaries hold
        lowest = np.array([np.nan if st[1] is None else st[1] for st in answers.stats])
        highest = np.array([np.nan if st[2] is None else st[2] for st in answers.stats])
    elif rows.used:
        lowest, highest = values.column_range()  # skips NaN
    else:
        lowest = highest = np.full(p, np.nan)
    return lowest, highest


def _index_scale(options: IngestOptions, low: np.ndarray, high: np.ndarray,
                 lowest: np.ndarray, highest: np.ndarray, survey: Survey, report: Messages):
    """The index's scale: the given bounds, else the observed range of the items without
    one; returns (Scale, item lows, item highs, which bounds were given)."""
    known = ~np.isnan(low)
    if known.all():
        scale = Scale(low=float(options.scale[0]) if options.scale else float(low.min()),
                      high=float(options.scale[1]) if options.scale else float(high.max()),
                      from_data=False)
    elif np.isfinite(lowest[~known]).any():
        scale = Scale(low=float(np.nanmin(lowest[~known])),
                      high=float(np.nanmax(highest[~known])), from_data=True)
        if scale.low == scale.high and not report.errors and not known.any():
            report.errors.append(f"{survey.source}: every answer is {scale.low:g}; nothing to "
                                 "model")
    else:
        scale = Scale(low=0.0, high=1.0, from_data=True)
    return (scale, np.where(known, low, scale.low), np.where(known, high, scale.high),
            known)


def _item_checks(survey: Survey, indicators: tuple[str, ...], shown: list[str],
                 answers: Answers, lowest: np.ndarray, highest: np.ndarray,
                 report: Messages) -> tuple[list[str], list[str]]:
    """Constant items among the rows used (an error) and items with few distinct answers
    among all rows (a warning)."""
    constant, few = [], []
    for j, item in enumerate(indicators):
        if lowest[j] == highest[j]:
            constant.append(item)
            report.errors.append(
                f"{survey.source}, column {shown[j]}: the item is constant (every answer is "
                f"{lowest[j]:g}); it carries no information, drop it from the model"
            )
        elif 1 < answers.stats[j][0] < FEW_DISTINCT:
            few.append(item)
            report.warnings.append(
                f"{shown[j]}: only {answers.stats[j][0]} distinct answers; PLS treats answers "
                "as interval data"
            )
    return constant, few


def _used_weights(survey: Survey, weights_raw: np.ndarray | None, rows: _Rows,
                  options: IngestOptions, report: Messages) -> np.ndarray | None:
    """The frequency weights of the rows used, as given (csi.sample.Sample applies them)."""
    if weights_raw is None or not rows.used:
        return None
    kept = weights_raw[rows.keep]
    if kept.max() > 0:
        return kept
    if not report.errors:
        report.errors.append(
            f"{survey.source}, column {options.weights}: every weight of the rows used is 0"
        )
    return None


def _fill_missing(values: CompactAnswers, weights: np.ndarray | None, method: str, rows: _Rows,
                  source: str, shown: list[str], report: Messages):
    """Missing answers stay missing here: csi.sample.Sample fills them with the frequency
    weights (mean imputation, EM). Under --missing em, a pair of items never answered
    together is reported now, since EM cannot estimate their covariance."""
    if report.errors or method != "em" or not rows.cells:
        return values, None
    together = np.zeros((values.shape[1],) * 2, dtype=np.float32)
    for start, stop in values.blocks():  # counts exact in float32 up to 2^24 a block
        observed = (~np.isnan(values[start:stop])).astype(np.float32)
        together += observed.T @ observed
    never = np.argwhere(together == 0)
    if never.size:
        a, b = never[0]
        report.errors.append(
            f"{source}: --missing em: items {shown[a]} and {shown[b]} are never answered "
            "together, so their covariance cannot be estimated; use --missing listwise or mean")
    return values, None


def _missing_block(method: str, rows: _Rows, em) -> dict:
    """The JSON `data_quality.missing` block."""
    return {
        "method": method,
        "rows_with_missing": rows.affected,
        "cells_missing": rows.cells_missing,
        "rows_dropped": rows.dropped_missing,
        "cells_imputed": rows.cells if method != "listwise" else 0,
        "em_iterations": em.iterations if em is not None else None,
    }


def _weight_note(weights: np.ndarray | None, options: IngestOptions, rows: _Rows,
                 report: Messages) -> dict | None:
    """The weights' summary (Kish's effective n), stated in the notes."""
    if weights is None:
        return None
    summary = weight_summary(weights, options.weights)
    total = float(weights.sum())
    report.notes.append(
        f"weights: column {options.weights}, frequency weights (a respondent counts as its "
        f"weight: sample size {total:g} from {rows.used} respondents; Kish's effective n "
        f"{summary['effective_n']:.1f})"
    )
    if total > 2 * rows.used or total < rows.used / 2:
        report.warnings.append(
            f"the weights in column {options.weights} sum to {total:g} for {rows.used} "
            "respondents: as frequency weights they set the sample size, and with it every "
            "standard error; if they are sampling or expansion weights, rescale them to mean 1"
        )
    return summary


def _missing_warnings(shown: list[str], answers: Answers, n: int, report: Messages) -> None:
    for j, count in enumerate(answers.missing_per_item.tolist()):
        share = count / n if n else 0.0
        if share > MISSING_WARN:
            report.warnings.append(
                f"{shown[j]}: {100 * share:.1f}% of answers missing ({count} of {n})"
            )


def _straightliner_messages(careless: CarelessScreen, options: IngestOptions,
                            report: Messages) -> None:
    straight = careless.straightliners
    count = int(straight.sum())
    if not count:
        return
    listed = ", ".join(str(r) for r in rows_list(straight)[:5])
    more = ", ..." if count > 5 else ""
    if options.drop_straightliners:
        report.notes.append(
            f"--drop-straightliners: dropped {count} respondents who gave the same answer to "
            f"every item (rows {listed}{more})"
        )
    elif not options.drop_careless:  # else the --drop-careless note counts them
        report.warnings.append(
            f"{count} straight-liner{'s' if count > 1 else ''} (the same answer to every "
            f"item; row{'s' if count > 1 else ''} {listed}{more}); drop "
            f"{'them' if count > 1 else 'it'} with --drop-straightliners"
        )


def _careless_messages(careless: CarelessScreen, rows: _Rows, options: IngestOptions,
                       report: Messages) -> None:
    """One line on the careless respondents; their rows are in data_quality.careless (not in
    the line, so a segment's report reads the same whatever the other segments' rows)."""
    flagged = careless.flagged
    count = int(flagged.sum())
    if not count:
        return
    many = count > 1
    detail = ", ".join(f"{reason} {int(careless.reasons[reason].sum())}" for reason in REASONS
                       if careless.reasons[reason].any())
    if options.drop_careless:
        report.notes.append(
            f"--drop-careless: dropped {count} respondent{'s' if many else ''} flagged as "
            f"careless ({detail}), listed in data_quality.careless"
        )
    else:
        report.warnings.append(
            f"{count} respondent{'s' if many else ''} flagged as possibly careless ({detail}); "
            f"kept: review {'them' if many else 'it'} (data_quality.careless, or csi validate), "
            f"or drop {'them' if many else 'it'} with --drop-careless"
        )


def _columns(survey: Survey, spec: ModelSpec, column_map: ColumnMap,
             report: Messages) -> dict[str, str]:
    """indicator -> survey column; ModelError for an indicator without a column."""
    present = survey.names
    names = set(present)
    wanted = set(spec.indicators)
    assigned: dict[str, str] = {}
    for column, indicator in column_map.columns.items():
        if column in names:
            assigned[indicator] = column
        elif indicator in wanted:
            close = _close_matches(column, present, n=1, cutoff=0.6)
            hint = f" (closest: '{close[0]}')" if close else ""
            raise DataError(
                f"{column_map.locate(column)}: '{column}' is not a column of "
                f"{survey.source}{hint}"
            )
    mapped_columns = set(assigned.values())
    visible = [c for c in present if c not in mapped_columns and c not in assigned]
    try:
        spec.check_columns(visible + list(assigned), survey.source)
    except ModelError as error:
        others = [title for title in survey.sheets if title != survey.sheet]
        if not others:
            raise
        raise ModelError(
            f"{error}; that is sheet '{survey.sheet}' of the workbook: choose another with "
            f"--sheet ({', '.join(others)})"
        ) from None
    columns = {item: assigned.get(item, item) for item in spec.indicators}
    used = [item for item in spec.indicators if item in assigned]
    if used:
        report.notes.append(
            f"column map {column_map.source}: {len(used)} indicators taken from mapped columns"
        )
    for item in used:
        if item in names and item not in mapped_columns:
            report.notes.append(
                f"column {item} is not used: the map assigns column {assigned[item]} to "
                f"indicator {item}"
            )
    for item in spec.indicators:
        _unique(survey, columns[item])
    return columns


def _unique(survey: Survey, column: str) -> None:
    count = survey.duplicate_columns.get(column)
    if count:
        raise DataError(
            f"{survey.source}: column '{column}' appears {count} times in the header; rename "
            f"the copies (csi reads them as {column}, {column}.1, ...) or map one with --map"
        )


def _show(column: str, item: str) -> str:
    return column if column == item else f"{column} ({item})"


def _reverse_items(options: IngestOptions, column_map: ColumnMap, columns: dict[str, str],
                   spec: ModelSpec) -> list[str]:
    by_column = {column: item for item, column in columns.items()}
    chosen: list[str] = []
    for name in list(options.reverse) + list(column_map.reverse):
        item = name if name in columns else by_column.get(name)
        if item is None:
            if name in column_map.reverse:
                continue  # a map entry for an indicator this model does not use
            close = _close_matches(name, list(columns) + list(by_column), n=1,
                                              cutoff=0.6)
            hint = f" (closest: '{close[0]}')" if close else ""
            raise DataError(
                f"--reverse {name}: not an indicator of {spec.name} or the column of one{hint}"
            )
        if item not in chosen:
            chosen.append(item)
    return [item for item in spec.indicators if item in chosen]


def _weights(survey: Survey, options: IngestOptions, report: Messages) -> np.ndarray:
    name = options.weights
    if name not in survey.names:
        close = _close_matches(name, survey.names, n=1, cutoff=0.6)
        hint = f" (closest: '{close[0]}')" if close else ""
        raise DataError(f"--weights {name}: not a column of {survey.source}{hint}")
    _unique(survey, name)
    values, bad, message, _ = numbers(survey, name, name)
    if message:
        report.errors.append(message)
        return np.where(bad, 0.0, np.nan_to_num(values))
    source = survey.source
    absent = np.isnan(values)
    if absent.any():
        row = int(np.flatnonzero(absent)[0]) + 1
        count = int(absent.sum())
        report.errors.append(
            f"{source}, column {name}, row {row}: the weight is missing"
            + (f" ({count} rows have none)" if count > 1 else "")
        )
    negative = values < 0
    if negative.any():
        row = int(np.flatnonzero(negative)[0])
        report.errors.append(
            f"{source}, column {name}, row {row + 1}: the weight {values[row]:g} is negative"
        )
    return np.where(absent | negative, 0.0, values)


def _ids(survey: Survey, options: IngestOptions, report: Messages) -> dict:
    columns = survey.names
    if options.id_column is not None:
        if options.id_column not in columns:
            close = _close_matches(options.id_column, columns, n=1, cutoff=0.6)
            hint = f" (closest: '{close[0]}')" if close else ""
            raise DataError(f"--id {options.id_column}: not a column of {survey.source}{hint}")
        name, how = options.id_column, "--id"
    else:
        name, how = find_id_column(columns), "auto-detected"
    if name is None:
        report.notes.append("no respondent ID column found (give --id COLUMN to check for "
                            "duplicates)")
        return {"column": None, "how": None, "count": 0, "ids": []}
    count, listed = duplicate_ids(_id_column(survey, name))
    report.notes.append(f"respondent IDs: column {name} ({how})")
    if count:
        first = listed[0]
        report.warnings.append(
            f"{count} respondent IDs appear more than once in column {name} (e.g. "
            f"{first['id']} in rows {', '.join(map(str, first['rows'][:5]))})"
        )
    return {"column": name, "how": how, "count": count, "ids": listed}


def _id_column(survey: Survey, name: str | None):
    """The respondent-ID column: a numpy array when held as numbers or as text (an object
    array of its cells), else the Series."""
    if name is None:
        return None
    held = survey.column(name)
    if held is not None:
        return held
    cells = survey.text(name)
    return np.array(cells, dtype=object) if cells is not None else survey.frame[name]


def _label(survey: Survey, column_map: ColumnMap, columns: dict[str, str],
           item: str) -> str | None:
    column = columns[item]
    return column_map.labels.get(item) or survey.labels.get(column) or (
        column if column != item else None)


def _missing_note(method: str, rows: _Rows, em) -> str:
    """The statement of what the missing-data method did, with the cases and cells."""
    if rows.cells_missing == 0:
        name = "listwise, the default" if method == "listwise" else method
        return f"missing answers ({name}): none among the model's items"
    if method == "listwise":
        return (f"missing answers (listwise, the default): dropped {rows.dropped_missing} of "
                f"{rows.candidates} respondents, who had {rows.cells_missing} missing cells; "
                "--missing em keeps them")
    empty = (f"; dropped {rows.dropped_missing} who answered no item" if rows.dropped_missing
             else "")
    if method == "mean":
        return (f"missing answers (mean imputation): filled {rows.cells} cells of "
                f"{rows.incomplete} respondents with the item means{empty}")
    rounds = f", {em.iterations} iterations" if em is not None else ""
    return (f"missing answers (EM): means and covariances estimated from all {rows.used} "
            f"respondents by expectation-maximisation ({rows.cells} missing cells in "
            f"{rows.incomplete} respondents{rounds}){empty}")


def _close_matches(word: str, possibilities, n: int, cutoff: float) -> list[str]:
    """difflib's close matches, imported only when a name is missing (a message)."""
    import difflib

    return difflib.get_close_matches(word, possibilities, n=n, cutoff=cutoff)
