"""Where the benchmarks read and write, and the big surveys they share (cached in bench/out/)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
MOBI = ROOT / "surveys" / "mobi.csv"


def big_csv(rows: int) -> Path:
    """mobi's rows resampled (seed 0) to `rows` respondents, cached in bench/out/."""
    path = OUT / f"mobi_{rows}.csv"
    if not path.exists():
        frame = pd.read_csv(MOBI)
        picks = np.random.default_rng(0).integers(0, len(frame), rows)
        OUT.mkdir(parents=True, exist_ok=True)
        frame.iloc[picks].to_csv(path, index=False)
    return path
