"""A survey in partitions fitted without its rows: one map-reduce over the data, a small PLS here.

PLS reads the data only through the item moments (Lohmöller 1989, ch. 2), and the moments of
a union of parts follow exactly from each part's weight total, means and centred
cross-products (Chan, Golub & LeVeque 1979, eq. 2.1; csi.sample.combine_sums). So the driver
(this process) reads only the partitions' headers (csi.ingest.partition_items), and each
worker reads *its* partition, takes the row-local ingest steps and returns a
PartitionSummary: MomentSums, row and missing-cell counts, per-item answers, mean, SD, min,
max, out-of-scale and non-numeric counts, weight totals — a few KB whatever its rows.

- Listwise deletion is row-local, so it is exact per partition; frequency weights enter each
  partition's sums as in csi.sample.moments.
- EM (Dempster, Laird & Rubin 1977; Little & Rubin 2002, sec. 11.2.1): each worker keeps its
  rows and groups them by missingness pattern once (Schafer 1997, ch. 5), about the survey's
  observed item means (the origin csi.sample.em_moments centres on); every iteration is one
  map-reduce: the driver sends the current mean and covariance, each worker returns its
  expected sums of x and x x' (csi.sample._expected_sums), the driver adds them and takes the
  M-step. The iterations and the stopping rule are em_moments', so the estimates equal the
  in-process EM fit's up to rounding.
- What needs whole columns is not computed (straight-liners, duplicate IDs, the careless
  screen, completion times, a scale taken from the data: --scale is required) and the data
  report says so (`data_quality.not_computed`, a `quality_checks_not_run` diagnostic).
- The Result has no per-respondent scores (the score formula, weights and item means and SDs,
  is in the JSON), and no bootstrap: see docs/scale.md, "The bootstrap at that scale".
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, replace
from types import SimpleNamespace

import numpy as np

from csi.diagnostics import Diagnostic
from csi.errors import CsiError, DataError, ExitCode
from csi.ingest.columns import load_column_map
from csi.ingest.items import (  # the steps' own helpers, so messages and blocks read alike
    MIN_ROWS,
    Scale,
    _bounds,
    _columns,
    _label,
    _missing_block,
    _missing_note,
    _missing_warnings,
    _reverse_items,
    _show,
)
from csi.ingest.messages import Messages
from csi.ingest.options import IngestOptions
from csi.ingest.partition_items import (
    DISTINCT_MAX,
    PartitionItems,
    SummedItems,
    SummedQuality,
    check_headers,
    prepare_partition,
    read_header,
)
from csi.ingest.partitions import partition_files
from csi.ingest.quality import FEW_DISTINCT, item_qualities
from csi.jsonio import real
from csi.model.spec import ModelSpec
from csi.sample import (EmError, MomentSums, Sample, _expected_sums, _patterns,
                        effective_size, em_step, from_estimates, moment_sums, reduce_sums)

BOOTSTRAP_PLAN = "docs/scale.md, 'The bootstrap at that scale'"
NO_BOOTSTRAP = ("no bootstrap for a survey in partitions on a cluster (not offered yet, see "
                "docs/scale.md): the estimates have no standard errors or intervals")
NOT_COMPUTED = ("straightliners", "duplicate_ids", "careless_screen", "completion_time")
EM_TOL = 1e-10  # as csi.sample.em_moments
EM_MAX_ITER = 5000


class PartitionsError(CsiError):
    """What a survey fitted in partitions on a cluster cannot do (yet): a usage error."""

    exit_code = ExitCode.USAGE


@dataclass(frozen=True)
class PartitionSummary:
    """What one worker returns for its partition: counts and sums, never rows."""

    path: str
    sha256: str | None
    rows_read: int
    rows_kept: int
    sums: MomentSums | None  # of the rows kept; None when they miss answers (EM)
    missing_per_item: np.ndarray
    counts: dict
    rows_with_missing: int
    cells_missing: int
    rows_dropped: int
    cells_kept_missing: int
    rows_kept_incomplete: int
    answered: np.ndarray
    item_mean: np.ndarray
    item_m2: np.ndarray
    item_min: np.ndarray
    item_max: np.ndarray
    distinct: tuple
    kept_min: np.ndarray  # (p,) over the rows kept
    kept_max: np.ndarray
    weight_total: float
    weight_squares: float
    weight_min: float | None
    weight_max: float | None
    observed: tuple  # (weight, mean, centred sum of squares) per item over the rows kept
    together: np.ndarray  # (p, p) rows kept answering both items


def _prepare(shared: tuple, path: str) -> PartitionItems:
    spec, options = shared
    return prepare_partition(path, spec, options)


def _summarize(items: PartitionItems) -> PartitionSummary:
    """A worker's summary of its prepared partition (the map step)."""
    values, weights = items.values, items.weights
    n, p = values.shape
    w = np.ones(n) if weights is None else np.asarray(weights, float)
    seen = ~np.isnan(values)
    complete = items.cells_kept_missing == 0
    sums = moment_sums(values, weights) if complete else None
    total_w = (seen * w[:, None]).sum(axis=0)
    mean = np.where(seen, values, 0.0).T @ w / np.where(total_w > 0, total_w, 1.0)
    centred = np.where(seen, values - mean, 0.0)
    m2 = (centred * centred).T @ w
    observed = seen.astype(float)
    return PartitionSummary(
        path=items.path, sha256=items.sha256, rows_read=items.rows_read, rows_kept=n,
        sums=sums, missing_per_item=items.missing_per_item, counts=items.counts,
        rows_with_missing=items.rows_with_missing, cells_missing=items.cells_missing,
        rows_dropped=items.rows_dropped, cells_kept_missing=items.cells_kept_missing,
        rows_kept_incomplete=items.rows_kept_incomplete, answered=items.answered,
        item_mean=items.item_mean, item_m2=items.item_m2, item_min=items.item_min,
        item_max=items.item_max, distinct=items.distinct,
        kept_min=np.fmin.reduce(values, axis=0) if n else np.full(p, np.nan),
        kept_max=np.fmax.reduce(values, axis=0) if n else np.full(p, np.nan),
        weight_total=float(w.sum()), weight_squares=float(np.square(w).sum()),
        weight_min=items.weight_min, weight_max=items.weight_max,
        observed=(total_w, mean, m2), together=observed.T @ observed)


