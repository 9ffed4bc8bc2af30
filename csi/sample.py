"""The data an estimator sees: item values and frequency weights, and their moments.

A `Sample` is the only place a weight is applied. Weights are frequency weights: a respondent
with weight w counts as w identical respondents, so every statistic (means, covariances,
sample size, bootstrap resamples) equals that of the data with its rows repeated. A bootstrap
resample is the same Sample seen through other frequencies (counts of each respondent).

PLS path modeling depends on the data only through these moments (Lohmöller 1989, ch. 2), so
the moments are computed once per sample or per batch of resamples and everything else runs on
small p x p matrices.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from csi.errors import DataError

ROW_BLOCK = 65536  # rows per block of a streamed cross-product: memory O(p^2), not O(n p)
BLOCK_BYTES = 1 << 22  # and at most this many bytes per (rows, p) block temporary
UNIT_DRAWS_MAX = 10  # weighted resamples draw units one by one up to this many per respondent


@dataclass(frozen=True)
class Moments:
    """Means, standard deviations (divisor n - 1) and covariance matrix of the item columns;
    n is the sample size they stand for (the sum of the frequency weights)."""

    n: int
    mean: np.ndarray  # (p,)
    sd: np.ndarray  # (p,)
    cov: np.ndarray  # (p, p)

    @property
    def cor(self) -> np.ndarray:
        return self.cov / np.outer(self.sd, self.sd)


def from_estimates(n: int, mean: np.ndarray, cov: np.ndarray) -> Moments:
    """Moments given directly, e.g. by EM under missing data."""
    sd = np.sqrt(np.clip(np.diagonal(cov), 0.0, None))
    return Moments(n=n, mean=np.asarray(mean, float), sd=sd, cov=np.asarray(cov, float))


def moments(data: np.ndarray, weights: np.ndarray | None = None) -> Moments:
    """Moments of an (n, p) matrix in one pass over row blocks, without a centred copy.

    Unweighted: cov = (X'X - n m m') / (n - 1) on data shifted to the first row (numerical
    stability). With frequency weights f: mean = f'X / sum f and
    cov = sum f (x - m)(x - m)' / (sum f - 1), the moments of the rows repeated f times.
    """
    n, p = data.shape
    step = row_block(p)
    if weights is not None:
        total = float(weights.sum())
        if isinstance(data, np.ndarray):
            mean = weights @ data / total
        else:  # compact answers: f'X summed over decoded row blocks (order: about 1e-16)
            mean = sum(weights[a:a + step] @ data[a:a + step] for a in range(0, n, step))
            mean = mean / total
        cross = np.zeros((p, p))
        for start in range(0, n, step):
            chunk = data[start : start + step] - mean
            cross += (chunk * weights[start : start + step, None]).T @ chunk
        cov = cross / (total - 1)
        cov = (cov + cov.T) / 2
        sd = np.sqrt(np.clip(np.diagonal(cov), 0.0, None))
        return Moments(n=effective_size(total), mean=mean, sd=sd, cov=cov)
    origin = data[0].astype(float)
    column_sums = np.zeros(p)
    cross = np.zeros((p, p))
    for start in range(0, n, step):
        chunk = data[start : start + step] - origin
        column_sums += chunk.sum(axis=0)
        cross += chunk.T @ chunk
    shifted_mean = column_sums / n
    cov = (cross - n * np.outer(shifted_mean, shifted_mean)) / (n - 1)
    cov = (cov + cov.T) / 2
    sd = np.sqrt(np.clip(np.diagonal(cov), 0.0, None))
    return Moments(n=n, mean=shifted_mean + origin, sd=sd, cov=cov)


def row_block(p: int) -> int:
    """Rows per block of a one-pass moment computation: ROW_BLOCK, fewer for wide data so a
    block's temporaries stay within BLOCK_BYTES (a point fit's memory is the data, not
    copies of it)."""
    return max(1024, min(ROW_BLOCK, BLOCK_BYTES // (8 * max(p, 1))))


def batch_moments(values: np.ndarray, frequency: np.ndarray, pairs=None,
                  budget: int = 32 * 2**20):
    """Means, SDs and covariances of the items under each row of frequencies (b, n).

    mean = f X / sum f, cov = (X' diag(f) X - sum f * m m') / (sum f - 1), with X shifted to
    its column means first for numerical stability. `pairs` (rows, columns) of the upper
    triangle limits the covariances computed to those a model uses (the others are left 0;
    the diagonal must be among them). Cost O(b n |pairs|) as matrix products in one pass
    over row blocks of X sized so that a block's temporaries stay within `budget` bytes;
    `frequency` may be any numeric dtype (small integer counts save memory).
    """
    n, p = values.shape
    b_count = frequency.shape[0]
    upper = np.triu_indices(p) if pairs is None else pairs
    width = upper[0].size
    total = frequency.sum(axis=1, dtype=float)
    first = np.zeros((b_count, p))
    second = np.zeros((b_count, width))
    block = int(max(64, min(n, budget // (8 * (3 * width + b_count + p)))))
    centre, single = _integer_shift(values, frequency, total)
    if single is None:
        centre = values.mean(axis=0)
    for start in range(0, n, block):
        x = values[start : start + block] - centre
        if single is None:
            f = np.array(frequency[:, start : start + block], dtype=float, order="C")
        else:  # exact: see _integer_shift
            x = x.astype(single)
            f = np.array(frequency[:, start : start + block], dtype=single, order="C")
        first += f @ x
        second += f @ (x[:, upper[0]] * x[:, upper[1]])
    mean_shifted = first / total[:, None]
    # the covariances of the pairs, then one scatter into the (b, p, p) stack (a model's
    # pairs may be few of p^2: no pass over the whole stack but the zeros)
    if pairs is None:
        product = total[:, None] * mean_shifted[:, upper[0]] * mean_shifted[:, upper[1]]
    else:
        product = mean_shifted[:, upper[0]] * mean_shifted[:, upper[1]] * total[:, None]
    second -= product
    second /= (total - 1)[:, None]
    cov = np.zeros((b_count, p, p))
    cov[:, upper[0], upper[1]] = second
    cov[:, upper[1], upper[0]] = second
    sd = np.sqrt(np.clip(np.diagonal(cov, axis1=1, axis2=2), 0.0, None))
    return mean_shifted + centre, sd, cov


SINGLE_EXACT = 2**24  # float32 holds every integer up to this magnitude exactly


def _integer_shift(values: np.ndarray, frequency: np.ndarray, total: np.ndarray):
    """(shift, float32) when the resample sums can run in single precision without a
    rounding: whole-number answers shifted by their rounded means and whole-number counts
    make every product and partial sum f x_i x_j an integer, exact in float32 while the
    sums stay below 2^24 (a 1-10 scale: up to ~200,000 respondents), and float32 products
    take half the time of float64 ones; else (None, None)."""
    if frequency.dtype.kind not in "iu" or not values.size:
        return None, None
    shift = np.round(values.mean(axis=0))
    spread = float(np.max(np.maximum(values.max(axis=0) - shift, shift - values.min(axis=0))))
    if not np.isfinite(spread) or float(np.max(total)) * max(spread, 1.0) ** 2 >= SINGLE_EXACT:
        return None, None
    step = row_block(values.shape[1])  # whole numbers? (row blocks: no (n, p) temporary)
    if not all(np.array_equal(part, np.rint(part))
               for part in (values[start:start + step] for start in range(0, len(values), step))):
        return None, None
    return shift, np.float32


@dataclass(frozen=True)
class MomentSums:
    """The sufficient statistics of one part of the data: the weight total, the means and
    the centred cross-product matrix sum f (x - mean)(x - mean)'; parts combine exactly."""

    total: float
    mean: np.ndarray  # (p,)
    m2: np.ndarray  # (p, p)

    def to_moments(self) -> Moments:
        cov = self.m2 / (self.total - 1)
        sd = np.sqrt(np.clip(np.diagonal(cov), 0.0, None))
        return Moments(n=effective_size(self.total), mean=self.mean, sd=sd, cov=cov)


