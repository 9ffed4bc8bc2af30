"""Start-up and whole-process time of csi commands, as ratios to bare Python imports measured
in the same run (issue 15), and csi.fit(bootstrap=0) beside the Python seminr port's
estimate_pls alone.

CPU seconds (user + system of the child process) are used for the start-up ratios, so a
loaded machine distorts them less than wall time; medians of several runs.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
MOBI = ROOT / "surveys" / "mobi.csv"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import median_seconds, row  # noqa: E402

CSI = [str(Path(sys.executable).parent / "csi")]  # the installed entry point


def child_cpu(command: list[str], repeat: int) -> tuple[float, float]:
    """Median CPU seconds (user + system) and wall seconds of running `command`."""
    cpu, wall = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(cpu), statistics.median(wall)


def survey_500(folder: Path) -> Path:
    """mobi's rows resampled (seed 0) to 500 respondents."""
    frame = pd.read_csv(MOBI)
    path = folder / "mobi_500.csv"
    frame.iloc[np.random.default_rng(0).integers(0, len(frame), 500)].to_csv(path, index=False)
    return path


def startup_figures(repeat: int = 5) -> list[dict]:
    """The three ratios of issue 15: csi --help and csi check against `import click`, a
    5,000-resample fit of 500 respondents against `import numpy`."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        survey = survey_500(folder)
        fit = [*CSI, "fit", str(survey), "--model", "ecsi", "--scale", "1:10",
               "--bootstrap", "5000", "--format", "json", "-q"]
        result = folder / "fit.json"
        subprocess.run([*fit, "-o", str(result)], check=True)
        click = child_cpu([sys.executable, "-c", "import click"], repeat)
        numpy = child_cpu([sys.executable, "-c", "import numpy"], repeat)
        help_ = child_cpu([*CSI, "--help"], repeat)
        check = child_cpu([*CSI, "check", str(result), "--baseline", str(result), "-q"], repeat)
        full = child_cpu([*fit, "-o", str(folder / "again.json")], repeat)
    return [
        ratio_row("csi --help", help_, click, 'python -c "import click"', 3),
        ratio_row("csi check", check, click, 'python -c "import click"', 4),
        ratio_row("csi fit, 500 respondents, 5,000 resamples", full, numpy,
                  'python -c "import numpy"', 5),
    ]


def ratio_row(figure: str, ours: tuple[float, float], reference: tuple[float, float],
              what: str, target: float) -> dict:
    """csi's CPU seconds, and its CPU and wall ratios to the reference command."""
    return {"figure": f"{figure} (CPU)", "csi_s": ours[0], "peer_s": None, "ratio": None,
            "note": f"{ours[0] / reference[0]:.2f}x CPU, {ours[1] / reference[1]:.2f}x wall "
                    f"of {what} ({reference[0] * 1000:.0f} ms CPU; target <= {target}x)"}


def seminr_figures(peer_python: str | None, rounds: int = 5) -> list[dict]:
    """csi.fit(..., bootstrap=0) on mobi (every table, importances, priorities, diagnostics)
    beside seminr's estimate_pls alone, in-process medians: csi from the file (reading it
    included) and from the survey already read (as seminr gets its data frame). The three are
    measured in alternating rounds (the bench machine's speed drifts by more than their
    difference), and each ratio is the median of the rounds' ratios."""
    import csi
    from csi.ingest import IngestOptions, read_survey

    survey = read_survey(MOBI, IngestOptions())
    work = {"file": lambda: csi.fit(MOBI, "ecsi", scale=(1, 10), bootstrap=0),
            "read": lambda: csi.fit(survey, "ecsi", scale=(1, 10), bootstrap=0)}
    ours = {kind: [] for kind in work}
    theirs = []
    for _ in range(rounds):
        for kind, fit in work.items():
            ours[kind].append(median_seconds(fit, 20))
        if not peer_python:
            continue
        done = subprocess.run([peer_python, str(ROOT / "bench" / "peer_seminr.py"), "--data",
                               str(MOBI), "--repeat", "20"], capture_output=True, text=True,
                              check=False)
        if done.returncode != 0:
            print(f"seminr peer failed: {done.stderr.strip().splitlines()[-1:]}",
                  file=sys.stderr)
            peer_python = None
            continue
        theirs.append(json.loads(done.stdout)["seconds_per_fit"])
    figures = []
    for kind, what in (("file", "reading the file"), ("read", "the survey already read")):
        figure = row(f"csi.fit(bootstrap=0) on mobi ({what}) vs seminr estimate_pls alone",
                     statistics.median(ours[kind]),
                     statistics.median(theirs) if theirs else None, "target: peer/csi >= 1")
        if len(theirs) == rounds:
            ratios = sorted(t / o for t, o in zip(theirs, ours[kind]))
            figure["ratio"] = statistics.median(ratios)
            figure["note"] += (f" (median of {rounds} alternating rounds; "
                               f"{ratios[0]:.2f}x-{ratios[-1]:.2f}x)")
        figures.append(figure)
    return figures


def main() -> None:
    import argparse

    from timing import print_rows

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer-python", help="python of the venv with seminr")
    args = parser.parse_args()
    start = time.perf_counter()
    rows = startup_figures() + seminr_figures(args.peer_python)
    print_rows(rows, "seminr")
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
