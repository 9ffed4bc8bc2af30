"""`make bench`: csi's speed and memory, each beside the Python `plspm` peer run in the same run
(FIMIX beside seminrExtras: bench/bench_latent.py).

Figures are wall-clock medians on this machine; ratios (peer / csi) are what to compare across
machines. Big-data figures run in a child process so peak memory (ru_maxrss) is its own.
Usage: python bench/bench.py [--peer-python PATH] [--quick]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import median_seconds, print_rows, row  # noqa: E402
from data import MOBI, OUT, big_csv  # noqa: E402


def peer(peer_python: str | None, *args: str) -> dict | None:
    if not peer_python:
        return None
    done = subprocess.run(
        [peer_python, str(ROOT / "bench" / "peer_plspm.py"), *args],
        capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        print(f"peer failed: {done.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    return json.loads(done.stdout)


def single_fit(peer_python: str | None) -> list[dict]:
    from csi.pipeline import fit_items
    from csi.ingest import item_matrix, read_survey
    from csi.sample import moments
    from csi.estimators.base import PlsSettings
    from csi.model.structure import Structure
    from csi.estimators import estimate
    from csi.model.spec import load_model

    spec = load_model("ecsi")
    items = item_matrix(read_survey(MOBI), spec, (1, 10))
    structure = Structure.from_spec(spec)
    settings = PlsSettings()

    def estimator():
        stats = moments(items.values)
        estimate(stats.cor[None], structure, settings)

    core = median_seconds(estimator, 300)
    full = median_seconds(lambda: fit_items(items, spec, settings, "mobi"), 100)
    theirs = peer(peer_python, "fit", "--data", str(MOBI), "--repeat", "20")
    peer_seconds = theirs["seconds_per_fit"] if theirs else None
    return [
        row("ECSI fit on mobi: estimates (moments + PLS)", core, peer_seconds, "target < 3 ms"),
        row("ECSI fit on mobi: full Result (tables, quality, scores)", full, peer_seconds, ""),
    ]


BIG_SCRIPT = textwrap.dedent(
    """
    import json, resource, sys, time
    import csi
    from csi.pipeline import fit_items
    from csi.ingest import item_matrix, read_survey
    from csi.estimators.base import PlsSettings
    from csi.model.spec import load_model
    spec = load_model("ecsi")
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    survey = read_survey(sys.argv[1])
    read = time.perf_counter() - start
    items = item_matrix(survey, spec, (1, 10))
    result = fit_items(items, spec, PlsSettings(), sys.argv[1])
    total = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"read": read, "total": total, "peak_bytes": (peak - baseline) * 1024,
                      "numeric_bytes": items.values.nbytes}))
    """
)


def big_fit(peer_python: str | None, rows: int) -> list[dict]:
    path = big_csv(rows)
    done = subprocess.run([sys.executable, "-c", BIG_SCRIPT, str(path)], capture_output=True,
                          text=True, check=True)
    ours = json.loads(done.stdout)
    theirs = peer(peer_python, "fit", "--data", str(path), "--repeat", "1")
    peer_total = theirs["read_seconds"] + theirs["fit_seconds"] if theirs else None
    memory = ours["peak_bytes"] / ours["numeric_bytes"]
    return [
        row(f"{rows:,} respondents x 24 items: read + fit", ours["total"], peer_total,
            "target < 10 s"),
        {"figure": "  of which reading the CSV", "csi_s": ours["read"], "peer_s": None,
         "ratio": None, "note": ""},
        {"figure": "  peak memory above baseline / numeric data", "csi_s": None, "peer_s": None,
         "ratio": None,
         "note": f"{memory:.2f}x of {ours['numeric_bytes'] / 2**20:.0f} MiB (target < 3x)"},
    ]


def bootstrap_mobi(peer_python: str | None, peer_resamples: int) -> list[dict]:
    from csi.inference.bootstrap import BootstrapSettings
    from csi.pipeline import fit_items
    from csi.ingest import item_matrix, read_survey
    from csi.estimators.base import PlsSettings
    from csi.model.spec import load_model

    spec = load_model("ecsi")
    items = item_matrix(read_survey(MOBI), spec, (1, 10))
    point = median_seconds(lambda: fit_items(items, spec, PlsSettings(), "mobi"), 20)
    rows = []
    theirs = peer(peer_python, "bootstrap", "--data", str(MOBI), "--resamples",
                  str(peer_resamples))
    peer_5000 = theirs["seconds_per_resample"] * 5000 if theirs else None
    for workers in (1, 2):
        settings = BootstrapSettings(resamples=5000, workers=workers)
        total = median_seconds(
            lambda: fit_items(items, spec, PlsSettings(), "mobi", bootstrap=settings), 5)
        rows.append(row(f"5,000 resamples of ECSI on mobi, {workers} worker(s), beyond the fit",
                        total - point, peer_5000,
                        f"target < 0.5 s; peer: {peer_resamples} resamples x {5000 // peer_resamples}"))
    return rows


def nonlinear_mobi() -> list[dict]:
    from csi.inference.bootstrap import BootstrapSettings
    from csi.pipeline import fit_items
    from csi.ingest import item_matrix, read_survey
    from csi.drivers.nonlinear import NonlinearSettings
    from csi.estimators.base import PlsSettings
    from csi.model.spec import load_model

    spec = load_model("ecsi")
    items = item_matrix(read_survey(MOBI), spec, (1, 10))
    settings = BootstrapSettings(resamples=5000, workers=2)
    total = median_seconds(lambda: fit_items(items, spec, PlsSettings(), "mobi",
                                             bootstrap=settings,
                                             nonlinear=NonlinearSettings()), 3)
    return [row("Non-linear variant on mobi with 5,000 resamples (all of it)", total, None,
                "target < 3 s")]


BIG_BOOT = textwrap.dedent(
    """
    import json, resource, sys, time
    import numpy as np, pandas as pd
    from csi.inference.bootstrap import BootstrapSettings
    from csi.pipeline import fit_items
    from csi.ingest import Survey, item_matrix
    from csi.estimators.base import PlsSettings
    from csi.model.spec import load_model
    spec = load_model("ecsi")
    frame = pd.read_csv(sys.argv[1])
    rows = np.random.default_rng(0).integers(0, len(frame), 100_000)
    items = item_matrix(Survey("big", frame.iloc[rows].reset_index(drop=True)), spec, (1, 10))
    del frame
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    fit_items(items, spec, PlsSettings(), "big",
              bootstrap=BootstrapSettings(resamples=1000, workers=2))
    total = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"total": total, "peak_bytes": (peak - baseline) * 1024}))
    """
)


def bootstrap_big() -> list[dict]:
    done = subprocess.run([sys.executable, "-c", BIG_BOOT, str(MOBI)], capture_output=True,
                          text=True, check=True)
    ours = json.loads(done.stdout)
    return [row("1,000 resamples at n = 100,000 (fit + bootstrap)", ours["total"], None,
                f"target < 30 s; peak memory +{ours['peak_bytes'] / 2**20:.0f} MiB "
                "(target < 2 GB)")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer-python", help="python of the venv with plspm 0.5.7")
    parser.add_argument("--quick", action="store_true", help="100,000 rows instead of 1,000,000")
    args = parser.parse_args()
    import bench_startup

    startup = bench_startup.startup_figures() + bench_startup.seminr_figures(args.peer_python)
    print("Start-up (ratios measured in this run) and csi.fit(bootstrap=0) vs seminr:")
    print_rows(startup, "seminr")
    print()
    rows = list(startup)
    rows += single_fit(args.peer_python)
    rows += big_fit(args.peer_python, 100_000 if args.quick else 1_000_000)
    rows += bootstrap_mobi(args.peer_python, 20 if args.quick else 100)
    rows += bootstrap_big()
    rows += nonlinear_mobi()
    quick = {"bench_ingest": {"rows": 100_000}, "bench_segments": {"segments": 50},
             "bench_scale": {"quick": True}, "bench_analyses": {"quick": True}}
    for module, function in (("bench_ingest", "ingest_figures"),
                             ("bench_estimators", "estimator_figures"),
                             ("bench_analyses", "analyses_figures"),
                             ("bench_segments", "segment_figures"),
                             ("bench_scale", "scale_figures")):
        extra = __import__(module)
        options = quick.get(module, {}) if args.quick else {}
        if module == "bench_analyses":  # its figures sit beside the Python peers
            options = options | {"peer_python": args.peer_python}
        rows += getattr(extra, function)(**options)
    import bench_latent  # FIMIX beside seminrExtras, which runs in the peer venv

    rows += bench_latent.latent_figures(args.peer_python)
    print_rows(rows, "plspm 0.5.7")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "bench.json").write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
