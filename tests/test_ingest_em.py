"""EM estimates of means and covariances from incomplete data, against direct references.

References:
- complete data: the sample moments of csi.moments (EM must stop after one step);
- monotone patterns: the maximum-likelihood estimates in closed form by factoring the
  likelihood into a sequence of regressions (Anderson 1957; Little & Rubin 2002, sec. 7.2 and
  7.4), on the two textbook data sets of Little & Rubin (1987) that R's mvnmle ships: `apple`
  (their Table 6.1, from Snedecor & Cochran) and `missvals` (their Table 6.4, Draper & Smith's
  cement data with values removed);
- mvnmle's own printed result for `apple` (`mlest(apple)$muhat` = 14.72227, 49.33325; nlm
  optimisation, so agreement to its 7 digits only);
- a general (non-monotone) pattern: direct numerical maximisation of the observed-data
  log-likelihood with scipy.
ML covariances have divisor N; csi's EM returns divisor N - 1 (as csi.moments), so the tests
rescale by (N - 1) / N before comparing.
"""

import numpy as np
import pytest
from scipy import optimize

from csi.sample import em_moments
from csi.sample import EmError, mean_impute
from csi.sample import moments

NAN = np.nan
# R: library(mvnmle); data(apple) -- size (hundreds of apples), worms (% x 100)
APPLE = np.array([
    [8, 59], [6, 58], [11, 56], [22, 53], [14, 50], [17, 45], [18, 43], [24, 42], [19, 39],
    [23, 38], [26, 30], [40, 27], [4, NAN], [4, NAN], [5, NAN], [6, NAN], [8, NAN], [10, NAN],
], dtype=float)
# R: library(mvnmle); data(missvals) -- x1..x5
MISSVALS = np.array([
    [7, 26, 6, 60, 78.5], [1, 29, 15, 52, 74.3], [11, 56, 8, 20, 104.3], [11, 31, 8, 47, 87.6],
    [7, 52, 6, 33, 95.9], [11, 55, 9, 22, 109.2], [3, 71, 17, NAN, 102.7],
    [1, 31, 22, NAN, 72.5], [2, 54, 18, NAN, 93.1], [NAN, NAN, 4, NAN, 115.9],
    [NAN, NAN, 23, NAN, 83.8], [NAN, NAN, 9, NAN, 113.3], [NAN, NAN, 8, NAN, 109.4],
], dtype=float)


def monotone_ml(data: np.ndarray, blocks: list[list[int]]):
    """ML mean and covariance (divisor N) for a monotone pattern: `blocks` in order of
    decreasing observation, each observed on a subset of the rows of the one before."""
    p = data.shape[1]
    mean = np.zeros(p)
    cov = np.zeros((p, p))
    seen: list[int] = []
    for block in blocks:
        rows = ~np.isnan(data[:, block]).any(axis=1)
        y = data[rows][:, block]
        if not seen:
            mean[block] = y.mean(axis=0)
            centred = y - mean[block]
            cov[np.ix_(block, block)] = centred.T @ centred / len(y)
        else:
            x = np.column_stack([np.ones(rows.sum()), data[rows][:, seen]])
            beta, *_ = np.linalg.lstsq(x, y, rcond=None)
            residual = y - x @ beta
            slope = beta[1:].T  # (block, seen)
            mean[block] = beta[0] + slope @ mean[seen]
            known = cov[np.ix_(seen, seen)]
            cov[np.ix_(block, seen)] = slope @ known
            cov[np.ix_(seen, block)] = (slope @ known).T
            cov[np.ix_(block, block)] = residual.T @ residual / len(y) + slope @ known @ slope.T
        seen += block
    return mean, cov


def ml_cov(estimate, n):
    return estimate.cov * (n - 1) / n


