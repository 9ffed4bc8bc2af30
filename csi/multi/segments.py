"""Per-segment fits: one model per store, brand or region, with the same model and settings.

    fit_segments(survey, model, by="store", bootstrap=..., min_n=50) -> SegmentResults

Steps:
1. The whole survey's item matrix is prepared once (csi.ingest.item_matrix): every data
   problem is reported with the file's own row numbers, and it fixes what the segments share.
   Segments share the model, the PLS and bootstrap settings and the answer scale: without
   --scale the index uses the observed range of the whole survey (so segments' indices are on
   one scale and comparable), and each segment's result says so.
2. Respondents are split by the `by` column. Its values need not be numbers: they are read
   as text, surrounding spaces stripped (a number written 3.0 reads 3; SPSS value labels are
   used when they name the codes one to one); an empty or missing value belongs to no
   segment and is counted.
3. A segment with fewer than `min_n` usable respondents (those the model's items leave after
   the missing-data rule) is skipped and reported; so is one whose data cannot be estimated
   (a constant item, no convergence), with the reason. Others are unaffected.
4. Each remaining segment is fitted as `csi fit` would fit its rows alone (its own
   missing-data handling, weights normalised within it) and bootstrapped with its own seed.

Seeding rule. Segment s of a run with seed S is bootstrapped with seed
    seed(S, s) = the first 64 bits of SeedSequence(S, spawn_key=(k_s,)).generate_state,
    k_s = the first 128 bits of SHA-256(s as UTF-8 text), big-endian,
i.e. a child of the run's SeedSequence whose spawn key is derived from the segment's name
instead of its position. A segment's random stream therefore depends only on the run seed
and its own name: not on which other segments exist, their order, or how many workers run
them (in-process or on a Dask cluster). Within a segment the bootstrap spawns one stream per
chunk from seed(S, s) as usual (csi.bootstrap). The seed is recorded in the segment's JSON
(`bootstrap.seed`), so `csi fit` on that segment's rows alone with `--seed` set to it (and
the same scale) reproduces the segment's result exactly.

Work runs on a csi.scale_out executor: local threads by default, or a Dask cluster.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from csi._version import __version__
from csi.inference.bootstrap import BootstrapSettings
from csi.errors import CsiError, DataError, ModelError
from csi.pipeline import fit_items
from csi.ingest import MIN_ROWS, IngestOptions, ItemData, Survey, item_matrix, read_survey
from csi.drivers.nonlinear import NonlinearSettings
from csi.estimators.base import PlsSettings
from csi.drivers.priorities import choose_target
from csi.result import Result
from csi.scale_out import Executor, LocalExecutor
from csi.model.spec import ModelSpec, load_model
from csi.jsonio import dumps, records
from csi.multi import DEFAULT_MIN_N
from csi.multi.differences import SegmentDifferences, segment_differences

SCHEMA = "csi.segments/1"
SEEDING_RULE = (
    "segment s of a run with seed S uses seed(S, s) = the first 64 bits of "
    "numpy SeedSequence(S, spawn_key=(k,)).generate_state(2, uint32), k = the first 128 bits "
    "of SHA-256(s as UTF-8), big-endian; it depends on S and the segment's name only"
)


def segment_seed(run_seed: int, segment: str) -> int:
    """The bootstrap seed of `segment` in a run seeded `run_seed` (see the module doc)."""
    key = int.from_bytes(hashlib.sha256(segment.encode("utf-8")).digest()[:16], "big")
    high, low = np.random.SeedSequence(run_seed, spawn_key=(key,)).generate_state(2, np.uint32)
    return (int(high) << 32) | int(low)


# --------------------------------------------------------------------------------------------
# splitting a survey


def segment_labels(survey: Survey, column: str) -> np.ndarray:
    """The segment of every respondent as text (None for no segment); DataError naming the
    closest column when `column` is not in the survey."""
    frame = survey.frame
    if column not in frame.columns:
        names = [str(c) for c in frame.columns]
        close = difflib.get_close_matches(column, names, n=1, cutoff=0.5)
        hint = (f"closest: '{close[0]}'" if close else
                "columns: " + ", ".join(names[:8]) + (", ..." if len(names) > 8 else ""))
        raise DataError(f"--by '{column}' is not a column of {survey.source} ({hint})")
    codes = survey.value_labels.get(column) or {}
    use_codes = bool(codes) and len(set(codes.values())) == len(codes)
    positions, uniques = pd.factorize(frame[column], use_na_sentinel=True)
    names = np.array([_label(value, codes if use_codes else {}) for value in uniques] + [None],
                     dtype=object)
    return names[positions]  # position -1 (missing) picks the trailing None


def _label(value, codes: dict) -> str | None:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return None
        if float(value) in codes:
            return str(codes[float(value)]).strip() or None
        if float(value).is_integer():
            return str(int(value))
    elif isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        if float(value) in codes:
            return str(codes[float(value)]).strip() or None
        return str(int(value))
    text = str(value).strip()
    return text or None


def natural_key(label: str) -> tuple:
    """Sort key: numbers numerically first, then text (case-insensitively)."""
    try:
        number = float(label)
    except ValueError:
        number = math.nan
    if math.isfinite(number):
        return (0, number, label)
    return (1, label.casefold(), label)


def split(survey: Survey, column: str) -> tuple[dict[str, np.ndarray], int]:
    """{segment: row positions (ascending)} in natural order of the names, and the number of
    rows that belong to no segment."""
    labels = segment_labels(survey, column)
    codes, names = pd.factorize(pd.Series(labels, dtype=object), use_na_sentinel=True)
    order = np.argsort(codes, kind="stable")  # rows grouped by segment, in file order
    # segment k's rows lie between the first code >= k - 0.5 and the first >= k + 0.5; the
    # rows without a segment (code -1) sort first and are skipped
    bounds = np.searchsorted(codes[order], np.arange(len(names) + 1) - 0.5)
    rows = {str(name): order[bounds[k] : bounds[k + 1]].astype(np.int64)
            for k, name in enumerate(names)}
    without = int((codes < 0).sum())
    return {name: rows[name] for name in sorted(rows, key=natural_key)}, without


def subset(survey: Survey, rows: np.ndarray, name: str) -> Survey:
    """The survey's rows at `rows` as a Survey of their own, named for error messages."""
    return dataclasses.replace(survey, frame=survey.frame.iloc[rows].reset_index(drop=True),
                               source=name)


