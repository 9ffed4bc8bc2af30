"""The customer satisfaction index: each construct's score on a 0-100 scale, the ACSI way.

Items are first rescaled to 0-100 by their scale bounds, x' = (x - min) / (max - min) * 100;
a construct's 0-100 score is the weighted sum of its rescaled items with the unstandardized
weights (standardized weight / sd(x')) normalized to sum 1 in the block (Fornell et al. 1996,
p. 9; Ringle & Sarstedt 2016, Industrial Management & Data Systems 116(9), steps 1-2). The
index is that score's mean. Every function accepts a leading batch axis.
"""

from __future__ import annotations

import numpy as np


def rescale_0_100(values: np.ndarray, low, high) -> np.ndarray:
    """Map answers on a low..high scale to 0..100 (low and high may be per item)."""
    return (values - low) / (high - low) * 100.0


def _membership(block_of: np.ndarray, n_blocks: int) -> np.ndarray:
    return (block_of[:, None] == np.arange(n_blocks)[None, :]).astype(float)


def _raw_weights(std_weights, sd, low, high):
    """Weights on the rescaled (0-100) items: w / sd(x')."""
    return std_weights / (sd * 100.0 / (high - low))


def unstandardized_weights(std_weights: np.ndarray, sd: np.ndarray, block_of: np.ndarray,
                           n_blocks: int, low=0.0, high=100.0) -> np.ndarray:
    """Unstandardized weights on the rescaled items, normalized to sum 1 in each block."""
    raw = _raw_weights(std_weights, sd, low, high)
    sums = raw @ _membership(block_of, n_blocks)
    return raw / sums[..., block_of]


def construct_index(std_weights: np.ndarray, sd: np.ndarray, mean: np.ndarray,
                    block_of: np.ndarray, n_blocks: int, low, high) -> np.ndarray:
    """Index (0-100) of every construct: the mean of its 0-100 score, (..., K)."""
    normalized = unstandardized_weights(std_weights, sd, block_of, n_blocks, low, high)
    return (normalized * rescale_0_100(mean, low, high)) @ _membership(block_of, n_blocks)


def score_sd(std_weights: np.ndarray, sd: np.ndarray, block_of: np.ndarray, n_blocks: int,
             low, high) -> np.ndarray:
    """Standard deviation of each construct's 0-100 score, (..., K).

    The score is sum(raw_i x'_i) / S with S = sum(raw_i) and sum(raw_i x'_i) equal to the
    standardized construct score (variance 1) up to a constant, so its SD is 1 / |S|.
    """
    sums = _raw_weights(std_weights, sd, low, high) @ _membership(block_of, n_blocks)
    return 1.0 / np.abs(sums)
