#!/usr/bin/env python3
"""Generate ``scsb_synthetic.csv``: a synthetic survey for the Swedish Customer Satisfaction
Barometer model (``models/scsb.lav``, Fornell 1992).

Simulated from a known population model, so estimates of the planted paths can be checked
(``tests/test_builtin_models.py`` does). Only numpy and the standard library are used; the
same ``--seed`` and ``--n`` always give a byte-identical file:

    python surveys/generate_scsb_synthetic.py            # rewrites surveys/scsb_synthetic.csv
    csi fit surveys/scsb_synthetic.csv --model scsb --scale 1:10

Population model
----------------
Five standardized latent variables follow ``eta_j = sum_i beta_ij * eta_i + zeta_j``
(``synthetic.Population``): Expectation is exogenous, disturbances are independent with
variance ``1 - R2_j``. The planted standardized paths (``PATHS``):

    Expectation  -> Value         0.45
    Expectation  -> Satisfaction  0.20
    Value        -> Satisfaction  0.55
    Satisfaction -> Voice        -0.35
    Satisfaction -> Loyalty       0.60
    Voice        -> Loyalty       0.10

Perceived performance (value) is the main driver of satisfaction, as in Fornell (1992).
Voice measures complaining (high = complained more), so satisfaction lowers it; the small
positive Voice -> Loyalty is the case Fornell (1992) describes, where complaints handled
well keep the customer. Implied R^2: Value 0.2025, Satisfaction 0.4415, Voice 0.1225,
Loyalty 0.3280.

Items (``POPULATION.blocks``: loading, shift): every item is ``z = loading * eta + e``,
standard normal, answered on 1..10 by ``clip(rint(5.5 + shift + 1.8 * z), 1, 10)``
(``synthetic.py``). Loadings 0.75-0.90; shifts put the expectation, satisfaction and
loyalty items at means of about 6.5-7.5 (piled up at 10), the value items lower (about
6.2), and the voice items low (about 3.3 and 2.8, piled up at 1: most customers never
complain).

Columns, in order: ``respondent_id`` (S0001, ...), ``industry`` (Banking, Retail, Telecom or
Transport, drawn independently of everything else: a null segment column), then the items
in the block order of models/scsb.lav. Random draws happen in a fixed order (industry,
latents, item noise) from ``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from synthetic import Population, main, respondent_ids

SEED = 20261201
N_DEFAULT = 600
OUT_DEFAULT = Path(__file__).resolve().parent / "scsb_synthetic.csv"

POPULATION = Population(
    latents=("Expectation", "Value", "Satisfaction", "Voice", "Loyalty"),
    paths={
        ("Expectation", "Value"): 0.45,
        ("Expectation", "Satisfaction"): 0.20,
        ("Value", "Satisfaction"): 0.55,
        ("Satisfaction", "Voice"): -0.35,
        ("Satisfaction", "Loyalty"): 0.60,
        ("Voice", "Loyalty"): 0.10,
    },
    blocks={
        "Expectation": {"CUEX1": (0.80, 1.6), "CUEX2": (0.75, 1.2)},
        "Value": {"PERV1": (0.88, 0.6), "PERV2": (0.85, 0.9)},
        "Satisfaction": {"CUSA1": (0.90, 1.8), "CUSA2": (0.85, 1.4), "CUSA3": (0.80, 0.9)},
        "Voice": {"VOIC1": (0.85, -2.2), "VOIC2": (0.80, -2.7)},
        "Loyalty": {"CUSL1": (0.88, 1.9), "CUSL2": (0.75, 0.6)},
    },
)
PATHS = POPULATION.paths
ITEMS = POPULATION.items
INDUSTRIES = ["Banking", "Retail", "Telecom", "Transport"]


def simulate(n: int, seed: int) -> tuple[list[str], list[list[str]]]:
    """Return the header and the formatted rows of the synthetic survey."""
    rng = np.random.default_rng(seed)
    industry = rng.integers(0, len(INDUSTRIES), size=n)
    answers = POPULATION.simulate_answers(rng, POPULATION.simulate_latents(rng, n))
    ids = respondent_ids("S", n)
    header = ["respondent_id", "industry", *ITEMS]
    rows = [[ids[i], INDUSTRIES[industry[i]], *(str(answers[it][i]) for it in ITEMS)]
            for i in range(n)]
    return header, rows


if __name__ == "__main__":
    main(simulate, "Simulate an SCSB-shaped survey on a 1-10 scale.", SEED, N_DEFAULT,
         OUT_DEFAULT)