def _read_and_summarize(shared: tuple, path: str) -> PartitionSummary:
    """Read, prepare and summarize one partition (listwise and complete data: one map)."""
    return _summarize(_prepare(shared, path))


@dataclass(frozen=True)
class Summed:
    """What a fit needs of a survey in partitions: the items' metadata and data report
    (SummedItems, no rows), a Sample holding only the reduced moments, and the diagnostics
    of what was not computed."""

    items: SummedItems
    sample: Sample
    diagnostics: tuple[Diagnostic, ...]
    files: tuple[str, ...]


def require_scale(spec: ModelSpec, options: IngestOptions) -> None:
    """--scale (or a scale for every item in the map file) is required: every partition
    must check and reverse its answers on the same scale."""
    low, _ = _bounds(replace(options, clip=False, reverse=()), load_column_map(
        options.column_map), spec.indicators, [])
    if np.isnan(low).any():
        raise PartitionsError(
            "--scale MIN:MAX is required to fit a survey in partitions on a cluster: every "
            "partition checks and reverse-codes its answers on the same scale")


def check_options(options: IngestOptions, *, bootstrap: int = 0, variant: str = "linear",
                  necessity=None, fit_test: bool = False, interactions: bool = False) -> None:
    """A usage error naming the first option a fit in partitions on a cluster cannot honour
    (they need the rows on one machine)."""
    refused = [
        (bootstrap > 0, f"--bootstrap: the bootstrap of a survey in partitions on a cluster "
                        f"is not offered yet (see {BOOTSTRAP_PLAN}); give --bootstrap 0, or "
                        "fit without --scheduler"),
        (options.missing == "mean", "--missing mean: use --missing em or listwise for a survey "
                                    "in partitions on a cluster"),
        (options.drop_careless or options.drop_straightliners,
         "--drop-careless/--drop-straightliners need the whole survey's careless screen; fit "
         "without --scheduler"),
        (variant != "linear", "--variant nonlinear needs the construct scores; fit without "
                              "--scheduler"),
        (necessity is not None, "--necessity needs the construct scores; fit without "
                                "--scheduler"),
        (fit_test, "--fit-test is a bootstrap; fit without --scheduler"),
        (interactions, "interaction terms need the construct scores; fit without --scheduler"),
    ]
    for hit, message in refused:
        if hit:
            raise PartitionsError(message)


