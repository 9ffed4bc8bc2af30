"""Careless respondents: indices of insufficient-effort responding, and whom they flag.

Each index is computed with array operations on the (n, p) answer matrix (NaN for a missing
answer, columns in questionnaire order), BLOCK respondents at a time so the temporaries stay
small, following Meade & Craig (2012, Psychological Methods 17(3), 437-455) and Curran
(2016, Journal of Experimental Social Psychology 66, 4-19). The longstring uses the answers
as given (before reverse-coding, so a respondent who ignores reverse-worded questions is
caught); the other indices the answers after reverse-coding (consistent answers then look
consistent):

- longstring: the longest run of identical consecutive answers (missing answers skipped);
  flagged when it covers more than LONGSTRING_SHARE of the answered items. A straight-liner
  (one answer to every item answered) is the extreme case (Curran 2016, "long-string
  analysis").
- Mahalanobis distance of the answers from the sample mean, D2 = (x - m)' S^-1 (x - m) with m
  and S the mean and covariance of the complete respondents; flagged beyond the chi-square
  quantile MAHALANOBIS_LEVEL with as many degrees of freedom as items answered (Meade & Craig
  2012, "multivariate outlier analysis"). A respondent with missing answers is compared on
  the items answered (the pattern-wise distance of Little 1988, JASA 83(404)).
- person-total correlation: the correlation over items between a respondent's answers and
  the other respondents' item means (Curran 2016, "person-total correlation"); flagged when
  it is at most
  PERSON_TOTAL_MAX and also an outlier among the respondents' correlations (below the
  median by more than ROBUST_Z robust SDs, SD = 1.4826 MAD). The second condition keeps the
  index silent when the items' means hardly differ, where every honest respondent's
  correlation is noise around a small value.
- intra-individual response variability (IRV): the SD of a respondent's answers (Dunn et al.
  2018, Journal of Business and Psychology 33, 105-121); flagged beyond ROBUST_Z robust SDs
  from the median: above as random responding (Marjanovic et al. 2015, Personality and
  Individual Differences 84, 79-83), below as near straight-lining.
- completion time: flagged below SPEEDER_SHARE of the median time, when the survey has a
  time column (Curran 2016, "response time").

Reasons: `longstring` (the longstring or a low IRV), `random` (Mahalanobis, person-total
correlation or a high IRV) and `speeder`. Only respondents who answered at least half of the
items (and at least 3) are screened, as for straight-liners.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

LONGSTRING_SHARE = 0.75
MAHALANOBIS_LEVEL = 0.999
PERSON_TOTAL_MAX = 0.1
ROBUST_Z = 3.5
SPEEDER_SHARE = 1 / 3
MAX_PATTERNS = 200  # patterns of missing answers given a Mahalanobis distance
BLOCK = 1 << 16  # respondents per block of the vectorised computations, at most
BLOCK_BYTES = 1 << 20  # and at most this many bytes per (rows, p) float temporary
MIN_TIMES = 10  # respondents with a completion time needed to judge speed
REASONS = ("longstring", "random", "speeder")
REFERENCES = ("Meade, A. W. & Craig, S. B. (2012). Identifying careless responses in survey "
              "data. Psychological Methods, 17(3), 437-455.",
              "Curran, P. G. (2016). Methods for the detection of carelessly invalid responses "
              "in survey data. Journal of Experimental Social Psychology, 66, 4-19.")


@dataclass(frozen=True)
class CarelessScreen:
    """Every respondent's indices and flags (arrays of length n, rows in survey order)."""

    answered: np.ndarray  # answers given
    screened: np.ndarray  # bool: answered enough items to be judged
    longstring: np.ndarray  # longest run of identical answers
    irv: np.ndarray  # SD of the respondent's answers (NaN if not screened)
    person_total: np.ndarray  # NaN if undefined
    mahalanobis: np.ndarray  # D2, NaN for incomplete respondents or when S is singular
    seconds: np.ndarray | None  # completion time, NaN when unknown
    reasons: dict[str, np.ndarray]  # reason -> bool mask
    straightliners: np.ndarray  # bool: one answer to every item answered
    thresholds: dict = field(default_factory=dict)

    @property
    def flagged(self) -> np.ndarray:
        mask = np.zeros(len(self.answered), dtype=bool)
        for hit in self.reasons.values():
            mask |= hit
        return mask

    def entries(self, ids=None) -> list[dict]:
        """One {row, id, reasons, indices} per flagged respondent (rows from 1); `ids` is the
        respondent-ID column (a pandas Series or numpy array in survey order) or None."""
        rows = np.flatnonzero(self.flagged)
        hits = {reason: self.reasons[reason][rows] for reason in REASONS}
        names = ([None] * len(rows) if ids is None else
                 ids[rows].tolist() if isinstance(ids, np.ndarray) else ids.iloc[rows].tolist())
        out = []
        for k, row in enumerate(rows.tolist()):
            out.append({
                "row": row + 1,
                "id": _id(names[k]),
                "reasons": [reason for reason in REASONS if hits[reason][k]],
                "indices": {
                    "longstring": int(self.longstring[row]),
                    "irv": _number(self.irv[row]),
                    "person_total": _number(self.person_total[row]),
                    "mahalanobis": _number(self.mahalanobis[row]),
                    "seconds": None if self.seconds is None else _number(self.seconds[row]),
                },
            })
        return out

    def summary(self) -> dict:
        """Counts per reason and the thresholds used (the JSON `careless_screen` block)."""
        return {
            "screened": int(self.screened.sum()),
            "flagged": int(self.flagged.sum()),
            "by_reason": {reason: int(self.reasons[reason].sum()) for reason in REASONS},
            "thresholds": dict(self.thresholds),
            "references": list(REFERENCES),
        }


