"""Scale (issue 21): how cost grows with the model and the survey, memory ratios, partitions.

Growth in constructs: chains of 6/12/24/48 constructs with 4 items each, n = 1,000,
1,000 resamples (bootstrap time beyond the point fit, peak memory). Growth in respondents:
read + point fit of the ECSI model (24 items) at n = 1e3 ... 1e6, and its peak memory above
the baseline of an interpreter that has run one small fit, over the numeric matrix (peak RSS,
and in a second run the peak of traced allocations). 1,000 resamples at n = 1e5. A survey
split in partitions fitted in-process (stacked) and on a 2-worker Dask LocalCluster (the sums
path: only the partitions' sums reach the driver, csi.partition_sums). Every figure runs
in a child process so its peak memory (VmHWM) is its own; exponents are log-log slopes
measured in this one run.

Usage: python bench/bench_scale.py [--quick] [--child KIND ARGS...]
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from data import MOBI, OUT, ROOT, big_csv  # noqa: E402


def row(figure: str, ours: float | None, note: str) -> dict:
    return {"figure": figure, "csi_s": ours, "peer_s": None, "ratio": None, "note": note}


def chain_survey(constructs: int, n: int, seed: int = 0):
    """A chain C1 -> C2 -> ... of standardized latents (paths 0.5), 4 items each (loadings
    0.8), answers rounded onto 1..10; returns (DataFrame, lavaan model text)."""
    rng = np.random.default_rng(seed)
    latent = np.empty((n, constructs))
    latent[:, 0] = rng.standard_normal(n)
    for k in range(1, constructs):
        latent[:, k] = 0.5 * latent[:, k - 1] + math.sqrt(0.75) * rng.standard_normal(n)
    items = {}
    for k in range(constructs):
        for i in range(4):
            x = 0.8 * latent[:, k] + 0.6 * rng.standard_normal(n)
            items[f"c{k + 1}_{i + 1}"] = np.clip(np.round(5.5 + 1.5 * x), 1, 10)
    lines = [f"C{k + 1} =~ " + " + ".join(f"c{k + 1}_{i + 1}" for i in range(4))
             for k in range(constructs)]
    lines += [f"C{k + 1} ~ C{k}" for k in range(1, constructs)]
    return pd.DataFrame(items), "\n".join(lines)


def partitioned(rows: int, parts: int) -> Path:
    """big_csv(rows) split into `parts` CSV partitions in bench/out/parts_<rows>_<parts>/."""
    folder = OUT / f"parts_{rows}_{parts}"
    if not folder.exists():
        frame = pd.read_csv(big_csv(rows))
        folder.mkdir(parents=True)
        for i, piece in enumerate(np.array_split(np.arange(len(frame)), parts)):
            frame.iloc[piece].to_csv(folder / f"part-{i:03d}.csv", index=False)
    return folder


def _rss() -> int:
    """The resident set size now (Linux /proc; the peak so far elsewhere)."""
    try:
        with open("/proc/self/statm") as handle:
            import os

            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return _peak()


def _peak() -> int:
    """This process's peak resident size: VmHWM on Linux (ru_maxrss starts at the parent's
    peak, kept across fork and exec), else ru_maxrss."""
    try:
        with open("/proc/self/status") as handle:
            return next(int(line.split()[1]) * 1024 for line in handle
                        if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _reset_peak() -> bool:
    """Reset this process's VmHWM to its current resident size (Linux: clear_refs 5), so a
    later _peak() is the peak since now; False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def child_chain(constructs: int, n: int, resamples: int) -> dict:
    import csi
    from csi.inference.bootstrap import BootstrapSettings

    frame, text = chain_survey(constructs, n)
    from csi.model.spec import parse_model

    spec = parse_model(text)
    csi.fit(frame, spec, scale=(1, 10), bootstrap=0)
    start = time.perf_counter()
    csi.fit(frame, spec, scale=(1, 10), bootstrap=0)
    point = time.perf_counter() - start
    baseline = _peak()
    start = time.perf_counter()
    csi.fit(frame, spec, scale=(1, 10),
            bootstrap=BootstrapSettings(resamples=resamples, workers=2))
    total = time.perf_counter() - start
    return {"seconds": total - point, "peak_bytes": _peak() - baseline}


def child_fit(rows: int, traced: int = 0) -> dict:
    """Read + point fit (csi.fit, bootstrap=0) of big_csv(rows): seconds, and the peak
    memory above the baseline of an interpreter that has run one small fit (csi, numpy,
    pandas, scipy loaded: the libraries' code is not the data's memory), both as the
    process's peak RSS (VmHWM) and as the peak of traced allocations (tracemalloc)."""
    import tracemalloc

    import csi

    path = big_csv(rows)
    csi.fit(MOBI, "ecsi", scale=(1, 10), bootstrap=0)  # warm-up: every module loaded
    baseline = _rss()
    if traced:  # a run of its own: tracing costs time and memory
        tracemalloc.start()
    start = time.perf_counter()
    result = csi.fit(path, "ecsi", scale=(1, 10), bootstrap=0)
    total = time.perf_counter() - start
    found = {"seconds": total, "peak_bytes": _peak() - baseline,
             "numeric_bytes": result.n_obs * 24 * 8}
    if traced:
        found["traced_bytes"] = tracemalloc.get_traced_memory()[1]
    return found


