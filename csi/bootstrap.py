"""Bootstrap inference for every reported estimate, batched over resamples.

PLS-PM depends on the data only through the item moments, so a resample is a vector of
respondent counts c (how often each respondent was drawn): its moments are c-weighted sums,
computed for a whole chunk of resamples with one matrix product, and the PLS iterations then
run on the stacked moment matrices (csi.pls works on batches). Resamples are drawn in fixed
chunks, each from its own generator spawned from one SeedSequence, so results do not depend
on how many workers run the chunks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats as scipy_stats

from csi.errors import EstimationError
from csi.estimates import FAMILIES, Layout, estimate_vectors
from csi.pls import PlsSettings, _align_signs, derive_for, outer_weights

DEFAULT_SEED = 20261128
CI_METHODS = ("percentile", "bca")
SIGN_CHANGES = ("none", "construct")
ON_FAILURE = ("drop", "redraw")
MAX_REDRAW_ROUNDS = 50


@dataclass(frozen=True)
class BootstrapSettings:
    """How to resample and summarise.

    sign_change "construct" (the default) aligns each resample's constructs with the original
    fit (Tenenhaus et al. 2005, p. 177): a construct's sign is arbitrary, so a resample whose
    weights point the other way is the same solution relabelled, not sampling variability;
    leaving it flipped would inflate standard errors. It flips whole constructs only, never
    single indicators, so genuine instability of one item still shows.
    """

    resamples: int = 5000
    seed: int = DEFAULT_SEED
    ci: str = "percentile"
    level: float = 0.95
    sign_change: str = "construct"
    on_failure: str = "drop"
    workers: int = 1

    def __post_init__(self) -> None:
        if self.resamples < 0:
            raise ValueError("resamples must be >= 0")
        if self.ci not in CI_METHODS or self.sign_change not in SIGN_CHANGES:
            raise ValueError("unknown CI method or sign-change option")
        if self.on_failure not in ON_FAILURE or not 0 < self.level < 1:
            raise ValueError("unknown on-failure option or level outside (0, 1)")

    def to_dict(self) -> dict:
        return {
            "n_requested": self.resamples,
            "seed": self.seed,
            "ci_method": self.ci,
            "level": self.level,
            "sign_change": self.sign_change,
            "on_failure": self.on_failure,
        }


@dataclass(frozen=True)
class Draws:
    """The bootstrap distribution of every estimate family: {family: (n_used, m)}."""

    values: dict[str, np.ndarray]
    n_requested: int
    n_failed: int  # resamples that could not be estimated (dropped or redrawn)
    n_redrawn: int
    failure_reasons: dict[str, int]

    @property
    def n_used(self) -> int:
        return next(iter(self.values.values())).shape[0]


@dataclass(frozen=True)
class Problem:
    """Everything a resample needs besides its counts: the data and the point fit."""

    values: np.ndarray  # (n, p) item matrix
    weights: np.ndarray | None  # survey weights (n,), or None
    layout: Layout
    pls: PlsSettings
    low: np.ndarray | float
    high: np.ndarray | float
    reference_weights: np.ndarray  # (p,) point-fit outer weights, for sign alignment
    extension: object = None  # computes more families per resample (csi.nonlinear)
    start: np.ndarray | None = None  # CB-SEM: the point fit's parameters, every refit's start

    def families(self) -> dict[str, int]:
        """Every family a resample yields, with its width."""
        widths = {family: len(self.layout.names(family)) for family in FAMILIES}
        if self.extension is not None:
            widths |= self.extension.families()
        return widths


def chunk_size(n: int) -> int:
    """Resamples per chunk, the unit of seeding and of parallel work: 500, fewer for large n
    so a chunk's count matrix stays near 40 MB. Depends on n only, never on the workers."""
    return int(min(500, max(10, 5_000_000 // n)))


def resample_counts(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    """(size, n) counts of n draws with replacement from n respondents."""
    draws = rng.integers(0, n, size=(size, n))
    offsets = (np.arange(size) * n)[:, None]
    return np.bincount((draws + offsets).ravel(), minlength=size * n).reshape(size, n)


def counts_from_indices(indices: np.ndarray, n: int) -> np.ndarray:
    """(B, n) counts from explicit 0-based resample row indices (B, n), e.g. a peer's."""
    offsets = (np.arange(indices.shape[0]) * n)[:, None]
    return np.bincount((indices + offsets).ravel(), minlength=indices.shape[0] * n).reshape(
        indices.shape[0], n
    )


def weighted_moments(values: np.ndarray, frequency: np.ndarray):
    """Means, SDs and covariances of the items under each row of frequency weights (b, n).

    mean = f X / sum f, cov = (X' diag(f) X - sum f * m m') / (sum f - 1), with X shifted to
    its column means first for numerical stability. Cost O(b n p^2) as matrix products; rows
    of X are processed in blocks so memory stays O(b p^2 + block p^2).
    """
    n, p = values.shape
    centre = values.mean(axis=0)
    upper = np.triu_indices(p)
    total = frequency.sum(axis=1)
    first = np.zeros((frequency.shape[0], p))
    second = np.zeros((frequency.shape[0], upper[0].size))
    block = max(1, 2_000_000 // max(upper[0].size, 1))
    for start in range(0, n, block):
        x = values[start : start + block] - centre
        f = frequency[:, start : start + block]
        first += f @ x
        second += f @ (x[:, upper[0]] * x[:, upper[1]])
    mean_shifted = first / total[:, None]
    cross = np.zeros((frequency.shape[0], p, p))
    cross[:, upper[0], upper[1]] = second
    cross[:, upper[1], upper[0]] = second
    cov = (cross - total[:, None, None] * mean_shifted[:, :, None] * mean_shifted[:, None, :])
    cov /= (total - 1)[:, None, None]
    sd = np.sqrt(np.clip(np.diagonal(cov, axis1=1, axis2=2), 0.0, None))
    return mean_shifted + centre, sd, cov


def estimate_batch(problem: Problem, frequency: np.ndarray, sign_change: str):
    """Estimate vectors for a batch of frequency-weight rows; returns (vectors, failed, reason).

    A resample fails when an item has zero variance in it or the algorithm does not
    converge; its rows in `vectors` are NaN.
    """
    mean, sd, cov = weighted_moments(problem.values, frequency)
    size = frequency.shape[0]
    reasons = np.full(size, "", dtype=object)
    constant = np.any(sd <= 1e-12 * np.maximum(1.0, np.abs(mean)), axis=1)
    reasons[constant] = "an item has zero variance in the resample"
    ok = np.flatnonzero(~constant)
    matrices = cov[ok]
    if problem.pls.standardize:
        matrices = matrices / (sd[ok, :, None] * sd[ok, None, :])
    widths = problem.families()
    vectors = {family: np.full((size, width), np.nan) for family, width in widths.items()}
    if ok.size:
        try:
            part = _estimate(problem, matrices, mean[ok], sd[ok], sign_change)
        except (EstimationError, np.linalg.LinAlgError):
            part = None
        if part is None:  # isolate the singular resamples one by one (rare)
            pieces, good = [], []
            for position, row in enumerate(ok):
                try:
                    pieces.append(_estimate(problem, matrices[position : position + 1],
                                            mean[row : row + 1], sd[row : row + 1], sign_change))
                    good.append(position)
                except (EstimationError, np.linalg.LinAlgError):
                    reasons[row] = "a singular regression in the resample"
            if pieces:
                part = ({k: np.concatenate([p[0][k] for p in pieces]) for k in FAMILIES},
                        np.concatenate([p[1] for p in pieces]),
                        np.concatenate([p[2] for p in pieces]))
            ok = ok[good]
        if part is not None:
            estimates, converged, failures = part
            reasons[ok[~converged]] = "PLS did not converge"
            reasons[ok[failures != ""]] = failures[failures != ""]  # estimator-specific
            for family in FAMILIES:
                vectors[family][ok] = estimates[family]
            if problem.extension is not None:
                _extend(problem, frequency, ok, estimates, vectors, reasons)
    failed = reasons != ""
    for family in vectors:
        vectors[family][failed] = np.nan
    return vectors, failed, reasons


def _extend(problem: Problem, frequency, ok, estimates, vectors, reasons) -> None:
    """Add the extension's families for the estimable rows (one by one if a batch fails)."""
    try:
        extra = problem.extension.statistics(frequency[ok], estimates)
        for family, values in extra.items():
            vectors[family][ok] = values
        return
    except (EstimationError, np.linalg.LinAlgError):
        pass
    for position, row in enumerate(ok):
        single = {k: v[position : position + 1] for k, v in estimates.items()}
        try:
            extra = problem.extension.statistics(frequency[row : row + 1], single)
        except (EstimationError, np.linalg.LinAlgError):
            reasons[row] = "a singular non-linear regression in the resample"
            continue
        for family, values in extra.items():
            vectors[family][row] = values[0]


def _estimate(problem: Problem, matrices, mean, sd, sign_change):
    """(vectors, converged, failure reasons) of a batch, for any estimator: PLS and PLSc share
    the weights (and the sign change); CB-SEM refits its model to every matrix (csi.cbsem)."""
    structure = problem.layout.structure
    if problem.pls.estimator == "cbsem":
        from csi.cbsem import estimate as cbsem_estimate

        estimates = cbsem_estimate(matrices, structure, problem.pls, start=problem.start)
        converged = estimates.converged
    else:
        weights, iterations, converged = outer_weights(matrices, structure, problem.pls)
        weights = _align_signs(weights, matrices, structure)
        if sign_change == "construct":
            weights = align_to_reference(weights, problem.reference_weights, structure, sd,
                                         problem.pls.standardize)
        estimates = derive_for(problem.pls)(weights, matrices, structure, iterations, converged)
    vectors = estimate_vectors(estimates, mean, sd, problem.layout, problem.low, problem.high,
                               problem.pls.standardize)
    failures = (estimates.failures if estimates.failures is not None
                else np.full(converged.shape[0], "", dtype=object))
    return vectors, converged, failures


def align_to_reference(weights: np.ndarray, reference: np.ndarray, structure, sd, standardized):
    """Construct-level sign change (Tenenhaus et al. 2005, p. 177): flip a construct's weights
    when |sum(w_ref - w)| > |sum(w_ref + w)| over its block."""
    w = weights if standardized else weights * sd
    membership = structure.membership
    minus = np.abs((reference[None, :] - w) @ membership)
    plus = np.abs((reference[None, :] + w) @ membership)
    flip = np.where(minus > plus, -1.0, 1.0)
    return weights * flip[:, structure.block_of]


def draw(problem: Problem, settings: BootstrapSettings,
         progress: Callable[[int], None] | None = None,
         indices: np.ndarray | None = None, executor=None) -> Draws:
    """Run the bootstrap: settings.resamples resamples in chunks, each seeded on its own.

    `indices` (B, n) replays given 0-based resamples instead of drawing (e.g. a peer's, to
    reproduce its bootstrap exactly). `executor` (a csi.scale_out executor, e.g. a Dask
    cluster) runs the chunks; by default the one set with csi.scale_out.use(), else
    settings.workers local threads. A chunk's numbers depend only on its own seed, so the
    result is the same byte for byte wherever and on how many workers the chunks run.
    """
    n = problem.values.shape[0]
    total = settings.resamples if indices is None else indices.shape[0]
    chunk = chunk_size(n)
    chunk_sizes = [min(chunk, total - start) for start in range(0, total, chunk)]
    seeds = np.random.SeedSequence(settings.seed).spawn(len(chunk_sizes))
    starts = np.cumsum([0] + chunk_sizes[:-1]).tolist()
    jobs = [(size, seeds[position],
             None if indices is None else indices[starts[position] : starts[position] + size])
            for position, size in enumerate(chunk_sizes)]
    if executor is None:
        from csi import scale_out

        executor = scale_out.active() or scale_out.LocalExecutor(
            max(1, min(settings.workers, len(chunk_sizes))))
    results = executor.map(draw_chunk, jobs, shared=(problem, settings), on_done=(
        None if progress is None else lambda position: progress(chunk_sizes[position])))

    reason_counts: dict[str, int] = {}
    for _, _, log, _ in results:
        for reason in log:
            reason_counts[reason] = reason_counts.get(reason, 0) + 1
    values = {}
    keep = np.concatenate([~r[1] for r in results]) if results else np.empty(0, dtype=bool)
    for family, width in problem.families().items():
        stacked = (np.concatenate([r[0][family] for r in results]) if results
                   else np.empty((0, width)))
        values[family] = stacked[keep]
    return Draws(
        values=values,
        n_requested=total,
        n_failed=sum(reason_counts.values()),
        n_redrawn=sum(r[3] for r in results),
        failure_reasons=dict(sorted(reason_counts.items())),
    )


def draw_chunk(context: tuple[Problem, BootstrapSettings], job: tuple):
    """One chunk of resamples: job = (size, SeedSequence, given (size, n) indices or None).

    Returns (vectors, failed, failure log, redrawn). A module-level function of its inputs
    only, so any executor (threads, a Dask worker) computes the same numbers.
    """
    problem, settings = context
    size, seed, given = job
    n = problem.values.shape[0]
    rng = np.random.default_rng(seed)
    counts = counts_from_indices(given, n) if given is not None else resample_counts(rng, n, size)
    vectors, failed, reasons = estimate_batch(problem, _frequency(problem, counts),
                                              settings.sign_change)
    log = list(reasons[failed])
    redrawn, rounds = 0, 0
    while settings.on_failure == "redraw" and failed.any() and rounds < MAX_REDRAW_ROUNDS:
        rows = np.flatnonzero(failed)
        again = resample_counts(rng, n, rows.size)
        new, new_failed, new_reasons = estimate_batch(problem, _frequency(problem, again),
                                                      settings.sign_change)
        for family in vectors:
            vectors[family][rows] = new[family]
        failed[rows] = new_failed
        log += list(new_reasons[new_failed])
        redrawn += rows.size
        rounds += 1
    return vectors, failed, log, redrawn


def _frequency(problem: Problem, counts: np.ndarray) -> np.ndarray:
    """Frequency weights of a resample: its counts, times the survey weights if any (the
    (respondent, weight) pairs are resampled, and estimates are weighted as in the fit)."""
    counts = counts.astype(float)
    return counts if problem.weights is None else counts * problem.weights[None, :]


@dataclass(frozen=True)
class Summary:
    """Inference for one family: arrays aligned with the family's estimates."""

    se: np.ndarray
    t: np.ndarray
    p: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray


def summarize(estimate: np.ndarray, draws: np.ndarray, settings: BootstrapSettings, n_obs: int,
              jackknife: np.ndarray | None = None) -> Summary:
    """SE (SD of the draws, ddof 1), t = estimate / SE, two-sided p from Student's t with
    n_obs - 1 df (as SmartPLS), and the percentile or BCa interval (Efron & Tibshirani 1993,
    ch. 13 and 14.3). `jackknife` (n, m) leave-one-out estimates are needed for BCa."""
    se = draws.std(axis=0, ddof=1) if draws.shape[0] > 1 else np.full(estimate.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, estimate / se, np.nan)
    p = 2 * scipy_stats.t.sf(np.abs(t), df=max(n_obs - 1, 1))
    alpha = 1 - settings.level
    if settings.ci == "bca":
        low_q, high_q = bca_levels(estimate, draws, jackknife, alpha)
        ci_low = _column_quantiles(draws, low_q)
        ci_high = _column_quantiles(draws, high_q)
    else:
        ci_low = _column_quantiles(draws, np.full(estimate.shape, alpha / 2))
        ci_high = _column_quantiles(draws, np.full(estimate.shape, 1 - alpha / 2))
    return Summary(se=se, t=t, p=p, ci_low=ci_low, ci_high=ci_high)


def bca_levels(estimate: np.ndarray, draws: np.ndarray, jackknife: np.ndarray, alpha: float):
    """BCa quantile levels per estimate (Efron 1987; Efron & Tibshirani 1993, eq. 14.9-14.15).

    z0 = Phi^-1(share of draws below the estimate, ties counted half);
    a = sum(d^3) / (6 (sum d^2)^1.5), d = mean(jackknife) - jackknife.
    """
    below = (draws < estimate).mean(axis=0) + 0.5 * (draws == estimate).mean(axis=0)
    z0 = scipy_stats.norm.ppf(np.clip(below, 1e-12, 1 - 1e-12))
    d = jackknife.mean(axis=0) - jackknife
    with np.errstate(divide="ignore", invalid="ignore"):
        accel = (d**3).sum(axis=0) / (6 * ((d**2).sum(axis=0)) ** 1.5)
    accel = np.nan_to_num(accel)
    levels = []
    for quantile in (alpha / 2, 1 - alpha / 2):
        z = scipy_stats.norm.ppf(quantile)
        levels.append(scipy_stats.norm.cdf(z0 + (z0 + z) / (1 - accel * (z0 + z))))
    return levels[0], levels[1]


def _column_quantiles(draws: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Quantile of each column at its own level (linear interpolation, R's type 7)."""
    if draws.shape[0] == 0:
        return np.full(levels.shape, np.nan)
    ordered = np.sort(draws, axis=0)
    position = np.clip(levels, 0, 1) * (draws.shape[0] - 1)
    lower = np.floor(position).astype(int)
    upper = np.minimum(lower + 1, draws.shape[0] - 1)
    fraction = position - lower
    columns = np.arange(draws.shape[1])
    return ordered[lower, columns] * (1 - fraction) + ordered[upper, columns] * fraction


def jackknife(problem: Problem, sign_change: str, groups: int | None = None) -> dict:
    """Leave-one-out estimates {family: (n, m)} for the BCa acceleration, batched.

    Above 5,000 respondents, a grouped (delete-d) jackknife over 1,000 contiguous groups
    approximates it at a fraction of the cost (Efron & Tibshirani 1993, sec. 11.5).
    """
    n = problem.values.shape[0]
    if groups is None:
        groups = n if n <= 5000 else 1000
    membership = np.minimum(np.arange(n) * groups // n, groups - 1)
    results = {family: [] for family in problem.families()}
    step = chunk_size(n)
    for start in range(0, groups, step):
        stop = min(start + step, groups)
        frequency = np.ones((stop - start, n))
        frequency[membership[None, :] == np.arange(start, stop)[:, None]] = 0.0
        if problem.weights is not None:
            frequency *= problem.weights[None, :]
        vectors, failed, _ = estimate_batch(problem, frequency, sign_change)
        for family in results:
            results[family].append(vectors[family][~failed])
    return {family: np.concatenate(parts) for family, parts in results.items()}