def screen(values: np.ndarray, seconds: np.ndarray | None = None,
           longest: np.ndarray | None = None) -> CarelessScreen:
    """Compute every index for the (n, p) answers (NaN = missing, columns in questionnaire
    order, reverse-worded items already recoded) and flag the respondents the module
    docstring describes. `longest` is the longstring of the answers as given (before
    reverse-coding; computed from `values` when omitted); `seconds` the completion times
    (NaN when unknown), if the survey has them."""
    n, p = values.shape
    answered = answer_counts(values)
    least = max(3, math.ceil(p / 2))
    screened = answered >= least if p >= 3 else np.zeros(n, dtype=bool)
    longest = longest_run(values) if longest is None else longest
    variability = np.where(screened, irv(values), np.nan)
    correlation = np.where(screened, person_total(values), np.nan)
    distance = np.where(screened, mahalanobis(values), np.nan)
    thresholds: dict = {"min_answered": least, "longstring_share": LONGSTRING_SHARE,
                        "robust_z": ROBUST_Z, "person_total_max": PERSON_TOTAL_MAX,
                        "mahalanobis_level": MAHALANOBIS_LEVEL, "mahalanobis_cutoff": None,
                        "speeder_share": SPEEDER_SHARE, "speeder_seconds": None}

    z_irv = robust_z(variability)
    z_total = robust_z(correlation)
    with np.errstate(invalid="ignore"):
        low_irv = z_irv < -ROBUST_Z
        high_irv = z_irv > ROBUST_Z
        odd_total = (correlation <= PERSON_TOTAL_MAX) & (z_total < -ROBUST_Z)
    far = np.zeros(n, dtype=bool)
    judged = np.isfinite(distance)
    if judged.any():
        thresholds["mahalanobis_cutoff"] = float(chi2_quantile(MAHALANOBIS_LEVEL, p))
        degrees, position = np.unique(answered[judged], return_inverse=True)
        cutoff = chi2_quantile(MAHALANOBIS_LEVEL, degrees)[position.ravel()]
        far[judged] = distance[judged] > cutoff
    speeder = np.zeros(n, dtype=bool)
    if seconds is not None:
        known = np.isfinite(seconds) & (seconds > 0)
        if known.sum() >= MIN_TIMES:
            limit = median(seconds[known]) * SPEEDER_SHARE
            thresholds["speeder_seconds"] = limit
            speeder = known & (seconds < limit)
    reasons = {
        "longstring": screened & ((longest > LONGSTRING_SHARE * answered) | low_irv),
        "random": screened & (far | odd_total | high_irv),
        "speeder": speeder,
    }
    return CarelessScreen(answered=answered, screened=screened, longstring=longest,
                          irv=variability, person_total=correlation, mahalanobis=distance,
                          seconds=seconds, reasons=reasons,
                          straightliners=screened & (longest == answered),
                          thresholds=thresholds)