def test_complete_data_gives_the_sample_moments():
    data = np.random.default_rng(0).normal(size=(200, 6)) @ np.random.default_rng(1).normal(
        size=(6, 6))
    estimate = em_moments(data)
    stats = moments(data)
    np.testing.assert_allclose(estimate.mean, stats.mean, rtol=0, atol=1e-12)
    np.testing.assert_allclose(estimate.cov, stats.cov, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(estimate.imputed, data)
    assert estimate.converged and estimate.iterations <= 2 and estimate.patterns == 1


def test_apple_data_little_rubin():
    estimate = em_moments(APPLE)
    mean, cov = monotone_ml(APPLE, [[0], [1]])
    np.testing.assert_allclose(estimate.mean, mean, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ml_cov(estimate, 18), cov, rtol=0, atol=1e-7)
    # R mvnmle::mlest(apple)$muhat is 14.72227 49.33325: nlm's numerical optimum, within
    # 1e-4 of the exact ML estimate (mu_1 is the mean of all 18 sizes, 265 / 18 exactly)
    np.testing.assert_allclose(estimate.mean, [14.72227, 49.33325], rtol=0, atol=1e-4)
    assert estimate.mean[0] == pytest.approx(265 / 18, abs=1e-12)


def test_missvals_data_monotone_closed_form():
    estimate = em_moments(MISSVALS)
    assert estimate.converged and estimate.patterns == 3
    mean, cov = monotone_ml(MISSVALS, [[2, 4], [0, 1], [3]])
    np.testing.assert_allclose(estimate.mean, mean, rtol=0, atol=1e-7)
    np.testing.assert_allclose(ml_cov(estimate, 13), cov, rtol=0, atol=1e-5)


def test_general_pattern_maximises_the_observed_likelihood():
    rng = np.random.default_rng(7)
    truth = np.array([[1.0, 0.6, 0.3], [0.6, 1.0, 0.5], [0.3, 0.5, 1.0]])
    data = rng.multivariate_normal([5.0, 6.0, 7.0], truth, size=80)
    holes = rng.random(data.shape) < 0.2
    holes[holes.all(axis=1), 0] = False
    data[holes] = np.nan
    estimate = em_moments(data)

    def negative_loglik(theta):
        mu = theta[:3]
        chol = np.zeros((3, 3))
        chol[np.tril_indices(3)] = theta[3:]
        chol[np.diag_indices(3)] = np.exp(np.diag(chol))
        sigma = chol @ chol.T
        total = 0.0
        for row in data:
            o = ~np.isnan(row)
            diff = row[o] - mu[o]
            s = sigma[np.ix_(o, o)]
            total += 0.5 * (np.linalg.slogdet(s)[1] + diff @ np.linalg.solve(s, diff))
        return total

    start_chol = np.linalg.cholesky(np.diag(np.nanvar(data, axis=0)))
    start_chol[np.diag_indices(3)] = np.log(np.diag(start_chol))
    start = np.concatenate([np.nanmean(data, axis=0), start_chol[np.tril_indices(3)]])
    best = optimize.minimize(negative_loglik, start, method="BFGS",
                             options={"gtol": 1e-9, "maxiter": 10_000})
    chol = np.zeros((3, 3))
    chol[np.tril_indices(3)] = best.x[3:]
    chol[np.diag_indices(3)] = np.exp(np.diag(chol))
    np.testing.assert_allclose(estimate.mean, best.x[:3], atol=1e-5)
    np.testing.assert_allclose(ml_cov(estimate, 80), chol @ chol.T, atol=1e-5)
    assert negative_loglik(np.concatenate([
        estimate.mean, _theta(ml_cov(estimate, 80))])) <= best.fun + 1e-8


def _theta(sigma):
    chol = np.linalg.cholesky(sigma)
    chol[np.diag_indices(len(sigma))] = np.log(np.diag(chol))
    return chol[np.tril_indices(len(sigma))]


def test_imputations_are_conditional_means():
    estimate = em_moments(APPLE)
    mean, cov = estimate.mean, estimate.cov
    slope = cov[1, 0] / cov[0, 0]
    missing = np.isnan(APPLE[:, 1])
    np.testing.assert_allclose(estimate.imputed[missing, 1],
                               mean[1] + slope * (APPLE[missing, 0] - mean[0]), atol=1e-9)
    np.testing.assert_array_equal(estimate.imputed[~missing], APPLE[~missing])


def test_frequency_weights_equal_repeated_rows_and_order_does_not_matter():
    rng = np.random.default_rng(3)
    data = rng.normal(size=(60, 4)) + rng.normal(size=(60, 1))
    data[rng.random(data.shape) < 0.15] = np.nan
    data = data[~np.isnan(data).all(axis=1)]
    counts = rng.integers(1, 4, len(data))
    weighted = em_moments(data, counts.astype(float))
    repeated = em_moments(np.repeat(data, counts, axis=0))
    np.testing.assert_allclose(weighted.mean, repeated.mean, atol=1e-9)
    np.testing.assert_allclose(weighted.cov, repeated.cov, atol=1e-9)
    order = rng.permutation(len(data))
    shuffled = em_moments(data[order])
    plain = em_moments(data)
    np.testing.assert_allclose(shuffled.mean, plain.mean, atol=1e-10)
    np.testing.assert_allclose(shuffled.cov, plain.cov, atol=1e-10)
    np.testing.assert_allclose(shuffled.imputed, plain.imputed[order], atol=1e-9)


def test_patterns_are_batched_beyond_one_chunk():
    # more patterns than one batch of the E-step (1024) must give the same answer as a
    # single batch would: compare with the same data where rows are duplicated
    rng = np.random.default_rng(9)
    data = rng.normal(size=(3000, 12)) + rng.normal(size=(3000, 1))
    data[rng.random(data.shape) < 0.3] = np.nan
    data = data[~np.isnan(data).all(axis=1)]
    estimate = em_moments(data)
    assert estimate.patterns > 1024 and estimate.converged
    doubled = em_moments(np.vstack([data, data]))
    np.testing.assert_allclose(doubled.mean, estimate.mean, atol=1e-9)
    np.testing.assert_allclose(doubled.cov * (2 * len(data) - 1) / (2 * len(data)),
                               estimate.cov * (len(data) - 1) / len(data), atol=1e-9)


def test_errors():
    with pytest.raises(EmError, match="columns 0 and 1 are never observed together"):
        em_moments(np.array([[1, NAN], [2, NAN], [NAN, 3], [NAN, 4.0]]))
    with pytest.raises(EmError, match="no observed answer"):
        em_moments(np.array([[1, 2], [NAN, NAN], [3, 4.0]]))


def test_mean_imputation():
    data = np.array([[1, 2], [NAN, 4], [3, NAN], [5, 8.0]])
    np.testing.assert_array_equal(mean_impute(data), [[1, 2], [3, 4], [3, 14 / 3], [5, 8]])
    weighted = mean_impute(data, np.array([1, 1, 3, 1.0]))
    assert weighted[1, 0] == pytest.approx((1 + 9 + 5) / 5)


def test_missingness_patterns_beyond_64_items():
    from csi.sample import _patterns

    rng = np.random.default_rng(4)
    wide = rng.random((500, 70)) < 0.02
    first, inverse = _patterns(wide)
    narrow_first, narrow_inverse = _patterns(wide[:, :60])
    assert len(first) == len({row.tobytes() for row in wide})
    assert len(narrow_first) == len({row.tobytes() for row in wide[:, :60]})
    np.testing.assert_array_equal(wide[first][inverse], wide)
    np.testing.assert_array_equal(wide[:, :60][narrow_first][narrow_inverse], wide[:, :60])
