"""MICOM: is each composite measured alike in two groups, so its comparison means something?

The three steps of Henseler, Ringle & Sarstedt (2016, Int. Mark. Rev. 33(3), pp. 405-431):

1. configural invariance: same indicators, model and treatment in both groups (csi fits both
   with one model, settings and answer scale, so it holds by construction);
2. compositional invariance: c = cor(Z w_a, Z w_b), the correlation of the composite scores
   that the two groups' weights give on the pooled standardized data Z; its permutation
   distribution under exchangeable group labels gives the 5% quantile, and invariance holds
   when c is not below it (p = share of permuted c at or below c);
3. equal composite means and variances: with the pooled weights on Z, the difference of the
   groups' mean scores (b - a) and the log of the ratio of their variances (b / a), each
   against its permutation distribution (two-sided p). Full invariance adds equal means and
   variances to 1 and 2.

Everything is a function of the groups' item moments: c = w_a' R w_b / sqrt(w_a' R w_a
w_b' R w_b) per block (R the pooled correlations), mean_g = w' (m_g - m) / s, var_g =
w' D S_g D w with D = diag(1/s). A permutation is a 0/1 membership over the pooled
respondents, so the groups' moments come from csi.sample.batch_moments and all permutations
of a chunk are estimated as one batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from csi import estimators
from csi.estimators.base import PlsSettings
from csi.model.structure import Structure
from csi.sample import Sample

CHUNK = 250


@dataclass(frozen=True)
class Micom:
    """The MICOM result of two groups, per construct."""

    constructs: list[dict]
    verdict: str  # full | partial | none
    permutations: int
    n_used: int

    def to_dict(self) -> dict:
        return {"configural_invariance": True, "permutations": self.permutations,
                "n_used": self.n_used, "constructs": self.constructs, "verdict": self.verdict}

    def sentence(self) -> str:
        """The one-line verdict `csi compare` prints."""
        lacking = [c["construct"] for c in self.constructs if not c["compositional_invariance"]]
        differing = [c["construct"] for c in self.constructs
                     if c["compositional_invariance"] and not c["full_invariance"]]
        if self.verdict == "full":
            return ("MICOM: full measurement invariance (compositional invariance, equal "
                    "composite means and variances): the groups' index levels compare directly")
        if self.verdict == "partial":
            return ("MICOM: partial measurement invariance (compositional invariance holds; "
                    f"composite means or variances differ for {', '.join(differing)}): paths "
                    "compare; the differing constructs' levels differ between the groups")
        return (f"MICOM: no compositional invariance for {', '.join(lacking)}: those "
                "constructs are formed differently in the two groups, so their index and path "
                "differences are not interpretable")


def _block_forms(weights: np.ndarray, other: np.ndarray, cor: np.ndarray,
                 membership: np.ndarray) -> np.ndarray:
    """(b, K) block-wise bilinear forms sum_{i,j in block k} weights_i cor_ij other_j."""
    a = weights[:, :, None] * membership[None]  # (b, p, K)
    c = other[:, :, None] * membership[None]
    return np.einsum("bpk,bpq,bqk->bk", a, cor, c)


def _statistics(frequency_a: np.ndarray, frequency_b: np.ndarray, sample: Sample,
                structure: Structure, settings: PlsSettings, reference, pooled_mean: np.ndarray,
                pooled_sd: np.ndarray, pooled_cor: np.ndarray, pooled_weights: np.ndarray):
    """(c, mean difference, log variance ratio), each (b, K), for b pairs of groups; NaN rows
    where a group could not be estimated."""
    size = frequency_a.shape[0]
    mean, sd, cov = sample.batch_moments(np.concatenate([frequency_a, frequency_b]))
    k_count = len(structure.constructs)
    out = np.full((3, size, k_count), np.nan)
    ok = ~np.any(sd <= 1e-12, axis=1)
    ok = ok[:size] & ok[size:]
    if not ok.any():
        return out
    rows = np.concatenate([np.flatnonzero(ok), size + np.flatnonzero(ok)])
    cor = cov[rows] / (sd[rows, :, None] * sd[rows, None, :])
    estimator = estimators.get("pls")
    estimates = estimator.estimate(cor, structure, settings, reference=reference, align=True)
    good = estimates.converged[: ok.sum()] & estimates.converged[ok.sum():]
    w_a, w_b = estimates.weights[: ok.sum()], estimates.weights[ok.sum():]
    membership = structure.membership
    r = np.broadcast_to(pooled_cor, (w_a.shape[0],) + pooled_cor.shape)
    ab = _block_forms(w_a, w_b, r, membership)
    aa = _block_forms(w_a, w_a, r, membership)
    bb = _block_forms(w_b, w_b, r, membership)
    c = ab / np.sqrt(aa * bb)
    # step 3: pooled weights on the pooled standardized data
    w = pooled_weights[:, None] * membership  # (p, K)
    scaled = w / pooled_sd[:, None]
    means = (mean[rows] - pooled_mean) @ scaled  # (2 m, K)
    variances = np.einsum("pk,bpq,qk->bk", scaled, cov[rows], scaled)
    m = ok.sum()
    found = np.stack([c, means[m:] - means[:m], np.log(variances[m:] / variances[:m])])
    found[:, ~good] = np.nan
    out[:, np.flatnonzero(ok)] = found
    return out


def micom(sample: Sample, n_a: int, structure: Structure, settings: PlsSettings | None = None,
          *, permutations: int = 999, seed: int | np.random.SeedSequence = 0,
          level: float = 0.95) -> Micom:
    """MICOM of the pooled `sample` whose first n_a respondents form group a, the rest b."""
    settings = settings or PlsSettings()
    estimator = estimators.get("pls")
    stats = sample.moments()
    reference = estimator.point_fit(stats.cor, stats.n, structure, settings)
    pooled_weights = reference.estimates.weights[0]
    n = sample.rows
    base = sample.frequencies()
    split = np.zeros((1, n))
    split[0, :n_a] = 1.0
    common = (sample, structure, settings, reference, stats.mean, stats.sd, stats.cor,
              pooled_weights)
    observed = _statistics(base * split, base * (1 - split), *common)[:, 0]
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    sizes = [min(CHUNK, permutations - start) for start in range(0, permutations, CHUNK)]
    parts = []
    for size, child in zip(sizes, root.spawn(len(sizes))):
        rng = np.random.default_rng(child)
        member = np.zeros((size, n))
        member[:, :n_a] = 1.0
        member = rng.permuted(member, axis=1)
        parts.append(_statistics(base * member, base * (1 - member), *common))
    permuted = np.concatenate(parts, axis=1)  # (3, R, K)
    used = ~np.isnan(permuted).any(axis=(0, 2))
    permuted = permuted[:, used]
    alpha = 1 - level
    rows = []
    for k, name in enumerate(structure.constructs):
        c, mean_diff, log_ratio = observed[:, k]
        c_perm, mean_perm, ratio_perm = permuted[:, :, k]
        quantile = float(np.quantile(c_perm, alpha)) if c_perm.size else float("nan")
        p_c = float((1 + np.sum(c_perm <= c * (1 + 1e-12))) / (1 + c_perm.size))
        single = structure.membership[:, k].sum() == 1
        p_mean = float((1 + np.sum(np.abs(mean_perm) >= abs(mean_diff) * (1 - 1e-9)))
                       / (1 + mean_perm.size))
        p_var = float((1 + np.sum(np.abs(ratio_perm) >= abs(log_ratio) * (1 - 1e-9)))
                      / (1 + ratio_perm.size))
        compositional = bool(single or c >= quantile)
        rows.append({
            "construct": name, "c": float(c), "c_quantile_5": quantile, "p_c": p_c,
            "compositional_invariance": compositional,
            "mean_difference": float(mean_diff), "p_mean": p_mean,
            "log_variance_ratio": float(log_ratio), "p_variance": p_var,
            "full_invariance": bool(compositional and p_mean > alpha and p_var > alpha),
        })
    if not all(r["compositional_invariance"] for r in rows):
        verdict = "none"
    elif all(r["full_invariance"] for r in rows):
        verdict = "full"
    else:
        verdict = "partial"
    return Micom(constructs=rows, verdict=verdict, permutations=permutations,
                 n_used=int(used.sum()))
