"""Ingest speed: reading a big survey CSV, beside pandas.read_csv(engine="pyarrow").

The issue's figure: reading a 1,000,000-row, 30-item CSV within 2x of pandas with the pyarrow
engine on the same file (ratio = pandas seconds / csi seconds, so the target is >= 0.5).
Also shown, for information: the careful path (the same rows as semicolon-separated text with
decimal commas, decoded in memory), preparing the item matrix, and EM on incomplete data.
Figures are wall-clock medians in this process, each timed after one warm-up run; the test
file is generated once under bench/out/ (git-ignored).

Usage: python bench/bench_ingest.py [--rows N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from timing import median_seconds, print_rows, row

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
MOBI = ROOT / "surveys" / "mobi.csv"
ITEMS = 30


def survey_frame(rows: int) -> pd.DataFrame:
    """mobi's respondents resampled (seed 0) to `rows`, with 6 more 1-10 items (Q25-Q30: an
    item of mobi plus a random step, clipped to the scale) to make 30 items."""
    mobi = pd.read_csv(MOBI)
    rng = np.random.default_rng(0)
    frame = mobi.iloc[rng.integers(0, len(mobi), rows)].reset_index(drop=True)
    for k in range(ITEMS - mobi.shape[1]):
        base = frame.iloc[:, k].to_numpy()
        frame[f"Q{mobi.shape[1] + k + 1}"] = np.clip(base + rng.integers(-1, 2, rows), 1, 10)
    return frame


def survey_csv(rows: int, frame: pd.DataFrame | None = None) -> Path:
    """The plain CSV test file, cached in bench/out/."""
    path = OUT / f"ingest_{rows}x{ITEMS}.csv"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        frame = survey_frame(rows) if frame is None else frame
        temporary = path.with_suffix(".tmp")
        frame.to_csv(temporary, index=False)
        temporary.replace(path)
    return path


def european_csv(rows: int) -> Path:
    """The same answers halved (0,5 ... 5), semicolon-separated with decimal commas."""
    path = OUT / f"ingest_{rows}x{ITEMS}_semicolon.csv"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        (pd.read_csv(survey_csv(rows), engine="pyarrow") / 2).to_csv(
            temporary, index=False, sep=";", decimal=",")
        temporary.replace(path)
    return path


def ingest_figures(rows: int = 1_000_000) -> list[dict]:
    """The ingest rows of `make bench`, shaped like bench/bench.py's row() dicts (the peer is
    pandas.read_csv with the pyarrow engine)."""
    from csi.ingest import item_matrix, read_survey
    from csi.sample import em_moments
    from csi.model.spec import parse_model

    path = survey_csv(rows)
    repeat = 3 if rows >= 500_000 else 5
    ours = median_seconds(lambda: read_survey(path), repeat)
    theirs = median_seconds(lambda: pd.read_csv(path, engine="pyarrow"), repeat)
    figures = [row(f"read a {rows:,}-row, {ITEMS}-item CSV (peer: pandas + pyarrow)", ours,
                   theirs, "target: within 2x of pandas (peer/csi >= 0.5)")]

    european = european_csv(rows)
    careful = median_seconds(lambda: read_survey(european), repeat)
    peer = median_seconds(
        lambda: pd.read_csv(european, sep=";", decimal=",", engine="c"), repeat)
    figures.append(row("  the same as semicolon CSV with decimal commas (peer: pandas C)",
                       careful, peer, "sniffed delimiter and decimal mark"))

    survey = read_survey(path)
    names = list(survey.frame.columns)
    model = "\n".join(
        f"B{k} =~ " + " + ".join(names[k * 5:(k + 1) * 5]) for k in range(ITEMS // 5)
    ) + "\n" + "\n".join(f"B{k + 1} ~ B{k}" for k in range(ITEMS // 5 - 1))
    spec = parse_model(model, name="bench30")
    prepare = median_seconds(lambda: item_matrix(survey, spec, (1, 10)), repeat)
    figures.append(row(f"  item matrix and data-quality checks ({ITEMS} items)", prepare, None,
                       "listwise, scale 1:10"))

    em_rows = min(rows, 100_000)
    values = survey.frame.iloc[:em_rows].to_numpy(dtype=float)
    holes = np.random.default_rng(1).random(values.shape) < 0.01
    values[holes] = np.nan
    values = values[~np.isnan(values).all(axis=1)]
    start = time.perf_counter()
    estimate = em_moments(values)
    em_seconds = time.perf_counter() - start
    figures.append(row(
        f"  EM moments, {em_rows:,} rows x {ITEMS} items, 1% missing", em_seconds, None,
        f"{estimate.patterns:,} missingness patterns, {estimate.iterations} iterations"))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    print_rows(ingest_figures(args.rows), "pandas")


if __name__ == "__main__":
    sys.exit(main())
