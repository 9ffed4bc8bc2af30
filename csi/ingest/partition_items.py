"""One partition of a survey too large for one machine, read where it lives.

The driver of a partitioned fit on a cluster (csi.partition_sums) reads only the partitions'
headers (`read_header`, `check_headers`): their column names, so that a partition with other
columns, or without a model's indicator, is an error before any work is sent out. Each worker
then reads *its* partition (`prepare_partition`) and takes the row-local steps of
csi.ingest.items on it: columns, numbers, non-answers, the scale (a value outside it is an
error naming the file, column and row *of that file*), reverse-coding, weights, and the rows
the missing-data method keeps (listwise: complete rows; EM: rows with any answer). The steps
that need whole columns (the careless screen, straight-liners, duplicate IDs, an answer
scale taken from the data) are not taken: csi.partition_sums says so in the data report.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from csi.errors import DataError
from csi.ingest.answers import read_answers
from csi.ingest.items import ItemData, _reverse, _weights, item_columns
from csi.ingest.messages import Messages
from csi.ingest.options import IngestOptions
from csi.ingest.quality import DataQuality
from csi.ingest.survey import Survey
from csi.model.spec import ModelSpec

HEADER_BYTES = 1 << 16  # bytes of a text partition read for its header (and a few rows)
DISTINCT_MAX = 64  # distinct answers an item may show per partition before they are not listed


@dataclass(frozen=True)
class Header:
    """A partition's header: its column names and the survey-tool labels under them."""

    path: str
    columns: tuple[str, ...]
    survey: Survey  # a Survey of at most the first rows, for how the files are read


def read_header(path: str, encoding: str | None = None) -> Header:
    """The column names of a partition, reading only its head (a Parquet file's schema, a
    text file's first HEADER_BYTES)."""
    if Path(path).suffix.lower() in (".parquet", ".pq"):
        import pyarrow as pa
        import pyarrow.parquet as pq

        from csi.ingest.frames import tidy_names

        try:
            names = pq.read_schema(path).names
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise DataError(f"{path}: not a readable Parquet file ({exc})") from None
        names, duplicates = tidy_names(names)
        import pandas as pd

        survey = Survey(source=path, frame=pd.DataFrame(columns=names), format="parquet",
                        header_rows=0, duplicate_columns=duplicates)
        return Header(path, tuple(names), survey)
    from csi.ingest.delimited import read_delimited_bytes

    try:
        with open(path, "rb") as stream:
            head = stream.read(HEADER_BYTES)
            more = bool(stream.read(1))
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror})") from None
    if more and b"\n" in head:
        head = head[: head.rindex(b"\n") + 1]  # whole lines only
    survey = read_delimited_bytes(head, path, encoding, Path(path).suffix)
    return Header(path, tuple(str(c) for c in survey.frame.columns), survey)


def check_headers(headers: list[Header]) -> None:
    """Every partition has the first one's columns (in any order), else an error naming the
    file and a column found in only one of them."""
    first = headers[0]
    for header in headers[1:]:
        if set(header.columns) != set(first.columns):
            extra = sorted(set(header.columns) ^ set(first.columns), key=str)
            raise DataError(f"{header.path}: its columns differ from {first.path}'s "
                            f"(column '{extra[0]}' is in only one of them)")


@dataclass(frozen=True)
class PartitionItems:
    """A partition's items after the row-local steps: the rows the missing-data method
    keeps (NaN for a missing answer under EM), their weights, and the counts of the data
    report. Item statistics over every row read: answers, mean and centred sum of squares
    (combined across partitions as csi.sample.combine_sums does), min, max, the distinct
    answers (None when more than DISTINCT_MAX)."""

    path: str
    rows_read: int
    values: np.ndarray  # (rows kept, p)
    weights: np.ndarray | None  # (rows kept,)
    missing_per_item: np.ndarray  # (p,) over every row read
    counts: dict[str, np.ndarray]  # csi.ingest.answers.COUNTS -> (p,)
    rows_with_missing: int
    cells_missing: int
    rows_dropped: int
    cells_kept_missing: int  # missing cells of the rows kept (EM imputes them)
    rows_kept_incomplete: int
    answered: np.ndarray  # (p,) answers per item over every row read
    item_mean: np.ndarray  # (p,) NaN without an answer
    item_m2: np.ndarray  # (p,)
    item_min: np.ndarray
    item_max: np.ndarray
    distinct: tuple  # per item: sorted answers, or None (more than DISTINCT_MAX)
    weight_min: float | None = None
    weight_max: float | None = None
    weight_squares: float = 0.0  # sum of the kept rows' squared weights (Kish's n)
    sha256: str | None = None  # of the partition file's bytes

    @property
    def rows_kept(self) -> int:
        return self.values.shape[0]