def summed(source, spec: ModelSpec, options: IngestOptions, executor) -> Summed:
    """The survey in partitions at `source` (a directory or glob), read on `executor`'s
    workers and reduced here (see the module doc)."""
    require_scale(spec, options)
    check_options(options)
    files = partition_files(source)
    from csi import scale_out

    headers = scale_out.LocalExecutor(min(4, len(files), os.cpu_count() or 1)).map(
        read_header, files)
    check_headers(headers)
    first = headers[0].survey
    column_map = load_column_map(options.column_map)
    columns = _columns(first, spec, column_map, Messages())  # an indicator without a column
    if options.weights is not None and options.weights not in first.frame.columns:
        raise DataError(f"--weights {options.weights}: not a column of {files[0]}")
    shared = (spec, options)
    em = options.missing == "em"
    kept = executor.keep(_prepare, files, shared) if em else None
    try:
        parts = (executor.map_kept(_summarize, kept) if em
                 else executor.map(_read_and_summarize, files, shared))
        quality_parts = _reduce(parts, spec.indicators)
        missing_kept = sum(part.cells_kept_missing for part in parts)
        iterations = None
        if missing_kept:
            moments, iterations = _em(executor, kept, quality_parts, str(source),
                                      [_show(columns[i], i) for i in spec.indicators])
        else:
            moments = reduce_sums([part.sums for part in parts]).to_moments()
    finally:
        if kept is not None:
            executor.forget(kept)
    items = _items(str(source), spec, options, first, column_map, columns, parts,
                   quality_parts, iterations)
    sample = Sample(values=items.values, given=moments, em_iterations=iterations)
    return Summed(items=items, sample=sample, diagnostics=(_not_run(),),
                  files=tuple(files))


def _combine_items(a: tuple, b: tuple) -> tuple:
    """Per-item (count or weight, mean, centred sum of squares) of two parts as one
    (Chan, Golub & LeVeque 1979, eq. 2.1, per item); a part without answers adds nothing."""
    n_a, mean_a, m2_a = a
    n_b, mean_b, m2_b = b
    total = n_a + n_b
    safe = np.where(total > 0, total, 1.0)
    delta = np.nan_to_num(mean_b) - np.nan_to_num(mean_a)
    mean = np.where(n_a == 0, mean_b, np.where(
        n_b == 0, mean_a, np.nan_to_num(mean_a) + delta * (n_b / safe)))
    m2 = m2_a + m2_b + np.where((n_a > 0) & (n_b > 0), delta * delta * n_a * n_b / safe, 0.0)
    return total, mean, m2


def _tree(parts: list, combine):
    """Parts combined pairwise as a balanced tree (as csi.sample.reduce_sums)."""
    while len(parts) > 1:
        parts = [combine(parts[i], parts[i + 1]) if i + 1 < len(parts) else parts[i]
                 for i in range(0, len(parts), 2)]
    return parts[0]


