"""The distribution functions a fit needs, in numpy and the math module: the normal CDF and
quantile, Student's t CDF and the chi-square quantile. scipy.special supplies the same, but
importing it costs more CPU than numpy itself (issue 15), and a fit needs only these four.

Each function takes scalars or arrays (broadcast) and returns float64 (a 0-d input gives a
numpy scalar). Measured against mpmath on x86-64 Linux, down to p = 1e-300: relative errors
<= 4e-15 (tests/test_distributions.py asserts <= 1e-13).
"""

from __future__ import annotations

import math

import numpy as np

_EPS = np.finfo(float).eps
_SQRT1_2 = 0.7071067811865476  # 1/sqrt(2) rounded; the rest is _SQRT1_2_LOW
_SQRT1_2_LOW = -4.833646656726457e-17
_TWO_OVER_SQRTPI = 2 / math.sqrt(math.pi)
_SPLIT = 134217729.0  # 2^27 + 1, Veltkamp's splitting constant
_ERFC = np.frompyfunc(math.erfc, 1, 1)
# x86-64 Linux's long double has a 64-bit mantissa (eps 1e-19); where it is only a double
# (Windows, macOS on arm64) the t CDF loses ~df/2 ulps in the body (see stdtr)
_WIDE_IS_EXTENDED = bool(np.finfo(np.longdouble).eps < 1e-18)


def _out(values: np.ndarray):
    """A 0-d result as a numpy scalar (as scipy.special returns), else the array."""
    return values[()] if values.ndim == 0 else values


