"""Confidence intervals and tests from a bootstrap distribution: SE, t, p, percentile and
BCa intervals (Efron & Tibshirani 1993, ch. 13-14)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from csi.distributions import ndtr, ndtri, stdtr

if TYPE_CHECKING:
    from csi.inference.bootstrap import BootstrapSettings


@dataclass(frozen=True)
class Summary:
    """Inference for one family: arrays aligned with the family's estimates."""

    se: np.ndarray
    t: np.ndarray
    p: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray


def summarize(estimate: np.ndarray, draws: np.ndarray, settings: BootstrapSettings, n_obs: int,
              jackknife: np.ndarray | None = None,
              jackknife_weights: np.ndarray | None = None) -> Summary:
    """SE (SD of the draws, ddof 1), t = estimate / SE, two-sided p from Student's t with
    n_obs - 1 df (as SmartPLS), and the percentile or BCa interval (Efron & Tibshirani 1993,
    ch. 13 and 14.3). `jackknife` (g, m) leave-one-out estimates (with their weights) are
    needed for BCa."""
    se = draws.std(axis=0, ddof=1) if draws.shape[0] > 1 else np.full(estimate.shape, np.nan)
    # an estimate that cannot vary (a one-item block's weight of 1) has an SE of rounding
    # noise; its t would be ~1e16 and its p 0, so it gets SE 0 and no test
    noise = 64 * np.finfo(float).eps * np.maximum(np.abs(draws).max(axis=0, initial=0.0), 1.0)
    se = np.where(se <= noise, 0.0, se)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, estimate / se, np.nan)
    p = 2 * stdtr(max(n_obs - 1, 1), -np.abs(t))
    alpha = 1 - settings.level
    if settings.ci == "bca":
        low_q, high_q = bca_levels(estimate, draws, jackknife, alpha, jackknife_weights)
        ci_low = _column_quantiles(draws, low_q)
        ci_high = _column_quantiles(draws, high_q)
    else:
        ci_low = _column_quantiles(draws, np.full(estimate.shape, alpha / 2))
        ci_high = _column_quantiles(draws, np.full(estimate.shape, 1 - alpha / 2))
    return Summary(se=se, t=t, p=p, ci_low=ci_low, ci_high=ci_high)


TIE_TOLERANCE = 1e-10  # relative: far above rounding, far below any real difference


def bca_levels(estimate: np.ndarray, draws: np.ndarray, jackknife: np.ndarray, alpha: float,
               weights: np.ndarray | None = None):
    """BCa quantile levels per estimate (Efron 1987; Efron & Tibshirani 1993, eq. 14.9-14.15).

    z0 = Phi^-1(share of draws below the estimate, ties counted half);
    a = sum(d^3) / (6 (sum d^2)^1.5), d = mean(jackknife) - jackknife; a leave-one-out
    estimate of weight w counts w times (a frequency-weighted respondent's w identical ones).
    A tie is a draw within 1e-10 of the estimate, relatively: a discrete statistic (a
    one-item index) has draws equal to the estimate, which a different order of summation
    puts an ulp above or below, and z0 must not depend on that.
    """
    tolerance = TIE_TOLERANCE * np.abs(estimate)
    tied = np.abs(draws - estimate) <= tolerance
    below = (draws < estimate - tolerance).mean(axis=0) + 0.5 * tied.mean(axis=0)
    z0 = ndtri(np.clip(below, 1e-12, 1 - 1e-12))
    with np.errstate(divide="ignore", invalid="ignore"):
        if weights is None or np.all(weights == 1):
            d = jackknife.mean(axis=0) - jackknife
            accel = (d**3).sum(axis=0) / (6 * ((d**2).sum(axis=0)) ** 1.5)
        else:
            d = (weights @ jackknife) / weights.sum() - jackknife
            accel = (weights @ d**3) / (6 * (weights @ d**2) ** 1.5)
    accel = np.nan_to_num(accel)
    levels = []
    for quantile in (alpha / 2, 1 - alpha / 2):
        z = ndtri(quantile)
        levels.append(ndtr(z0 + (z0 + z) / (1 - accel * (z0 + z))))
    return levels[0], levels[1]


def _column_quantiles(draws: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Quantile of each column at its own level (linear interpolation, R's type 7)."""
    if draws.shape[0] == 0:
        return np.full(levels.shape, np.nan)
    ordered = np.sort(draws, axis=0)
    position = np.clip(levels, 0, 1) * (draws.shape[0] - 1)
    lower = np.floor(position).astype(int)
    upper = np.minimum(lower + 1, draws.shape[0] - 1)
    fraction = position - lower
    columns = np.arange(draws.shape[1])
    return ordered[lower, columns] * (1 - fraction) + ordered[upper, columns] * fraction