_ROW_NUMBERS = re.compile(r"\b(rows? )(\d+(?:, \d+)*)")


def segment_items(survey: Survey, rows: np.ndarray, column: str, name: str, spec: ModelSpec,
                  options: IngestOptions) -> ItemData:
    """The item matrix of one segment (the survey's rows at `rows`), prepared on its own,
    with the row numbers of its data-quality report (straight-liners, careless respondents,
    duplicate IDs) and
    `rows` given as the whole file's, so a row named in a segment's report is that row of
    the file."""
    items = item_matrix(subset(survey, rows, f"{survey.source} [{column} = {name}]"), spec,
                        options=options)

    def file_row(row: int) -> int:
        return int(rows[row - 1]) + 1

    def renumber(text: str) -> str:
        return _ROW_NUMBERS.sub(lambda match: match.group(1) + ", ".join(
            str(file_row(int(r))) for r in match.group(2).split(", ")), text)

    quality = items.quality
    if quality is not None:
        straight = dict(quality.straightliners)
        straight["rows"] = [file_row(r) for r in straight.get("rows", [])]
        duplicates = dict(quality.duplicate_ids)
        duplicates["ids"] = [entry | {"rows": [file_row(r) for r in entry["rows"]]}
                             for entry in duplicates.get("ids", [])]
        careless = tuple(entry | {"row": file_row(entry["row"])} for entry in quality.careless)
        quality = dataclasses.replace(
            quality, straightliners=straight, duplicate_ids=duplicates, careless=careless,
            warnings=tuple(renumber(w) for w in quality.warnings),
            notes=tuple(renumber(n) if n.startswith("--drop-straightliners") else n
                        for n in quality.notes))
    return dataclasses.replace(
        items, quality=quality, rows=None if items.rows is None else rows[items.rows])


# --------------------------------------------------------------------------------------------
# the shared answer scale