def child_boot(rows: int, resamples: int) -> dict:
    from csi.inference.bootstrap import BootstrapSettings
    from csi.pipeline import fit_items
    from csi.ingest import Survey, item_matrix
    from csi.estimators.base import PlsSettings
    from csi.model.spec import load_model

    spec = load_model("ecsi")
    frame = pd.read_csv(MOBI)
    picks = np.random.default_rng(0).integers(0, len(frame), rows)
    items = item_matrix(Survey("big", frame.iloc[picks].reset_index(drop=True)), spec, (1, 10))
    del frame
    fit_items(items, spec, PlsSettings(), "big")
    start = time.perf_counter()
    fit_items(items, spec, PlsSettings(), "big")
    point = time.perf_counter() - start
    baseline = _peak()
    start = time.perf_counter()
    result = fit_items(items, spec, PlsSettings(), "big",
                       bootstrap=BootstrapSettings(resamples=resamples, workers=2))
    total = time.perf_counter() - start
    se = result.paths["se"].tolist() if "se" in result.paths else []
    return {"seconds": total - point, "peak_bytes": _peak() - baseline, "se": se}


def child_partitions(rows: int, parts: int) -> dict:
    """A survey in `parts` CSV partitions: on a 2-worker Dask LocalCluster (processes) by
    the sums path (csi.partition_sums: the driver reads headers, each worker its partitions,
    only sums come back; listwise and EM), then stacked in-process. The driver's peak memory
    above its warm baseline is measured before the stacked fit, so it is the sums path's."""
    import csi
    from csi import scale_out

    folder = partitioned(rows, parts)
    csi.fit(MOBI, "ecsi", scale=(1, 10), bootstrap=0)  # warm-up: every module loaded
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        with scale_out.executor_for(cluster.scheduler_address) as executor, \
                scale_out.use(executor):
            baseline = _rss()
            _reset_peak()  # writing the partitions (first run) peaked with the whole survey
            start = time.perf_counter()
            remote = csi.fit(str(folder), "ecsi", scale=(1, 10), bootstrap=0)
            on_dask = time.perf_counter() - start
            driver = _peak() - baseline
            start = time.perf_counter()
            remote_em = csi.fit(str(folder), "ecsi", scale=(1, 10), bootstrap=0, missing="em")
            on_dask_em = time.perf_counter() - start
    start = time.perf_counter()
    local = csi.fit(str(folder), "ecsi", scale=(1, 10), bootstrap=0)
    in_process = time.perf_counter() - start
    gap = float(np.max(np.abs(local.paths["estimate"].to_numpy()
                              - remote.paths["estimate"].to_numpy())))
    gap_em = float(np.max(np.abs(local.paths["estimate"].to_numpy()
                                 - remote_em.paths["estimate"].to_numpy())))
    return {"in_process": in_process, "dask": on_dask, "dask_em": on_dask_em,
            "max_gap": gap, "max_gap_em": gap_em, "driver_peak_bytes": driver,
            "numeric_bytes": local.n_obs * 24 * 8}


def child_iterate(constructs: int, n: int, resamples: int = 20, iterations: int = 10) -> dict:
    """Per resample, on one BLAS thread: its moments as csi computes them (the pairs the
    chain uses, one pass over the rows) against `iterations` PLS iterations on the rows
    instead (scores Y = X W, then the outer-weight products X' diag(f) Y), the plan issue 21
    asks to weigh when p is large against n."""
    from csi.estimators.pls import used_pairs
    from csi.model.spec import parse_model
    from csi.model.structure import Structure
    from csi.sample import batch_moments
    from csi.scale_out import one_blas_thread

    frame, text = chain_survey(constructs, n)
    structure = Structure.from_spec(parse_model(text))
    x = frame.to_numpy(float)
    p = x.shape[1]
    rng = np.random.default_rng(0)
    counts = np.stack([np.bincount(rng.integers(0, n, n), minlength=n)
                       for _ in range(resamples)]).astype(np.uint8)
    membership = np.zeros((p, constructs))
    membership[np.arange(p), structure.block_of] = 1.0
    weights = rng.random((resamples, p))
    with one_blas_thread():
        start = time.perf_counter()
        batch_moments(x, counts, used_pairs(structure))
        on_moments = (time.perf_counter() - start) / resamples
        centred = x - x.mean(axis=0)
        start = time.perf_counter()
        for r in range(resamples):
            f = counts[r].astype(float)[:, None]
            for _ in range(iterations):
                scores = centred @ (weights[r][:, None] * membership)
                centred.T @ (f * scores)
        on_rows = (time.perf_counter() - start) / resamples
    return {"moments": on_moments, "rows": on_rows, "p": p}


