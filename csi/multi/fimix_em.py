"""The EM engine of FIMIX-PLS (csi.multi.fimix), on moments and accelerated by SQUAREM.

Moments: every quantity EM needs is linear in each respondent's distinct products
z_a z_b of z = (1, construct scores) (M = (C + 1)(C + 2) / 2 columns). The M-step's
weighted cross-products of every class and equation are one matrix product
(products' x posterior weights); the E-step's sum over equations of squared standardized
residuals, sum_j (c_j'z)^2 / s2_j with c_j = (-a_j, ..., 1 at the target, -b_j at the
predictors), is the quadratic form z' (sum_j c_j c_j' / s2_j) z, one matrix product too.
Problems are laid out as (data sets, starts): starts x classes are the columns of those
products, so nothing is copied per start.

SQUAREM (Varadhan & Roland 2008, Scandinavian Journal of Statistics 35, pp. 335-353,
scheme S3 with the step-length control of their SQUAREM package): two EM steps
theta1 = F(theta0), theta2 = F(theta1) give r = theta1 - theta0 and v = theta2 - 2 theta1
+ theta0; the extrapolation theta0 + 2 a r + a^2 v, a = |r| / |v| (at least 1, at most a
step bound that grows 4-fold while used and shrinks on failure), is stabilized by one EM
step. The parameters are log shares, coefficients and log variances, so an extrapolation
stays a valid mixture. A proposal that does not reach the log-likelihood of theta1, or
that empties a class, is replaced by theta2: the log-likelihood never decreases. A problem
has converged when a whole cycle (at least three EM steps) moves its log-likelihood less
than `tol`, which is at least as strict as plain EM's one-step test. The first
PLAIN_CYCLES cycles are plain EM (the step bound stays 1): extrapolating from a random
partition's first steps sent starts to worse optima (mobi at K = 4, 5,000 respondents at
K = 5), and ranking starts after those cycles to go on with the best few (Biernacki,
Celeux & Govaert 2003) lost the best optimum on mobi at K = 3, so every start runs on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from csi.multi.fimix import LOG_2PI, Equation, Mixture, moment_columns, products

STEP_GROWTH = 4.0  # SQUAREM's mstep: the step bound grows (or shrinks) by this factor
PLAIN_CYCLES = 5  # cycles of plain EM (3 steps each) before extrapolating: see run()


@dataclass(frozen=True)
class _Layout:
    """Where each equation's normal equations sit among the moment columns."""

    cross: np.ndarray  # (J, q, q) moment column of X'WX's entries
    rhs: np.ndarray  # (J, q) of X'Wy
    yy: np.ndarray  # (J,) of y'Wy
    mask: np.ndarray  # (J, q) 1 for a real regressor slot, 0 for padding
    padding: np.ndarray  # (J, q, q) 1 on padded slots' diagonal (their coefficient is 0)
    select: np.ndarray  # (J, q, C + 1) regressor slot -> column of z
    target: np.ndarray  # (J, C + 1) target's column of z
    pairs: tuple[np.ndarray, np.ndarray]  # moment column -> (a, b)
    double: np.ndarray  # (M,) 2 off the diagonal of z z' (a symmetric matrix's pairs)

    @classmethod
    def of(cls, equations: list[Equation], count: int) -> _Layout:
        a, b = moment_columns(count)
        width = count + 1
        column = np.empty((width, width), dtype=int)
        column[a, b] = np.arange(a.size)
        column[b, a] = np.arange(a.size)
        q = max(len(e.predictors) for e in equations) + 1
        slots = np.zeros((len(equations), q), dtype=int)  # padded slots point at the constant
        mask = np.zeros((len(equations), q))
        select = np.zeros((len(equations), q, width))
        target = np.zeros((len(equations), width))
        targets = np.array([e.target + 1 for e in equations])
        padding = np.zeros((len(equations), q, q))
        for j, eq in enumerate(equations):
            m = 1 + len(eq.predictors)
            slots[j, :m] = [0] + [p + 1 for p in eq.predictors]
            mask[j, :m] = 1
            select[j, np.arange(m), slots[j, :m]] = 1
            target[j, targets[j]] = 1
            padding[j, np.arange(m, q), np.arange(m, q)] = 1
        padding += 1e-12 * np.eye(q)
        return cls(column[slots[:, :, None], slots[:, None, :]], column[slots, targets[:, None]],
                   column[targets, targets], mask, padding, select, target, (a, b),
                   np.where(a == b, 1.0, 2.0))


