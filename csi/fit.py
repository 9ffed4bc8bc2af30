"""Fit a model to a survey: items -> moments -> PLS estimates -> index and quality -> Result.

This is the library entry point a notebook calls; the CLI does the I/O around it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from csi.errors import EstimationError
from csi.index import construct_index, unstandardized_weights, rescale_0_100
from csi.ingest import ItemData, Survey, item_matrix, read_survey
from csi.moments import Moments, moments
from csi.pls import PlsEstimates, PlsSettings, Structure, estimate
from csi.quality import fornell_larcker, htmt, reliability, structural_vif
from csi.result import ModelInfo, Result
from csi.spec import ModelSpec, load_model


def fit(
    survey: Survey | str | Path,
    model: ModelSpec | str = "acsi",
    *,
    settings: PlsSettings | None = None,
    scale: tuple[float, float] | None = None,
) -> Result:
    """Estimate `model` (a ModelSpec, built-in name or model file) on `survey` by PLS-PM."""
    settings = settings or PlsSettings()
    spec = model if isinstance(model, ModelSpec) else load_model(str(model))
    survey = survey if isinstance(survey, Survey) else read_survey(survey)
    items = item_matrix(survey, spec, scale)
    return fit_items(items, spec, settings, source=survey.source)


def fit_items(items: ItemData, spec: ModelSpec, settings: PlsSettings, source: str) -> Result:
    """Estimate from an already-validated item matrix."""
    structure = Structure.from_spec(spec)
    stats = moments(items.values)
    cov = stats.cor if settings.standardize else stats.cov
    estimates = estimate(cov[None], structure, settings)
    if not estimates.converged[0]:
        raise EstimationError(
            f"PLS did not converge in {settings.max_iter} iterations; try --max-iter 1000, "
            "the centroid scheme (--scheme centroid), or check blocks whose items correlate "
            "weakly or negatively"
        )
    return assemble(spec, structure, settings, items, stats, estimates, source)


def standardized_weights(estimates: PlsEstimates, stats: Moments, settings: PlsSettings):
    """Weights on standardized indicators, whatever scale the estimation ran on."""
    return estimates.weights * stats.sd if not settings.standardize else estimates.weights


def assemble(spec: ModelSpec, structure: Structure, settings: PlsSettings, items: ItemData,
             stats: Moments, estimates: PlsEstimates, source: str) -> Result:
    """Turn the point estimates (batch of one) into the tables of a Result."""
    constructs = list(structure.constructs)
    indicators = list(structure.indicators)
    owner = [constructs[k] for k in structure.block_of]
    k_count = len(constructs)
    cor = stats.cor
    blocks = structure.blocks()
    std_w = standardized_weights(estimates, stats, settings)[0]
    loadings = estimates.loadings[0]
    construct_cor = estimates.construct_cor[0]

    edges = [(spec_path.source, spec_path.target) for spec_path in spec.paths]
    position = {c: k for k, c in enumerate(constructs)}
    paths = pd.DataFrame(
        [(a, b, estimates.paths[0, position[a], position[b]]) for a, b in edges],
        columns=["from", "to", "estimate"],
    )
    effect_pairs = [
        (constructs[a], constructs[b])
        for a in range(k_count)
        for b in range(k_count)
        if _reaches(structure.path_mask, a, b)
    ]
    total = pd.DataFrame(
        [(a, b, estimates.total_effects[0, position[a], position[b]]) for a, b in effect_pairs],
        columns=["from", "to", "estimate"],
    )
    indirect = pd.DataFrame(
        [(a, b, estimates.indirect_effects[0, position[a], position[b]]) for a, b in effect_pairs],
        columns=["from", "to", "estimate"],
    )
    weights = pd.DataFrame({"construct": owner, "indicator": indicators, "estimate": std_w})
    loading_table = pd.DataFrame({"construct": owner, "indicator": indicators, "estimate": loadings})
    cross = pd.DataFrame(
        [
            (indicators[i], constructs[k], estimates.cross_loadings[0, i, k])
            for i in range(len(indicators))
            for k in range(k_count)
        ],
        columns=["indicator", "construct", "estimate"],
    )
    endogenous = [k for k in range(k_count) if structure.predecessors[k].size]
    r2 = estimates.r2[0]
    n = stats.n
    adjusted = [
        1 - (1 - r2[k]) * (n - 1) / (n - structure.predecessors[k].size - 1) for k in endogenous
    ]
    r2_table = pd.DataFrame(
        {
            "construct": [constructs[k] for k in endogenous],
            "estimate": [r2[k] for k in endogenous],
            "adjusted": adjusted,
        }
    )

    low, high = items.scale.low, items.scale.high
    index_values = construct_index(std_w, stats.sd, stats.mean, structure.block_of, k_count, low, high)
    index = pd.DataFrame({"construct": constructs, "score": index_values})
    normalized = unstandardized_weights(std_w, stats.sd, structure.block_of, k_count)
    item_weights = pd.DataFrame(
        {
            "construct": owner,
            "indicator": indicators,
            "unstandardized": std_w / stats.sd,
            "normalized": normalized,
            "performance": rescale_0_100(stats.mean, low, high),
        }
    )

    rel = reliability(cor, std_w, loadings, blocks)
    reliability_table = pd.DataFrame(
        {"construct": constructs, "alpha": rel.alpha, "rho_a": rel.rho_a, "rho_c": rel.rho_c,
         "ave": rel.ave}
    )
    ratio = htmt(cor, blocks)
    htmt_table = pd.DataFrame(
        [(constructs[a], constructs[b], ratio[a, b]) for a in range(k_count) for b in range(a)],
        columns=["a", "b", "value"],
    )
    fl = fornell_larcker(construct_cor, rel.ave)
    fl_table = pd.DataFrame(
        [(constructs[a], constructs[b], fl[a, b]) for a in range(k_count) for b in range(a + 1)],
        columns=["a", "b", "value"],
    )
    vif = structural_vif(construct_cor, structure.predecessors)
    vif_table = pd.DataFrame(
        [(constructs[a], constructs[b], value) for (a, b), value in vif.items()],
        columns=["from", "to", "value"],
    )
    scores = _scores(items.values, stats, std_w, structure, constructs)

    info = ModelInfo(
        name=spec.name,
        constructs=tuple(constructs),
        labels={c: spec.label(c) for c in constructs} | {
            i: spec.labels[i] for i in indicators if i in spec.labels
        },
        modes={b.construct: b.mode for b in spec.blocks},
        indicators={b.construct: b.indicators for b in spec.blocks},
        paths=tuple(edges),
        target=spec.target,
    )
    return Result(
        model=info,
        source=source,
        settings={
            "estimator": "pls",
            "scheme": settings.scheme,
            "tol": settings.tol,
            "max_iter": settings.max_iter,
            "standardized": settings.standardize,
            "scale": items.scale.to_dict(),
        },
        data=items.to_dict(),
        n_obs=items.rows_used,
        converged=bool(estimates.converged[0]),
        iterations=int(estimates.iterations[0]),
        paths=paths,
        weights=weights,
        loadings=loading_table,
        cross_loadings=cross,
        r2=r2_table,
        total_effects=total,
        indirect_effects=indirect,
        index=index,
        item_weights=item_weights,
        reliability=reliability_table,
        htmt=htmt_table,
        fornell_larcker=fl_table,
        vif=vif_table,
        scores=scores,
        warnings=tuple(_weight_warnings(item_weights, spec) + _scale_notes(items)),
    )


def _reaches(path_mask: np.ndarray, a: int, b: int) -> bool:
    """True when a directed path leads from construct a to construct b."""
    frontier, seen = [a], set()
    while frontier:
        node = frontier.pop()
        for nxt in np.flatnonzero(path_mask[node]):
            if nxt == b:
                return True
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(int(nxt))
    return False


def _scores(values: np.ndarray, stats: Moments, std_w: np.ndarray, structure: Structure,
            constructs: list[str]) -> pd.DataFrame:
    """Standardized construct scores Y = Z W, computed as X (W/sd) - m'(W/sd) without a copy
    of the standardized data."""
    w = (std_w / stats.sd)[:, None] * structure.membership
    scores = values @ w
    scores -= stats.mean @ w
    return pd.DataFrame(scores, columns=constructs, copy=False)


def _weight_warnings(item_weights: pd.DataFrame, spec: ModelSpec) -> list[str]:
    """Explain non-positive unstandardized weights, which break the index's meaning."""
    messages = []
    for row in item_weights.itertuples():
        if row.unstandardized <= 0:
            messages.append(
                f"{row.indicator} has a non-positive weight ({row.unstandardized:.4f}) in "
                f"{spec.label(row.construct)}: higher answers to it lower the index, and the "
                "index is no longer a weighted average of its items (it can leave 0-100); "
                "check the item's wording (reverse-coded?) or drop it"
            )
    return messages


def _scale_notes(items: ItemData) -> list[str]:
    if items.scale.from_data:
        return [
            f"no --scale given: the index uses the observed answer range "
            f"{items.scale.low:g}..{items.scale.high:g}; give --scale MIN:MAX if the "
            "questionnaire's scale is wider"
        ]
    return []
