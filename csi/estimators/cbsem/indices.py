"""Global fit indices of a CB-SEM solution, computed from the discrepancy as lavaan's
fitMeasures() does, with the RMSEA confidence interval."""

from __future__ import annotations

import numpy as np
from scipy import optimize
from scipy import stats as scipy_stats


def fit_indices(s: np.ndarray, sigma: np.ndarray, n: int, n_free: int, objective: str,
                level: float = 0.90) -> dict:
    """Global fit as lavaan's fitMeasures() (Rosseel 2012; lavaan 0.6 lav_fit_*), from the
    covariance matrix s (divisor N) and the implied sigma.

    chisq = N F (ML: F = log|Sigma| + tr(S Sigma^-1) - log|S| - p; GLS: F = tr(((S - Sigma)
    S^-1)^2) / 2); baseline: independence model with every observed variance free (also
    those the model fixes, which semopy's baseline keeps), df_b = p(p - 1)/2; CFI = 1 -
    max(chisq - df, 0) / max(chisq - df, chisq_b - df_b, 0); TLI = (chisq_b/df_b - chisq/df)
    / (chisq_b/df_b - 1); RMSEA = sqrt(max(chisq - df, 0) / (df N)) with N, not N - 1, and
    its CI from the non-central chi-square (Browne & Cudeck 1993); SRMR = Bentler's, residuals
    scaled by the observed SDs over the p(p + 1)/2 moments; AIC = -2 logL + 2 q, BIC =
    -2 logL + q log N (ML only). ULS has no chi-square test: only df and SRMR.
    """
    p = s.shape[0]
    df = p * (p + 1) // 2 - n_free
    df_base = p * (p - 1) // 2
    sd = np.sqrt(np.diag(s))
    resid = (s - sigma) / np.outer(sd, sd)
    srmr = float(np.sqrt((resid[np.triu_indices(p)] ** 2).mean()))
    out = dict.fromkeys(("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea_ci_low",
                         "rmsea_ci_high", "srmr", "aic", "bic"))
    out.update(df=int(df), srmr=srmr)
    s_logdet = np.linalg.slogdet(s)[1]
    if objective == "ML":
        sigma_logdet = np.linalg.slogdet(sigma)[1]
        trace = np.trace(np.linalg.solve(sigma, s))
        chisq = n * (sigma_logdet + trace - s_logdet - p)
        base = n * (np.log(np.diag(s)).sum() - s_logdet)
        loglik = -n / 2 * (p * np.log(2 * np.pi) + sigma_logdet + trace)
        out.update(aic=float(-2 * loglik + 2 * n_free),
                   bic=float(-2 * loglik + n_free * np.log(n)))
    elif objective == "GLS":
        s_inv = np.linalg.inv(s)
        chisq = n * 0.5 * np.trace(np.linalg.matrix_power((s - sigma) @ s_inv, 2))
        diagonal = np.linalg.solve(s_inv * s_inv, np.diag(s_inv))
        base = n * 0.5 * np.trace(np.linalg.matrix_power(np.eye(p) - np.diag(diagonal) @ s_inv,
                                                         2))
    else:
        return out
    chisq, base = max(float(chisq), 0.0), float(base)
    out["chisq"] = chisq
    out["pvalue"] = float(scipy_stats.chi2.sf(chisq, df)) if df > 0 else None
    worse = max(chisq - df, 0.0)
    baseline_worse = max(chisq - df, base - df_base, 0.0)
    out["cfi"] = 1.0 if worse == 0 and baseline_worse == 0 else 1 - worse / baseline_worse
    if df > 0:
        t1, t2 = chisq / df - 1, base / df_base - 1
        out["tli"] = 1.0 if t1 < 0 and t2 < 0 else float(1 - t1 / t2)
        out["rmsea"] = float(np.sqrt(worse / (df * n)))
        out["rmsea_ci_low"], out["rmsea_ci_high"] = _rmsea_ci(chisq, df, n, level)
    else:
        out.update(tli=1.0, rmsea=0.0, rmsea_ci_low=0.0, rmsea_ci_high=0.0)
    return out


def _rmsea_ci(chisq: float, df: int, n: int, level: float) -> tuple[float, float]:
    """lavaan's RMSEA interval: the non-centralities at which the observed chisq is the
    (1 + level)/2 and (1 - level)/2 quantile, as sqrt(lambda / (N df))."""
    upper_q, lower_q = (1 + level) / 2, (1 - level) / 2

    def at(lam: float, q: float) -> float:
        return scipy_stats.ncx2.cdf(chisq, df, lam) - q if lam > 0 else \
            scipy_stats.chi2.cdf(chisq, df) - q

    low = 0.0
    if at(0.0, upper_q) >= 0:
        low = optimize.brentq(lambda lam: at(lam, upper_q), 0.0, max(chisq, 1.0), xtol=1e-12)
    high = 0.0
    bound = max(float(n), 4 * chisq)
    if not (at(bound, lower_q) > 0 or at(0.0, lower_q) < 0):
        high = optimize.brentq(lambda lam: at(lam, lower_q), 0.0, bound, xtol=1e-12)
    return float(np.sqrt(low / (n * df))), float(np.sqrt(high / (n * df)))
