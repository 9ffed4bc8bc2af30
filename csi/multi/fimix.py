"""FIMIX-PLS: a finite mixture of the structural regressions on construct scores, by EM.

Hahn, Johnson, Herrmann & Huber (2002), Schmalenbach Business Review 54, pp. 243-269;
Sarstedt, Becker, Ringle & Schwaiger (2011), Schmalenbach Business Review 63, pp. 34-62.
Within class k every structural equation j is a normal regression with its own intercept,
slopes and variance, y_j = a_kj + X_j b_kj + e, e ~ N(0, s2_kj), the equations independent
given the class (as seminrExtras and openpls do), so

    log L = sum_i f_i log sum_k pi_k prod_j N(y_ij; a_kj + x_ij' b_kj, s2_kj).

EM runs on a batch of problems at once, (data sets) x (starts), on each respondent's
products of scores, accelerated by SQUAREM (csi.multi.fimix_em).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LOG_2PI = float(np.log(2 * np.pi))
TOL = 1e-6  # stop when a problem's log-likelihood moves less than this (absolute; as the peers)
MAX_ITER = 3000


@dataclass(frozen=True)
class Equation:
    """One structural equation: the target's column and its predictors' columns."""

    target: int
    predictors: tuple[int, ...]

    @property
    def parameters(self) -> int:
        """Intercept, slopes and residual variance."""
        return len(self.predictors) + 2


@dataclass(frozen=True)
class Mixture:
    """The EM solutions of a batch of G problems (best start per data set: see `best`)."""

    loglik: np.ndarray  # (G,)  -inf for a degenerate solution (a class too small to estimate)
    share: np.ndarray  # (G, K) pi_k
    coef: list[np.ndarray]  # per equation (G, K, 1 + p_j): intercept, slopes
    variance: np.ndarray  # (G, K, J)
    posterior: np.ndarray  # (G, n, K)
    iterations: np.ndarray  # (G,)
    converged: np.ndarray  # (G,) bool

    def take(self, index: np.ndarray) -> Mixture:
        return Mixture(self.loglik[index], self.share[index], [c[index] for c in self.coef],
                       self.variance[index], self.posterior[index], self.iterations[index],
                       self.converged[index])


def n_parameters(equations: list[Equation], k: int) -> int:
    """Free parameters: K times every equation's intercept, slopes and variance, plus K - 1
    mixing proportions (Sarstedt et al. 2011, p. 40)."""
    return k * sum(e.parameters for e in equations) + (k - 1)


def design(scores: np.ndarray, equations: list[Equation]) -> tuple[np.ndarray, np.ndarray]:
    """All equations at once, batched over data sets: scores (D, n, C) -> X (D, n, J, q)
    with a leading column of ones and each equation's predictors, zero-padded to the
    longest equation's q, and y (D, n, J)."""
    q = max(len(e.predictors) for e in equations) + 1
    x = np.zeros(scores.shape[:-1] + (len(equations), q))
    x[..., 0] = 1.0
    for j, eq in enumerate(equations):
        x[..., j, 1:1 + len(eq.predictors)] = scores[..., list(eq.predictors)]
    return x, scores[..., [e.target for e in equations]]


def moment_columns(count: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct products z_a z_b (a <= b) of z = (1, scores): their (a, b) pairs."""
    return np.triu_indices(count + 1)


def products(scores: np.ndarray) -> np.ndarray:
    """Every respondent's distinct second-order products of z = (1, scores), (..., n, M):
    all an equation's weighted cross-products and squared residuals are linear in them."""
    z = np.concatenate([np.ones(scores.shape[:-1] + (1,)), scores], axis=-1)
    a, b = moment_columns(scores.shape[-1])
    return z[..., a] * z[..., b]


def fit(scores: np.ndarray, frequency: np.ndarray, equations: list[Equation], k: int,
        starts: int, rng: np.random.Generator, tol: float = TOL,
        max_iter: int = MAX_ITER, min_size: float | None = None,
        initial: Mixture | None = None) -> Mixture:
    """EM from `starts` random hard partitions for each of D data sets `scores` (D, n, C)
    (or one, (n, C)), frequencies (n,), and with `initial` (a solution with K classes) one
    more start from its parameters. Returns the best start of every data set (D rows).

    A start whose smallest class holds fewer than `min_size` respondents (default: the
    largest equation's parameter count plus one) is degenerate (a variance collapsing to 0
    makes the likelihood unbounded) and scores -inf. BLAS runs single-threaded: the products
    are many and small, threads only contend (and results must not depend on them).
    """
    from threadpoolctl import threadpool_limits

    from csi.multi.fimix_em import run

    with threadpool_limits(limits=1, user_api="blas"):
        return _ordered(run(scores, frequency, equations, k, starts, rng, tol, max_iter,
                            min_size, initial))


def _ordered(mixture: Mixture) -> Mixture:
    """Classes by share, largest first (EM's labels are arbitrary)."""
    order = np.argsort(-mixture.share, axis=1, kind="stable")
    rows = np.arange(order.shape[0])[:, None]
    return Mixture(mixture.loglik, mixture.share[rows, order],
                   [c[rows, order] for c in mixture.coef], mixture.variance[rows, order],
                   np.take_along_axis(mixture.posterior, order[:, None, :], axis=2),
                   mixture.iterations, mixture.converged)


def entropy(posterior: np.ndarray, frequency: np.ndarray) -> float:
    """Normed entropy statistic EN = 1 - sum_i sum_k -p_ik ln p_ik / (n ln K), in [0, 1]
    (Ramaswamy et al. 1993; Sarstedt et al. 2011, p. 41); 1 = perfectly separated."""
    k = posterior.shape[-1]
    if k == 1:
        return float("nan")
    p = np.clip(posterior, 1e-300, 1)
    total = float(frequency.sum())
    return 1 - float((frequency[:, None] * -p * np.log(p)).sum()) / (total * np.log(k))


def criteria(loglik: float, parameters: int, n: float) -> dict[str, float]:
    """Information criteria (Sarstedt et al. 2011, Table 1): -2 lnL plus a penalty.

    MDL5 is the minimum description length with factor 5 of Liang, Jaszczak & Coleman
    (1992, IEEE Transactions on Medical Imaging 11, pp. 486-497), as Sarstedt et al. (2011)
    and Andrews & Currim (2003, Journal of Marketing Research 40, pp. 235-243) use it:
    -2 lnL + 5 q ln n, five times BIC's penalty, the most conservative criterion of the set.
    openpls-engine 1.13.0 computes the same; seminrExtras 0.1.0 computes -2 lnL + (q/2) ln n,
    a penalty below BIC's (Rissanen's MDL, q/2 ln n on the -lnL scale, put on the -2 lnL
    scale without doubling), which is not MDL5: csi keeps the literature's definition."""
    deviance = -2 * loglik
    log_n = float(np.log(n))
    return {
        "AIC": deviance + 2 * parameters,
        "AIC3": deviance + 3 * parameters,
        "AIC4": deviance + 4 * parameters,
        "BIC": deviance + parameters * log_n,
        "CAIC": deviance + parameters * (log_n + 1),
        "HQ": deviance + 2 * parameters * float(np.log(log_n)),
        "MDL5": deviance + 5 * parameters * log_n,
    }


__all__ = ["Equation", "Mixture", "criteria", "design", "entropy", "fit", "n_parameters",
           "products"]
