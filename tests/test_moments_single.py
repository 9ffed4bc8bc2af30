"""Resample moments of whole-number answers run in single precision only where that is exact
(csi.sample._integer_shift): checked against exact rational arithmetic, and the double-
precision path is kept for everything else."""

from fractions import Fraction

import numpy as np

from csi.sample import _integer_shift, batch_moments, compact_counts


def answers(n: int, p: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(1, 11, (n, p)).astype(float)


def resample_counts(n: int, b: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return compact_counts(np.array([np.bincount(rng.integers(0, n, n), minlength=n)
                                    for _ in range(b)]))


def exact_cov(values: np.ndarray, counts: np.ndarray, i: int, j: int) -> Fraction:
    f, x = counts.astype(np.int64), values.astype(np.int64)
    total = int(f.sum())
    s_i, s_j, s_ij = int(f @ x[:, i]), int(f @ x[:, j]), int(f @ (x[:, i] * x[:, j]))
    return (Fraction(s_ij) - Fraction(s_i * s_j, total)) / (total - 1)


def test_single_precision_sums_are_exact():
    values, counts = answers(300, 6), resample_counts(300, 20)
    assert _integer_shift(values, counts, counts.sum(axis=1, dtype=float))[1] is np.float32
    mean, _, cov = batch_moments(values, counts)
    for b in (0, 7, 19):
        for i, j in ((0, 0), (1, 4), (5, 2)):
            truth = exact_cov(values, counts[b], i, j)
            assert abs(cov[b, i, j] - float(truth)) <= 2e-16 * max(1.0, abs(float(truth)))
        assert np.allclose(mean[b], counts[b] @ values / counts[b].sum(), rtol=1e-15)


def test_same_moments_as_double_precision():
    values, counts = answers(500, 8, seed=3), resample_counts(500, 50, seed=4)
    single = batch_moments(values, counts)
    double = batch_moments(values, counts.astype(float))  # float frequencies: double path
    for a, b in zip(single, double):
        assert np.allclose(a, b, rtol=1e-13, atol=1e-13)


def test_double_precision_when_single_could_round():
    counts = resample_counts(200, 3)
    total = counts.sum(axis=1, dtype=float)
    assert _integer_shift(answers(200, 4) + 0.5 * (np.arange(4) == 2), counts, total) == (
        None, None)  # a non-whole answer
    assert _integer_shift(answers(200, 4) * 1000, counts, total) == (None, None)  # sums > 2^24
    assert _integer_shift(answers(200, 4), counts.astype(float), total) == (None, None)
