#!/usr/bin/env python3
"""Generate ``chinese_example.csv``: a small synthetic ACSI survey with Chinese labels.

The example shows csi's reports in Chinese: the survey has the item names of
``models/acsi.lav`` (so ``--model acsi`` fits it), its ``city`` column holds Chinese
city names, and ``chinese_labels.csv`` (written by this script too) gives every construct
and question a Chinese label for ``csi report --labels``:

    python surveys/generate_chinese_example.py           # rewrites both files in surveys/
    csi fit surveys/chinese_example.csv --model acsi --scale 1:10 --bootstrap 200 \\
        --format json -o results.json
    csi report results.json --labels surveys/chinese_labels.csv -o report.pdf

Only numpy and the standard library are used; the same ``--seed`` and ``--n`` always give a
byte-identical file (the default seed is 20260915 and n = 300).

Population model
----------------
Six standardized latent variables follow a recursive linear model
``eta_j = sum_i beta_ij * eta_i + zeta_j`` with independent normal disturbances of
variance ``1 - R2_j``. The true standardized paths (``PATHS``) make perceived value a
strong driver, as in price-sensitive markets:

    Expectation  -> Quality       0.50
    Expectation  -> Value         0.20
    Quality      -> Value         0.45
    Expectation  -> Satisfaction  0.10
    Quality      -> Satisfaction  0.45
    Value        -> Satisfaction  0.35
    Satisfaction -> Complaints    0.40
    Satisfaction -> Loyalty       0.60
    Complaints   -> Loyalty       0.10

Every indicator is reflective, ``z = loading * eta + e`` with noise variance
``1 - loading**2`` (loadings 0.72-0.90, ``BLOCKS``), and becomes a 1-10 answer by
``clip(rint(5.5 + shift + 1.8 * z), 1, 10)``. The shifts put the value items lowest (mean
about 6) and the quality items highest (about 7.5): Quality matters most and Value performs
worst, so both lead the priorities.

Columns, in order: ``respondent_id`` (C001...), ``city`` (北京, 上海, 广州 or 成都, drawn
independently of everything else), then the items in the block order of models/acsi.lav.
Random draws happen in a fixed order (city, latents, indicator noise) from
``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

SEED = 20260915
N_DEFAULT = 300
HERE = Path(__file__).resolve().parent
OUT_DEFAULT = HERE / "chinese_example.csv"
LABELS_DEFAULT = HERE / "chinese_labels.csv"

LATENTS = ["Expectation", "Quality", "Value", "Satisfaction", "Complaints", "Loyalty"]
PATHS = {
    ("Expectation", "Quality"): 0.50,
    ("Expectation", "Value"): 0.20,
    ("Quality", "Value"): 0.45,
    ("Expectation", "Satisfaction"): 0.10,
    ("Quality", "Satisfaction"): 0.45,
    ("Value", "Satisfaction"): 0.35,
    ("Satisfaction", "Complaints"): 0.40,
    ("Satisfaction", "Loyalty"): 0.60,
    ("Complaints", "Loyalty"): 0.10,
}
# latent -> item -> (loading, shift on the 1..10 scale, Chinese question text)
BLOCKS = {
    "Expectation": {
        "CUEX1": (0.78, 1.6, "购买前对整体质量的预期"),
        "CUEX2": (0.80, 1.4, "购买前对满足个人需求程度的预期"),
        "CUEX3": (0.72, 1.1, "购买前对出现问题频率的预期"),
    },
    "Quality": {
        "PERQ1": (0.88, 2.0, "整体质量评价"),
        "PERQ2": (0.82, 1.2, "网络覆盖与信号质量"),
        "PERQ3": (0.85, 1.8, "客户服务与咨询质量"),
    },
    "Value": {
        "PERV1": (0.90, 0.4, "相对于质量，价格是否合理"),
        "PERV2": (0.86, 0.7, "相对于价格，质量是否满意"),
    },
    "Satisfaction": {
        "CUSA1": (0.90, 1.7, "总体满意度"),
        "CUSA2": (0.85, 1.3, "与购买前预期相比的满意程度"),
        "CUSA3": (0.80, 0.9, "与理想的服务商相比"),
    },
    "Complaints": {"CUSCO": (0.85, 1.0, "对投诉处理的满意程度")},
    "Loyalty": {
        "CUSL1": (0.88, 1.8, "再次选择该服务商的可能性"),
        "CUSL2": (0.76, 1.2, "向亲友推荐该服务商的可能性"),
    },
}
CONSTRUCT_LABELS = {
    "Expectation": "顾客预期",
    "Quality": "感知质量",
    "Value": "感知价值",
    "Satisfaction": "顾客满意度",
    "Complaints": "投诉处理",
    "Loyalty": "顾客忠诚",
}
ITEMS = [item for block in BLOCKS.values() for item in block]
CITIES = ["北京", "上海", "广州", "成都"]
SCALE_CENTRE, SCALE_SPREAD, SCALE_MIN, SCALE_MAX = 5.5, 1.8, 1, 10


def beta_matrix() -> np.ndarray:
    """B[i, j] = path coefficient from latent i to latent j."""
    b = np.zeros((len(LATENTS), len(LATENTS)))
    for (src, dst), coef in PATHS.items():
        b[LATENTS.index(src), LATENTS.index(dst)] = coef
    return b


def r_squared() -> np.ndarray:
    """Each latent's population R² (latents in causal order, all with variance 1)."""
    b = beta_matrix()
    k = len(LATENTS)
    sigma = np.eye(k)
    r2 = np.zeros(k)
    for j in range(1, k):
        bj = b[:j, j]
        r2[j] = bj @ sigma[:j, :j] @ bj
        sigma[:j, j] = sigma[j, :j] = sigma[:j, :j] @ bj
    if np.any(r2 >= 1):
        raise ValueError("path coefficients imply R^2 >= 1")
    return r2