def _two_product(a: np.ndarray, b: float) -> tuple[np.ndarray, np.ndarray]:
    """a*b as an unevaluated sum hi + lo, exactly (Dekker 1971, 'A floating-point technique
    for extending the available precision', Numer. Math. 18, mul12 with Veltkamp's split)."""
    hi = a * b
    a_big = a * _SPLIT
    a_hi = a_big - (a_big - a)
    a_lo = a - a_hi
    b_big = b * _SPLIT
    b_hi = b_big - (b_big - b)
    b_lo = b - b_hi
    lo = ((a_hi * b_hi - hi) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    return hi, lo


def ndtr(x):
    """Standard normal CDF, Phi(x) = erfc(-x / sqrt 2) / 2 (Abramowitz & Stegun 1964, 26.2.29)
    with libm's erfc. The rounding of -x / sqrt 2 would cost ~x^2 ulps in the lower tail
    (2e-13 near x = -37, as in scipy); its exact remainder d (Dekker's product) enters through
    erfc(z + d) = erfc(z) - d 2/sqrt(pi) exp(-z^2), so the tail keeps the accuracy of erfc."""
    x = np.asarray(x, dtype=float)
    z = -x * _SQRT1_2
    # the split would overflow for |x| > 1e300; beyond |x| = 40 the correction is exp(-800) = 0
    clipped = np.clip(np.nan_to_num(x), -64.0, 64.0)
    _, low = _two_product(-clipped, _SQRT1_2)  # -x * _SQRT1_2 = z + low exactly
    rest = low - clipped * _SQRT1_2_LOW  # -x / sqrt 2 = z + rest
    with np.errstate(under="ignore", over="ignore"):
        value = np.asarray(_ERFC(z), dtype=float) - rest * _TWO_OVER_SQRTPI * np.exp(-z * z)
    return _out(0.5 * value)


# Wichura (1988), Algorithm AS 241 (PPND16), Applied Statistics 37(3), 477-484: rational
# approximations of degree 7, highest power first (numpy.polyval order)
_AS241_CENTRAL = (
    [2.5090809287301226727e+3, 3.3430575583588128105e+4, 6.7265770927008700853e+4,
     4.5921953931549871457e+4, 1.3731693765509461125e+4, 1.9715909503065514427e+3,
     1.3314166789178437745e+2, 3.3871328727963666080e+0],
    [5.2264952788528545610e+3, 2.8729085735721942674e+4, 3.9307895800092710610e+4,
     2.1213794301586595867e+4, 5.3941960214247511077e+3, 6.8718700749205790830e+2,
     4.2313330701600911252e+1, 1.0])
_AS241_NEAR = (
    [7.74545014278341407640e-4, 2.27238449892691845833e-2, 2.41780725177450611770e-1,
     1.27045825245236838258e+0, 3.64784832476320460504e+0, 5.76949722146069140550e+0,
     4.63033784615654529590e+0, 1.42343711074968357734e+0],
    [1.05075007164441684324e-9, 5.47593808499534494600e-4, 1.51986665636164571966e-2,
     1.48103976427480074590e-1, 6.89767334985100004550e-1, 1.67638483018380384940e+0,
     2.05319162663775882187e+0, 1.0])
_AS241_FAR = (
    [2.01033439929228813265e-7, 2.71155556874348757815e-5, 1.24266094738807843860e-3,
     2.65321895265761230930e-2, 2.96560571828504891230e-1, 1.78482653991729133580e+0,
     5.46378491116411436990e+0, 6.65790464350110377720e+0],
    [2.04426310338993978564e-15, 1.42151175831644588870e-7, 1.84631831751005468180e-5,
     7.86869131145613259100e-4, 1.48753612908506148525e-2, 1.36929880922735805310e-1,
     5.99832206555887937690e-1, 1.0])


def _rational(coefficients, r: np.ndarray) -> np.ndarray:
    numerator, denominator = coefficients
    return np.polyval(numerator, r) / np.polyval(denominator, r)


def ndtri(p):
    """Standard normal quantile Phi^-1(p): Wichura's PPND16 (1988, AS 241), relative error
    about 1e-16; -inf at 0, inf at 1, NaN outside [0, 1]. 1 - p is exact for p >= 1/2, so
    the upper tail is as accurate as p's spacing allows."""
    p = np.asarray(p, dtype=float)
    q = p - 0.5
    out = np.full(p.shape, np.nan)
    central = np.abs(q) <= 0.425
    qc = q[central]
    out[central] = qc * _rational(_AS241_CENTRAL, 0.180625 - qc * qc)
    tail = ~central & (p > 0) & (p < 1)
    with np.errstate(divide="ignore"):
        r = np.sqrt(-np.log(np.minimum(p[tail], 1 - p[tail])))
    x = np.where(r <= 5.0, _rational(_AS241_NEAR, r - 1.6), _rational(_AS241_FAR, r - 5.0))
    out[tail] = np.where(q[tail] < 0, -x, x)
    out[p == 0] = -np.inf
    out[p == 1] = np.inf
    return _out(out)


# Stirling's series of log Gamma: (z - 1/2) log z - z + log(2 pi)/2 + sum_k B_2k / (2k (2k-1)
# z^(2k-1)) (Abramowitz & Stegun 1964, 6.1.40), its sum's coefficients for k = 1..6
_STIRLING = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360)
_STIRLING_FROM = 15.0  # the truncated series is exact to < 1e-17 from here on


def _stirling_rest(z: np.ndarray) -> np.ndarray:
    """log Gamma(z) - [(z - 1/2) log z - z + log(2 pi) / 2] for z >= _STIRLING_FROM."""
    inverse_square = 1 / (z * z)
    return np.polyval(_STIRLING[::-1], inverse_square) / z


_LGAMMA = np.frompyfunc(math.lgamma, 1, 1)
_GAMMA = np.frompyfunc(math.gamma, 1, 1)
_LOG_SQRT_PI = np.longdouble("0.57236494292470008707171367567652933")
_LOG_HALF = np.longdouble("-0.69314718055994530941723212145817657")


def _log_gamma(z: np.ndarray) -> np.ndarray:
    return np.asarray(_LGAMMA(z), dtype=float)


def _log_beta_half(a: np.ndarray) -> np.ndarray:
    """log B(a, 1/2) = log Gamma(1/2) + log Gamma(a) - log Gamma(a + 1/2) in long double, to
    ~1e-18 absolute for large a, where lgamma's own values are ~a log a and their difference
    would lose ~log10(a log a) digits: Stirling's series (A&S 6.1.40) for both terms, their
    difference taken analytically. Below a = 15 Gamma(a) / Gamma(a + 1/2) directly (~1e-16)."""
    wide = np.longdouble
    large = a >= _STIRLING_FROM
    out = np.empty(a.shape, dtype=wide)
    small = a[~large]
    out[~large] = _LOG_SQRT_PI + np.log(np.asarray(_GAMMA(small), dtype=float)
                                        / np.asarray(_GAMMA(small + 0.5), dtype=float))
    al = a[large].astype(wide)
    # log G(a + 1/2) - log G(a) = a log(1 + 1/(2a)) - 1/2 + log(a)/2 + S(a + 1/2) - S(a)
    ratio = (al * np.log1p(0.5 / al) - 0.5) + 0.5 * np.log(al) \
        + (_stirling_rest(al + 0.5) - _stirling_rest(al))
    out[large] = _LOG_SQRT_PI - ratio
    return out


