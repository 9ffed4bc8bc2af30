"""csi.distributions against independent implementations: mpmath at 40 digits (the truth, on
grids reaching p = 1e-300) and scipy.special on dense grids.

Tolerance: relative error <= 1e-13 everywhere asserted (measured on x86-64 Linux: ndtr 4e-16,
ndtri 7e-16, stdtr 2.4e-15 for df 1..10000, chi-square quantile 3.5e-15). Where long double
is only a double (Windows, macOS arm64), stdtr's body loses ~df/2 ulps (df = 10000: ~1e-12),
the accuracy its docstring states for those platforms, which the t test asserts there."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from scipy import special

from csi import distributions as dist

TOLERANCE = 1e-13
mpmath.mp.dps = 40


def relative_error(ours, truth) -> float:
    ours, truth = np.asarray(ours, float), np.asarray(truth, float)
    assert np.array_equal(np.isfinite(ours), np.isfinite(truth))
    keep = np.isfinite(truth) & (truth != 0)
    assert np.all(ours[~keep & np.isfinite(truth)] == truth[~keep & np.isfinite(truth)])
    return float(np.max(np.abs(ours[keep] - truth[keep]) / np.abs(truth[keep]), initial=0.0))


def t_cdf_truth(df: float, t: float) -> float:
    """P(T <= t) = I_x(df/2, 1/2) / 2 for t < 0, x = df / (df + t^2) (A&S 26.7.1), by mpmath."""
    t, df = mpmath.mpf(t), mpmath.mpf(df)
    half = mpmath.betainc(df / 2, mpmath.mpf(1) / 2, 0, df / (df + t * t), regularized=True) / 2
    return float(half if t < 0 else 1 - half)


def test_the_normal_cdf_is_exact_to_rounding_in_both_tails():
    x = np.concatenate([np.linspace(-37.5, 9, 2001), -np.geomspace(1e-10, 37.5, 300)])
    truth = [float(mpmath.ncdf(mpmath.mpf(v))) for v in x]
    assert relative_error(dist.ndtr(x), truth) <= TOLERANCE
    assert float(dist.ndtr(-37.5)) > 4e-308  # Phi(-37.5) = 4.6e-308, still a normal double
    assert dist.ndtr(-40.0) == 0.0 and dist.ndtr(40.0) == 1.0  # Phi(-40) = 3.7e-350


def test_the_normal_cdf_agrees_with_scipy_on_a_dense_grid():
    """From x = -20: below, scipy's own error grows like x^2 ulps (the rounding of x / sqrt 2
    it leaves uncorrected: 1.3e-13 at x = -25, 2.4e-13 at -37) where csi's stays within 4e-16
    of mpmath (the test above); below -37.5 scipy gives 0 where Phi is subnormal."""
    x = np.linspace(-20, 38, 200_001)
    assert relative_error(dist.ndtr(x), special.ndtr(x)) <= TOLERANCE


def test_the_normal_cdf_keeps_shape_nan_and_infinities():
    assert np.isnan(dist.ndtr(np.nan))
    assert dist.ndtr(-np.inf) == 0.0 and dist.ndtr(np.inf) == 1.0
    assert dist.ndtr(np.zeros((2, 3))).shape == (2, 3)
    assert isinstance(dist.ndtr(0.3), np.float64)


def test_the_normal_quantile_inverts_the_cdf_from_1e_300_to_1_minus_1e_12():
    p = np.concatenate([np.geomspace(1e-300, 0.5, 700), 1 - np.geomspace(1e-12, 0.5, 300)])

    def truth(level: float) -> float:
        level = mpmath.mpf(level)
        return float(mpmath.findroot(lambda x: mpmath.ncdf(x) - level,
                                     mpmath.mpf(float(special.ndtri(float(level))))))

    assert relative_error(dist.ndtri(p), [truth(v) for v in p]) <= TOLERANCE


def test_the_normal_quantile_agrees_with_scipy_and_handles_the_ends():
    p = np.concatenate([np.linspace(1e-12, 1 - 1e-12, 200_001), np.geomspace(1e-300, 1e-12)])
    p = p[p != 0.5]
    assert relative_error(dist.ndtri(p), special.ndtri(p)) <= TOLERANCE
    assert dist.ndtri(0.5) == 0.0
    assert dist.ndtri(0.0) == -np.inf and dist.ndtri(1.0) == np.inf
    assert np.isnan(dist.ndtri(-0.1)) and np.isnan(dist.ndtri(1.5))
    assert np.isnan(dist.ndtri(np.nan))


@pytest.mark.parametrize("df", [1, 2, 3, 4, 5, 7, 10, 29, 30, 31, 99, 100, 249, 499, 1000, 2499,
                                4999, 10000, 2.5, 17.3])
def test_the_t_cdf_is_exact_to_rounding_down_to_1e_300(df):
    """Integer df (n - 1 in the bootstrap p value, folds x repeats - 1 in the non-linear
    test) and real df; t from 1e-6 to where p reaches 1e-300."""
    t_far = 1e150 if df <= 2 else 3 * 1e300 ** (1 / df)
    t = np.concatenate([np.geomspace(1e-6, 5, 40), np.linspace(5, 60, 40),
                        np.geomspace(60, max(t_far, 61), 30)])
    t = np.concatenate([-t, t[:40]])
    truth = np.array([t_cdf_truth(df, v) for v in t])
    keep = truth >= 1e-300
    tolerance = TOLERANCE if dist._WIDE_IS_EXTENDED else max(TOLERANCE, df * 2.2e-16)
    assert relative_error(dist.stdtr(df, t[keep]), truth[keep]) <= tolerance


def test_the_t_cdf_agrees_with_scipy_on_a_dense_grid():
    """scipy's own error grows with df (~1e-13 at df 1000-10000, 3e-11 at df 1 in the far
    tail): compared where it is itself within 1e-14 of mpmath (checked above for csi)."""
    df = np.arange(1, 301)[:, None]
    t = -np.geomspace(1e-3, 30, 400)[None, :]
    assert relative_error(dist.stdtr(df, t), special.stdtr(df, t)) <= TOLERANCE
    assert relative_error(dist.stdtr(df, -t), special.stdtr(df, -t)) <= TOLERANCE


def test_the_t_cdf_handles_the_edges():
    assert dist.stdtr(5, 0.0) == 0.5
    assert dist.stdtr(5, -np.inf) == 0.0 and dist.stdtr(5, np.inf) == 1.0
    assert np.isnan(dist.stdtr(5, np.nan)) and np.isnan(dist.stdtr(0.5, 1.0))
    # df = 1 is the Cauchy distribution: 1/2 + atan(t)/pi
    assert abs(float(dist.stdtr(1, -1.0)) - 0.25) <= 1e-16
    # the two-sided p value of the bootstrap: 2 P(T <= -|t|), df = n - 1
    assert dist.stdtr(249, -np.array([1.0, 2.0, np.nan])).shape == (3,)


@pytest.mark.parametrize("df", [1, 2, 3, 5, 12, 24, 29, 30, 31, 50, 100, 250, 499, 1000, 10000])
def test_the_chi_square_quantile_is_exact_to_rounding(df):
    """2 P^-1(df/2, level) at levels 1e-12 .. 1 - 1e-12: P at our quantile, by mpmath, is
    the level to within the quantile's rounding (one mpmath Newton step gives the error)."""
    a = df / 2
    levels = np.concatenate([np.geomspace(1e-12, 0.5, 15), 1 - np.geomspace(1e-12, 0.5, 15),
                             [0.95, 0.999]])
    ours = dist.gammaincinv(a, levels)
    for x, level in zip(ours, levels):
        root = mpmath.mpf(float(x))
        for _ in range(3):
            density = mpmath.exp((a - 1) * mpmath.log(root) - root - mpmath.loggamma(a))
            root -= (mpmath.gammainc(a, 0, root, regularized=True) - mpmath.mpf(level)) / density
        assert abs(float((mpmath.mpf(float(x)) - root) / root)) <= TOLERANCE, (df, level)


def test_the_chi_square_quantile_agrees_with_scipy_on_a_dense_grid():
    a = (np.arange(1, 1001) / 2)[:, None]
    levels = np.concatenate([np.geomspace(1e-12, 0.5, 12), 1 - np.geomspace(1e-12, 0.5, 12),
                             [0.999]])[None, :]
    assert relative_error(dist.gammaincinv(a, levels), special.gammaincinv(a, levels)) \
        <= TOLERANCE


def test_the_chi_square_quantile_handles_the_edges():
    assert dist.gammaincinv(2.0, 0.0) == 0.0 and dist.gammaincinv(2.0, 1.0) == np.inf
    assert np.isnan(dist.gammaincinv(0.0, 0.5)) and np.isnan(dist.gammaincinv(2.0, 1.5))
    # chi-square with 2 df is exponential with mean 2: quantile -2 log(1 - p)
    assert abs(2 * float(dist.gammaincinv(1.0, 0.999)) / (-2 * np.log(0.001)) - 1) <= 1e-15