class _Problems:
    """The EM map of a grid of problems (D data sets x S starts, K classes), on moments."""

    def __init__(self, z: np.ndarray, frequency: np.ndarray, layout: _Layout, k: int,
                 floor: np.ndarray):
        self.z = z  # (D, n, M)
        self.zt = np.ascontiguousarray(np.swapaxes(z, 1, 2))  # (D, M, n)
        self.f = frequency
        self.total = float(frequency.sum())
        self.layout = layout
        self.k = k
        self.floor = floor
        j, q = layout.mask.shape
        self.sizes = (k, k * j * q, k * j)  # log shares, coefficients, log variances

    def pack(self, log_share, coef, log_variance) -> np.ndarray:
        d, s = log_share.shape[:2]
        return np.concatenate([log_share, coef.reshape(d, s, -1),
                               log_variance.reshape(d, s, -1)], axis=2)

    def unpack(self, theta: np.ndarray):
        d, s = theta.shape[:2]
        j, q = self.layout.mask.shape
        first, second = self.sizes[0], self.sizes[0] + self.sizes[1]
        return (theta[..., :first], theta[..., first:second].reshape(d, s, self.k, j, q),
                theta[..., second:].reshape(d, s, self.k, j))

    def m_step(self, posterior: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Weighted least squares of every class and equation: theta and class sizes."""
        d, s, k, n = posterior.shape
        lay = self.layout
        weight = (posterior * self.f).reshape(d, s * k, n)
        moments = (weight @ self.z).reshape(d, s, k, -1)  # (D, S, K, M)
        size = moments[..., 0]  # the (1, 1) product: the class's total weight
        cross = moments[..., lay.cross] * lay.mask[:, :, None] * lay.mask[:, None, :]
        rhs = moments[..., lay.rhs] * lay.mask
        coef = np.linalg.solve(cross + lay.padding, rhs[..., None])[..., 0]  # (D,S,K,J,q)
        sse = moments[..., lay.yy] - (coef * rhs).sum(axis=-1)
        variance = np.maximum(sse / np.maximum(size, 1e-300)[..., None], self.floor)
        log_share = np.log(np.maximum(size / self.total, 1e-300))
        return self.pack(log_share, coef, np.log(variance)), size

    def e_step(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Log-likelihood (D, S) and posteriors (D, S, K, n) at theta."""
        log_share, coef, log_variance = self.unpack(theta)
        d, s, k = log_share.shape
        lay = self.layout
        c = lay.target - np.einsum("dskjq,jqc->dskjc", coef, lay.select)  # residual = c'z
        form = np.einsum("dskjc,dskje,dskj->dskce", c, c, np.exp(-log_variance))
        a, b = lay.pairs
        weights = (form[..., a, b] * lay.double).reshape(d, s * k, -1)
        quadratic = (weights @ self.zt).reshape(d, s, k, -1)  # (D, S, K, n)
        log_share = log_share - _logsumexp(log_share)
        constant = log_share - 0.5 * (LOG_2PI * lay.mask.shape[0] + log_variance.sum(axis=-1))
        log_density = constant[..., None] - 0.5 * quadratic
        top = log_density.max(axis=2, keepdims=True)
        mix = np.exp(log_density - top)
        norm = mix.sum(axis=2, keepdims=True)
        loglik = (top[:, :, 0] + np.log(norm[:, :, 0])) @ self.f
        return loglik, mix / norm

    def take(self, sets: np.ndarray) -> _Problems:
        return _Problems(self.z[sets], self.f, self.layout, self.k, self.floor)


def _logsumexp(x: np.ndarray) -> np.ndarray:
    top = x.max(axis=-1, keepdims=True)
    return top + np.log(np.exp(x - top).sum(axis=-1, keepdims=True))


def run(scores: np.ndarray, frequency: np.ndarray, equations: list[Equation], k: int,
        starts: int, rng: np.random.Generator, tol: float, max_iter: int,
        min_size: float | None, initial: Mixture | None = None) -> Mixture:
    """SQUAREM-accelerated EM from `starts` random hard partitions per data set (and, with
    `initial`, one more start from its parameters); the best start of each data set (see
    csi.multi.fimix.fit)."""
    if scores.ndim == 2:
        scores = scores[None]
    d, n, count = scores.shape
    s = 1 if k == 1 else starts
    f = np.asarray(frequency, dtype=float)
    if min_size is None:
        min_size = max(e.parameters for e in equations) + 1.0
    layout = _Layout.of(equations, count)
    targets = [e.target for e in equations]
    floor = 1e-10 * np.maximum(scores[0][:, targets].var(axis=0), 1e-12)
    problems = _Problems(products(scores), f, layout, k, floor)

    labels = rng.integers(k, size=(d * s, n)).reshape(d, s, n)  # the starts, as before
    start = np.zeros((d, s, k, n))
    np.put_along_axis(start, labels[:, :, None, :], 1.0, axis=2)
    theta, size = problems.m_step(start)
    if initial is not None:
        theta, size = _with_initial(problems, theta, size, initial, n)
        s += 1
    degenerate = (size < min_size).any(axis=2)
    st = {  # every problem's state, (data sets, starts) first
        "theta": theta,  # where the next cycle starts
        "best": theta.copy(),  # the parameters of `loglik` / `posterior`
        "loglik": np.full((d, s), -np.inf),
        "posterior": np.zeros((d, s, k, n)),
        "iterations": np.zeros((d, s), dtype=int),
        "done": degenerate.copy(),
        "stopped": np.zeros((d, s), dtype=bool),  # max_iter reached before convergence
        "degenerate": degenerate,
        "bound": np.ones((d, s)),  # SQUAREM's step bound
        "proposed": np.zeros((d, s), dtype=bool),  # theta is an extrapolation to check
        "fallback": theta.copy(),  # theta2 of the last cycle, if the extrapolation fails
        "floor": np.full((d, s), -np.inf),  # what the proposal must reach: L(theta1)
    }

    sets = np.arange(d)
    live = problems
    cycle = 0
    while not st["done"].all():
        cycle += 1
        alive = ~st["done"].all(axis=1)
        if not alive[sets].all():  # drop data sets whose every start is done
            sets = sets[alive[sets]]
            live = problems.take(sets)
        # and the starts that are done: each set's running starts first, as many columns
        # as the set with most still running (the others' extra columns are done: no-ops)
        order = np.argsort(st["done"][sets], axis=1, kind="stable")
        width = int((~st["done"][sets]).sum(axis=1).max())
        at = (sets[:, None], order[:, :width])
        _cycle(live, {name: value[at] for name, value in st.items()}, st, at, cycle,
               tol, max_iter, min_size)

    loglik = np.where(st["degenerate"], -np.inf, st["loglik"])
    best = loglik.argmax(axis=1)
    rows = np.arange(d)
    log_share, coef, log_variance = problems.unpack(st["best"][rows, best][:, None])
    share = np.exp(log_share[:, 0] - _logsumexp(log_share[:, 0]))
    coef = coef[:, 0]
    coefficients = [coef[:, :, j, :1 + len(eq.predictors)] for j, eq in enumerate(equations)]
    return Mixture(loglik[rows, best], share, coefficients, np.exp(log_variance[:, 0]),
                   np.swapaxes(st["posterior"][rows, best], 1, 2),
                   st["iterations"][rows, best], ~st["stopped"][rows, best])


def _with_initial(problems: _Problems, theta: np.ndarray, size: np.ndarray,
                  initial: Mixture, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Prepend to every data set's starts one at `initial`'s parameters (one problem)."""
    d = theta.shape[0]
    j, q = problems.layout.mask.shape
    coef = np.stack([np.pad(c[0], ((0, 0), (0, q - c.shape[-1]))) for c in initial.coef],
                    axis=1)  # (K, J, q)
    warm = problems.pack(np.log(initial.share[0])[None, None], coef[None, None],
                         np.log(initial.variance[0])[None, None])
    theta = np.concatenate([np.repeat(warm, d, axis=0), theta], axis=1)
    size = np.concatenate([np.repeat(initial.share[:1, None] * problems.total, d, axis=0),
                           size], axis=1)
    return theta, size


def _cycle(live: _Problems, now: dict, st: dict, sets: tuple, cycle: int, tol: float,
           max_iter: int, min_size: float) -> None:
    """One SQUAREM cycle of the running problems (`now`: `st` at the index `sets`, data
    sets x starts), written back into `st`."""
    active = ~now["done"]  # (L, S)
    theta0 = now["theta"]
    bound = now["bound"]
    current, post0 = live.e_step(theta0)
    failed = now["proposed"] & (current < now["floor"])
    if failed.any():  # extrapolation fell short of theta1: take theta2 instead
        theta0 = np.where(failed[..., None], now["fallback"], theta0)
        again, post_again = live.e_step(theta0)
        current = np.where(failed, again, current)
        post0 = np.where(failed[..., None, None], post_again, post0)
        bound = np.where(failed, np.maximum(1.0, bound / STEP_GROWTH), bound)
    converged = active & (np.abs(current - now["loglik"]) < tol)
    capped = active & (now["iterations"] >= max_iter)
    st["loglik"][sets] = np.where(active, current, now["loglik"])
    st["best"][sets] = np.where(active[..., None], theta0, now["best"])
    st["posterior"][sets] = np.where(active[..., None, None], post0, now["posterior"])
    done = now["done"] | converged | capped
    st["done"][sets] = done
    st["stopped"][sets] = now["stopped"] | (capped & ~converged)
    st["bound"][sets] = bound
    if done.all():
        return
    active = ~done

    theta1, size1 = live.m_step(post0)
    floor1, post1 = live.e_step(theta1)
    theta2, size2 = live.m_step(post1)
    lost = active & ((size1 < min_size) | (size2 < min_size)).any(axis=2)
    st["degenerate"][sets] = now["degenerate"] | lost
    st["done"][sets] = done | lost
    r = theta1 - theta0
    v = theta2 - 2 * theta1 + theta0
    rr, vv = (r * r).sum(axis=2), (v * v).sum(axis=2)
    step = np.sqrt(np.divide(rr, vv, out=np.ones_like(rr), where=vv > 0))
    step = np.clip(step, 1.0, bound)
    jump = theta0 + 2 * step[..., None] * r + (step ** 2)[..., None] * v
    _, post_jump = live.e_step(jump)
    theta3, size3 = live.m_step(post_jump)
    bad = (size3 < min_size).any(axis=2) | ~np.isfinite(theta3).all(axis=2)
    stepped = active & ~lost
    st["theta"][sets] = np.where((stepped & ~bad)[..., None], theta3,
                                 np.where(stepped[..., None], theta2, now["theta"]))
    st["fallback"][sets] = theta2
    st["proposed"][sets] = stepped & ~bad
    st["floor"][sets] = floor1
    grow = stepped & (step >= bound) & (cycle > PLAIN_CYCLES)
    st["bound"][sets] = np.where(stepped & bad, np.maximum(1.0, bound / STEP_GROWTH),
                                 np.where(grow, bound * STEP_GROWTH, bound))
    st["iterations"][sets] = now["iterations"] + np.where(stepped, 3, 0)


__all__ = ["run"]
