"""The customer satisfaction index: each construct's score on a 0-100 scale, the ACSI way."""

from __future__ import annotations

import numpy as np


def unstandardized_weights(std_weights: np.ndarray, sd: np.ndarray, block_of: np.ndarray,
                           n_blocks: int) -> np.ndarray:
    """Weights on the items' own scale (w / sd(x)), normalized to sum 1 within each block.

    Fornell et al. (1996), p. 9; Ringle & Sarstedt (2016), Industrial Management & Data
    Systems 116(9), step 2. Works on a batch: arrays of shape (..., p).
    """
    raw = std_weights / sd
    membership = (block_of[:, None] == np.arange(n_blocks)[None, :]).astype(float)
    sums = raw @ membership  # (..., K)
    return raw / sums[..., block_of]


def rescale_0_100(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """Map answers on a low..high scale to 0..100: (x - low) / (high - low) * 100."""
    return (values - low) / (high - low) * 100.0


def construct_index(std_weights: np.ndarray, sd: np.ndarray, mean: np.ndarray,
                    block_of: np.ndarray, n_blocks: int, low: float, high: float) -> np.ndarray:
    """Index (0-100) of every construct: normalized unstandardized weights applied to the
    items' mean rescaled answers, i.e. the mean of the respondents' 0-100 construct scores.
    Arrays may carry a leading batch axis; returns (..., K).
    """
    normalized = unstandardized_weights(std_weights, sd, block_of, n_blocks)
    membership = (block_of[:, None] == np.arange(n_blocks)[None, :]).astype(float)
    return (normalized * rescale_0_100(mean, low, high)) @ membership
