"""Sample moments of the indicators: the sufficient statistics of PLS path modeling."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Moments:
    """Means, standard deviations (n - 1) and covariance matrix of the indicator columns."""

    n: int
    mean: np.ndarray  # (p,)
    sd: np.ndarray  # (p,)
    cov: np.ndarray  # (p, p)

    @property
    def cor(self) -> np.ndarray:
        return self.cov / np.outer(self.sd, self.sd)


def weighted_moments(data: np.ndarray, weights: np.ndarray) -> Moments:
    """Moments under survey weights normalised to mean 1: mean = sum(w x) / sum(w),
    cov = sum(w (x - m)(x - m)') / (sum(w) - 1), the frequency-weight convention, which
    equals `moments` of the data with each row repeated w times for integer weights."""
    weights = weights / weights.mean()
    total = weights.sum()
    mean = weights @ data / total
    cross = np.zeros((data.shape[1], data.shape[1]))
    for start in range(0, data.shape[0], 65536):
        chunk = data[start : start + 65536] - mean
        cross += (chunk * weights[start : start + 65536, None]).T @ chunk
    cov = cross / (total - 1)
    cov = (cov + cov.T) / 2
    sd = np.sqrt(np.clip(np.diagonal(cov), 0.0, None))
    return Moments(n=data.shape[0], mean=mean, sd=sd, cov=cov)


def from_estimates(n: int, mean: np.ndarray, cov: np.ndarray) -> Moments:
    """Moments given directly, e.g. by EM under missing data."""
    sd = np.sqrt(np.clip(np.diagonal(cov), 0.0, None))
    return Moments(n=n, mean=np.asarray(mean, float), sd=sd, cov=np.asarray(cov, float))


def moments(data: np.ndarray) -> Moments:
    """Moments of an (n, p) float matrix in one pass, without a centred copy of the data.

    cov = (X'X - n m m') / (n - 1), accumulated in float64 over row chunks so the memory
    used beyond the data is O(p^2) whatever n is. The mean is subtracted from a shifted
    origin (the first row) first, to keep the cross-product numerically stable.
    """
    n, p = data.shape
    origin = data[0].astype(float)
    total = np.zeros(p)
    cross = np.zeros((p, p))
    for start in range(0, n, 65536):
        chunk = data[start : start + 65536] - origin
        total += chunk.sum(axis=0)
        cross += chunk.T @ chunk
    shifted_mean = total / n
    cov = (cross - n * np.outer(shifted_mean, shifted_mean)) / (n - 1)
    cov = (cov + cov.T) / 2
    sd = np.sqrt(np.clip(np.diagonal(cov), 0.0, None))
    return Moments(n=n, mean=shifted_mean + origin, sd=sd, cov=cov)
