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
``Population.implied_correlations`` (synthetic.py):

    Quality       R2 = 0.3025   disturbance variance 0.6975
    Value         R2 = 0.3550   disturbance variance 0.6450
    Satisfaction  R2 = 0.6169   disturbance variance 0.3831
    Complaints    R2 = 0.2025   disturbance variance 0.7975
    Loyalty       R2 = 0.3993   disturbance variance 0.6007

Measurement model
-----------------
Every indicator is reflective: ``z = loading * eta + e`` with independent
normal noise of variance ``1 - loading**2``, so each ``z`` is standard normal.
Loadings (``POPULATION.blocks`` below):

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

(``numpy.rint``: halves round to even).  The item shifts (``POPULATION.blocks``)
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
``numpy.random.default_rng(seed)``.  The population model, the answer rule and
the command line are shared with the other generators (``synthetic.py``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from synthetic import Population, main, respondent_ids

SEED = 20261128
N_DEFAULT = 600
OUT_DEFAULT = Path(__file__).resolve().parent / "acsi_synthetic.csv"

POPULATION = Population(
    # Latent variables in causal (topological) order.
    latents=("Expectation", "Quality", "Value", "Satisfaction", "Complaints", "Loyalty"),
    # True standardized path coefficients: (from, to) -> beta.
    paths={
        ("Expectation", "Quality"): 0.55,
        ("Expectation", "Value"): 0.15,
        ("Quality", "Value"): 0.50,
        ("Expectation", "Satisfaction"): 0.10,
        ("Quality", "Satisfaction"): 0.55,
        ("Value", "Satisfaction"): 0.25,
        ("Satisfaction", "Complaints"): 0.45,
        ("Satisfaction", "Loyalty"): 0.55,
        ("Complaints", "Loyalty"): 0.15,
    },
    # Blocks in the order of models/acsi.lav; item -> (loading, mean shift on the 1..10 scale).
    blocks={
        "Expectation": {"CUEX1": (0.75, 2.0), "CUEX2": (0.80, 1.6), "CUEX3": (0.70, 1.4)},
        "Quality": {"PERQ1": (0.88, 2.1), "PERQ2": (0.82, 1.0), "PERQ3": (0.85, 1.6)},
        "Value": {"PERV1": (0.90, 0.7), "PERV2": (0.86, 1.1)},
        "Satisfaction": {"CUSA1": (0.90, 1.9), "CUSA2": (0.85, 1.5), "CUSA3": (0.80, 1.0)},
        "Complaints": {"CUSCO": (0.85, 1.3)},
        "Loyalty": {"CUSL1": (0.88, 2.0), "CUSL2": (0.75, 0.7)},
    },
)
PATHS = POPULATION.paths
ITEMS = POPULATION.items

STORES = ["Downtown", "Riverside", "Airport", "Westfield"]
WEIGHT_SIGMA = 0.4


def simulate(n: int, seed: int) -> tuple[list[str], list[list[str]]]:
    """Return the header and the formatted rows of the synthetic survey."""
    rng = np.random.default_rng(seed)
    store = rng.integers(0, len(STORES), size=n)
    eta = POPULATION.simulate_latents(rng, n)
    answers = POPULATION.simulate_answers(rng, eta)
    wt = rng.lognormal(mean=0.0, sigma=WEIGHT_SIGMA, size=n)
    wt = wt / wt.mean()

    ids = respondent_ids("R", n)
    header = ["respondent_id", "store", "wt", *ITEMS]
    rows = [
        [ids[i], STORES[store[i]], f"{wt[i]:.4f}", *(str(answers[it][i]) for it in ITEMS)]
        for i in range(n)
    ]
    return header, rows


if __name__ == "__main__":
    main(simulate, "Simulate an ACSI-shaped survey on a 1-10 scale.", SEED, N_DEFAULT, OUT_DEFAULT)