@dataclass(frozen=True)
class SharedScale:
    """The ingest options every group is prepared with, the scale fixed across groups.

    Without --scale, csi takes the scale from the observed answers; groups compared or ranked
    side by side must share it, so the range observed over all of them is fixed for each, and
    `restore` marks each group's result as using a scale from the data.
    """

    options: IngestOptions
    from_data: bool
    low: float
    high: float
    where: str = "the whole survey"
    unit: str = "segment"

    @classmethod
    def of(cls, prepared: list[ItemData], options: IngestOptions,
           where: str = "the whole survey", unit: str = "segment") -> SharedScale:
        if not any(items.scale.from_data for items in prepared):
            return cls(options, False, prepared[0].scale.low, prepared[0].scale.high, where,
                       unit)
        low = min(items.scale.low for items in prepared)
        high = max(items.scale.high for items in prepared)
        return cls(dataclasses.replace(options, scale=(low, high)), True, low, high, where,
                   unit)

    def note(self) -> str:
        return (f"no --scale given: the index uses the observed answer range of {self.where} "
                f"{self.low:g}..{self.high:g}, shared by every {self.unit} so their indices "
                "compare; give --scale MIN:MAX if the questionnaire's scale is wider")

    def restore(self, result: Result) -> Result:
        """Mark a group's result as using the observed (shared) scale."""
        if not self.from_data:
            return result
        scale = dict(result.settings["scale"]) | {"from_data": True}
        return result.replace(settings=result.settings | {"scale": scale},
                              warnings=(self.note(),) + tuple(result.warnings))


# --------------------------------------------------------------------------------------------
# fitting


@dataclass(frozen=True)
class FitContext:
    """What every segment of a run shares (sent once to a cluster)."""

    spec: ModelSpec
    settings: PlsSettings
    bootstrap: BootstrapSettings | None
    target: str | None
    nonlinear: NonlinearSettings | None
    keep_draws: bool = False
    interaction: str = "two-stage"  # how interaction terms are estimated (--interaction)


def fit_group(context: FitContext, job: tuple[str, int, ItemData, str]) -> Result | str:
    """Fit one segment: job = (name, seed, items, source). Returns its Result, or the message
    of the csi error that stopped it (a segment's own problem never stops the others)."""
    name, seed, items, source = job
    bootstrap = context.bootstrap
    if bootstrap is not None:
        bootstrap = dataclasses.replace(bootstrap, seed=seed, workers=1)
    try:
        result = fit_items(items, context.spec, context.settings, source=source,
                           bootstrap=bootstrap, target=context.target,
                           nonlinear=context.nonlinear, interaction=context.interaction)
    except CsiError as error:
        return str(error)
    return result if context.keep_draws else result.replace(draws=None)


@dataclass(frozen=True)
class SegmentFit:
    """One fitted segment."""

    name: str
    rows: int  # respondents with this value of the column
    seed: int
    result: Result

    def to_dict(self, column: str) -> dict:
        """The segment's `csi.fit/1` document, with a `segment` key after `source`."""
        doc = self.result.to_dict()
        out = {}
        for key, value in doc.items():
            out[key] = value
            if key == "source":
                out["segment"] = {"column": column, "value": self.name, "rows": self.rows}
        return out


@dataclass(frozen=True)
class SkippedSegment:
    """A segment that was not fitted, and why."""

    name: str
    rows: int  # respondents with this value of the column
    rows_used: int  # of them, usable for the model's items
    reason: str
    small: bool  # True: below --min-n; False: its data could not be estimated

    def to_dict(self) -> dict:
        return {"value": self.name, "rows": self.rows, "rows_used": self.rows_used,
                "reason": self.reason, "below_min_n": self.small}


