"""Shared machinery of the synthetic-survey generators (``generate_*_synthetic.py``).

A population is a recursive linear model of standardized latent variables,
``eta_j = sum_i beta_ij * eta_i + zeta_j``, whose exogenous latents are standard normal
with given correlations and whose disturbances are independent normals of variance
``1 - R2_j``, so every latent has variance 1 and the planted ``beta`` are standardized
path coefficients. Every item is reflective, ``z = loading * eta + e`` with noise variance
``1 - loading**2`` (so ``z`` is standard normal), and becomes an answer by the monotone rule

    answer = clip(rint(CENTRE + shift + SPREAD * z), MIN, MAX)

(``numpy.rint``: halves round to even). Positive shifts put item means in the upper half of
the scale and the clipping at MAX piles answers up at the top, as in real satisfaction
surveys. Only numpy and the standard library are used; a seeded ``numpy.random.Generator``
draws, in this order, one standard normal vector per latent (in causal order), then one
noise vector per item (in block order), so the same seed always gives the same answers.
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

CENTRE = 5.5
SPREAD = 1.8
SCALE_MIN, SCALE_MAX = 1, 10


@dataclass(frozen=True)
class Population:
    """Latents in causal order (exogenous ones first), planted standardized paths
    ``(from, to) -> beta``, blocks ``latent -> item -> (loading, shift)`` in questionnaire
    order, and the correlations of the exogenous latents (``(a, b) -> r``, 0 if absent)."""

    latents: tuple[str, ...]
    paths: dict[tuple[str, str], float]
    blocks: dict[str, dict[str, tuple[float, float]]]
    exogenous_correlations: dict[tuple[str, str], float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        targets = {dst for _, dst in self.paths}
        exogenous = [name for name in self.latents if name not in targets]
        if list(self.latents[: len(exogenous)]) != exogenous:
            raise ValueError("exogenous latents must come first in `latents`")
        for src, dst in self.paths:
            if self.latents.index(src) >= self.latents.index(dst):
                raise ValueError(f"path {src} -> {dst} runs against the causal order")
        if set(self.blocks) != set(self.latents):
            raise ValueError("every latent needs exactly one block of items")

    @property
    def n_exogenous(self) -> int:
        targets = {dst for _, dst in self.paths}
        return sum(name not in targets for name in self.latents)

    @property
    def items(self) -> list[str]:
        return [item for block in self.blocks.values() for item in block]

    def beta_matrix(self) -> np.ndarray:
        """B[i, j] = path coefficient from latent i to latent j."""
        k = len(self.latents)
        b = np.zeros((k, k))
        for (src, dst), coef in self.paths.items():
            b[self.latents.index(src), self.latents.index(dst)] = coef
        return b

    def exogenous_matrix(self) -> np.ndarray:
        """Correlation matrix of the exogenous latents."""
        m = self.n_exogenous
        phi = np.eye(m)
        for (a, b), r in self.exogenous_correlations.items():
            i, j = self.latents.index(a), self.latents.index(b)
            if max(i, j) >= m:
                raise ValueError(f"correlation {a} ~~ {b}: both latents must be exogenous")
            phi[i, j] = phi[j, i] = r
        return phi

    def implied_correlations(self) -> tuple[np.ndarray, np.ndarray]:
        """Population correlation matrix of the latents and each latent's R^2.

        Works through the endogenous latents in causal order: the R^2 of latent j is
        b' Sigma b over the earlier latents, and its covariances with them are
        Sigma[:j, :j] @ b (the disturbance is independent of them).
        """
        b = self.beta_matrix()
        k, m = len(self.latents), self.n_exogenous
        sigma = np.eye(k)
        sigma[:m, :m] = self.exogenous_matrix()
        r2 = np.zeros(k)
        for j in range(m, k):
            bj = b[:j, j]
            r2[j] = bj @ sigma[:j, :j] @ bj
            cov = sigma[:j, :j] @ bj
            sigma[:j, j] = sigma[j, :j] = cov
        if np.any(r2 >= 1):
            raise ValueError("path coefficients imply R^2 >= 1; no valid disturbance variance")
        return sigma, r2

    def simulate_latents(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """n draws of the latents (n x k), in the order of `latents`."""
        b = self.beta_matrix()
        _, r2 = self.implied_correlations()
        k, m = len(self.latents), self.n_exogenous
        eta = np.zeros((n, k))
        for j in range(m):
            eta[:, j] = rng.standard_normal(n)
        eta[:, :m] = eta[:, :m] @ np.linalg.cholesky(self.exogenous_matrix()).T
        for j in range(m, k):
            zeta = rng.standard_normal(n) * np.sqrt(1.0 - r2[j])
            eta[:, j] = eta[:, :j] @ b[:j, j] + zeta
        return eta

    def simulate_answers(self, rng: np.random.Generator, eta: np.ndarray) -> dict[str, np.ndarray]:
        """Each item's integer answers on SCALE_MIN..SCALE_MAX, in block order."""
        n = eta.shape[0]
        answers = {}
        for latent, block in self.blocks.items():
            j = self.latents.index(latent)
            for item, (lam, shift) in block.items():
                z = lam * eta[:, j] + np.sqrt(1.0 - lam**2) * rng.standard_normal(n)
                raw = CENTRE + shift + SPREAD * z
                answers[item] = np.clip(np.rint(raw), SCALE_MIN, SCALE_MAX).astype(int)
        return answers


def respondent_ids(prefix: str, n: int) -> list[str]:
    """`R0001`, `R0002`, ...: at least four digits, more when n needs them."""
    width = max(4, len(str(n)))
    return [f"{prefix}{i + 1:0{width}d}" for i in range(n)]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    """Write the survey as UTF-8 CSV with LF line ends, atomically (temp file + rename)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def main(simulate: Callable[[int, int], tuple[list[str], list[list[str]]]], description: str,
         seed: int, n_default: int, out_default: Path, argv: list[str] | None = None) -> None:
    """The generators' command line: --seed, --n, --out; writes simulate(n, seed)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--seed", type=int, default=seed, help=f"random seed (default {seed})")
    parser.add_argument("--n", type=int, default=n_default,
                        help=f"respondents (default {n_default})")
    parser.add_argument("--out", type=Path, default=out_default,
                        help=f"output CSV (default: {out_default.name} next to this script)")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be at least 1")
    header, rows = simulate(args.n, args.seed)
    write_csv(args.out, header, rows)