def prepare_partition(path: str, spec: ModelSpec, options: IngestOptions) -> PartitionItems:
    """Read one partition and take the row-local steps of csi.ingest.items on it; the
    first problem is a DataError naming the file, the column and the row of the file."""
    from csi.ingest.readers import read_survey

    survey = read_survey(path, options)
    report = Messages()
    _, columns, shown, reverse, low, high = item_columns(survey, spec, options, report)
    indicators = spec.indicators
    if np.isnan(low).any():
        item = indicators[int(np.flatnonzero(np.isnan(low))[0])]
        raise DataError(f"{path}: item {item} has no answer scale; a survey in partitions "
                        "needs --scale MIN:MAX")
    answers = read_answers(survey, indicators, columns, shown, options, low, high, report)
    if report.errors:
        raise DataError(report.errors[0])
    _reverse(answers, indicators, reverse, low, high, report)
    weights = _weights(survey, options, report) if options.weights else None
    if report.errors:
        raise DataError(report.errors[0])
    raw = answers.raw.dense()  # a worker's partition: decoded once for every pass below
    per_row = answers.missing_per_row
    p = len(indicators)
    keep = per_row == 0 if options.missing == "listwise" else per_row < p
    values = raw if keep.all() else raw[keep]
    stats = _item_sums(raw)
    kept_weights = None if weights is None else weights[keep]
    return PartitionItems(
        path=path, rows_read=survey.rows_read, values=np.ascontiguousarray(values),
        weights=kept_weights, missing_per_item=answers.missing_per_item.copy(),
        counts={key: value.copy() for key, value in answers.counts.items()},
        rows_with_missing=int((per_row > 0).sum()), cells_missing=int(per_row.sum()),
        rows_dropped=int((~keep).sum()), cells_kept_missing=int(per_row[keep].sum()),
        rows_kept_incomplete=int(((per_row > 0) & keep).sum()), **stats,
        weight_min=(float(kept_weights.min()) if kept_weights is not None and kept_weights.size
                    else None),
        weight_max=(float(kept_weights.max()) if kept_weights is not None and kept_weights.size
                    else None),
        weight_squares=(float(np.square(kept_weights).sum()) if kept_weights is not None
                        else 0.0),
        sha256=survey.sha256)


def _item_sums(raw: np.ndarray) -> dict:
    """Per item over every row read: answers, mean, centred sum of squares, min, max and
    the distinct answers (vectorised over items; one column at a time for the distinct)."""
    seen = ~np.isnan(raw)
    answered = seen.sum(axis=0)
    safe = np.where(answered > 0, answered, 1)
    filled = np.where(seen, raw, 0.0)
    mean = filled.sum(axis=0) / safe
    m2 = np.where(seen, raw - mean, 0.0)
    m2 = np.einsum("ij,ij->j", m2, m2)
    empty = answered == 0
    lowest = np.where(empty, np.nan, np.fmin.reduce(raw, axis=0) if raw.size else np.nan)
    highest = np.where(empty, np.nan, np.fmax.reduce(raw, axis=0) if raw.size else np.nan)
    distinct = []
    for j in range(raw.shape[1]):
        levels = np.unique(raw[seen[:, j], j])
        distinct.append(tuple(levels.tolist()) if levels.size <= DISTINCT_MAX else None)
    return {"answered": answered, "item_mean": np.where(empty, np.nan, mean), "item_m2": m2,
            "item_min": lowest, "item_max": highest, "distinct": tuple(distinct)}


@dataclass(frozen=True)
class SummedQuality(DataQuality):
    """The data report of a survey in partitions reduced from its partitions' summaries:
    what it could not compute is listed in `not_computed`, and `partitions` gives each
    partition's rows read and used."""

    not_computed: tuple[str, ...] = ()
    partitions: dict | None = None

    def to_dict(self) -> dict:
        return super().to_dict() | {"not_computed": list(self.not_computed),
                                    "partitions": self.partitions}


@dataclass(frozen=True)
class SummedItems(ItemData):
    """ItemData of a survey in partitions without its rows (`values` has none): the
    respondents used and the observed answer range come from the partitions' summaries."""

    used: int = 0
    lowest: float = float("nan")
    highest: float = float("nan")

    @property
    def rows_used(self) -> int:
        return self.used

    def observed_range(self) -> tuple[float, float]:
        """The lowest and highest answer among the respondents used."""
        return self.lowest, self.highest