@dataclass(frozen=True)
class SegmentResults:
    """Every segment's fit, the skipped segments, and what they share."""

    source: str
    column: str
    model: ModelSpec
    target: str  # the construct segments are ranked by
    seed: int | None  # the run seed (None without a bootstrap)
    min_n: int
    fits: tuple[SegmentFit, ...]  # in natural order of the segment names
    skipped: tuple[SkippedSegment, ...]
    rows_without_segment: int
    warnings: tuple[str, ...] = ()
    level: float | None = None

    def ranking(self) -> pd.DataFrame:
        """One row per fitted segment and construct (segment, n_obs, construct, score and,
        with a bootstrap, ci_low and ci_high), segments by the target's index, highest
        first (ties in name order)."""
        rows = []
        for fit in self.fits:
            for record in fit.result.index.to_dict("records"):
                rows.append({"segment": fit.name, "n_obs": fit.result.n_obs,
                             "construct": record["construct"], "score": record["score"],
                             "ci_low": record.get("ci_low", math.nan),
                             "ci_high": record.get("ci_high", math.nan),
                             "se": record.get("se", math.nan)})
        frame = pd.DataFrame(rows, columns=["segment", "n_obs", "construct", "score",
                                            "ci_low", "ci_high", "se"])
        return frame.iloc[_rank_rows(frame, self.order())].reset_index(drop=True)

    def target_ranking(self) -> pd.DataFrame:
        """The ranking's rows of the target construct: segment, n_obs, score, CI (and se)."""
        frame = self.ranking()
        return (frame[frame["construct"] == self.target].drop(columns="construct")
                .reset_index(drop=True))

    def order(self) -> list[str]:
        """Fitted segments by the target's index, highest first (ties in name order)."""
        position = {fit.name: i for i, fit in enumerate(self.fits)}
        scores = {fit.name: _target_score(fit.result, self.target) for fit in self.fits}
        return sorted(scores, key=lambda name: (-_finite(scores[name]), position[name]))

    def differences(self) -> SegmentDifferences | None:
        """Which segments' target index differs from the rest and from each other (None
        without a bootstrap or with fewer than two segments)."""
        if self.level is None or len(self.fits) < 2:
            return None
        table = self.target_ranking()
        if "se" not in table or not np.isfinite(table["se"]).all():
            return None
        return segment_differences(table["segment"].tolist(), table["score"].to_numpy(),
                                   table["se"].to_numpy(), table["n_obs"].to_numpy(),
                                   self.level, self.model.label(self.target))

    def diagnostics(self) -> list[dict]:
        """Every segment's diagnostics, their subject prefixed by the segment's name."""
        return [d.to_dict() | {"subject": f"{fit.name}: {d.subject}" if d.subject
                               else fit.name}
                for fit in self.fits for d in fit.result.diagnostics]

    def to_dict(self) -> dict:
        """The `csi.segments/1` document: one `csi.fit/1` document per fitted segment (in
        natural order of the names), the skipped ones, and the ranking by the target."""
        return {
            "schema": SCHEMA,
            "csi_version": __version__,
            "source": self.source,
            "by": self.column,
            "min_n": self.min_n,
            "seed": self.seed,
            "seeding": SEEDING_RULE,
            "target": self.target,
            "ranking": records(self.target_ranking().drop(columns="se")),
            "rows_without_segment": self.rows_without_segment,
            "segments": [fit.to_dict(self.column) for fit in self.fits],
            "skipped": [skip.to_dict() for skip in self.skipped],
            "warnings": list(self.warnings),
            "differences": (None if (found := self.differences()) is None
                            else found.to_dict()),
            "diagnostics": self.diagnostics(),
        }

    def to_json(self) -> str:
        return dumps(self.to_dict())



def _target_score(result: Result, target: str) -> float:
    row = result.index[result.index["construct"] == target]
    return float(row["score"].iloc[0]) if len(row) else math.nan


def _finite(value: float) -> float:
    return value if math.isfinite(value) else -math.inf


def _rank_rows(frame: pd.DataFrame, order: list[str]) -> np.ndarray:
    rank = {name: i for i, name in enumerate(order)}
    keys = frame["segment"].map(rank).to_numpy()
    return np.argsort(keys, kind="stable")


