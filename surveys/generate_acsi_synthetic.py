#!/usr/bin/env python3
"""Generate ``acsi_synthetic.csv``: a synthetic ACSI-shaped customer survey.

The data are simulated from a known population model so that estimates made by
``csi`` (PLS path modeling with ``models/acsi.lav``) can be compared with the
true values.  Only numpy and the standard library are used, and the output is
reproducible byte for byte: the same ``--seed`` and ``--n`` always give the
same file.

    python surveys/generate_acsi_synthetic.py            # rewrites surveys/acsi_synthetic.csv
    python surveys/generate_acsi_synthetic.py --seed 7 --n 2000 --out /tmp/x.csv

Population structural model
---------------------------
Six standardized latent variables (mean 0, variance 1) follow a recursive
linear model ``eta_j = sum_i beta_ij * eta_i + zeta_j``.  Expectation is
exogenous (standard normal); every disturbance ``zeta_j`` is normal and
independent, with variance ``1 - R2_j`` so that each latent has variance 1.
The true standardized path coefficients are:

    Expectation  -> Quality       0.55
    Expectation  -> Value         0.15
    Quality      -> Value         0.50
    Expectation  -> Satisfaction  0.10
    Quality      -> Satisfaction  0.55
    Value        -> Satisfaction  0.25
    Satisfaction -> Complaints    0.45
    Satisfaction -> Loyalty       0.55
    Complaints   -> Loyalty       0.15

Quality is the strongest driver of Satisfaction and Expectation's direct effect
is small, as is typical of published ACSI results.  The item CUSCO follows the
ECSI questionnaire of ``mobi.csv`` (rating of how complaints are handled, high
= good), so the Complaints paths are positive here.

Implied R^2 (and so disturbance variances 1 - R^2), computed by
``implied_correlations``:

    Quality       R2 = 0.3025   disturbance variance 0.6975
    Value         R2 = 0.3550   disturbance variance 0.6450
    Satisfaction  R2 = 0.6169   disturbance variance 0.3831
    Complaints    R2 = 0.2025   disturbance variance 0.7975
    Loyalty       R2 = 0.3993   disturbance variance 0.6007

Measurement model
-----------------
Every indicator is reflective: ``z = loading * eta + e`` with independent
normal noise of variance ``1 - loading**2``, so each ``z`` is standard normal.
Loadings (``LOADINGS`` below):

    CUEX1 0.75  CUEX2 0.80  CUEX3 0.70      Expectation
    PERQ1 0.88  PERQ2 0.82  PERQ3 0.85      Quality
    PERV1 0.90  PERV2 0.86                  Value
    CUSA1 0.90  CUSA2 0.85  CUSA3 0.80      Satisfaction
    CUSCO 0.85                              Complaints (single item, noisy)
    CUSL1 0.88  CUSL2 0.75                  Loyalty

Answer scale
------------
Each ``z`` is mapped to a 1..10 integer answer by the monotone rule

    answer = clip(round(5.5 + SHIFT[item] + 1.8 * z), 1, 10)

(``numpy.rint``: halves round to even).  The item shifts (``SHIFTS`` below)
put item centres at 6.2..7.6, so mean performance is about 6.5-7.5 and the
three quality items differ (PERQ1 high, PERQ2 weak).  Clipping at 10 pulls the
observed means a little below the centres.

Other columns
-------------
``respondent_id``  R0001, R0002, ...
``store``          one of four store names, drawn independently of everything
                   else (no true store differences: a null segment column).
``wt``             survey weight, lognormal(0, 0.4) normalised to mean 1,
                   written with 4 decimals.

Columns are written in the order respondent_id, store, wt, then the items in
block order of ``models/acsi.lav``.  Random draws happen in a fixed order
(store, latents, indicator noise, weights) from
``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

SEED = 20261128
N_DEFAULT = 600
OUT_DEFAULT = Path(__file__).resolve().parent / "acsi_synthetic.csv"

# Latent variables in causal (topological) order.
LATENTS = ["Expectation", "Quality", "Value", "Satisfaction", "Complaints", "Loyalty"]

# True standardized path coefficients: (from, to) -> beta.
PATHS = {
    ("Expectation", "Quality"): 0.55,
    ("Expectation", "Value"): 0.15,
    ("Quality", "Value"): 0.50,
    ("Expectation", "Satisfaction"): 0.10,
    ("Quality", "Satisfaction"): 0.55,
    ("Value", "Satisfaction"): 0.25,
    ("Satisfaction", "Complaints"): 0.45,
    ("Satisfaction", "Loyalty"): 0.55,
    ("Complaints", "Loyalty"): 0.15,
}

# Blocks in the order of models/acsi.lav; item -> (loading, mean shift on the 1..10 scale).
BLOCKS = {
    "Expectation": {"CUEX1": (0.75, 2.0), "CUEX2": (0.80, 1.6), "CUEX3": (0.70, 1.4)},
    "Quality": {"PERQ1": (0.88, 2.1), "PERQ2": (0.82, 1.0), "PERQ3": (0.85, 1.6)},
    "Value": {"PERV1": (0.90, 0.7), "PERV2": (0.86, 1.1)},
    "Satisfaction": {"CUSA1": (0.90, 1.9), "CUSA2": (0.85, 1.5), "CUSA3": (0.80, 1.0)},
    "Complaints": {"CUSCO": (0.85, 1.3)},
    "Loyalty": {"CUSL1": (0.88, 2.0), "CUSL2": (0.75, 0.7)},
}
LOADINGS = {item: lam for block in BLOCKS.values() for item, (lam, _) in block.items()}
SHIFTS = {item: s for block in BLOCKS.values() for item, (_, s) in block.items()}
ITEMS = list(LOADINGS)

SCALE_CENTRE = 5.5
SCALE_SPREAD = 1.8
SCALE_MIN, SCALE_MAX = 1, 10

STORES = ["Downtown", "Riverside", "Airport", "Westfield"]
WEIGHT_SIGMA = 0.4


def beta_matrix() -> np.ndarray:
    """B[i, j] = path coefficient from latent i to latent j."""
    k = len(LATENTS)
    b = np.zeros((k, k))
    for (src, dst), coef in PATHS.items():
        b[LATENTS.index(src), LATENTS.index(dst)] = coef
    return b


def implied_correlations() -> tuple[np.ndarray, np.ndarray]:
    """Population correlation matrix of the latents and each latent's R^2.

    Works through the latents in causal order: the R^2 of latent j is
    b' Sigma b over its predictors, and its covariances with earlier latents
    are Sigma[:j] @ b (the disturbance is independent of them).
    """
    b = beta_matrix()
    k = len(LATENTS)
    sigma = np.eye(k)
    r2 = np.zeros(k)
    for j in range(1, k):
        bj = b[:j, j]
        r2[j] = bj @ sigma[:j, :j] @ bj
        cov = sigma[:j, :j] @ bj
        sigma[:j, j] = sigma[j, :j] = cov
    if np.any(r2 >= 1):
        raise ValueError("path coefficients imply R^2 >= 1; no valid disturbance variance")
    return sigma, r2


def simulate(n: int, seed: int) -> tuple[list[str], list[list[str]]]:
    """Return the header and the formatted rows of the synthetic survey."""
    rng = np.random.default_rng(seed)
    b = beta_matrix()
    _, r2 = implied_correlations()

    store = rng.integers(0, len(STORES), size=n)

    eta = np.zeros((n, len(LATENTS)))
    for j in range(len(LATENTS)):
        zeta = rng.standard_normal(n) * np.sqrt(1.0 - r2[j])
        eta[:, j] = eta[:, :j] @ b[:j, j] + zeta

    answers = {}
    for latent, block in BLOCKS.items():
        j = LATENTS.index(latent)
        for item, (lam, shift) in block.items():
            z = lam * eta[:, j] + np.sqrt(1.0 - lam**2) * rng.standard_normal(n)
            raw = SCALE_CENTRE + shift + SCALE_SPREAD * z
            answers[item] = np.clip(np.rint(raw), SCALE_MIN, SCALE_MAX).astype(int)

    wt = rng.lognormal(mean=0.0, sigma=WEIGHT_SIGMA, size=n)
    wt = wt / wt.mean()

    width = max(4, len(str(n)))
    header = ["respondent_id", "store", "wt", *ITEMS]
    rows = [
        [f"R{i + 1:0{width}d}", STORES[store[i]], f"{wt[i]:.4f}", *(str(answers[it][i]) for it in ITEMS)]
        for i in range(n)
    ]
    return header, rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Simulate an ACSI-shaped survey on a 1-10 scale.")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    parser.add_argument("--n", type=int, default=N_DEFAULT, help=f"respondents (default {N_DEFAULT})")
    parser.add_argument("--out", type=Path, default=OUT_DEFAULT, help="output CSV (default: acsi_synthetic.csv next to this script)")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be at least 1")

    header, rows = simulate(args.n, args.seed)
    with open(args.out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


if __name__ == "__main__":
    main()