def _reduce(parts: list[PartitionSummary], indicators: tuple[str, ...]) -> SimpleNamespace:
    """The partitions' summaries as the whole survey's (the reduce step of the report)."""
    p = len(indicators)
    answered, mean, m2 = _tree(
        [(part.answered.astype(float), part.item_mean, part.item_m2) for part in parts],
        _combine_items)
    distinct = []
    for j in range(p):  # exact while every partition lists its answers, else a lower bound
        levels = [part.distinct[j] for part in parts]
        distinct.append(len(set().union(*levels)) if all(level is not None for level in levels)
                        else DISTINCT_MAX + 1)
    return SimpleNamespace(
        rows_read=sum(part.rows_read for part in parts),
        rows_used=sum(part.rows_kept for part in parts),
        missing_per_item=np.sum([part.missing_per_item for part in parts], axis=0),
        counts={key: np.sum([part.counts[key] for part in parts], axis=0)
                for key in parts[0].counts},
        rows_with_missing=sum(part.rows_with_missing for part in parts),
        cells_missing=sum(part.cells_missing for part in parts),
        rows_dropped=sum(part.rows_dropped for part in parts),
        cells_kept_missing=sum(part.cells_kept_missing for part in parts),
        rows_kept_incomplete=sum(part.rows_kept_incomplete for part in parts),
        answered=answered, item_mean=mean,
        item_sd=np.where(answered > 1, np.sqrt(m2 / np.where(answered > 1, answered - 1, 1)),
                         np.nan),
        item_min=np.fmin.reduce([part.item_min for part in parts]),
        item_max=np.fmax.reduce([part.item_max for part in parts]),
        distinct=distinct,
        kept_min=np.fmin.reduce([part.kept_min for part in parts]),
        kept_max=np.fmax.reduce([part.kept_max for part in parts]),
        weight_total=float(np.sum([part.weight_total for part in parts])),
        weight_squares=float(np.sum([part.weight_squares for part in parts])),
        weight_min=min((part.weight_min for part in parts if part.weight_min is not None),
                       default=None),
        weight_max=max((part.weight_max for part in parts if part.weight_max is not None),
                       default=None),
        observed=_tree([part.observed for part in parts], _combine_items),
        together=np.sum([part.together for part in parts], axis=0),
        sha256=hashlib.sha256("".join(f"{os.path.basename(part.path)} {part.sha256}\n"
                                      for part in parts).encode()).hexdigest(),
    )


# -- EM: one map-reduce per iteration ----------------------------------------------------------

@dataclass(frozen=True)
class _Patterns:
    """A partition's rows kept, grouped by missingness pattern: per pattern its missing
    items, weight total, and sums of x and x x' about the survey's origin."""

    missing: np.ndarray  # (G, p) bool
    n_g: np.ndarray  # (G,)
    s_g: np.ndarray  # (G, p)
    ss_g: np.ndarray  # (G, p, p)


def _group(origin: np.ndarray, items: PartitionItems) -> _Patterns:
    """The pattern sums of a partition (computed once, kept on its worker), as
    csi.sample.em_moments computes them for the whole survey."""
    data = items.values
    n, p = data.shape
    if n == 0:
        return _Patterns(np.zeros((0, p), bool), np.zeros(0), np.zeros((0, p)),
                         np.zeros((0, p, p)))
    w = np.ones(n) if items.weights is None else np.asarray(items.weights, float)
    missing = np.isnan(data)
    centred = np.where(missing, 0.0, data - origin)
    first, inverse = _patterns(missing)
    groups = np.argsort(inverse, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(inverse, minlength=len(first)))])
    count = len(first)
    n_g, s_g, ss_g = np.empty(count), np.empty((count, p)), np.empty((count, p, p))
    for g in range(count):  # patterns, not respondents
        rows = groups[bounds[g]:bounds[g + 1]]
        x, wg = centred[rows], w[rows]
        n_g[g] = wg.sum()
        s_g[g] = wg @ x
        ss_g[g] = (x * wg[:, None]).T @ x
    return _Patterns(missing[first], n_g, s_g, ss_g)


def _expected(current: tuple, patterns: _Patterns) -> tuple[np.ndarray, np.ndarray]:
    """A partition's E-step: its expected sums of x and x x' given the current estimates."""
    mu, sigma = current
    return _expected_sums(mu, sigma, patterns.missing, patterns.n_g, patterns.s_g,
                          patterns.ss_g)


