#!/usr/bin/env python3
"""Generate ``ncsb_synthetic.csv``: a synthetic survey for the Norwegian Customer Satisfaction
Barometer model (``models/ncsb.lav``, Johnson, Gustafsson, Andreassen, Lervik & Cha 2001).

Simulated from a known population model, so estimates of the planted paths can be checked
(``tests/test_builtin_models.py`` does). Only numpy and the standard library are used; the
same ``--seed`` and ``--n`` always give a byte-identical file:

    python surveys/generate_ncsb_synthetic.py            # rewrites surveys/ncsb_synthetic.csv
    csi fit surveys/ncsb_synthetic.csv --model ncsb --scale 1:10

Population model
----------------
Twelve standardized latent variables follow ``eta_j = sum_i beta_ij * eta_i + zeta_j``
(``synthetic.Population``). The seven exogenous ones (the five service-quality dimensions,
Price and Handling) are correlated (``EXOGENOUS_CORRELATIONS``): 0.50 between quality
dimensions, 0.30 between a quality dimension and Price, 0.35 between a quality dimension and
Handling, 0.20 between Price and Handling. Disturbances are independent with variance
``1 - R2_j``. The planted standardized paths (``PATHS``):

    Tangibles      -> Satisfaction  0.05      Satisfaction -> Image        0.60
    Reliability    -> Satisfaction  0.30      Satisfaction -> Affective    0.55
    Responsiveness -> Satisfaction  0.15      Satisfaction -> Calculative  0.25
    Assurance      -> Satisfaction  0.10      Image        -> Loyalty      0.20
    Empathy        -> Satisfaction  0.15      Affective    -> Loyalty      0.30
    Price          -> Satisfaction  0.25      Calculative  -> Loyalty      0.15
    Handling       -> Satisfaction  0.05      Price        -> Loyalty      0.10
                                              Handling     -> Loyalty      0.05
                                              Satisfaction -> Loyalty      0.20

In the spirit of Johnson et al. (2001): reliability is the strongest quality dimension,
tangibles and complaint handling matter little, price acts on satisfaction and directly on
loyalty, and affective commitment carries more of satisfaction's effect on loyalty than
calculative commitment. Implied R^2: Satisfaction 0.5637, Image 0.3600, Affective 0.3025,
Calculative 0.0625, Loyalty 0.4666.

Items (``POPULATION.blocks``: loading, shift): every item is ``z = loading * eta + e``,
standard normal, answered on 1..10 by ``clip(rint(5.5 + shift + 1.8 * z), 1, 10)``
(``synthetic.py``). Loadings 0.75-0.90; shifts put the quality, satisfaction, image and
loyalty items at means of about 6.5-7.5 (piled up at 10), price, complaint handling and
affective commitment lower (about 5.8-6.5) and calculative commitment lowest (about 5).

Columns, in order: ``respondent_id`` (N0001, ...), ``industry`` (Airlines, Banks, Bus
transport or Gas stations, drawn independently of everything else: a null segment column),
then the items in the block order of models/ncsb.lav. Random draws happen in a fixed order
(industry, latents, item noise) from ``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from synthetic import Population, main, respondent_ids

SEED = 20261203
N_DEFAULT = 1000
OUT_DEFAULT = Path(__file__).resolve().parent / "ncsb_synthetic.csv"

QUALITY = ("Tangibles", "Reliability", "Responsiveness", "Assurance", "Empathy")
EXOGENOUS_CORRELATIONS = {
    **{(a, b): 0.50 for i, a in enumerate(QUALITY) for b in QUALITY[i + 1:]},
    **{(a, "Price"): 0.30 for a in QUALITY},
    **{(a, "Handling"): 0.35 for a in QUALITY},
    ("Price", "Handling"): 0.20,
}
POPULATION = Population(
    latents=(*QUALITY, "Price", "Handling", "Satisfaction", "Image", "Affective",
             "Calculative", "Loyalty"),
    paths={
        ("Tangibles", "Satisfaction"): 0.05,
        ("Reliability", "Satisfaction"): 0.30,
        ("Responsiveness", "Satisfaction"): 0.15,
        ("Assurance", "Satisfaction"): 0.10,
        ("Empathy", "Satisfaction"): 0.15,
        ("Price", "Satisfaction"): 0.25,
        ("Handling", "Satisfaction"): 0.05,
        ("Satisfaction", "Image"): 0.60,
        ("Satisfaction", "Affective"): 0.55,
        ("Satisfaction", "Calculative"): 0.25,
        ("Image", "Loyalty"): 0.20,
        ("Affective", "Loyalty"): 0.30,
        ("Calculative", "Loyalty"): 0.15,
        ("Price", "Loyalty"): 0.10,
        ("Handling", "Loyalty"): 0.05,
        ("Satisfaction", "Loyalty"): 0.20,
    },
    blocks={
        "Tangibles": {"TANG1": (0.80, 2.0), "TANG2": (0.75, 1.6)},
        "Reliability": {"RELI1": (0.85, 1.7), "RELI2": (0.82, 1.3)},
        "Responsiveness": {"RESP1": (0.83, 1.2), "RESP2": (0.80, 1.0)},
        "Assurance": {"ASSU1": (0.80, 1.8), "ASSU2": (0.78, 1.5)},
        "Empathy": {"EMPA1": (0.82, 1.0), "EMPA2": (0.80, 0.8)},
        "Price": {"PRIC1": (0.82, 0.4), "PRIC2": (0.78, 0.2), "PRIC3": (0.85, 0.6)},
        "Handling": {"COMH1": (0.85, 0.5), "COMH2": (0.80, 0.3)},
        "Satisfaction": {"CUSA1": (0.90, 1.6), "CUSA2": (0.85, 1.2), "CUSA3": (0.80, 0.7)},
        "Image": {"IMAG1": (0.85, 1.6), "IMAG2": (0.82, 1.8), "IMAG3": (0.75, 1.0)},
        "Affective": {"AFFC1": (0.85, 1.0), "AFFC2": (0.80, 0.6)},
        "Calculative": {"CALC1": (0.80, -0.3), "CALC2": (0.75, -0.6)},
        "Loyalty": {"CUSL1": (0.88, 1.7), "CUSL2": (0.80, 1.2)},
    },
    exogenous_correlations=EXOGENOUS_CORRELATIONS,
)
PATHS = POPULATION.paths
ITEMS = POPULATION.items
INDUSTRIES = ["Airlines", "Banks", "Bus transport", "Gas stations"]


def simulate(n: int, seed: int) -> tuple[list[str], list[list[str]]]:
    """Return the header and the formatted rows of the synthetic survey."""
    rng = np.random.default_rng(seed)
    industry = rng.integers(0, len(INDUSTRIES), size=n)
    answers = POPULATION.simulate_answers(rng, POPULATION.simulate_latents(rng, n))
    ids = respondent_ids("N", n)
    header = ["respondent_id", "industry", *ITEMS]
    rows = [[ids[i], INDUSTRIES[industry[i]], *(str(answers[it][i]) for it in ITEMS)]
            for i in range(n)]
    return header, rows


if __name__ == "__main__":
    main(simulate, "Simulate an NCSB-shaped survey on a 1-10 scale.", SEED, N_DEFAULT,
         OUT_DEFAULT)
