"""From a Survey to the model's item matrix: mapping, codes, scale, reversal, weights, missing.

The steps, in order (each counted in the data-quality report, see csi.ingest.quality):
1. Columns: each indicator is the survey column of the same name, unless the column map
   assigns another column to it.
2. Numbers: every cell of an item must be a finite number or empty; a decimal comma is read
   when the file uses one. Without a known scale, a value above 1e12 in magnitude is refused
   as no survey answer.
3. Non-answers: `--na` codes and SPSS user-missing values become missing.
4. Scale: each item's bounds are its map-file scale, else `--scale`, else unknown (the index
   then uses the observed range of those items and says so). A value outside its item's
   bounds is an error naming column and row, unless `--clip` moves it to the nearest bound.
5. Straight-liners are found (on the answers as given) and, with --drop-straightliners,
   dropped.
6. Reverse-worded items are recoded x' = min + max - x; their bounds must be known.
7. Weights must be finite, non-negative numbers in every row. They are frequency weights,
   kept as given: csi.sample.Sample applies them, as repeated rows.
8. Missing answers: 'listwise' drops respondents with any missing item; 'mean' and 'em' keep
   every respondent who answered at least one item (one who answered none is always dropped)
   and fill the gaps with the item mean or, for EM, with the conditional mean given the
   respondent's other answers under the EM estimates (see csi.ingest.missing).
9. At least MIN_ROWS respondents must remain, and no item may be constant.

Problems are collected in order, so `csi validate` can report them all; item_matrix raises
the first as a DataError.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from csi.errors import DataError, ModelError
from csi.ingest.columns import ColumnMap, load_column_map
from csi.ingest.frames import NULL_TEXTS
from csi.ingest.missing import EmError, em_moments, mean_impute
from csi.ingest.options import IngestOptions
from csi.ingest.quality import (
    MISSING_WARN,
    FEW_DISTINCT,
    DataQuality,
    ItemQuality,
    duplicate_ids,
    find_id_column,
    item_stats,
    rows_list,
    straightliners,
    weight_summary,
)
from csi.ingest.survey import Survey
from csi.model.spec import ModelSpec

MIN_ROWS = 10
MAX_ANSWER = 1e12
_NA_HINT = re.compile(r"know|refus|applicable|no answer|not answer|n/a|prefer not|keine|weiß|"
                      r"sais pas|no sabe|不知道|拒绝|不适用", re.IGNORECASE)
_CODE_LIKE = {-999.0, -99.0, -98.0, -97.0, -9.0, -8.0, -7.0, -1.0, 97.0, 98.0, 99.0, 997.0,
              998.0, 999.0, 9999.0}


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
    """The model's indicator columns as a complete float matrix, and what it took to get it.

    `values` (n_used, p) is in the order of `items` (the model's indicators); with
    missing='em' it holds the EM conditional-mean imputations and `em_mean` / `em_cov` the EM
    estimates of the moments, which estimation should use instead of the sample moments.
    `weights` are frequency weights as given (None without --weights): a respondent counts as
    its weight, as if its row were repeated (csi.sample.Sample applies them); `item_low` /
    `item_high` the per-item scale bounds; `rows` the used respondents' positions (from 0) in
    the survey.
    """

    values: np.ndarray  # (n_used, p)
    items: tuple[str, ...]
    rows_read: int
    rows_dropped_missing: int
    missing_cells: dict[str, int]
    scale: Scale
    weights: np.ndarray | None = None
    item_low: np.ndarray | None = None
    item_high: np.ndarray | None = None
    labels: dict[str, str] = field(default_factory=dict)
    em_mean: np.ndarray | None = None
    em_cov: np.ndarray | None = None
    missing: str = "listwise"
    rows: np.ndarray | None = None
    columns: dict[str, str] = field(default_factory=dict)  # indicator -> survey column
    rows_dropped_straightliners: int = 0
    cells_imputed: int = 0
    quality: DataQuality | None = None

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
    """The model's indicators as a complete float matrix, prepared as `options` say.

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


class _Report:
    """Collects the messages of one preparation."""

    def __init__(self, survey: Survey):
        self.notes: list[str] = list(survey.notes)
        self.warnings: list[str] = []
        self.errors: list[str] = []


def _prepare(survey: Survey, spec: ModelSpec, options: IngestOptions):
    """Every step of the module docstring; returns (DataQuality, ItemData or None)."""
    source = survey.source
    report = _Report(survey)
    column_map = load_column_map(options.column_map)
    columns = _columns(survey, spec, column_map, report)
    indicators = spec.indicators
    p = len(indicators)
    n = survey.rows_read
    shown = [_show(columns[item], item) for item in indicators]
    reverse = _reverse_items(options, column_map, columns, spec)

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

    # Steps 2-4 column by column (contiguous and cheap), then the respondent-wise steps on the
    # (n, p) matrix.
    codes = np.array(options.na_codes, dtype=float)
    counts = {key: np.zeros(p, dtype=np.int64)
              for key in ("non_numeric", "na_coded", "user_missing", "out_of_scale", "clipped")}
    stats = []
    outside_first: tuple[int, int, float] | None = None
    huge_first: tuple[int, int, float] | None = None
    raw = np.empty((n, p))
    row_low = np.full(n, np.inf)  # respondent-wise answer range and count, for straight-liners
    row_high = np.full(n, -np.inf)
    per_row_missing = np.zeros(n, dtype=np.int32)
    per_item_missing = np.zeros(p, dtype=np.int64)
    for j, item in enumerate(indicators):
        x, bad, message = _numeric(survey, columns[item], shown[j])
        counts["non_numeric"][j] = int(bad.sum())
        if message:
            report.errors.append(message)
        if codes.size:
            hit = np.isin(x, codes)
            counts["na_coded"][j] = int(hit.sum())
            x[hit] = np.nan
        ranges = survey.user_missing.get(columns[item], ())
        if ranges:
            hit = np.zeros(n, dtype=bool)
            for lo, hi in ranges:
                hit |= (x >= lo) & (x <= hi)
            counts["user_missing"][j] = int(hit.sum())
            x[hit] = np.nan
        _label_hints(survey, columns[item], shown[j], x, options, report)
        if known[j]:
            outside = (x < low[j]) | (x > high[j])
            if outside.any():
                if options.clip:
                    counts["clipped"][j] = int(outside.sum())
                    np.clip(x, low[j], high[j], out=x)
                else:
                    counts["out_of_scale"][j] = int(outside.sum())
                    row = int(np.argmax(outside))
                    if outside_first is None or row < outside_first[0]:
                        outside_first = (row, j, float(x[row]))
                    x[outside] = np.nan
        else:
            with np.errstate(invalid="ignore"):
                huge = np.abs(x) > MAX_ANSWER
            if huge.any():
                counts["out_of_scale"][j] = int(huge.sum())
                row = int(np.argmax(huge))
                if huge_first is None or row < huge_first[0]:
                    huge_first = (row, j, float(x[row]))
                x[huge] = np.nan
        stats.append(item_stats(x))
        absent = np.isnan(x)
        per_item_missing[j] = int(absent.sum())
        per_row_missing += absent
        np.fmin(row_low, x, out=row_low)  # fmin / fmax skip NaN
        np.fmax(row_high, x, out=row_high)
        raw[:, j] = x
        del x, absent
    if outside_first is not None:
        row, j, value = outside_first
        report.errors.append(_outside_message(survey, columns[indicators[j]], shown[j], row,
                                              value, low[j], high[j]))
    if huge_first is not None:
        row, j, value = huge_first
        report.errors.append(
            f"{source}, column {shown[j]}, row {row + 1}: {value:g} is no plausible survey "
            "answer; give the answer scale with --scale MIN:MAX"
        )
    if codes.size:
        report.notes.append(
            f"--na {','.join(f'{c:g}' for c in codes)}: {int(counts['na_coded'].sum())} "
            "answers recoded as missing"
        )
    if counts["user_missing"].any():
        report.notes.append(f"SPSS user-missing values: {int(counts['user_missing'].sum())} "
                            "answers treated as missing")
    if counts["clipped"].any():
        report.notes.append(f"--clip: {int(counts['clipped'].sum())} values outside the scale "
                            "moved to its bounds")

    # 5. straight-liners, on the answers as given; 6. reverse-worded items
    straight = straightliners(row_low, row_high, p - per_row_missing, p)
    del row_low, row_high
    for item in reverse:
        j = indicators.index(item)
        raw[:, j] = low[j] + high[j] - raw[:, j]
        stats[j] = _reversed_stats(stats[j], low[j] + high[j])
    if reverse:
        report.notes.append(f"reverse-coded {', '.join(reverse)} (x' = min + max - x)")

    # 7. weights and respondent IDs
    weights_raw = _weights(survey, options, report) if options.weights else None
    id_info = _ids(survey, options, report)

    # 8. rows
    missing_cells = {item: int(k) for item, k in zip(indicators, per_item_missing)}
    dropped_straight = straight & options.drop_straightliners
    candidates = ~dropped_straight
    if options.missing == "listwise":
        keep = candidates & (per_row_missing == 0)
    else:
        keep = candidates & (per_row_missing < p)
    rows_dropped_missing = int((candidates & ~keep).sum())
    values = raw if keep.all() else raw[keep]
    del raw
    n_used = int(keep.sum())
    affected = int(((per_row_missing > 0) & candidates).sum())
    cells_missing = int(per_row_missing[candidates].sum())
    cells = int(per_row_missing[keep].sum())  # missing cells of the rows used
    incomplete = int(((per_row_missing > 0) & keep).sum())
    if n_used == n:  # every row used: the column summaries hold (reversed items included)
        lowest = np.array([np.nan if st[1] is None else st[1] for st in stats])
        highest = np.array([np.nan if st[2] is None else st[2] for st in stats])
    elif n_used:
        lowest = np.fmin.reduce(values, axis=0)  # skips NaN
        highest = np.fmax.reduce(values, axis=0)
    else:
        lowest = highest = np.full(p, np.nan)
    for j in np.flatnonzero((per_item_missing == n) & (n > 0)):
        report.errors.append(
            f"{source}, column {shown[j]}: every answer is missing; check the column, the "
            "--na codes, or drop the item from the model"
        )
    if n_used < MIN_ROWS and options.missing == "listwise":
        report.errors.append(f"{source}: only {n_used} complete rows for the model's items; "
                             f"PLS needs at least {MIN_ROWS}")
    elif n_used < MIN_ROWS:
        report.errors.append(f"{source}: only {n_used} respondents answered any of the "
                             f"model's items; PLS needs at least {MIN_ROWS}")

    # the index's scale: the given bounds, else the observed range of the items without one
    if known.all():
        scale = Scale(low=float(options.scale[0]) if options.scale else float(low.min()),
                      high=float(options.scale[1]) if options.scale else float(high.max()),
                      from_data=False)
    elif np.isfinite(lowest[~known]).any():
        scale = Scale(low=float(np.nanmin(lowest[~known])),
                      high=float(np.nanmax(highest[~known])), from_data=True)
        if scale.low == scale.high and not report.errors and not known.any():
            report.errors.append(f"{source}: every answer is {scale.low:g}; nothing to model")
    else:
        scale = Scale(low=0.0, high=1.0, from_data=True)
    low = np.where(known, low, scale.low)
    high = np.where(known, high, scale.high)

    # 9. constant items (among the rows used) and items with few distinct answers (all rows)
    constant, few = [], []
    for j in range(p):
        if lowest[j] == highest[j]:
            constant.append(indicators[j])
            report.errors.append(
                f"{source}, column {shown[j]}: the item is constant (every answer is "
                f"{lowest[j]:g}); it carries no information, drop it from the model"
            )
        elif 1 < stats[j][0] < FEW_DISTINCT:
            few.append(indicators[j])
            report.warnings.append(
                f"{shown[j]}: only {stats[j][0]} distinct answers; PLS treats answers as "
                "interval data"
            )

    # weights of the rows used, and the missing answers
    method = options.missing
    weights = None
    if weights_raw is not None and n_used:
        kept_weights = weights_raw[keep]
        if kept_weights.max() > 0:
            weights = kept_weights  # frequency weights, applied by csi.sample.Sample only
        elif not report.errors:
            report.errors.append(
                f"{source}, column {options.weights}: every weight of the rows used is 0"
            )
    em_mean = em_cov = None
    em_iterations = None
    if not report.errors and method == "mean" and cells:
        values = mean_impute(values, weights)
    elif not report.errors and method == "em":
        try:
            estimate = em_moments(values, weights)
        except EmError as exc:
            report.errors.append(_em_message(source, str(exc), shown))
        else:
            if not estimate.converged:
                report.errors.append(
                    f"{source}: --missing em did not converge in {estimate.iterations} "
                    "iterations (too many missing answers?); use --missing listwise or mean"
                )
            values = estimate.imputed
            em_mean, em_cov = estimate.mean, estimate.cov
            em_iterations = estimate.iterations
    report.notes.append(_missing_note(method, n_used, int(candidates.sum()),
                                      rows_dropped_missing, affected, cells_missing, incomplete,
                                      cells, em_iterations))
    for j, item in enumerate(indicators):
        share = missing_cells[item] / n if n else 0.0
        if share > MISSING_WARN:
            report.warnings.append(
                f"{shown[j]}: {100 * share:.1f}% of answers missing ({missing_cells[item]} of "
                f"{n})"
            )
    n_straight = int(straight.sum())
    if n_straight:
        listed = ", ".join(str(r) for r in rows_list(straight)[:5])
        more = ", ..." if n_straight > 5 else ""
        if options.drop_straightliners:
            report.notes.append(
                f"--drop-straightliners: dropped {n_straight} respondents who gave the same "
                f"answer to every item (rows {listed}{more})"
            )
        else:
            report.warnings.append(
                f"{n_straight} straight-liner{'s' if n_straight > 1 else ''} (the same answer "
                f"to every item; row{'s' if n_straight > 1 else ''} {listed}{more}); drop "
                f"{'them' if n_straight > 1 else 'it'} with --drop-straightliners"
            )
    summary = None
    if weights is not None:
        summary = weight_summary(weights, options.weights)
        total = float(weights.sum())
        report.notes.append(
            f"weights: column {options.weights}, frequency weights (a respondent counts as "
            f"its weight: sample size {total:g} from {n_used} respondents; Kish's effective "
            f"n {summary['effective_n']:.1f})"
        )
        if total > 2 * n_used or total < n_used / 2:
            report.warnings.append(
                f"the weights in column {options.weights} sum to {total:g} for {n_used} "
                "respondents: as frequency weights they set the sample size, and with it "
                "every standard error; if they are sampling or expansion weights, rescale "
                "them to mean 1"
            )

    labels = {item: text for item in indicators
              if (text := _label(survey, column_map, columns, item))}
    item_quality = tuple(
        ItemQuality(
            indicator=item, column=columns[item], label=labels.get(item),
            low=float(low[j]) if known[j] else None, high=float(high[j]) if known[j] else None,
            reversed=item in reverse, missing=missing_cells[item],
            na_coded=int(counts["na_coded"][j]), user_missing=int(counts["user_missing"][j]),
            non_numeric=int(counts["non_numeric"][j]),
            out_of_scale=int(counts["out_of_scale"][j]), clipped=int(counts["clipped"][j]),
            distinct=stats[j][0], minimum=stats[j][1], maximum=stats[j][2], mean=stats[j][3],
            sd=stats[j][4],
        )
        for j, item in enumerate(indicators)
    )
    quality = DataQuality(
        reading=survey.reading(),
        rows_read=n,
        rows_used=n_used,
        missing={
            "method": method,
            "rows_with_missing": affected,
            "cells_missing": cells_missing,
            "rows_dropped": rows_dropped_missing,
            "cells_imputed": cells if method != "listwise" else 0,
            "em_iterations": em_iterations,
        },
        items=item_quality,
        straightliners={"count": n_straight, "rows": rows_list(straight),
                        "dropped": bool(options.drop_straightliners)},
        duplicate_ids=id_info,
        weights=summary,
        notes=tuple(report.notes),
        warnings=tuple(report.warnings),
        errors=tuple(report.errors),
        constant_items=tuple(constant),
        few_distinct_items=tuple(few),
    )
    if report.errors:
        return quality, None
    items = ItemData(
        values=np.ascontiguousarray(values),
        items=indicators,
        rows_read=n,
        rows_dropped_missing=rows_dropped_missing,
        missing_cells=missing_cells,
        scale=scale,
        weights=weights,
        item_low=low,
        item_high=high,
        labels=labels,
        em_mean=em_mean,
        em_cov=em_cov,
        missing=method,
        rows=np.flatnonzero(keep),
        columns=dict(columns),
        rows_dropped_straightliners=int(dropped_straight.sum()),
        cells_imputed=cells if method != "listwise" else 0,
        quality=quality,
    )
    return quality, items


def _reversed_stats(stats: tuple, total: float) -> tuple:
    distinct, minimum, maximum, mean, sd = stats
    if minimum is None:
        return stats
    return distinct, total - maximum, total - minimum, total - mean, sd


# Steps ----------------------------------------------------------------------------------

def _columns(survey: Survey, spec: ModelSpec, column_map: ColumnMap,
             report: _Report) -> dict[str, str]:
    """indicator -> survey column; ModelError for an indicator without a column."""
    present = list(survey.frame.columns)
    wanted = set(spec.indicators)
    assigned: dict[str, str] = {}
    for column, indicator in column_map.columns.items():
        if column in survey.frame.columns:
            assigned[indicator] = column
        elif indicator in wanted:
            close = difflib.get_close_matches(column, present, n=1, cutoff=0.6)
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
        if item in survey.frame.columns and item not in mapped_columns:
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


def _numeric(survey: Survey, column_name: str, shown: str):
    """A column as float64 with NaN for empty cells, the mask of cells that are not finite
    numbers, and the message for the first of them (None if there is none)."""
    column = survey.frame[column_name]
    source = survey.source
    n = len(column)
    if pd.api.types.is_bool_dtype(column.dtype):
        values = np.full(n, np.nan)
        bad = column.notna().to_numpy(dtype=bool)
        message = f"{source}, column {shown}: true/false values are not survey answers"
        return values, bad, message
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
        message = None
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            message = (f"{source}, column {shown}, row {row + 1}: {_quoted(text.iloc[row])} is "
                       "not a number")
            message += _export_hint(survey)
        values[bad] = np.nan
    infinite = np.isinf(values)
    if infinite.any():
        row = int(np.flatnonzero(infinite)[0])
        if message is None:
            message = f"{source}, column {shown}, row {row + 1}: the value is not finite"
        bad = bad | infinite
        values[infinite] = np.nan
    return values, bad, message


def _quoted(text: str, limit: int = 40) -> str:
    """A cell's text for a one-line message: quoted, shortened, unprintable characters
    escaped."""
    text = str(text)
    short = text if len(text) <= limit else text[: limit - 1] + "…"
    if short.isprintable():
        return f"'{short}'"
    return repr(short)


def _export_hint(survey: Survey) -> str:
    if survey.layout == "qualtrics":
        return "; export numeric values (Qualtrics: Download Data, 'Use numeric values')"
    if survey.layout == "surveymonkey":
        return "; export numerical values (SurveyMonkey: 'Numerical value' format)"
    return ""


def _outside_message(survey: Survey, column: str, shown: str, row: int, value: float,
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


def _label_hints(survey: Survey, column: str, shown: str, x: np.ndarray,
                 options: IngestOptions, report: _Report) -> None:
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


def _reverse_items(options: IngestOptions, column_map: ColumnMap, columns: dict[str, str],
                   spec: ModelSpec) -> list[str]:
    by_column = {column: item for item, column in columns.items()}
    chosen: list[str] = []
    for name in list(options.reverse) + list(column_map.reverse):
        item = name if name in columns else by_column.get(name)
        if item is None:
            if name in column_map.reverse:
                continue  # a map entry for an indicator this model does not use
            close = difflib.get_close_matches(name, list(columns) + list(by_column), n=1,
                                              cutoff=0.6)
            hint = f" (closest: '{close[0]}')" if close else ""
            raise DataError(
                f"--reverse {name}: not an indicator of {spec.name} or the column of one{hint}"
            )
        if item not in chosen:
            chosen.append(item)
    return [item for item in spec.indicators if item in chosen]


def _weights(survey: Survey, options: IngestOptions, report: _Report) -> np.ndarray:
    name = options.weights
    if name not in survey.frame.columns:
        close = difflib.get_close_matches(name, list(survey.frame.columns), n=1, cutoff=0.6)
        hint = f" (closest: '{close[0]}')" if close else ""
        raise DataError(f"--weights {name}: not a column of {survey.source}{hint}")
    _unique(survey, name)
    values, bad, message = _numeric(survey, name, name)
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


def _ids(survey: Survey, options: IngestOptions, report: _Report) -> dict:
    columns = list(survey.frame.columns)
    if options.id_column is not None:
        if options.id_column not in survey.frame.columns:
            close = difflib.get_close_matches(options.id_column, columns, n=1, cutoff=0.6)
            hint = f" (closest: '{close[0]}')" if close else ""
            raise DataError(f"--id {options.id_column}: not a column of {survey.source}{hint}")
        name, how = options.id_column, "--id"
    else:
        name, how = find_id_column(columns), "auto-detected"
    if name is None:
        report.notes.append("no respondent ID column found (give --id COLUMN to check for "
                            "duplicates)")
        return {"column": None, "how": None, "count": 0, "ids": []}
    count, listed = duplicate_ids(survey.frame[name])
    report.notes.append(f"respondent IDs: column {name} ({how})")
    if count:
        first = listed[0]
        report.warnings.append(
            f"{count} respondent IDs appear more than once in column {name} (e.g. "
            f"{first['id']} in rows {', '.join(map(str, first['rows'][:5]))})"
        )
    return {"column": name, "how": how, "count": count, "ids": listed}


def _label(survey: Survey, column_map: ColumnMap, columns: dict[str, str],
           item: str) -> str | None:
    column = columns[item]
    return column_map.labels.get(item) or survey.labels.get(column) or (
        column if column != item else None)


def _missing_note(method: str, n_used: int, candidates: int, dropped: int, affected: int,
                  cells_missing: int, incomplete: int, cells: int,
                  iterations: int | None) -> str:
    """The statement of what the missing-data method did, with the cases and cells."""
    if cells_missing == 0:
        name = "listwise, the default" if method == "listwise" else method
        return f"missing answers ({name}): none among the model's items"
    if method == "listwise":
        return (f"missing answers (listwise, the default): dropped {dropped} of {candidates} "
                f"respondents, who had {cells_missing} missing cells; --missing em keeps them")
    empty = f"; dropped {dropped} who answered no item" if dropped else ""
    if method == "mean":
        return (f"missing answers (mean imputation): filled {cells} cells of {incomplete} "
                f"respondents with the item means{empty}")
    rounds = f", {iterations} iterations" if iterations is not None else ""
    return (f"missing answers (EM): means and covariances estimated from all {n_used} "
            f"respondents by expectation-maximisation ({cells} missing cells in {incomplete} "
            f"respondents{rounds}){empty}")


def _em_message(source: str, reason: str, shown: list[str]) -> str:
    match = re.match(r"columns (\d+) and (\d+) are never observed together", reason)
    if match:
        a, b = (shown[int(k)] for k in match.groups())
        return (f"{source}: --missing em: items {a} and {b} are never answered together, so "
                "their covariance cannot be estimated; use --missing listwise or mean")
    return f"{source}: --missing em: {reason}; use --missing listwise or mean"