def fit_segments(
    survey: Survey | str | Path,
    model: ModelSpec | str,
    by: str,
    *,
    settings: PlsSettings | None = None,
    options: IngestOptions | None = None,
    bootstrap: BootstrapSettings | None = None,
    min_n: int = DEFAULT_MIN_N,
    target: str | None = None,
    nonlinear: NonlinearSettings | None = None,
    executor: Executor | None = None,
    progress: Callable[[int], None] | None = None,
    items: ItemData | None = None,
    keep_draws: bool = False,
    interaction: str = "two-stage",
) -> SegmentResults:
    """Fit `model` to every segment of `survey` defined by the column `by`.

    `options` say how to read the items (as for csi.ingest.item_matrix); `bootstrap` adds
    inference to every segment (each with its own seed, see the module doc); segments with
    fewer than `min_n` usable respondents are skipped. `executor` (csi.scale_out) runs the
    segment fits (default: in turn, here); `progress(1)` is called once per segment (with a
    value of `by`): as it is skipped, or as its fit finishes. `items` may pass the whole
    survey's already prepared item matrix. Draws are dropped from the segments' Results
    unless `keep_draws`. `interaction` as in csi.fit.
    """
    if min_n < MIN_ROWS:
        raise DataError(f"--min-n {min_n}: a segment needs at least {MIN_ROWS} respondents "
                        "for PLS; give --min-n 10 or more")
    settings = settings or PlsSettings()
    options = options or IngestOptions()
    spec = model if isinstance(model, ModelSpec) else load_model(str(model))
    survey = survey if isinstance(survey, Survey) else read_survey(survey, options)
    groups, without = split(survey, by)  # the column is checked before any work
    if not groups:
        raise DataError(f"--by '{by}': the column is empty in every row of {survey.source}")
    if by in _item_columns(items, spec):
        raise ModelError(f"--by '{by}' is one of the model's items; split by another column")
    full = items if items is not None else item_matrix(survey, spec, options=options)
    shared = SharedScale.of([full], options)
    constructs = spec.constructs
    target_name, _ = choose_target(constructs, {c: spec.predecessors(c) for c in constructs},
                                   spec.target, target)

    used = np.zeros(survey.rows_read, dtype=bool)
    used[full.rows if full.rows is not None else np.arange(full.rows_used)] = True
    jobs, skipped, rows_of = [], [], {}
    run_seed = bootstrap.seed if bootstrap is not None and bootstrap.resamples > 0 else None
    for name, rows in groups.items():
        n_used = int(used[rows].sum())
        rows_of[name] = len(rows)
        if n_used < min_n:
            skipped.append(SkippedSegment(
                name, len(rows), n_used,
                f"{n_used} usable respondent{'s' if n_used != 1 else ''}, fewer than "
                f"--min-n {min_n}", small=True))
            if progress is not None:
                progress(1)
            continue
        try:
            prepared = segment_items(survey, rows, by, name, spec, shared.options)
        except CsiError as error:
            skipped.append(SkippedSegment(name, len(rows), n_used, str(error), small=False))
            if progress is not None:
                progress(1)
            continue
        seed = segment_seed(run_seed, name) if run_seed is not None else 0
        jobs.append((name, seed, prepared, survey.source))

    context = FitContext(spec, settings, bootstrap, target, nonlinear, keep_draws, interaction)
    executor = executor or LocalExecutor(1)
    outcomes = executor.map(fit_group, jobs, shared=context, on_done=(
        None if progress is None else lambda _: progress(1)))
    fits = []
    for (name, seed, _, _), outcome in zip(jobs, outcomes):
        if isinstance(outcome, str):
            skipped.append(SkippedSegment(name, rows_of[name], int(used[groups[name]].sum()),
                                          outcome, small=False))
        else:
            fits.append(SegmentFit(name, rows_of[name], seed, shared.restore(outcome)))
    skipped.sort(key=lambda skip: natural_key(skip.name))
    warnings = []
    if without:
        warnings.append(f"{without} respondent{'s' if without != 1 else ''} without a value "
                        f"of {by} belong{'s' if without == 1 else ''} to no segment")
    return SegmentResults(
        source=survey.source, column=by, model=spec, target=target_name, seed=run_seed,
        min_n=min_n, fits=tuple(fits), skipped=tuple(skipped), rows_without_segment=without,
        warnings=tuple(warnings), level=bootstrap.level if bootstrap is not None and
        bootstrap.resamples > 0 else None,
    )


def _item_columns(items: ItemData | None, spec: ModelSpec) -> set[str]:
    if items is not None and items.columns:
        return set(items.columns.values())
    return set(spec.indicators)


__all__ = ["DEFAULT_MIN_N", "SCHEMA", "SEEDING_RULE", "FitContext", "SegmentFit",
           "SegmentResults", "SharedScale", "SkippedSegment", "fit_group", "fit_segments",
           "natural_key", "segment_items", "segment_labels", "segment_seed", "split", "subset"]