def moment_sums(data: np.ndarray, weights: np.ndarray | None = None) -> MomentSums:
    """MomentSums of an (n, p) part (the map step of partitioned moments)."""
    total = float(data.shape[0] if weights is None else np.sum(weights, dtype=float))
    if data.shape[0] == 0 or total == 0:
        p = data.shape[1]
        return MomentSums(0.0, np.zeros(p), np.zeros((p, p)))
    if data.shape[0] == 1:
        return MomentSums(total, data[0].astype(float), np.zeros((data.shape[1],) * 2))
    part = moments(data, weights)
    return MomentSums(total, part.mean, part.cov * (total - 1))


def combine_sums(a: MomentSums, b: MomentSums) -> MomentSums:
    """Two parts' sums as one (the reduce step): the pairwise update of Chan, Golub &
    LeVeque (1979, eq. 2.1): m2 = m2_a + m2_b + d d' n_a n_b / n with d = mean_b - mean_a."""
    if b.total == 0:
        return a
    if a.total == 0:
        return b
    total = a.total + b.total
    delta = b.mean - a.mean
    mean = a.mean + delta * (b.total / total)
    m2 = a.m2 + b.m2 + np.outer(delta, delta) * (a.total * b.total / total)
    return MomentSums(total, mean, (m2 + m2.T) / 2)