def longest_run(values: np.ndarray) -> np.ndarray:
    """Each row's longest run of identical consecutive answers, missing answers skipped
    (neither breaking nor extending a run); 0 for a row without answers."""
    n, p = values.shape
    longest = np.zeros(n, dtype=np.int64)
    if p == 0:
        return longest
    for start, stop in row_blocks(n, p):
        block = values[start:stop]
        present = ~np.isnan(block)
        if present.all():
            same = np.zeros(block.shape, dtype=bool)
            same[:, 1:] = block[:, 1:] == block[:, :-1]
        else:  # compare each answer with the respondent's previous answer
            position = np.where(present, np.arange(p, dtype=np.int32), -1)
            last = np.maximum.accumulate(position, axis=1)
            previous = np.full_like(last, -1)
            previous[:, 1:] = last[:, :-1]
            before = np.take_along_axis(block, np.maximum(previous, 0), axis=1)
            same = present & (previous >= 0) & (block == before)
        links = np.cumsum(same, axis=1, dtype=np.int32)
        starts = np.maximum.accumulate(np.where(present & ~same, links, 0), axis=1)
        longest[start:stop] = np.where(present, links - starts + 1, 0).max(axis=1)
    return longest


def irv(values: np.ndarray) -> np.ndarray:
    """Intra-individual response variability: the SD (divisor k) of each row's answers."""
    out = np.empty(values.shape[0])
    for start, stop in row_blocks(*values.shape):
        block = values[start:stop]
        present = ~np.isnan(block)
        count = present.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(present, block, 0.0).sum(axis=1) / count
            deviation = np.where(present, block - mean[:, None], 0.0)
            out[start:stop] = np.sqrt(np.square(deviation).sum(axis=1) / count)
    return out


def person_total(values: np.ndarray) -> np.ndarray:
    """Each row's correlation over its answered items with the item means of the other
    respondents (Curran 2016); NaN when either side does not vary."""
    n, p = values.shape
    totals = np.zeros(p)
    counts = np.zeros(p, dtype=np.int64)
    for start, stop in row_blocks(n, p):  # column sums without a NaN-free copy of the matrix
        block = values[start:stop]
        seen = ~np.isnan(block)
        totals += np.where(seen, block, 0.0).sum(axis=0)
        counts += seen.sum(axis=0)
    out = np.empty(n)
    if (counts == n).all():  # no gaps: the same arithmetic without the masks
        with np.errstate(invalid="ignore", divide="ignore"):
            for start, stop in row_blocks(n, p):
                block = values[start:stop]
                others = (totals - block) / (counts - 1)
                dx = block - (block.sum(axis=1) / p)[:, None]
                dm = others - (others.sum(axis=1) / p)[:, None]
                out[start:stop] = np.einsum("ij,ij->i", dx, dm) / np.sqrt(
                    np.einsum("ij,ij->i", dx, dx) * np.einsum("ij,ij->i", dm, dm))
        return out
    for start, stop in row_blocks(n, p):
        block = values[start:stop]
        seen = ~np.isnan(block)
        with np.errstate(invalid="ignore", divide="ignore"):
            others = (totals - np.where(seen, block, 0.0)) / (counts - seen)
            usable = seen & np.isfinite(others)
            k = usable.sum(axis=1)
            x = np.where(usable, block, 0.0)
            m = np.where(usable, others, 0.0)
            dx = np.where(usable, x - (x.sum(axis=1) / k)[:, None], 0.0)
            dm = np.where(usable, m - (m.sum(axis=1) / k)[:, None], 0.0)
            out[start:stop] = np.einsum("ij,ij->i", dx, dm) / np.sqrt(
                np.einsum("ij,ij->i", dx, dx) * np.einsum("ij,ij->i", dm, dm))
    return out


def mahalanobis(values: np.ndarray) -> np.ndarray:
    """Squared Mahalanobis distance of each row's answered items from the complete rows'
    mean, under the matching block of their covariance (an incomplete row is compared on
    the items it answered, as in Little 1988, JASA 83(404)). NaN for every row when
    there are fewer than p + 10 complete rows or the covariance is singular, and for the
    rows whose pattern of answered items is not among the MAX_PATTERNS most frequent ones
    (each pattern needs its own factorisation)."""
    n, p = values.shape
    distance = np.full(n, np.nan)
    complete = answer_counts(values) == p
    count = int(complete.sum())
    if p == 0 or count < p + 10:
        return distance
    mean = np.zeros(p)
    blocks = row_blocks(n, p)
    for start, stop in blocks:  # two passes over blocks: no copy of the complete rows
        mean += values[start:stop][complete[start:stop]].sum(axis=0)
    mean /= count
    cross = np.zeros((p, p))
    for start, stop in blocks:
        centred = values[start:stop][complete[start:stop]] - mean
        cross += centred.T @ centred
    cov = cross / (count - 1)
    if not np.all(np.diag(cov) > 0):
        return distance
    for start, stop in blocks:
        rows = np.flatnonzero(complete[start:stop]) + start
        distance[rows] = _squared_norms(cov, values[rows] - mean)
    incomplete = np.flatnonzero(~complete)
    if incomplete.size == 0:
        return distance
    present = ~np.isnan(values[incomplete])  # the answer patterns of the incomplete rows
    keys = np.packbits(present, axis=1)
    keys = np.ascontiguousarray(keys).view(np.dtype((np.void, keys.shape[1]))).ravel()
    _, first, inverse, sizes = np.unique(keys, return_index=True, return_inverse=True,
                                         return_counts=True)
    by_pattern = incomplete[np.argsort(inverse.ravel(), kind="stable")]
    starts = np.cumsum(sizes) - sizes
    done = 0
    for code in np.argsort(-sizes, kind="stable"):  # the most frequent patterns first
        answered = present[first[code]]
        if answered.sum() < 2:
            continue
        if done == MAX_PATTERNS:
            break
        done += 1
        members = by_pattern[starts[code]:starts[code] + sizes[code]]
        columns = np.flatnonzero(answered)
        distance[members] = _squared_norms(cov[np.ix_(columns, columns)],
                                           values[np.ix_(members, columns)] - mean[columns])
    return distance


