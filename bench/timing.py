"""Shared by the bench modules: timing, the row shape every figure uses, and its printing."""

from __future__ import annotations

import statistics
import time


def median_seconds(work, repeat: int) -> float:
    """Median wall time of `repeat` runs after one warm-up run."""
    work()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def row(figure: str, ours: float | None, theirs: float | None, note: str) -> dict:
    """One figure: csi's seconds, the peer's (or None), their ratio peer / csi."""
    return {"figure": figure, "csi_s": ours, "peer_s": theirs,
            "ratio": theirs / ours if theirs and ours else None, "note": note}


def seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value * 1000:.2f} ms" if value < 1 else f"{value:.2f} s"


def print_rows(rows: list[dict], peer: str = "peer") -> None:
    print(f"{'figure':78} {'csi':>10} {peer:>12} {'peer/csi':>9}  note")
    for r in rows:
        ratio = "" if not r["ratio"] else (f"{r['ratio']:.0f}x" if r["ratio"] >= 100
                                            else f"{r['ratio']:.3g}x")
        print(f"{r['figure']:78} {seconds(r['csi_s']):>10} {seconds(r['peer_s']):>12} "
              f"{ratio:>9}  {r['note']}")