def simulate(n: int, seed: int) -> tuple[list[str], list[list[str]]]:
    """The header and formatted rows of the survey."""
    rng = np.random.default_rng(seed)
    b, r2 = beta_matrix(), r_squared()
    city = rng.integers(0, len(CITIES), size=n)
    eta = np.zeros((n, len(LATENTS)))
    for j in range(len(LATENTS)):
        eta[:, j] = eta[:, :j] @ b[:j, j] + rng.standard_normal(n) * np.sqrt(1.0 - r2[j])
    answers = {}
    for latent, block in BLOCKS.items():
        j = LATENTS.index(latent)
        for item, (loading, shift, _) in block.items():
            z = loading * eta[:, j] + np.sqrt(1.0 - loading**2) * rng.standard_normal(n)
            raw = SCALE_CENTRE + shift + SCALE_SPREAD * z
            answers[item] = np.clip(np.rint(raw), SCALE_MIN, SCALE_MAX).astype(int)
    width = max(3, len(str(n)))
    header = ["respondent_id", "city", *ITEMS]
    rows = [[f"C{i + 1:0{width}d}", CITIES[city[i]], *(str(answers[it][i]) for it in ITEMS)]
            for i in range(n)]
    return header, rows


def labels() -> list[list[str]]:
    """name,label rows: the constructs, then the questions."""
    rows = [[name, text] for name, text in CONSTRUCT_LABELS.items()]
    rows += [[item, text] for block in BLOCKS.values() for item, (_, _, text) in block.items()]
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Simulate a small ACSI survey with Chinese "
                                                 "labels (1-10 scale).")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    parser.add_argument("--n", type=int, default=N_DEFAULT,
                        help=f"respondents (default {N_DEFAULT})")
    parser.add_argument("--out", type=Path, default=OUT_DEFAULT, help="the survey CSV")
    parser.add_argument("--labels", type=Path, default=LABELS_DEFAULT, help="the labels CSV")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be at least 1")
    header, rows = simulate(args.n, args.seed)
    with open(args.out, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    with open(args.labels, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["name", "label"])
        writer.writerows(labels())


if __name__ == "__main__":
    main()
