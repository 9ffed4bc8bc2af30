"""`csi latent` (FIMIX-PLS) on a 5,000-respondent ECSI survey (mobi's rows resampled, seed 0),
K = 1..5 with 10 EM starts, beside seminrExtras' FIMIX (PyPI `seminrextras`, run by the peer
Python through bench/peer_fimix.py) in the same run.

Both fit the SAME construct scores (seminr's PLS scores, which the peer writes out) with the
same K range and number of starts: the figure is csi's fimix.fit for K = 2..5 against
seminrExtras' assess_fimix for K = 2..5 (it has no K = 1; csi's K = 1 is closed form), with
the log-likelihoods side by side (higher is better: both keep the best of 10 starts). The
whole `csi latent` analysis on the survey (its own PLS scores, K = 1..5, the bootstrap LRT
with 99 regenerated data sets per test, the classes re-estimated) has no peer.

Usage: python bench/bench_latent.py [--peer-python PATH] [--rows N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data import OUT, ROOT, big_csv  # noqa: E402
from timing import print_rows, row  # noqa: E402

STARTS = 10
MAX_CLASSES = 5


def peer(peer_python: str | None, survey: Path, scores: Path) -> dict | None:
    if not peer_python:
        return None
    done = subprocess.run([peer_python, str(ROOT / "bench" / "peer_fimix.py"), "--data",
                           str(survey), "--scores", str(scores), "--starts", str(STARTS),
                           "--max-classes", str(MAX_CLASSES)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f"seminrExtras peer failed: {done.stderr.strip().splitlines()[-1:]}",
              file=sys.stderr)
        return None
    return json.loads(done.stdout)


def equations(names: list[str]):
    from csi.model.spec import load_model
    from csi.multi import fimix

    spec = load_model("ecsi")
    return [fimix.Equation(names.index(c), tuple(names.index(p) for p in spec.predecessors(c)))
            for c in spec.constructs if spec.predecessors(c)]


def csi_scores(survey: Path) -> pd.DataFrame:
    """csi's own PLS scores (when there is no peer to write seminr's)."""
    from csi.estimators.base import PlsSettings
    from csi.ingest import item_matrix, read_survey
    from csi.model.spec import load_model
    from csi.pipeline import fit_items

    spec = load_model("ecsi")
    items = item_matrix(read_survey(str(survey)), spec, (1, 10))
    fit = fit_items(items, spec, PlsSettings(), source=str(survey))
    return fit.scores[list(fit.model.constructs)]


def fimix_seconds(scores: pd.DataFrame) -> tuple[dict[int, float], dict[int, float]]:
    from csi.multi import fimix

    names = list(scores.columns)
    values = scores.to_numpy()
    frequency = np.ones(len(values))
    found = equations(names)
    seconds, loglik = {}, {}
    for k in range(1, MAX_CLASSES + 1):
        start = time.perf_counter()
        mixture = fimix.fit(values, frequency, found, k, STARTS, np.random.default_rng(k))
        seconds[k] = time.perf_counter() - start
        loglik[k] = float(mixture.loglik[0])
    return seconds, loglik


def whole_analysis(survey: Path) -> tuple[float, float, dict]:
    from csi.ingest import item_matrix, read_survey
    from csi.model.spec import load_model
    from csi.multi.latent import LatentSettings, analyse

    spec = load_model("ecsi")
    data = read_survey(str(survey))
    items = item_matrix(data, spec, (1, 10))
    wall, cpu = time.perf_counter(), time.process_time()
    result = analyse(items, spec, data, latent=LatentSettings(max_classes=MAX_CLASSES,
                                                              starts=STARTS))
    return time.perf_counter() - wall, time.process_time() - cpu, {
        "chosen_k": result.chosen_k, "resamples": [t["resamples"] for t in result.lrt]}


def latent_figures(peer_python: str | None = None, rows: int = 5000) -> list[dict]:
    """The latent rows of `make bench`, shaped like bench/bench.py's row() dicts."""
    survey = big_csv(rows)
    scores_path = OUT / f"fimix_scores_{rows}.csv"
    theirs = peer(peer_python, survey, scores_path)
    scores = pd.read_csv(scores_path) if theirs else csi_scores(survey)
    seconds, loglik = fimix_seconds(scores)
    label = f"FIMIX on {rows:,} respondents (ECSI), {STARTS} starts"
    source = "seminr's scores" if theirs else "csi's scores, no peer"
    peer_total = sum(theirs["seconds"].values()) if theirs else None
    figures = [row(f"{label}, K = 2..{MAX_CLASSES}", sum(seconds[k] for k in seconds if k > 1),
                   peer_total, f"peer: seminrExtras 0.1.0; same {source}; K = 1 (closed "
                   f"form) {seconds[1]:.2f} s")]
    for k in range(2, MAX_CLASSES + 1):
        peer_loglik = theirs["loglik"].get(str(k)) if theirs else None
        note = f"lnL csi {loglik[k]:.3f}" + (
            f" / seminrExtras {peer_loglik:.3f}" if peer_loglik is not None else "")
        figures.append(row(f"  K = {k}", seconds[k],
                           theirs["seconds"][str(k)] if theirs else None, note))
    wall, cpu, found = whole_analysis(survey)
    figures.append(row(f"csi latent, {rows:,} respondents, K = 1..{MAX_CLASSES}, {STARTS} "
                       "starts, LRT 99 (all of it)", wall, None,
                       f"CPU {cpu:.1f} s; chose K = {found['chosen_k']}, LRT data sets "
                       f"{found['resamples']}"))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer-python", help="python of the venv with seminrextras")
    parser.add_argument("--rows", type=int, default=5000)
    args = parser.parse_args()
    print_rows(latent_figures(args.peer_python, args.rows), "seminrExtras")


if __name__ == "__main__":
    main()
