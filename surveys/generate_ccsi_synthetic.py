#!/usr/bin/env python3
"""Generate ``ccsi_synthetic.csv``: a synthetic survey for the China Customer Satisfaction
Index model (``models/ccsi.lav``, 中国顾客满意指数).

Simulated from a known population model, so estimates of the planted paths can be checked
(``tests/test_builtin_models.py`` does). Only numpy and the standard library are used; the
same ``--seed`` and ``--n`` always give a byte-identical file:

    python surveys/generate_ccsi_synthetic.py            # rewrites surveys/ccsi_synthetic.csv
    csi fit surveys/ccsi_synthetic.csv --model ccsi --scale 1:10

The constructs carry their Chinese labels in the model file (品牌形象, 预期质量, 感知质量,
感知价值, 顾客满意度, 顾客忠诚), and so in every report of a fit.

Population model
----------------
Six standardized latent variables follow ``eta_j = sum_i beta_ij * eta_i + zeta_j``
(``synthetic.Population``): Image is exogenous, disturbances are independent with variance
``1 - R2_j``. The planted standardized paths (``PATHS``), the 11 of models/ccsi.lav:

    Image        -> Expectation   0.55
    Image        -> Quality       0.20
    Expectation  -> Quality       0.40
    Expectation  -> Value         0.15
    Quality      -> Value         0.50
    Image        -> Satisfaction  0.15
    Expectation  -> Satisfaction  0.05
    Quality      -> Satisfaction  0.40
    Value        -> Satisfaction  0.30
    Image        -> Loyalty       0.20
    Satisfaction -> Loyalty       0.55

Perceived quality leads, perceived value matters (a price-sensitive market), expected
quality acts mostly through perceived quality. Implied R^2: Expectation 0.3025, Quality
0.2880, Value 0.3490, Satisfaction 0.5309, Loyalty 0.4378.

Items (``POPULATION.blocks``: loading, shift): every item is ``z = loading * eta + e``,
standard normal, answered on 1..10 by ``clip(rint(5.5 + shift + 1.8 * z), 1, 10)``
(``synthetic.py``). Loadings 0.70-0.90; shifts put most items at means of about 6.5-7.5
(piled up at 10), the value items and the price-tolerance item CUSL3 lowest (about 6).

Columns, in order: ``respondent_id`` (C0001, ...), ``city`` (北京, 上海, 广州, 深圳 or 成都,
drawn independently of everything else: a null segment column), then the items in the
block order of models/ccsi.lav. Random draws happen in a fixed order (city, latents, item
noise) from ``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from synthetic import Population, main, respondent_ids

SEED = 20261202
N_DEFAULT = 800
OUT_DEFAULT = Path(__file__).resolve().parent / "ccsi_synthetic.csv"

POPULATION = Population(
    latents=("Image", "Expectation", "Quality", "Value", "Satisfaction", "Loyalty"),
    paths={
        ("Image", "Expectation"): 0.55,
        ("Image", "Quality"): 0.20,
        ("Expectation", "Quality"): 0.40,
        ("Expectation", "Value"): 0.15,
        ("Quality", "Value"): 0.50,
        ("Image", "Satisfaction"): 0.15,
        ("Expectation", "Satisfaction"): 0.05,
        ("Quality", "Satisfaction"): 0.40,
        ("Value", "Satisfaction"): 0.30,
        ("Image", "Loyalty"): 0.20,
        ("Satisfaction", "Loyalty"): 0.55,
    },
    blocks={
        "Image": {"IMAG1": (0.85, 1.8), "IMAG2": (0.78, 1.2), "IMAG3": (0.82, 1.5)},
        "Expectation": {"CUEX1": (0.80, 1.9), "CUEX2": (0.78, 1.5), "CUEX3": (0.72, 1.2)},
        "Quality": {"PERQ1": (0.88, 1.9), "PERQ2": (0.82, 1.2), "PERQ3": (0.85, 1.5)},
        "Value": {"PERV1": (0.88, 0.5), "PERV2": (0.85, 0.8)},
        "Satisfaction": {"CUSA1": (0.90, 1.7), "CUSA2": (0.85, 1.3), "CUSA3": (0.80, 0.8)},
        "Loyalty": {"CUSL1": (0.88, 1.8), "CUSL2": (0.82, 1.4), "CUSL3": (0.70, 0.4)},
    },
)
PATHS = POPULATION.paths
ITEMS = POPULATION.items
CITIES = ["北京", "上海", "广州", "深圳", "成都"]


def simulate(n: int, seed: int) -> tuple[list[str], list[list[str]]]:
    """Return the header and the formatted rows of the synthetic survey."""
    rng = np.random.default_rng(seed)
    city = rng.integers(0, len(CITIES), size=n)
    answers = POPULATION.simulate_answers(rng, POPULATION.simulate_latents(rng, n))
    ids = respondent_ids("C", n)
    header = ["respondent_id", "city", *ITEMS]
    rows = [[ids[i], CITIES[city[i]], *(str(answers[it][i]) for it in ITEMS)]
            for i in range(n)]
    return header, rows


if __name__ == "__main__":
    main(simulate, "Simulate a CCSI-shaped survey on a 1-10 scale.", SEED, N_DEFAULT,
         OUT_DEFAULT)
