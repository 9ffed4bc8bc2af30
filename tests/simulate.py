"""Populations with known parameters, for simulation tests.

A recursive structural model of standardized latent variables, reflective blocks
x = lambda * eta + e with var(x) = 1, then items shifted and scaled onto an answer scale.
The population covariance is exact, so the population PLS values are obtained by running the
estimator on it (PLS is a continuous function of the item moments).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Population:
    constructs: tuple[str, ...]  # in causal order
    loadings: dict[str, tuple[float, ...]]
    paths: dict[str, dict[str, float]]  # target -> {source: coefficient}
    exogenous_cor: float = 0.4
    item_mean: dict[str, float] | None = None  # per construct: the items' mean answer
    item_sd: float = 1.5

    @property
    def items(self) -> list[str]:
        return [f"{c}{i + 1}" for c in self.constructs for i in range(len(self.loadings[c]))]

    def model_text(self) -> str:
        lines = [f"{c} =~ " + " + ".join(f"{c}{i + 1}" for i in range(len(self.loadings[c])))
                 for c in self.constructs]
        lines += [f"{t} ~ " + " + ".join(sources) for t, sources in self.paths.items()]
        return "\n".join(lines)

    def latent_cov(self) -> np.ndarray:
        k = len(self.constructs)
        position = {c: i for i, c in enumerate(self.constructs)}
        phi = np.eye(k)
        exogenous = [c for c in self.constructs if c not in self.paths]
        for a in exogenous:
            for b in exogenous:
                if a != b:
                    phi[position[a], position[b]] = self.exogenous_cor
        for target in self.constructs:
            if target not in self.paths:
                continue
            j = position[target]
            beta = np.zeros(k)
            for source, coef in self.paths[target].items():
                beta[position[source]] = coef
            explained = beta @ phi @ beta
            assert explained < 1, f"R2 of {target} must be below 1"
            phi[j, :] = beta @ phi
            phi[:, j] = phi[j, :]
            phi[j, j] = 1.0
        return phi

    def item_cov(self) -> np.ndarray:
        phi = self.latent_cov()
        lam = np.zeros((len(self.items), len(self.constructs)))
        row = 0
        for k, c in enumerate(self.constructs):
            for value in self.loadings[c]:
                lam[row, k] = value
                row += 1
        sigma = lam @ phi @ lam.T
        np.fill_diagonal(sigma, 1.0)
        return sigma

    def means(self) -> np.ndarray:
        means = self.item_mean or {}
        return np.array([means.get(c, 7.0) for c in self.constructs
                         for _ in self.loadings[c]])

    def sample(self, rng: np.random.Generator, n: int) -> pd.DataFrame:
        z = rng.multivariate_normal(np.zeros(len(self.items)), self.item_cov(), size=n,
                                    method="cholesky")
        return pd.DataFrame(self.means() + self.item_sd * z, columns=self.items)


def kano_sample(rng: np.random.Generator, n: int, shapes: dict[str, tuple[float, float]],
                noise: float = 6.0) -> pd.DataFrame:
    """A survey whose drivers act on satisfaction piecewise-linearly around 50 on 0-100.

    shapes: driver -> (slope below 50, slope above 50) of the true structural effect. Each
    driver's true score is N(55, 15) clipped to 5..95; each of its three items adds N(0, 8)
    noise; answers are on a continuous 1..10 scale (x = 1 + 9 * score / 100, clipped).
    """
    columns, satisfaction = {}, np.full(n, 20.0)
    for name, (low, high) in shapes.items():
        latent = np.clip(rng.normal(55, 15, n), 5, 95)
        satisfaction += low * np.minimum(latent - 50, 0) + high * np.maximum(latent - 50, 0)
        for i in range(3):
            columns[f"{name}{i + 1}"] = latent + rng.normal(0, 8, n)
    satisfaction += 30 + rng.normal(0, noise, n)
    for i in range(3):
        columns[f"SAT{i + 1}"] = satisfaction + rng.normal(0, 8, n)
    frame = pd.DataFrame(columns)
    return (1 + 9 * frame / 100).clip(1, 10)


def kano_model(shapes: dict[str, tuple[float, float]]) -> str:
    lines = [f"{name} =~ {name}1 + {name}2 + {name}3" for name in shapes]
    lines += ["SAT =~ SAT1 + SAT2 + SAT3", "SAT ~ " + " + ".join(shapes), "# @target SAT"]
    return "\n".join(lines)
