"""Model fit of a PLS or PLSc solution and the Bollen-Stine bootstrap of its exact-fit test.

The point statistics come from csi.measures.fit. The bootstrap (Bollen & Stine 1992; Beran &
Srivastava 1985; Dijkstra & Henseler 2015, p. 301; cSEM's testOMF()) transforms the
standardized data to Z S^-1/2 Sigma^1/2, whose correlation matrix is the model-implied Sigma
(the null hypothesis of exact fit holds in it), resamples its rows, re-estimates the model
and recomputes the distances; HI95 and HI99 are the 95% and 99% quantiles of the bootstrap
distances and p the share at least as large as the observed one. Resamples are frequency
counts through csi.sample.Sample, in seeded chunks, estimated as one batch per chunk;
resamples that fail (PLSc: inadmissible) or whose implied matrix is not positive definite
are dropped (cSEM's default).
"""

from __future__ import annotations

import numpy as np

from csi import estimators
from csi.errors import EstimationError
from csi.estimators.base import EstimatorFit, PlsEstimates, PlsSettings
from csi.inference.bootstrap import chunk_size
from csi.measures.fit import (
    STATISTICS,
    distances,
    implied_matrices,
    positive_definite,
    quantile_summary,
)
from csi.model.structure import Structure
from csi.sample import Sample, counts_from_indices

MODELS = ("estimated", "saturated")


def composite_blocks(structure: Structure, estimator: str) -> np.ndarray:
    """(K,) blocks whose within-block correlations the model leaves free: every block under
    PLS (composites), the Mode B blocks under PLSc (common factors otherwise)."""
    if estimator == "plsc":
        return structure.mode_b.copy()
    return np.ones(len(structure.constructs), dtype=bool)


def _implied(estimates: PlsEstimates, observed: np.ndarray, structure: Structure,
             composite: np.ndarray):
    exogenous = np.array([not preds.size for preds in structure.predecessors])
    r2 = np.nan_to_num(estimates.r2, nan=0.0)
    return implied_matrices(estimates.loadings, estimates.construct_cor, estimates.paths, r2,
                            observed, structure.membership, composite, exogenous)


def statistics(estimates: PlsEstimates, observed: np.ndarray, structure: Structure,
               estimator: str) -> dict[str, dict[str, np.ndarray]]:
    """{model: {statistic: (b,)}} of a batch of estimates on observed correlations (b, p, p)."""
    implied = _implied(estimates, observed, structure, composite_blocks(structure, estimator))
    batch = observed.shape[0]
    both = distances(np.concatenate([observed, observed]),  # one factorisation call
                     np.concatenate([implied.estimated, implied.saturated]))
    return {"estimated": {name: values[:batch] for name, values in both.items()},
            "saturated": {name: values[batch:] for name, values in both.items()}}


def _power(matrix: np.ndarray, exponent: float) -> np.ndarray:
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * values ** exponent) @ vectors.T


def point_fit(point: EstimatorFit, cor: np.ndarray, structure: Structure,
              estimator: str) -> dict:
    """The JSON `fit` block of a point fit: srmr, d_uls, d_g and saturated {...}."""
    found = statistics(point.estimates, cor[None], structure, estimator)
    block = {s: float(found["estimated"][s][0]) for s in STATISTICS}
    block["saturated"] = {s: float(found["saturated"][s][0]) for s in STATISTICS}
    block["implied"] = ("composite" if composite_blocks(structure, estimator).all()
                        else "common factor")
    block["d_g_log"] = "log10"
    return block