def reduce_sums(parts) -> MomentSums:
    """All parts' sums as one, combined pairwise as a balanced tree (rounding error grows
    with log(parts), not with their number)."""
    parts = list(parts)
    while len(parts) > 1:
        parts = [combine_sums(parts[i], parts[i + 1]) if i + 1 < len(parts) else parts[i]
                 for i in range(0, len(parts), 2)]
    return parts[0]


def _part_sums(sample: Sample, bounds: tuple[int, int]) -> MomentSums:
    start, stop = bounds
    weights = None if sample.weights is None else sample.weights[start:stop]
    return moment_sums(sample.values[start:stop], weights)


def _slice_sums(part: tuple) -> MomentSums:
    values, weights = part
    return moment_sums(values, weights)


def partitioned_moments(sample: Sample, executor=None) -> Moments:
    """The sample's moments as a map-reduce over its partitions: MomentSums per partition
    (on `executor`, e.g. a Dask cluster, or csi.scale_out.active(), else in turn here),
    combined on the driver. Equal to moments() up to rounding (about 1e-15 relative)."""
    bounds = sample.partition_bounds()
    if executor is None:
        from csi import scale_out

        executor = scale_out.active()
    if executor is None:
        parts = [_part_sums(sample, span) for span in bounds]
    else:
        parts = executor.map(_slice_sums, [
            (sample.values[a:b], None if sample.weights is None else sample.weights[a:b])
            for a, b in bounds])
    return reduce_sums(parts).to_moments()


def compact_counts(counts: np.ndarray) -> np.ndarray:
    """Counts in the smallest unsigned integer type that holds them (a (b, n) matrix of
    resample counts is mostly 0-5: a byte each instead of eight)."""
    top = int(counts.max(initial=0))
    for kind in (np.uint8, np.uint16, np.uint32):
        if top <= np.iinfo(kind).max:
            return counts.astype(kind)
    return counts


def effective_size(total: float) -> int:
    """The sample size a weight total stands for (frequency weights: their sum)."""
    return int(round(total))