CHILDREN = {"chain": child_chain, "iterate": child_iterate, "fit": child_fit, "boot": child_boot,
            "partitions": child_partitions}


def child(kind: str, *args: int) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", kind, *map(str, args)],
                          capture_output=True, text=True, check=False, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"bench child {kind} failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def slope(xs, ys) -> float:
    """The growth exponent: least-squares slope of log y on log x."""
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


def median_run(kind: str, *args: int, runs: int = 3) -> dict:
    """The child run whose time is the median of `runs` (one run on a busy 2-core machine
    varies by 30%, enough to move a ratio across its target)."""
    results = sorted((child(kind, *args) for _ in range(runs)), key=lambda r: r["seconds"])
    return results[len(results) // 2]


def scale_figures(quick: bool = False, partitions: bool = True) -> list[dict]:
    """The scale rows of `make bench`, shaped like bench/bench.py's row() dicts."""
    rows = []
    sizes = (6, 12, 24, 48)
    chain = {k: median_run("chain", k, 1000, 1000) for k in sizes}
    for k in sizes:
        rows.append(row(f"1,000 resamples, chain of {k} constructs x 4 items, n = 1,000",
                        chain[k]["seconds"],
                        f"peak +{chain[k]['peak_bytes'] / 2**20:.0f} MiB"))
    ratio = chain[48]["seconds"] / chain[12]["seconds"]
    rows.append(row("  growth in constructs: time 48 / 12 constructs", None,
                    f"{ratio:.2f}x (target < 8x); exponent K^"
                    f"{slope(sizes, [chain[k]['seconds'] for k in sizes]):.2f}; "
                    f"peak at 48 +{chain[48]['peak_bytes'] / 2**20:.0f} MiB (target < 600)"))
    for k, n in ((48, 1000), (48, 200)):
        plan = child("iterate", k, n)
        ratio = plan["rows"] / plan["moments"]
        rows.append(row(f"  per resample, chain of {k} (p = {plan['p']}), n = {n:,}: moments",
                        plan["moments"], "iterating on the rows instead (10 PLS iterations) "
                        + (f"{ratio:.1f}x slower" if ratio >= 1 else f"{1 / ratio:.1f}x faster")))
    counts = (1_000, 10_000, 100_000) + (() if quick else (1_000_000,))
    fits = {n: child("fit", n) for n in counts}
    for n in counts:
        memory = fits[n]["peak_bytes"] / fits[n]["numeric_bytes"]
        rows.append(row(f"read + point fit, ECSI (24 items), n = {n:,}", fits[n]["seconds"],
                        f"peak RSS above baseline {memory:.2f}x the numeric matrix"
                        + (" (target < 1.5x)" if n == counts[-1] else "")))
    largest = counts[-1]
    traced = child("fit", largest, 1)
    rows.append(row(f"  memory of the point fit at n = {largest:,}", None,
                    f"peak traced allocations {traced['traced_bytes'] / traced['numeric_bytes']:.2f}x"
                    f" the numeric matrix (numpy + Python objects; RSS adds the allocator's "
                    f"and Arrow's pools)"))
    rows.append(row("  growth in respondents: read + fit", None,
                    f"exponent n^{slope(counts, [fits[n]['seconds'] for n in counts]):.2f}"))
    boot = child("boot", 100_000, 1000)
    rows.append(row("1,000 resamples at n = 100,000 (beyond the point fit)", boot["seconds"],
                    f"peak +{boot['peak_bytes'] / 2**20:.0f} MiB"))
    if partitions:
        n = 100_000 if quick else 1_000_000
        parts = child("partitions", n, 8)
        rows.append(row(f"partitioned survey, {n:,} rows in 8 CSV parts: fit in-process",
                        parts["in_process"], ""))
        rows.append(row("  on a 2-worker Dask LocalCluster: sums path (driver reads headers)",
                        parts["dask"],
                        f"max |difference| of the paths {parts['max_gap']:.1e}; driver peak "
                        f"+{parts['driver_peak_bytes'] / 2**20:.0f} MiB "
                        f"({parts['driver_peak_bytes'] / parts['numeric_bytes']:.2f}x the "
                        "numeric matrix)"))
        rows.append(row("  the same with --missing em (complete data: one map-reduce)",
                        parts["dask_em"], f"max |difference| {parts['max_gap_em']:.1e}"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--child", nargs="+")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child[0]](*map(int, args.child[1:]))))
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from timing import print_rows

    print_rows(scale_figures(args.quick))


if __name__ == "__main__":
    main()