def _em(executor, kept: list, whole: SimpleNamespace, source: str, shown: list[str]):
    """EM's means and covariance of the survey, one map-reduce per iteration; the same
    start, steps and stopping rule as csi.sample.em_moments (Little & Rubin 2002,
    sec. 11.2.1), so equal to it up to rounding. Returns (Moments, iterations)."""
    never = np.argwhere(whole.together == 0)
    if never.size:
        a, b = never[0]
        raise DataError(f"{source}: --missing em: items {shown[a]} and {shown[b]} are never "
                        "answered together, so their covariance cannot be estimated; use "
                        "--missing listwise")
    weight, origin, m2 = whole.observed
    total_w = whole.weight_total
    p = origin.size
    mu = np.zeros(p)
    sigma = np.diag(m2 / np.where(weight > 0, weight, 1.0))
    if np.any(np.diag(sigma) <= 0):
        raise DataError(f"{source}: --missing em: a column has no variance among its observed "
                        "values; use --missing listwise")
    grouped = executor.keep(_group, kept, origin)
    try:
        converged, iterations = False, 0
        for iterations in range(1, EM_MAX_ITER + 1):
            try:
                parts = executor.map_kept(_expected, grouped, (mu, sigma))
            except EmError as error:
                raise DataError(f"{source}: --missing em: {error}; use --missing "
                                "listwise") from None
            t1 = np.sum([part[0] for part in parts], axis=0)
            t2 = np.sum([part[1] for part in parts], axis=0)
            mu, sigma, change = em_step(t1, t2, total_w, mu, sigma)
            if not np.all(np.isfinite(sigma)):
                raise DataError(f"{source}: --missing em: the estimates diverged; use "
                                "--missing listwise")
            if change < EM_TOL:
                converged = True
                break
    finally:
        executor.forget(grouped)
    if not converged:
        raise DataError(f"--missing em did not converge in {iterations} iterations "
                        "(too many missing answers?); use --missing listwise or mean")
    scale = total_w / (total_w - 1) if total_w > 1 else 1.0
    return from_estimates(effective_size(total_w), mu + origin, sigma * scale), iterations


# -- the data report -----------------------------------------------------------------------------