def _lentz(step, start: np.ndarray, max_iterations: int = 100_000) -> np.ndarray:
    """Evaluate continued fractions b0 + a1/(b1 + a2/(b2 + ...)) by the modified Lentz
    method (Press et al., Numerical Recipes 3rd ed., sec. 5.2), vectorised: `step(i, rows)`
    gives the arrays (a_i, b_i) of the fractions still running (rows indexes `start`); each
    stops when its last factor is within rounding of 1."""
    tiny = 1e-300
    tolerance = max(2 * np.finfo(start.dtype).eps, _EPS / 8)
    f = np.where(start == 0, tiny, start)
    rows = np.arange(start.size)
    c = f.copy()
    d = np.zeros_like(f)
    for i in range(1, max_iterations + 1):
        a_i, b_i = step(i, rows)
        d = b_i + a_i * d
        d[d == 0] = tiny
        c = b_i + a_i / c
        c[c == 0] = tiny
        d = 1 / d
        delta = c * d
        f[rows] *= delta
        running = np.abs(delta - 1) > tolerance
        if not running.all():
            rows, c, d = rows[running], c[running], d[running]
            if rows.size == 0:
                return f
    raise ArithmeticError("continued fraction did not converge")  # pragma: no cover


def _incomplete_beta_cf(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The continued fraction of I_x(a, b) without its prefactor x^a (1-x)^b / (a B(a, b)),
    fast for x < (a + 1) / (a + b + 2) (Abramowitz & Stegun 26.5.8; Numerical Recipes
    sec. 6.4): d_2m+1 = -(a+m)(a+b+m)x / ((a+2m)(a+2m+1)), d_2m = m(b-m)x / ((a+2m-1)(a+2m)),
    as the fraction 1 / (1 + d1 / (1 + d2 / (1 + ...)))."""
    one = np.ones_like(x)

    def step(i: int, rows: np.ndarray):
        if i == 1:
            return one[rows], one[rows]
        k = i - 1
        m = k // 2
        ar, br, xr = a[rows], b[rows], x[rows]
        if k % 2:
            numerator = -(ar + m) * (ar + br + m) * xr / ((ar + 2 * m) * (ar + 2 * m + 1))
        else:
            numerator = m * (br - m) * xr / ((ar + 2 * m - 1) * (ar + 2 * m))
        return numerator, one[rows]

    return _lentz(step, np.zeros_like(x))


def stdtr(df, t):
    """Student's t CDF with df >= 1 degrees of freedom (real df allowed), as
    scipy.special.stdtr: P(T <= t) = I_x(df/2, 1/2) / 2 for t < 0, x = df / (df + t^2)
    (Abramowitz & Stegun 1964, 26.7.1 and 26.5.27), I by its continued fraction (26.5.8),
    or by I_x(a, b) = 1 - I_(1-x)(b, a) where that converges faster. With u = t^2 / df the
    prefactor x^a (1-x)^b is (1+u)^-(df+1)/2 u^1/2; its exponent, ~log p, is summed in long
    double where the platform has it, so a p of 1e-300 keeps ~15 digits, not ~13."""
    df, t = np.broadcast_arrays(np.asarray(df, dtype=float), np.asarray(t, dtype=float))
    out = np.full(t.shape, np.nan)
    valid = (df >= 1) & ~np.isnan(t)
    out[valid & (t == 0)] = 0.5
    out[valid & np.isinf(t)] = (t[valid & np.isinf(t)] > 0).astype(float)
    work = valid & np.isfinite(t) & (t != 0)
    if work.any():
        one_sided = _t_lower_tail(df[work], np.abs(t[work]))
        out[work] = np.where(t[work] < 0, one_sided, 1 - one_sided)
    return _out(out)


def _t_lower_tail(df: np.ndarray, t: np.ndarray) -> np.ndarray:
    """P(T <= -t) for t > 0: I_x(df/2, 1/2) / 2."""
    a, b = df / 2, 0.5
    wide = np.longdouble
    u = (t.astype(wide) * t) / df
    exponent = -(df.astype(wide) + 1) / 2 * np.log1p(u) + 0.5 * np.log(u)
    log_beta = _log_beta_half(a)
    # x and 1 - x in long double too: I_x(a, 1/2) changes ~a times faster than x near
    # x = 1, so x's rounding alone would cost ~df/2 ulps in the body (2e-13 at df = 5000)
    x = 1 / (1 + u)
    # the fraction of I_x(a, b) converges fast for x < (a + 1) / (a + b + 2), the flipped one
    # for x above; with long double the flipped one's cancellation ((1 - 2p) / 2p of ~1e-19)
    # is harmless, and it is the faster one up to t^2 ~ 13 (at most ~45 terms then)
    direct = x < (a + 1) / (a + b + 2)
    if _WIDE_IS_EXTENDED:
        direct = np.where(a >= _STIRLING_FROM, u >= 13.0 / df, direct)
    out = np.empty(t.shape)
    if direct.any():
        # I_x(a, b) = x^a (1-x)^b / (a B(a, b)) * CF(x; a, b)
        prefactor = np.exp(exponent[direct] - (np.log(a[direct].astype(wide))
                                                 + log_beta[direct]))
        fraction = _incomplete_beta_cf(x[direct], a[direct].astype(wide),
                                       np.full(direct.sum(), b, dtype=wide))
        out[direct] = (0.5 * (prefactor * fraction)).astype(float)
    flip = ~direct
    if flip.any():
        # I_x(a, b) = 1 - I_(1-x)(b, a), 1 - x = u / (1 + u)
        prefactor = np.exp(exponent[flip] - (_LOG_HALF + log_beta[flip]))
        fraction = _incomplete_beta_cf(u[flip] / (1 + u[flip]), np.full(flip.sum(), b, dtype=wide),
                                       a[flip].astype(wide))
        out[flip] = (0.5 * (1 - prefactor * fraction)).astype(float)
    return out


def _log_gamma_prefactor(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """log(x^a e^-x / Gamma(a)) (Numerical Recipes sec. 6.2's prefactor). For a >= 15 as
    -a D(x/a) + log(a / 2 pi) / 2 - S(a) with D(r) = r - 1 - log r (Stirling's series,
    A&S 6.1.40), D near r = 1 by the atanh series of the logarithm (A&S 4.1.27) to avoid
    cancellation: lgamma(a) alone would carry an absolute error of ~a log(a) eps."""
    out = np.empty(x.shape)
    large = a >= _STIRLING_FROM
    small = ~large
    out[small] = a[small] * np.log(x[small]) - x[small] - _log_gamma(a[small])
    al, xl = a[large], x[large]
    w = (xl - al) / al
    near = np.abs(w) < 0.5
    deviance = np.empty(w.shape)
    wf = w[~near]
    deviance[~near] = wf - np.log1p(wf)
    wn = w[near]
    y = wn / (2 + wn)  # log1p(w) = 2 atanh(y) = 2 (y + y^3/3 + y^5/5 + ...)
    y2 = y * y
    series = np.zeros(wn.shape)
    for k in range(15, 0, -1):  # y^2 <= 0.04: 15 terms reach 1e-21
        series = y2 * (1 / (2 * k + 1) + series)
    deviance[near] = wn * y - 2 * y * series
    out[large] = -al * deviance + 0.5 * np.log(al / (2 * math.pi)) - _stirling_rest(al)
    return out


def _gamma_p_q(a: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Regularized incomplete gamma P(a, x) and Q(a, x) = 1 - P, each computed directly where
    it is the smaller one (series for x < a + 1, Lentz's continued fraction above; Numerical
    Recipes sec. 6.2, A&S 6.5.29 and 6.5.31), and the density x^(a-1) e^-x / Gamma(a)."""
    log_prefactor = _log_gamma_prefactor(a, x)
    prefactor = np.exp(log_prefactor)
    p = np.empty(x.shape)
    q = np.empty(x.shape)
    series = x < a + 1
    if series.any():
        xs, as_ = x[series], a[series]
        term = 1 / as_
        total = term.copy()
        active = np.ones(xs.shape, dtype=bool)
        n = 0
        while active.any():
            n += 1
            term = term * xs / (as_ + n)
            total = total + np.where(active, term, 0.0)
            active &= np.abs(term) > np.abs(total) * _EPS / 4
            if n > 100_000:  # pragma: no cover
                raise ArithmeticError("incomplete gamma series did not converge")
        p[series] = prefactor[series] * total
        q[series] = 1 - p[series]
    fraction = ~series
    if fraction.any():
        xf, af = x[fraction], a[fraction]

        def step(i: int, rows: np.ndarray):
            if i == 1:
                return np.ones(rows.size), xf[rows] + 1 - af[rows]
            k = i - 1
            return -k * (k - af[rows]), xf[rows] + 2 * k + 1 - af[rows]

        q[fraction] = prefactor[fraction] * _lentz(step, np.zeros(xf.shape))
        p[fraction] = 1 - q[fraction]
    return p, q, prefactor / x


def gammaincinv(a, p):
    """x with P(a, x) = p, the inverse of the regularized lower incomplete gamma function for
    a > 0 (Abramowitz & Stegun 26.4.17 for the Wilson-Hilferty start, then Halley's method
    on P or on Q = 1 - P, whichever is the smaller tail; DiDonato & Morris 1986, ACM TOMS 12,
    377-393, for the scheme)."""
    a, p = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(p, dtype=float))
    out = np.full(p.shape, np.nan)
    valid = (a > 0) & (p >= 0) & (p <= 1)
    out[valid & (p == 0)] = 0.0
    out[valid & (p == 1)] = np.inf
    work = valid & (p > 0) & (p < 1)
    if work.any():
        out[work] = _gamma_quantile(a[work], p[work])
    return _out(out)


def _gamma_quantile(a: np.ndarray, p: np.ndarray) -> np.ndarray:
    upper = p > 0.5
    target = np.where(upper, 1 - p, p)  # the smaller tail; 1 - p is exact for p > 1/2
    # Wilson & Hilferty (1931): chi2_nu quantile ~ nu (1 - 2/(9 nu) + z sqrt(2/(9 nu)))^3
    z = ndtri(p)
    x = a * (1 - 1 / (9 * a) + z / (3 * np.sqrt(a))) ** 3
    # small a or deep lower tail: P(a, x) ~ x^a / Gamma(a + 1)
    log_gamma_a1 = _log_gamma(a + 1)
    low = np.exp((np.log(p) + log_gamma_a1) / a)
    x = np.where((x <= 0) | (~upper & (low < a) & ((a < 1) | (x < 0.5 * a))), low, x)
    # small a, deep upper tail: Q(a, x) ~ x^(a-1) e^-x / Gamma(a)
    high = -np.log(target) - log_gamma_a1 + np.log(a)
    high = high + (a - 1) * np.log(np.maximum(high, 1.0))
    x = np.where(upper & (a < 1) & (high > x), high, x)
    x = np.maximum(x, np.finfo(float).tiny)
    active = np.ones(x.shape, dtype=bool)
    for _ in range(100):
        idx = np.flatnonzero(active)
        xi, ai = x[idx], a[idx]
        lower_p, upper_q, density = _gamma_p_q(ai, xi)
        residual = np.where(upper[idx], target[idx] - upper_q, lower_p - target[idx])
        newton = residual / density
        # Halley: f''/f' = (a - 1)/x - 1 for f = P(a, x) - p (and for p - Q)
        curvature = (ai - 1) / xi - 1
        step = newton / np.maximum(1 - 0.5 * newton * curvature, 0.1)
        new = xi - step
        new = np.where(new <= 0, xi / 10, new)
        x[idx] = new
        # Halley's error after a step of relative size h is O(h^2) or less: a step below 1e-8
        # leaves x at rounding level (waiting for a zero step could cycle on P's last bit)
        done = np.abs(new - xi) <= 1e-8 * new
        active[idx[done]] = False
        if not active.any():
            return x
    raise ArithmeticError("incomplete gamma inverse did not converge")  # pragma: no cover