@dataclass(frozen=True)
class Sample:
    """Item values (n, p) of the respondents used, their frequency weights (None: each
    counts once) and, under --missing em, EM's moment estimates for the point fit."""

    values: np.ndarray
    weights: np.ndarray | None = None
    em_mean: np.ndarray | None = None
    em_cov: np.ndarray | None = None
    partitions: np.ndarray | None = None  # first row of each partition (from 0), if any
    em_iterations: int | None = None  # EM's iterations, under --missing em
    given: Moments | None = None  # moments reduced elsewhere (csi.partition_sums): no rows
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def of(cls, items, partitions: np.ndarray | None = None, compact: bool = False) -> Sample:
        """The Sample of prepared items (csi.ingest.ItemData): under --missing mean or em the
        gaps are filled here, with the frequency weights (weighted item means, or EM's
        conditional means, keeping EM's moments for the point fit). `partitions`: where
        each partition of a partitioned survey starts (csi.ingest.partitions). `compact`:
        keep the items' compact answers (csi.ingest.compact) when no gap needs filling, for
        a point fit, which reads them only through moments(); otherwise, as whatever
        resamples or imputes rows needs, the float matrix."""
        from csi.ingest.compact import CompactAnswers
        from csi.ingest.partitions import used_starts

        values = items.values
        if isinstance(values, CompactAnswers) and not (compact and items.cells_imputed == 0):
            values = values.dense()
        values, em = fill_missing(values, items.weights, items.missing, items.items)
        return cls(values=values, weights=items.weights,
                   em_mean=None if em is None else em.mean,
                   em_cov=None if em is None else em.cov,
                   partitions=used_starts(partitions, items.rows),
                   em_iterations=None if em is None else em.iterations)

    def partition_bounds(self) -> list[tuple[int, int]]:
        """(start, stop) rows of each non-empty partition (one: the whole sample)."""
        starts = [0] if self.partitions is None else sorted(set(int(r) for r in self.partitions))
        edges = [s for s in starts if 0 <= s < self.rows] + [self.rows]
        edges = sorted(set([0] + edges))
        return [(a, b) for a, b in zip(edges[:-1], edges[1:]) if b > a]

    @property
    def rows(self) -> int:
        """Respondents (rows) in the sample."""
        return self.values.shape[0]

    @property
    def size(self) -> int:
        """The sample size: respondents, or the sum of their frequency weights."""
        return self.rows if self.weights is None else effective_size(self.weights.sum())

    def moments(self) -> Moments:
        """The moments the point fit runs on: EM's under --missing em, else the sample's
        (computed once: the point fit and the model fit both read them)."""
        if "moments" not in self._cache:
            found = self._moments()
            for array in (found.mean, found.sd, found.cov):
                array.setflags(write=False)  # shared by every caller: never changed in place
            self._cache["moments"] = found
        return self._cache["moments"]

    def _moments(self) -> Moments:
        if self.given is not None:
            return self.given
        if self.em_mean is not None and self.em_cov is not None:
            return from_estimates(self.size, self.em_mean, self.em_cov)
        if self.partitions is not None:
            return partitioned_moments(self)
        return moments(self.values, self.weights)

    def batch_moments(self, frequency: np.ndarray, pairs=None, budget: int = 32 * 2**20):
        """(mean, sd, cov) of a batch of resamples given as frequencies (b, n), only the
        covariances of `pairs` when given (csi.sample.batch_moments)."""
        return batch_moments(self.values, frequency, pairs, budget)

    def frequencies(self) -> np.ndarray:
        """The sample's own frequencies (1, n): its moments equal `moments()` (but for EM)."""
        return (np.ones((1, self.rows)) if self.weights is None
                else np.asarray(self.weights, float)[None, :])

    def within(self, membership: np.ndarray) -> np.ndarray:
        """Frequencies (b, n) of the subsamples that 0/1 `membership` rows (b, n) select,
        each respondent keeping its weight (e.g. the two groups of a permutation)."""
        return membership * self.frequencies()

    def resample_counts(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """(size, n) counts of `size` bootstrap resamples: each draws the sample's size in
        units with replacement, a unit being one of a respondent's w copies, so a weighted
        sample resamples exactly as its repeated rows would (for integer weights the
        counts equal those of the expanded data, draw for draw)."""
        n = self.rows
        if self.weights is None:
            draws = rng.integers(0, n, size=(size, n))
        else:
            weights = np.asarray(self.weights, float)
            total = weights.sum()
            units = effective_size(total)
            if units > UNIT_DRAWS_MAX * n:  # large totals: the same law, O(size n) memory
                return rng.multinomial(units, weights / total, size=size)
            edges = np.cumsum(weights)
            if np.all(weights == np.round(weights)):
                picks = rng.integers(0, units, size=(size, units))
            else:
                picks = rng.random((size, units)) * total
            draws = np.minimum(np.searchsorted(edges, picks, side="right"), n - 1)
        return counts_from_indices(draws, n)

    def leave_one_out(self, groups: int) -> tuple[np.ndarray, np.ndarray]:
        """Frequencies (groups, n) of a delete-one jackknife and the weight of each.

        groups == n: each row removes one unit of one respondent (a respondent with weight
        w stands for w identical leave-one-out samples, hence the weight w). Fewer groups:
        contiguous groups of respondents are left out whole, each weighing 1 (the grouped
        jackknife, Efron & Tibshirani 1993, sec. 11.5)."""
        n = self.rows
        base = self.frequencies()[0]
        if groups == n:
            frequency = np.tile(base, (n, 1))
            removed = np.minimum(base, 1.0)
            frequency[np.arange(n), np.arange(n)] -= removed
            return frequency, base.copy()
        membership = np.minimum(np.arange(n) * groups // n, groups - 1)
        frequency = np.tile(base, (groups, 1))
        frequency[membership[None, :] == np.arange(groups)[:, None]] = 0.0
        return frequency, np.ones(groups)


def counts_from_indices(indices: np.ndarray, n: int) -> np.ndarray:
    """(B, n) counts from 0-based resample row indices (B, m), e.g. a peer's resamples."""
    counts = np.empty((indices.shape[0], n), dtype=np.int64)
    for row, picks in enumerate(indices):  # row by row: the bins stay in cache (2x faster)
        counts[row] = np.bincount(picks, minlength=n)
    return counts


def pooled(*samples: Sample) -> Sample:
    """One Sample of several samples' respondents, each keeping its weight (EM moments,
    which belong to one sample, are not carried over)."""
    weighted = any(s.weights is not None for s in samples)
    return Sample(
        values=np.concatenate([s.values for s in samples]),
        weights=(np.concatenate([s.frequencies()[0] for s in samples]) if weighted else None),
    )


# -- missing answers: mean imputation and EM moments -------------------------------------------
# (Moved here from csi.ingest so that the Sample is the only place frequency weights are
# applied.) Missing answers: mean imputation, and EM estimates of the indicators' means and covariance.
# 
# PLS path modeling needs only the indicators' means and covariance (DESIGN.md), so the
# principled way to use every respondent is to estimate those moments by maximum likelihood
# from the incomplete data, under the multivariate-normal model with answers missing at random:
# the EM algorithm of Dempster, Laird & Rubin (1977), in the form of Little & Rubin (2002),
# *Statistical Analysis with Missing Data*, 2nd ed., section 11.2.1 (see also Schafer 1997,
# *Analysis of Incomplete Multivariate Data*, ch. 5, for the grouping by missingness pattern).
# 
# E-step: for respondents of missingness pattern g (observed items o, missing m), the missing
# answers' conditional distribution given the observed ones under the current (mu, Sigma) is
# normal with mean  a + B x_o  and covariance  C, where
#     B = Sigma_mo Sigma_oo^-1,   a = mu_m - B mu_o,   C = Sigma_mm - B Sigma_om.
# The expected sufficient statistics sum x and sum x x' add E[x_m] and E[x_m x_m'] =
# E[x_m] E[x_m]' + C. M-step: mu = T1 / N, Sigma = T2 / N - mu mu'.
# 
# Implementation. The observed-data sums of each pattern (N_g, sum x_o, sum x_o x_o') are
# computed once; every iteration then costs O(G p^3) for G patterns, whatever the number of
# respondents. B and C come from the precision matrix K = Sigma^-1 (B = -K_mm^-1 K_mo,
# C = K_mm^-1; Little & Rubin 2002, sec. 11.2.1, via the sweep operator's identity), and all
# patterns of a chunk are handled at once as p x p matrices: inverting K restricted to the
# missing block (with the identity on the observed block) gives K_mm^-1 for every pattern in
# one batched call. Survey weights, when given, weight each respondent's contribution
# (pseudo-maximum likelihood). The covariance returned is rescaled by N / (N - 1), so that with
# no missing answers EM returns exactly the sample moments of csi.moments (one iteration).



EM_CHUNK = 1024  # patterns per batched step (memory ~ 6 * chunk * p^2 floats)


class EmError(ValueError):
    """EM cannot estimate the moments (e.g. two items never answered together)."""


@dataclass(frozen=True)
class EmEstimate:
    """Maximum-likelihood means and covariance from incomplete data, and the imputations."""

    mean: np.ndarray  # (p,)
    cov: np.ndarray  # (p, p), divisor N - 1 (N = sum of weights)
    imputed: np.ndarray  # (n, p): observed answers, and E[x_m | x_o] in the missing cells
    iterations: int
    converged: bool
    patterns: int


def em_moments(data: np.ndarray, weights: np.ndarray | None = None, *, tol: float = 1e-10,
               max_iter: int = 5000) -> EmEstimate:
    """EM estimates of the mean and covariance of `data` (n, p) with NaN for missing cells.

    Every row must have at least one observed value and every pair of columns must be
    observed together at least once (otherwise their covariance is not identified: EmError).
    Iterates until the largest change of any mean (in standard deviations) and any covariance
    (in products of standard deviations) is below `tol`.
    """
    data = np.asarray(data, dtype=float)
    n, p = data.shape
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    missing = np.isnan(data)
    observed = ~missing
    if np.any(observed.sum(axis=1) == 0):
        raise EmError("a respondent has no observed answer")
    together = np.zeros((p, p))
    for start in range(0, n, 65536):  # float BLAS on row blocks; counts stay exact enough to
        block = observed[start:start + 65536].astype(np.float32)  # tell zero from non-zero
        together += block.T @ block
    never = np.argwhere(together == 0)
    if never.size:
        a, b = never[0]
        raise EmError(f"columns {a} and {b} are never observed together")
    total_w = w.sum()
    # Work in coordinates centred on the observed means, for numerical stability.
    origin = np.array([_mean(data[observed[:, j], j], w[observed[:, j]]) for j in range(p)])
    centred = np.where(missing, 0.0, data - origin)

    first, inverse = _patterns(missing)
    pattern_missing = missing[first]  # (G, p)
    groups = np.argsort(inverse, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(inverse, minlength=len(first)))])
    count = len(first)
    n_g = np.empty(count)
    s_g = np.empty((count, p))
    ss_g = np.empty((count, p, p))
    for g in range(count):
        rows = groups[bounds[g]:bounds[g + 1]]
        x = centred[rows]
        wg = w[rows]
        n_g[g] = wg.sum()
        s_g[g] = wg @ x
        ss_g[g] = (x * wg[:, None]).T @ x

    mu = np.zeros(p)
    sigma = np.diag([_mean(centred[observed[:, j], j] ** 2, w[observed[:, j]])
                     for j in range(p)])
    if np.any(np.diag(sigma) <= 0):
        raise EmError("a column has no variance among its observed values")
    converged = False
    iterations = 0
    for iterations in range(1, max_iter + 1):
        t1, t2 = _expected_sums(mu, sigma, pattern_missing, n_g, s_g, ss_g)
        mu, sigma, change = em_step(t1, t2, total_w, mu, sigma)
        if not np.all(np.isfinite(sigma)):
            raise EmError("the estimates diverged")
        if change < tol:
            converged = True
            break

    imputed = data.copy()
    coefficients, intercepts = _conditional(mu, sigma, pattern_missing)[:2]
    for g in range(count):
        if not pattern_missing[g].any():
            continue
        rows = groups[bounds[g]:bounds[g + 1]]
        expected = centred[rows] @ coefficients[g].T + intercepts[g]
        m = pattern_missing[g]
        imputed[np.ix_(rows, np.flatnonzero(m))] = expected[:, m] + origin[m]
    scale = total_w / (total_w - 1) if total_w > 1 else 1.0
    return EmEstimate(mean=mu + origin, cov=sigma * scale, imputed=imputed,
                      iterations=iterations, converged=converged, patterns=count)


