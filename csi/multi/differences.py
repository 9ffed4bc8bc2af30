"""Which segments' indices differ: each segment against the rest, pairs, and a letter display.

Segments are disjoint samples, so their bootstrap estimates are independent:
- a segment against the rest: d = s_i - sum_{j != i} (n_j / N_i) s_j with
  se^2 = se_i^2 + sum_{j != i} (n_j / N_i)^2 se_j^2, N_i the respondents of the other segments
  (the rest's index as their respondent-weighted mean; a segment is not compared with an
  overall index that contains it);
- a pair: d = s_i - s_j, se^2 = se_i^2 + se_j^2.
Two-sided normal p values, Holm-adjusted within each family (Holm 1979), at the fit's level.
Segments that share a letter do not differ significantly (compact letter display, the
insert-and-absorb algorithm of Piepho 2004, J. Comput. Graph. Stat. 13(2), 456-466).
"""

from __future__ import annotations

import string
from dataclasses import dataclass

import numpy as np

from csi.distributions import ndtr


@dataclass(frozen=True)
class SegmentDifferences:
    """Per segment (in the given order): difference from the rest, its Holm-adjusted p and
    verdict, and its letters; the Holm-adjusted p of every pair; one summary sentence."""

    names: tuple[str, ...]
    versus_rest: np.ndarray  # (S,) difference from the rest
    p_versus_rest: np.ndarray  # (S,) Holm-adjusted
    differs: np.ndarray  # (S,) bool
    letters: tuple[str, ...]
    pair_p: np.ndarray  # (S, S) Holm-adjusted p of each pair, NaN on the diagonal
    level: float
    sentence: str

    def rows(self) -> list[dict]:
        return [{"segment": name, "difference_vs_rest": float(self.versus_rest[i]),
                 "p_vs_rest": float(self.p_versus_rest[i]), "differs": bool(self.differs[i]),
                 "letters": self.letters[i]} for i, name in enumerate(self.names)]

    def to_dict(self) -> dict:
        pairs = [{"a": self.names[i], "b": self.names[j], "p": float(self.pair_p[i, j]),
                  "significant": bool(self.pair_p[i, j] <= 1 - self.level)}
                 for i in range(len(self.names)) for j in range(i + 1, len(self.names))]
        return {"method": "independent segments, normal test on bootstrap SEs, Holm-adjusted; "
                          "letters: segments sharing a letter do not differ (Piepho 2004)",
                "level": self.level, "segments": self.rows(), "pairs": pairs,
                "summary": self.sentence}


def holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p values (Holm 1979), NaN kept."""
    p = np.asarray(p, float)
    out = np.full(p.shape, np.nan)
    finite = np.flatnonzero(np.isfinite(p))
    order = finite[np.argsort(p[finite], kind="stable")]
    m = order.size
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[index]))
        out[index] = running
    return out


def letters_for(significant: np.ndarray) -> list[str]:
    """Compact letter display from a symmetric (S, S) matrix of significant pairs, for
    segments ordered highest first (insert-and-absorb)."""
    count = significant.shape[0]
    groups = [set(range(count))]
    for i in range(count):
        for j in range(i + 1, count):
            if not significant[i, j]:
                continue
            split = []
            for group in groups:
                if i in group and j in group:
                    split += [group - {i}, group - {j}]
                else:
                    split.append(group)
            groups = [g for g in split if not any(g < other for other in split)]
            groups = [g for k, g in enumerate(groups) if g not in groups[:k]]
    groups.sort(key=lambda g: (min(g), sorted(g)))
    alphabet = string.ascii_lowercase + string.ascii_uppercase
    out = ["" for _ in range(count)]
    for letter, group in zip(alphabet, groups):
        for member in group:
            out[member] += letter
    return out


def segment_differences(names: list[str], scores: np.ndarray, ses: np.ndarray,
                        sizes: np.ndarray, level: float, label: str) -> SegmentDifferences:
    """The tests above for segments given highest score first; `label` names the construct
    in the summary sentence."""
    scores, ses, sizes = (np.asarray(a, float) for a in (scores, ses, sizes))
    count = len(names)
    alpha = 1 - level
    versus_rest = np.full(count, np.nan)
    raw_rest = np.full(count, np.nan)
    for i in range(count):
        others = np.arange(count) != i
        share = sizes[others] / sizes[others].sum()
        versus_rest[i] = scores[i] - share @ scores[others]
        se = np.sqrt(ses[i] ** 2 + share**2 @ ses[others] ** 2)
        raw_rest[i] = 2 * ndtr(-abs(versus_rest[i]) / se) if se > 0 else np.nan
    p_rest = holm(raw_rest)
    upper = np.triu_indices(count, 1)
    diff = scores[:, None] - scores[None, :]
    se_pair = np.sqrt(ses[:, None] ** 2 + ses[None, :] ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        raw_pair = 2 * ndtr(-np.abs(diff) / se_pair)
    pair = np.full((count, count), np.nan)
    pair[upper] = holm(raw_pair[upper])
    pair.T[upper] = pair[upper]
    significant = np.nan_to_num(pair, nan=1.0) <= alpha
    differs = p_rest <= alpha
    if not differs.any() and not significant.any():
        sentence = (f"No segment's {label} differs significantly from the others' "
                    f"(Holm-adjusted, {level:.0%}); their ranking may be chance.")
    else:
        above = [n for n, d, v in zip(names, differs, versus_rest) if d and v > 0]
        below = [n for n, d, v in zip(names, differs, versus_rest) if d and v < 0]
        parts = []
        if above:
            parts.append(f"above the rest: {', '.join(above)}")
        if below:
            parts.append(f"below the rest: {', '.join(below)}")
        sentence = (f"{label} differs significantly (Holm-adjusted, {level:.0%}) "
                    + ("; ".join(parts) if parts else "between some pairs only")
                    + "; segments sharing a letter do not differ.")
    return SegmentDifferences(tuple(names), versus_rest, p_rest, differs,
                              tuple(letters_for(significant)), pair, level, sentence)
