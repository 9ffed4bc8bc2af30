"""Bootstrap inference for every reported estimate, batched over resamples.

PLS-PM depends on the data only through the item moments, so a resample is a vector of
respondent counts c (how often each respondent was drawn): its moments are c-weighted sums,
computed for a whole chunk of resamples with one matrix product, and the PLS iterations then
run on the stacked moment matrices (every estimator works on batches). Resamples are drawn in fixed
seed blocks, each from its own generator spawned from one SeedSequence; a job of work groups
whole seed blocks, as many as a memory budget allows, and computes their moments in one pass
over the data. Results depend on neither the budget nor the number of workers.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from csi import estimators
from csi.errors import EstimationError
from csi.estimators.base import EstimatorFit, PlsSettings
from csi.estimators.reported import FAMILIES, estimate_vectors
from csi.model.structure import Layout
from csi.sample import Sample, compact_counts, counts_from_indices

DEFAULT_SEED = 20261128
CI_METHODS = ("percentile", "bca")
SIGN_CHANGES = ("none", "construct")
ON_FAILURE = ("drop", "redraw")
MAX_REDRAW_ROUNDS = 50
MEMORY_VARIABLE = "CSI_MEMORY"  # the environment setting of the memory budget, like --memory
DEFAULT_MEMORY_CAP = 256 * 2**20  # a chunk's default budget: at most this...
DEFAULT_MEMORY_SHARE = 0.25  # ...and at most this share of available RAM per CPU
JOB_RESAMPLES = 256  # seed blocks are grouped into jobs of up to this many resamples: past it
# a matrix product is no faster, and smaller jobs keep several workers busy


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
    memory: int | None = None  # bytes a chunk of work may use; None: memory_budget()

    def __post_init__(self) -> None:
        if self.resamples < 0:
            raise ValueError("resamples must be >= 0")
        if self.memory is not None and self.memory <= 0:
            raise ValueError("memory must be a positive number of bytes")
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

    sample: Sample
    layout: Layout
    pls: PlsSettings
    low: np.ndarray | float
    high: np.ndarray | float
    reference: EstimatorFit  # the point fit: construct signs and starting values
    extension: object = None  # computes more families per resample (csi.drivers.nonlinear)

    def families(self) -> dict[str, int]:
        """Every family a resample yields, with its width."""
        widths = {family: len(self.layout.names(family)) for family in FAMILIES}
        if self.extension is not None:
            widths |= self.extension.families()
        return widths


def chunk_size(n: int) -> int:
    """Resamples per seed block, the unit of seeding: 500, fewer for large n so a block's
    draws stay near 40 MB. Depends on n only, never on the workers or the memory budget."""
    return int(min(500, max(10, 5_000_000 // n)))


def parse_memory(text: str) -> int:
    """Bytes from '512M', '2G', '1.5GB', '800MiB' or a plain number of bytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*", str(text), re.IGNORECASE)
    if not match:
        raise ValueError(f"memory '{text}' is not a size such as 512M or 2G")
    factor = 1024 ** "_kmgt".index(match.group(2).lower() or "_")
    value = int(float(match.group(1)) * factor)
    if value <= 0:
        raise ValueError(f"memory '{text}' must be positive")
    return value


