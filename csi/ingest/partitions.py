"""A survey in partitions: a directory or glob of Parquet/CSV files read in parallel as one.

`csi fit surveys/2026q3/` or `csi fit 'surveys/2026q3/*.parquet'` reads every partition (on
the threads of this process, or on the Dask workers of csi.scale_out.active(), which then
need the files at the same path), checks that they have the same columns, and stacks them
in file-name order into one Survey; `starts` remembers where each partition begins, so the
moments can be computed per partition and reduced (csi.sample.partitioned_moments). Rows are
numbered across the whole survey, so a data error names the same row as on the stacked file.

This is the path without a cluster. With one (--scheduler), csi.partition_sums fits the
survey from its partitions' sums instead, and this process reads only their headers
(csi.ingest.partition_items); docs/scale.md says which gives what.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from csi.errors import DataError
from csi.ingest.readers import read_survey
from csi.ingest.survey import Survey

SUFFIXES = (".csv", ".tsv", ".txt", ".parquet")
PATTERN = ("*", "?", "[")


@dataclass(frozen=True)
class Partitioned:
    """The stacked survey, its files and the first row (from 0) of each partition."""

    survey: Survey
    files: tuple[str, ...]
    starts: np.ndarray  # (partitions,)

    def to_dict(self) -> dict:
        return {"files": list(self.files), "starts": self.starts.tolist()}


def is_partitioned(source) -> bool:
    """True for a directory or a glob pattern (a survey in several files)."""
    if not isinstance(source, (str, Path)) or str(source) == "-":
        return False
    text = str(source)
    return Path(text).is_dir() or (any(c in text for c in PATTERN) and not Path(text).exists())


def partition_files(source: str | Path) -> list[str]:
    """The partition files of a directory (its *.csv, *.tsv, *.txt and *.parquet files, not
    hidden ones) or of a glob pattern, sorted by name."""
    text = str(source)
    if Path(text).is_dir():
        files = [str(path) for path in sorted(Path(text).iterdir())
                 if path.is_file() and path.suffix.lower() in SUFFIXES
                 and not path.name.startswith((".", "_"))]
    else:
        files = sorted(path for path in glob.glob(text) if os.path.isfile(path))
    if not files:
        raise DataError(f"{text}: no survey partitions found (expected "
                        f"{', '.join('*' + s for s in SUFFIXES)} files)")
    return files


def _read(job: tuple[str, str | None]) -> Survey:
    path, encoding = job
    return read_survey(path, encoding=encoding)


def read_partitions(source: str | Path, encoding: str | None = None,
                    executor=None) -> Partitioned:
    """Read every partition of `source` in parallel and stack them into one Survey.

    `executor`: a csi.scale_out executor (default: the active one, else up to 4 threads).
    A partition whose columns differ from the first one's is an error naming both files."""
    from csi import scale_out

    files = partition_files(source)
    if executor is None:
        executor = scale_out.active() or scale_out.LocalExecutor(
            min(4, len(files), os.cpu_count() or 1))
    parts = executor.map(_read, [(path, encoding) for path in files])
    first = parts[0]
    columns = list(first.frame.columns)
    for path, part in zip(files[1:], parts[1:]):
        if set(part.frame.columns) != set(columns):
            extra = sorted(set(part.frame.columns) ^ set(columns), key=str)
            raise DataError(f"{path}: its columns differ from {files[0]}'s "
                            f"(column '{extra[0]}' is in only one of them)")
    import pandas as pd

    frames = [part.frame[columns] for part in parts]
    sizes = np.array([len(frame) for frame in frames])
    frame = pd.concat(frames, ignore_index=True)
    del parts[1:], frames
    note = f"read {len(files)} partitions ({len(frame):,} rows) of {source}"
    survey = replace(first, source=str(source), frame=frame,
                     notes=tuple(first.notes) + (note,))
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int)
    return Partitioned(survey=survey, files=tuple(files), starts=starts)


BIG_SURVEY = 4 << 20  # bytes of survey files from which memory is handed back eagerly


def read_source(source, options=None):
    """(Survey, partition starts or None): a partitioned survey (directory or glob) stacked,
    else the one file read as usual, with the IngestOptions' reading settings.

    A big survey (BIG_SURVEY bytes of files) switches the process to returning freed arrays
    to the system (csi.scale_out.map_large_arrays) and hands back what reading used, so a
    point fit's peak memory is the data it holds, not the temporaries it made."""
    from csi import scale_out

    if _size(source) >= BIG_SURVEY:
        scale_out.map_large_arrays()
    if is_partitioned(source):
        parted = read_partitions(source, options.encoding if options is not None else None)
        found = parted.survey, parted.starts
    else:
        found = read_survey(source, options), None
    if _size(source) >= BIG_SURVEY:
        scale_out.release_memory()
    return found


def _size(source) -> int:
    """Bytes of the survey's files (0 for a stream or what cannot be listed)."""
    try:
        if is_partitioned(source):
            return sum(os.path.getsize(path) for path in partition_files(source))
        if isinstance(source, (str, Path)) and str(source) != "-":
            return os.path.getsize(source)
    except (OSError, DataError):
        pass
    return 0


def used_starts(starts: np.ndarray | None, rows: np.ndarray | None) -> np.ndarray | None:
    """Where each partition begins among the used respondents (`rows`: their positions in
    the stacked survey, ItemData.rows), for csi.sample.Sample(partitions=...)."""
    if starts is None or rows is None:
        return starts
    return np.searchsorted(np.asarray(rows), starts).astype(int)