def _items(source: str, spec: ModelSpec, options: IngestOptions, first, column_map, columns,
           parts: list[PartitionSummary], whole: SimpleNamespace,
           iterations: int | None) -> SummedItems:
    """The items' metadata and data report of the whole survey, from the summaries."""
    indicators = spec.indicators
    shown = [_show(columns[item], item) for item in indicators]
    reverse = _reverse_items(options, column_map, columns, spec)
    low, high = _bounds(options, column_map, indicators, reverse)
    report = Messages(notes=[f"read {len(parts)} partitions ({whole.rows_read:,} rows) of "
                             f"{source} on the workers; only their sums came back"])
    for j in np.flatnonzero((whole.missing_per_item == whole.rows_read) & (whole.rows_read > 0)):
        report.errors.append(f"{source}, column {shown[j]}: every answer is missing; check the "
                             "column, the --na codes, or drop the item from the model")
    if whole.rows_used < MIN_ROWS:
        kind = ("complete rows for the model's items" if options.missing == "listwise" else
                "respondents answered any of the model's items")
        report.errors.append(f"{source}: only {whole.rows_used} {kind}; PLS needs at least "
                             f"{MIN_ROWS}")
    scale = Scale(low=float(options.scale[0]) if options.scale else float(low.min()),
                  high=float(options.scale[1]) if options.scale else float(high.max()),
                  from_data=False)
    constant, few = [], []
    for j, item in enumerate(indicators):
        if whole.kept_min[j] == whole.kept_max[j]:
            constant.append(item)
            report.errors.append(
                f"{source}, column {shown[j]}: the item is constant (every answer is "
                f"{whole.kept_min[j]:g}); it carries no information, drop it from the model")
        elif 1 < whole.distinct[j] < FEW_DISTINCT:
            few.append(item)
            report.warnings.append(f"{shown[j]}: only {whole.distinct[j]} distinct answers; "
                                   "PLS treats answers as interval data")
    if report.errors:
        raise DataError(report.errors[0])
    rows = SimpleNamespace(
        used=whole.rows_used, candidates=whole.rows_read, dropped_missing=whole.rows_dropped,
        affected=whole.rows_with_missing, cells_missing=whole.cells_missing,
        cells=whole.cells_kept_missing, incomplete=whole.rows_kept_incomplete)
    report.notes.append(_missing_note(options.missing, rows, None))
    _missing_warnings(shown, whole, whole.rows_read, report)
    weights = None
    if options.weights is not None:
        effective = (whole.weight_total ** 2 / whole.weight_squares
                     if whole.weight_squares > 0 else None)
        weights = {"column": options.weights, "min": real(whole.weight_min),
                   "max": real(whole.weight_max), "effective_n": real(effective)}
        total = whole.weight_total
        report.notes.append(
            f"weights: column {options.weights}, frequency weights (a respondent counts as its "
            f"weight: sample size {total:g} from {rows.used} respondents; Kish's effective n "
            f"{effective:.1f})")
        if total > 2 * rows.used or total < rows.used / 2:
            report.warnings.append(
                f"the weights in column {options.weights} sum to {total:g} for {rows.used} "
                "respondents: as frequency weights they set the sample size, and with it every "
                "standard error; if they are sampling or expansion weights, rescale them to "
                "mean 1")
    report.warnings.append(_NOT_RUN)
    labels = {item: text for item in indicators
              if (text := _label(first, column_map, columns, item))}
    counts = whole.counts
    known = ~np.isnan(low)
    quality = SummedQuality(
        reading=first.reading() | {"source": source},
        rows_read=whole.rows_read, rows_used=whole.rows_used,
        missing=_missing_block(options.missing, rows, None),
        items=item_qualities(
            indicators, columns, labels, low, high, known, reverse, whole.missing_per_item,
            counts,
            [(whole.distinct[j], _number(whole.item_min[j]), _number(whole.item_max[j]),
              _number(whole.item_mean[j]), _number(whole.item_sd[j]))
             for j in range(len(indicators))]),
        straightliners={"count": 0, "rows": [], "dropped": False, "computed": False},
        duplicate_ids={"column": None, "how": None, "count": 0, "ids": [], "computed": False},
        weights=weights, notes=tuple(report.notes), warnings=tuple(report.warnings),
        constant_items=(), few_distinct_items=tuple(few),
        not_computed=NOT_COMPUTED,
        partitions={"files": len(parts), "rows_read": [part.rows_read for part in parts],
                    "rows_used": [part.rows_kept for part in parts]})
    return SummedItems(
        values=np.empty((0, len(indicators))), items=indicators, rows_read=whole.rows_read,
        rows_dropped_missing=whole.rows_dropped,
        missing_cells={item: int(k) for item, k in zip(indicators, whole.missing_per_item)},
        scale=scale, item_low=low, item_high=high, labels=labels, missing=options.missing,
        columns=dict(columns),
        cells_imputed=whole.cells_kept_missing if options.missing != "listwise" else 0,
        quality=quality, sha256=whole.sha256, used=whole.rows_used,
        lowest=float(np.nanmin(whole.kept_min)), highest=float(np.nanmax(whole.kept_max)))


def _number(value) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


_NOT_RUN = ("not computed for a survey in partitions on a cluster: straight-liners, duplicate "
            "respondent IDs, the careless screen and completion times (they need whole "
            "columns); fit without --scheduler to run them")


def _not_run() -> Diagnostic:
    """The structured statement of the data checks not run at this scale."""
    return Diagnostic("quality_checks_not_run", "info", _NOT_RUN, None)


__all__ = ["PartitionSummary", "PartitionsError", "Summed", "check_options", "require_scale",
           "summed"]