def bollen_stine(sample: Sample, structure: Structure, settings: PlsSettings,
                 point: EstimatorFit, resamples: int, seed: int,
                 indices: dict[str, np.ndarray] | None = None, workers: int = 1) -> dict:
    """{model: {"hi95": {stat}, "hi99": {stat}, "p": {stat}, "n_used": int}} of the
    Bollen-Stine bootstrap for the estimated and the saturated model.

    `indices` {model: (B, n)} replays given 0-based resamples (e.g. a peer's), else
    `resamples` are drawn in chunks seeded from SeedSequence(seed), as csi's bootstrap does;
    `workers` threads run the chunks (the numbers do not depend on them).
    """
    stats = sample.moments()
    cor = stats.cor
    z = (sample.values - stats.mean) / stats.sd
    composite = composite_blocks(structure, settings.estimator)
    implied = _implied(point.estimates, cor[None], structure, composite)
    observed = statistics(point.estimates, cor[None], structure, settings.estimator)
    root = _power(cor, -0.5)
    out = {}
    for model in MODELS:
        sigma = getattr(implied, model)[0]
        if not positive_definite(sigma[None])[0]:
            out[model] = {"hi95": None, "hi99": None, "p": None, "n_used": 0,
                          "note": "the model-implied correlation matrix is not positive "
                                  "definite; no Bollen-Stine bootstrap"}
            continue
        transformed = Sample(values=z @ root @ _power(sigma, 0.5), weights=sample.weights)
        draws = _draws(transformed, structure, settings, point, model, resamples,
                       seed, None if indices is None else indices[model], workers)
        summary = {s: quantile_summary(float(observed[model][s][0]), draws[s])
                   for s in STATISTICS}
        out[model] = {key: {s: summary[s][key] for s in STATISTICS}
                      for key in ("hi95", "hi99", "p")}
        out[model]["n_used"] = int(np.isfinite(draws["srmr"]).sum())
    return out


def _draws(sample: Sample, structure: Structure, settings: PlsSettings,
           point: EstimatorFit, model: str, resamples: int, seed: int,
           given: np.ndarray | None, workers: int = 1) -> dict[str, np.ndarray]:
    """The bootstrap distances {statistic: (B,)} of one model, NaN where dropped."""
    from csi import scale_out

    n = sample.rows
    total = resamples if given is None else given.shape[0]
    step = chunk_size(n)
    sizes = [min(step, total - start) for start in range(0, total, step)]
    seeds = np.random.SeedSequence(seed).spawn(len(sizes))
    starts = np.cumsum([0] + sizes[:-1]).tolist()
    jobs = [(size, child, None if given is None else given[start:start + size])
            for size, child, start in zip(sizes, seeds, starts)]
    executor = scale_out.LocalExecutor(max(1, min(workers, len(jobs))))
    try:
        found = executor.map(_chunk, jobs, shared=(sample, structure, settings, point, model))
    finally:
        executor.close()
    return {s: (np.concatenate([f[s] for f in found]) if found else np.empty(0))
            for s in STATISTICS}


def _chunk(context: tuple, job: tuple) -> dict[str, np.ndarray]:
    """The distances of one chunk of resamples: job = (size, SeedSequence, given indices)."""
    sample, structure, settings, point, model = context
    size, child, given = job
    n = sample.rows
    counts = (counts_from_indices(given, n) if given is not None
              else sample.resample_counts(np.random.default_rng(child), size)).astype(float)
    estimator = estimators.get(settings.estimator)
    mean, sd, cov = sample.batch_moments(counts)
    size = counts.shape[0]
    result = {s: np.full(size, np.nan) for s in STATISTICS}
    ok = np.flatnonzero(~np.any(sd <= 1e-12, axis=1))
    if not ok.size:
        return result
    cor = cov[ok] / (sd[ok, :, None] * sd[ok, None, :])
    try:
        estimates = estimator.estimate(cor, structure, settings, reference=point, align=True)
    except (EstimationError, np.linalg.LinAlgError):
        return result  # rare: a singular resample in the chunk; the chunk is dropped whole
    usable = estimates.converged.copy()
    if estimates.failures is not None:
        usable &= estimates.failures == ""
    implied = getattr(_implied(estimates, cor, structure,
                               composite_blocks(structure, settings.estimator)), model)
    found = distances(cor, implied)
    usable &= np.isfinite(found["d_g"])  # d_G is finite exactly where Sigma is positive definite
    for s in STATISTICS:
        values = found[s]
        values[~usable] = np.nan
        result[s][ok] = values
    return result