def answer_counts(values: np.ndarray) -> np.ndarray:
    """Each row's number of answers (non-NaN cells), a block of rows at a time."""
    n, p = values.shape
    out = np.empty(n, dtype=np.int64)
    for start, stop in row_blocks(n, p):
        out[start:stop] = np.count_nonzero(~np.isnan(values[start:stop]), axis=1)
    return out


def row_blocks(n: int, p: int = 1) -> list[tuple[int, int]]:
    """Row ranges of at most BLOCK rows and BLOCK_BYTES per (rows, p) float temporary: the
    temporaries stay a small, fixed size whatever n (the screen's memory is its per-row
    results, not copies of the answer matrix)."""
    size = max(256, min(BLOCK, BLOCK_BYTES // (8 * max(p, 1))))
    return [(start, min(start + size, n)) for start in range(0, n, size)]


def chi2_quantile(level: float, degrees) -> np.ndarray:
    """The chi-square quantile at `level` for `degrees` (whole numbers: the items a respondent
    answered) of freedom, 2 P^-1(df/2, level) with
    P the regularized lower incomplete gamma function (Abramowitz & Stegun 1964, sec. 26.4):
    what scipy.stats.chi2.ppf computes, through csi.distributions (importing scipy.special
    alone costs more CPU than numpy)."""
    degrees = np.asarray(degrees)
    return np.array([_chi2_quantile(float(level), int(df)) for df in degrees.ravel()]
                    ).reshape(degrees.shape)


@functools.lru_cache(maxsize=1024)
def _chi2_quantile(level: float, degrees: int) -> float:
    """One quantile, cached: a fit asks for the same few (the items answered) every time."""
    from csi.distributions import gammaincinv

    return float(2 * gammaincinv(degrees / 2, level))


def _squared_norms(cov: np.ndarray, deviations: np.ndarray) -> np.ndarray:
    """d' cov^-1 d for each row d of `deviations` (NaN when cov is numerically singular):
    |L^-1 d|^2 with cov = L L' (Cholesky), L^-1 d by LAPACK's solve of L, all rows at once."""
    try:
        factor = np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        return np.full(len(deviations), np.nan)
    if np.min(np.diag(factor)) <= 1e-8 * np.sqrt(np.max(np.diag(cov))):
        return np.full(len(deviations), np.nan)
    scaled = np.linalg.solve(factor, deviations.T)
    return np.einsum("ij,ij->j", scaled, scaled)


def median(values: np.ndarray) -> float:
    """The median of finite values, as np.median computes it (the middle value, or the
    mean of the two middle ones) without the numpy.ma import np.median makes on first use
    (~20 ms of a short run)."""
    middle = values.size // 2
    if values.size % 2:
        return float(np.partition(values, middle)[middle])
    low, high = np.partition(values, [middle - 1, middle])[middle - 1: middle + 1]
    return float(np.mean([low, high]))


def robust_z(values: np.ndarray) -> np.ndarray:
    """(x - median) / (1.4826 MAD) over the finite values; NaN when the MAD is 0."""
    finite = values[np.isfinite(values)]
    if finite.size < 3:
        return np.full(values.shape, np.nan)
    centre = median(finite)
    spread = 1.4826 * median(np.abs(finite - centre))
    if spread <= 0:
        return np.full(values.shape, np.nan)
    return (values - centre) / spread


def _number(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _id(value) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    if text in ("", "<NA>", "nan"):
        return None
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return text
