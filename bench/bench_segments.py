"""Segments at scale: 1,000 segments of 300 respondents, the ECSI model, 1,000 resamples each.

The issue's figure: the wall time of `csi fit --by` on that survey in-process (the default:
this process's threads, --workers 2) and through a 2-worker Dask LocalCluster (two worker
processes on 127.0.0.1, one thread each, started before the clock starts); target under 5
minutes in-process. Both runs fit the same segments with the same seeds and must agree
byte for byte (checked on the ranking table). The survey is mobi's respondents resampled
(seed 0) into segments, held in memory: the figure is the fitting, not reading a CSV. There
is no peer.

Usage: python bench/bench_segments.py [--segments N] [--size N] [--resamples N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from timing import seconds

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
MOBI = ROOT / "surveys" / "mobi.csv"
TARGET_SECONDS = 300.0


def row(figure: str, ours: float | None, note: str) -> dict:
    return {"figure": figure, "csi_s": ours, "peer_s": None, "ratio": None, "note": note}


def segments_survey(segments: int, size: int):
    """mobi's respondents resampled (seed 0) into `segments` stores of `size` each."""
    from csi.ingest import Survey

    mobi = pd.read_csv(MOBI)
    picks = np.random.default_rng(0).integers(0, len(mobi), segments * size)
    frame = mobi.iloc[picks].reset_index(drop=True)
    frame.insert(0, "store", np.repeat([f"S{i:04d}" for i in range(segments)], size))
    return Survey("bench", frame)


def timed_run(survey, executor, resamples: int):
    from csi.inference.bootstrap import BootstrapSettings
    from csi.ingest import IngestOptions
    from csi.multi.segments import fit_segments

    start = time.perf_counter()
    results = fit_segments(survey, "ecsi", "store", options=IngestOptions(scale=(1, 10)),
                           bootstrap=BootstrapSettings(resamples=resamples),
                           executor=executor)
    return time.perf_counter() - start, results


def segment_figures(segments: int = 1000, size: int = 300, resamples: int = 1000,
                    workers: int = 2) -> list[dict]:
    """The segment rows of `make bench`, shaped like bench/bench.py's row() dicts."""
    from distributed import LocalCluster

    from csi.scale_out import DaskExecutor, LocalExecutor

    survey = segments_survey(segments, size)
    label = f"{segments:,} segments x {size} resp., ECSI, {resamples:,} resamples each"
    local_seconds, local = timed_run(survey, LocalExecutor(workers), resamples)
    assert len(local.fits) == segments, [s.reason for s in local.skipped[:3]]
    figures = [row(f"{label}: in-process ({workers} threads)", local_seconds,
                   f"target < 5 min; {local_seconds / segments * 1000:.0f} ms per segment"
                   + ("" if local_seconds < TARGET_SECONDS or segments < 1000 else
                      " (MISSED)"))]

    start = time.perf_counter()
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, protocol="tcp",
                      host="127.0.0.1", dashboard_address=None,
                      worker_dashboard_address=None) as cluster:
        startup = time.perf_counter() - start
        executor = DaskExecutor(cluster.scheduler_address)
        try:
            cluster_seconds, remote = timed_run(survey, executor, resamples)
        finally:
            executor.close()
    same = remote.ranking().equals(local.ranking())
    figures.append(row(f"{label}: {workers}-worker Dask LocalCluster", cluster_seconds,
                       f"cluster start {startup:.1f} s not included; identical to in-process: "
                       f"{'yes' if same else 'NO'}"))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=1000)
    parser.add_argument("--size", type=int, default=300)
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args()
    print(f"{'figure':78} {'csi':>10}  note")
    for r in segment_figures(args.segments, args.size, args.resamples):
        print(f"{r['figure']:78} {seconds(r['csi_s']):>10}  {r['note']}")


if __name__ == "__main__":
    sys.exit(main())