def available_memory() -> int:
    """Available RAM in bytes (MemAvailable on Linux, else physical pages)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


def memory_budget(memory: int | None = None) -> int:
    """Bytes one chunk of work may use: `memory`, else $CSI_MEMORY, else a quarter of the
    available RAM per CPU, at most 256 MiB (past that, bigger chunks are no faster)."""
    if memory is not None:
        return int(memory)
    if os.environ.get(MEMORY_VARIABLE):
        return parse_memory(os.environ[MEMORY_VARIABLE])
    share = DEFAULT_MEMORY_SHARE * available_memory() / (os.cpu_count() or 1)
    return int(max(16 * 2**20, min(DEFAULT_MEMORY_CAP, share)))


def used_pairs(problem: Problem):
    """The (rows, columns) of the upper covariance triangle the estimator reads, when it
    declares them and they save work (under 3/4 of all); None: all of them."""
    pairs = getattr(estimators.get(problem.pls.estimator), "pairs", None)
    if pairs is None:
        return None
    rows, columns = pairs(problem.layout.structure)
    p = problem.layout.structure.block_of.size
    return None if rows.size > 0.75 * p * (p + 1) / 2 else (rows, columns)


def resamples_per_chunk(problem: Problem, budget: int) -> int:
    """How many resamples one chunk of work estimates at once within `budget` bytes: each
    holds its counts (n small integers, and floats for a block of rows), its p x p moment
    matrix and the estimator's few p x p temporaries."""
    n = problem.sample.rows
    p = problem.layout.structure.block_of.size
    each = 2 * n + 8 * 8 * p * p + 8 * 64 * p
    return int(max(1, budget // each))


def estimate_batch(problem: Problem, frequency: np.ndarray, sign_change: str, pairs=None,
                   budget: int = 32 * 2**20):
    """Estimate vectors for a batch of frequency-weight rows; returns (vectors, failed, reason).

    A resample fails when an item has zero variance in it or the algorithm does not
    converge; its rows in `vectors` are NaN. `pairs`: only the covariances the estimator
    reads are computed (used_pairs).
    """
    mean, sd, cov = problem.sample.batch_moments(frequency, pairs, budget)
    size = frequency.shape[0]
    reasons = np.full(size, "", dtype=object)
    constant = np.any(sd <= 1e-12 * np.maximum(1.0, np.abs(mean)), axis=1)
    reasons[constant] = "an item has zero variance in the resample"
    ok = np.flatnonzero(~constant)
    matrices = cov if ok.size == size else cov[ok]
    del cov
    if problem.pls.standardize:  # in place: one (b, p, p) array less
        matrices /= sd[ok, :, None] * sd[ok, None, :]
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
        extra = problem.extension.statistics(np.asarray(frequency[ok], float), estimates)
        for family, values in extra.items():
            vectors[family][ok] = values
        return
    except (EstimationError, np.linalg.LinAlgError):
        pass
    for position, row in enumerate(ok):
        single = {k: v[position : position + 1] for k, v in estimates.items()}
        try:
            extra = problem.extension.statistics(
                np.asarray(frequency[row : row + 1], float), single)
        except (EstimationError, np.linalg.LinAlgError):
            reasons[row] = "a singular non-linear regression in the resample"
            continue
        for family, values in extra.items():
            vectors[family][row] = values[0]


def _estimate(problem: Problem, matrices, mean, sd, sign_change):
    """(vectors, converged, failure reasons) of a batch, for any estimator in the registry."""
    estimator = estimators.get(problem.pls.estimator)
    estimates = estimator.estimate(matrices, problem.layout.structure, problem.pls,
                                   reference=problem.reference,
                                   align=sign_change == "construct")
    adjust = getattr(problem.extension, "adjust", None)  # interaction terms' rescaling
    if adjust is not None:
        estimates = adjust(estimates, sd)
    vectors = estimate_vectors(estimates, mean, sd, problem.layout, problem.low, problem.high,
                               problem.pls.standardize)
    failures = (estimates.failures if estimates.failures is not None
                else np.full(estimates.converged.shape[0], "", dtype=object))
    return vectors, estimates.converged, failures


def draw(problem: Problem, settings: BootstrapSettings,
         progress: Callable[[int], None] | None = None,
         indices: np.ndarray | None = None, executor=None) -> Draws:
    """Run the bootstrap: settings.resamples resamples in seed blocks, each seeded on its own.

    `indices` (B, n) replays given 0-based resamples instead of drawing (e.g. a peer's, to
    reproduce its bootstrap exactly). `executor` (a csi.scale_out executor, e.g. a Dask
    cluster) runs the jobs, each a run of whole seed blocks sized by the memory budget; by
    default the one set with csi.scale_out.use(), else settings.workers local threads. A
    block's numbers depend only on its own seed, so the result is the same wherever, in
    what jobs and on how many workers the blocks run.
    """
    n = problem.sample.rows
    total = settings.resamples if indices is None else indices.shape[0]
    unit = chunk_size(n)
    unit_sizes = [min(unit, total - start) for start in range(0, total, unit)]
    seeds = np.random.SeedSequence(settings.seed).spawn(len(unit_sizes))
    starts = np.cumsum([0] + unit_sizes[:-1]).tolist()
    units = [(size, seeds[position],
              None if indices is None else indices[starts[position] : starts[position] + size])
             for position, size in enumerate(unit_sizes)]
    budget = memory_budget(settings.memory)
    per_job = max(1, min(resamples_per_chunk(problem, budget), JOB_RESAMPLES) // unit)
    jobs = [units[start : start + per_job] for start in range(0, len(units), per_job)]
    job_sizes = [sum(u[0] for u in job) for job in jobs]
    if executor is None:
        from csi import scale_out

        executor = scale_out.active() or scale_out.LocalExecutor(
            max(1, min(settings.workers, len(jobs))))
    results = executor.map(draw_chunk, jobs, shared=(problem, settings, budget), on_done=(
        None if progress is None else lambda position: progress(job_sizes[position])))

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


def draw_chunk(context: tuple, job: list):
    """One job: a run of seed blocks, each (size, SeedSequence, given (size, n) indices or
    None). context = (problem, settings[, memory budget in bytes]).

    The blocks' counts are stacked (as small integers) and their moments computed in one
    pass over the data, then estimated in batches that fit the budget; failed resamples are
    redrawn from their own block's generator. Returns (vectors, failed, failure log,
    redrawn). A module-level function of its inputs only, so any executor (threads, a Dask
    worker) computes the same numbers.
    """
    problem, settings = context[0], context[1]
    budget = context[2] if len(context) > 2 else memory_budget(settings.memory)
    if isinstance(job, tuple):  # one seed block, as before seed blocks were grouped
        job = [job]
    n = problem.sample.rows
    pairs = used_pairs(problem)
    rngs = [np.random.default_rng(seed) for _, seed, _ in job]
    counts = compact_counts(np.concatenate([
        compact_counts(counts_from_indices(given, n) if given is not None
                       else problem.sample.resample_counts(rng, size))
        for (size, _, given), rng in zip(job, rngs)]))
    vectors, failed, reasons = _estimate_in_batches(problem, counts, settings.sign_change,
                                                    pairs, budget)
    del counts
    log = list(reasons[failed])
    redrawn = 0
    offset = 0
    for (size, _, _), rng in zip(job, rngs):
        rounds = 0
        while (settings.on_failure == "redraw" and failed[offset : offset + size].any()
               and rounds < MAX_REDRAW_ROUNDS):
            rows = offset + np.flatnonzero(failed[offset : offset + size])
            again = compact_counts(problem.sample.resample_counts(rng, rows.size))
            new, new_failed, new_reasons = _estimate_in_batches(
                problem, again, settings.sign_change, pairs, budget)
            for family in vectors:
                vectors[family][rows] = new[family]
            failed[rows] = new_failed
            log += list(new_reasons[new_failed])
            redrawn += rows.size
            rounds += 1
        offset += size
    return vectors, failed, log, redrawn


def _estimate_in_batches(problem: Problem, counts: np.ndarray, sign_change: str, pairs,
                         budget: int):
    """estimate_batch over consecutive batches of rows that fit the memory budget."""
    step = resamples_per_chunk(problem, budget)
    if counts.shape[0] <= step:
        return estimate_batch(problem, counts, sign_change, pairs, budget // 4)
    parts = [estimate_batch(problem, counts[start : start + step], sign_change, pairs,
                            budget // 4)
             for start in range(0, counts.shape[0], step)]
    return ({family: np.concatenate([part[0][family] for part in parts])
             for family in parts[0][0]},
            np.concatenate([part[1] for part in parts]),
            np.concatenate([part[2] for part in parts]))


def jackknife(problem: Problem, sign_change: str, groups: int | None = None):
    """Leave-one-out estimates {family: (g, m)} and their weights (g,) for the BCa
    acceleration, batched (csi.sample.Sample.leave_one_out).

    Above 5,000 respondents, a grouped (delete-d) jackknife over 1,000 contiguous groups
    approximates it at a fraction of the cost (Efron & Tibshirani 1993, sec. 11.5).
    """
    n = problem.sample.rows
    if groups is None:
        groups = n if n <= 5000 else 1000
    frequency, multiplicity = problem.sample.leave_one_out(groups)
    results = {family: [] for family in problem.families()}
    kept = []
    step = chunk_size(n)
    for start in range(0, groups, step):
        vectors, failed, _ = estimate_batch(problem, frequency[start : start + step],
                                            sign_change)
        kept.append(multiplicity[start : start + step][~failed])
        for family in results:
            results[family].append(vectors[family][~failed])
    return ({family: np.concatenate(parts) for family, parts in results.items()},
            np.concatenate(kept))