def _patterns(missing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of a boolean matrix: the index of each one's first row, and each
    row's pattern number."""
    packed = np.packbits(missing, axis=1, bitorder="little")
    if packed.shape[1] <= 8:  # up to 64 items: one unsigned integer key per row
        padded = np.zeros((packed.shape[0], 8), dtype=np.uint8)
        padded[:, : packed.shape[1]] = packed
        keys = padded.view("<u8").ravel()
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    else:
        _, first, inverse = np.unique(packed, axis=0, return_index=True, return_inverse=True)
    return first, inverse.ravel()


def _conditional(mu: np.ndarray, sigma: np.ndarray, pattern_missing: np.ndarray):
    """Per pattern, as p x p / p arrays: A (identity on observed rows, B on missing rows'
    observed columns), c (a on missing entries) and C (on the missing block)."""
    p = mu.size
    try:
        precision = np.linalg.inv(sigma)
    except np.linalg.LinAlgError:
        raise EmError("the covariance matrix is singular") from None
    m = pattern_missing.astype(float)  # (G, p)
    o = 1.0 - m
    mm = m[:, :, None] * m[:, None, :]
    restricted = precision[None] * mm + np.eye(p)[None] * o[:, None, :]
    try:
        inverse = np.linalg.inv(restricted)
    except np.linalg.LinAlgError:
        raise EmError("the covariance matrix is singular") from None
    residual = inverse * mm  # C = K_mm^-1 on the missing block
    coefficients = -residual @ (precision[None] * (m[:, :, None] * o[:, None, :]))  # B
    transform = coefficients + np.eye(p)[None] * o[:, None, :]  # A
    intercepts = m * mu[None] - coefficients @ mu  # c
    return transform, intercepts, residual


def em_step(t1: np.ndarray, t2: np.ndarray, total_w: float, mu: np.ndarray,
            sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """EM's M-step from the expected sums of x and x x' (Little & Rubin 2002, sec. 11.2.1):
    the new mean and covariance, and the stopping rule's largest change, standardised by the
    new SDs. Shared by the in-process EM and its map-reduce over partitions."""
    new_mu = t1 / total_w
    new_sigma = t2 / total_w - np.outer(new_mu, new_mu)
    new_sigma = (new_sigma + new_sigma.T) / 2
    sd = np.sqrt(np.clip(np.diag(new_sigma), 1e-300, None))
    change = max(np.max(np.abs(new_mu - mu) / sd),
                 np.max(np.abs(new_sigma - sigma) / np.outer(sd, sd)))
    return new_mu, new_sigma, change


def _expected_sums(mu, sigma, pattern_missing, n_g, s_g, ss_g):
    """E-step: the expected sums of x and x x' over all respondents."""
    p = mu.size
    t1 = np.zeros(p)
    t2 = np.zeros((p, p))
    for start in range(0, len(n_g), EM_CHUNK):
        part = slice(start, start + EM_CHUNK)
        transform, intercepts, residual = _conditional(mu, sigma, pattern_missing[part])
        weight = n_g[part]
        moved = np.einsum("gij,gj->gi", transform, s_g[part])  # A s
        t1 += (weight[:, None] * intercepts + moved).sum(axis=0)
        outer_c = np.einsum("g,gi,gj->ij", weight, intercepts, intercepts)
        cross = np.einsum("gi,gj->ij", intercepts, moved)
        quadratic = (transform @ ss_g[part] @ transform.transpose(0, 2, 1)).sum(axis=0)
        t2 += outer_c + cross + cross.T + quadratic + np.einsum("g,gij->ij", weight, residual)
    return t1, t2


def mean_impute(data: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Missing cells replaced by their column's (weighted) mean of the observed answers.

    Simple and common, but it shrinks variances and correlations toward zero (Little & Rubin
    2002, sec. 4.2.1); prefer EM when more than a few answers are missing.
    """
    values = np.array(data, dtype=float, copy=True)
    missing = np.isnan(values)
    if not missing.any():
        return values
    w = np.ones(values.shape[0]) if weights is None else np.asarray(weights, dtype=float)
    for j in np.flatnonzero(missing.any(axis=0)):
        seen = ~missing[:, j]
        values[missing[:, j], j] = _mean(values[seen, j], w[seen])
    return values


def _mean(values: np.ndarray, weights: np.ndarray) -> float:
    """The weighted mean; the plain mean when the weights sum to zero."""
    total = weights.sum()
    return float(weights @ values / total) if total > 0 else float(values.mean())


def fill_missing(values: np.ndarray, weights: np.ndarray | None, method: str,
                 names: tuple[str, ...] = ()) -> tuple[np.ndarray, EmEstimate | None]:
    """The item matrix with its missing cells filled by `method` ('mean': weighted item
    means; 'em': EM's conditional means, with the estimate) — unchanged when complete."""
    if method not in ("mean", "em") or not _has_nan(values):
        return values, None
    if method == "mean":
        return mean_impute(values, weights), None
    try:
        estimate = em_moments(values, weights)
    except EmError as error:
        raise DataError(f"--missing em: {_named(str(error), names)}; use --missing listwise "
                        "or mean") from None
    if not estimate.converged:
        raise DataError(f"--missing em did not converge in {estimate.iterations} iterations "
                        "(too many missing answers?); use --missing listwise or mean")
    return estimate.imputed, estimate


def _has_nan(values) -> bool:
    """Whether any cell is NaN, a row block at a time (no (n, p) mask)."""
    step = row_block(values.shape[1])
    return any(np.isnan(values[start:start + step]).any()
               for start in range(0, values.shape[0], step))


def _named(reason: str, names: tuple[str, ...]) -> str:
    import re

    match = re.match(r"columns (\d+) and (\d+) are never observed together", reason)
    if match and names:
        a, b = (names[int(k)] for k in match.groups())
        return (f"items {a} and {b} are never answered together, so their covariance cannot "
                "be estimated")
    return reason
