"""The frozen result of a fit, and its JSON contract (`csi.fit/1`).

Every table is a long DataFrame with an `estimate` column; inference adds `se`, `t`, `p`,
`ci_low` and `ci_high` beside it. Renderers (terminal, CSV, JSON, PDF) read only this object.
A fit stores its tables as csi.tables.Table (named arrays): reading one gives a DataFrame,
while `to_dict` writes JSON from the arrays without importing pandas.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from typing import TYPE_CHECKING

from csi._version import __version__
from csi.diagnostics import Diagnostic
from csi.drivers.advice import Advice
from csi.jsonio import dumps, number
from csi.measures.reliability import quality_flags
from csi.tables import FramesOnAccess, Table

if TYPE_CHECKING:  # pandas loads when a table is read as a DataFrame, not for JSON (issue 15)
    import pandas as pd

    from csi.drivers.moderation import Moderation
    from csi.drivers.necessity import Necessity
    from csi.drivers.nonlinear import NonlinearResult
    from csi.drivers.priorities import Priorities
    from csi.inference.bootstrap import Draws

SCHEMA = "csi.fit/1"


@dataclass(frozen=True)
class ModelInfo:
    """What was estimated: the model's name, constructs (with labels) and paths."""

    name: str
    constructs: tuple[str, ...]
    labels: dict[str, str]
    modes: dict[str, str]
    indicators: dict[str, tuple[str, ...]]
    paths: tuple[tuple[str, str], ...]
    target: str | None

    def label(self, name: str) -> str:
        return self.labels.get(name, name)

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "target": self.target,
            "constructs": [
                {
                    "name": c,
                    "label": self.label(c),
                    "mode": self.modes[c],
                    "indicators": list(self.indicators[c]),
                }
                for c in self.constructs
            ],
            "paths": [{"from": a, "to": b} for a, b in self.paths],
        }


FAMILIES = ("paths", "weights", "loadings", "total_effects", "indirect_effects", "r2", "index")


@dataclass(frozen=True)
class Result(FramesOnAccess):
    """Everything csi estimated for one survey and model (tables: DataFrames or Tables)."""

    model: ModelInfo
    source: str
    settings: dict
    data: dict
    data_quality: dict
    n_obs: int
    converged: bool
    iterations: int
    paths: pd.DataFrame  # from, to, estimate
    weights: pd.DataFrame  # construct, indicator, estimate
    loadings: pd.DataFrame  # construct, indicator, estimate
    cross_loadings: pd.DataFrame  # indicator, construct, estimate
    r2: pd.DataFrame  # construct, estimate, adjusted
    total_effects: pd.DataFrame  # from, to, estimate
    indirect_effects: pd.DataFrame  # from, to, estimate
    index: pd.DataFrame  # construct, score
    item_weights: pd.DataFrame  # construct, indicator, unstandardized, normalized, performance
    reliability: pd.DataFrame  # construct, alpha, rho_a, rho_c, ave
    htmt: pd.DataFrame  # a, b, value
    fornell_larcker: pd.DataFrame  # a, b, value
    vif: pd.DataFrame  # from, to, value
    scores: pd.DataFrame = field(repr=False)  # respondents x constructs, standardized
    point_vectors: dict = field(repr=False)  # {family: estimates in table order}
    warnings: tuple[str, ...] = ()
    bootstrap: dict | None = None  # settings and counts of the bootstrap, when run
    draws: Draws | None = field(default=None, repr=False)  # the resamples, when run
    priorities: Priorities | None = None  # importance, performance, ranking of the drivers
    nonlinear: NonlinearResult | None = None  # the non-linear variant's block
    fit_indices: dict | None = None  # CB-SEM's global fit (chisq, df, ..., bic), else None
    model_fit: dict | None = None  # PLS/PLSc: SRMR, d_ULS, d_G (csi.inference.model_fit)
    estimator_details: dict | None = None  # estimator-specific (PLSc rho_A, CB-SEM parameters)
    diagnostics: tuple[Diagnostic, ...] = ()  # findings that qualify or withhold the advice
    advice: Advice | None = None  # whether the priorities can be given (csi.drivers.advice)
    necessity: Necessity | None = None  # NCA of the target's drivers (--necessity), else None
    moderation: Moderation | None = None  # simple slopes of interaction terms, else None

    def families(self) -> dict[str, pd.DataFrame]:
        """The tables that carry inference (se, t, p, ci_low, ci_high), by family."""
        return family_tables(self)

    def family_tables(self) -> dict[str, Table]:
        """The tables that carry inference, as Tables (no pandas), by family."""
        return {family: self.table(family) for family in FAMILIES}

    def to_dict(self) -> dict:
        """The `csi.fit/1` JSON document. Keys are a public contract: add, never rename."""
        r2 = self.table("r2").records()
        doc = {
            "schema": SCHEMA,
            "csi_version": __version__,
            "source": self.source,
            "model": self.model.to_dict(),
            "n_obs": self.n_obs,
            "data": self.data,
            "data_quality": self.data_quality,
            "settings": self.settings,
            "converged": self.converged,
            "iterations": self.iterations,
            "paths": self.table("paths").records(),
            "weights": self.table("weights").records(),
            "loadings": self.table("loadings").records(),
            "cross_loadings": self.table("cross_loadings").records(),
            "r2": {row["construct"]: row["estimate"] for row in r2},
            "r2_adj": {row["construct"]: row["adjusted"] for row in r2},
            "r2_inference": self.table("r2").drop("adjusted").records(),
            "total_effects": self.table("total_effects").records(),
            "indirect_effects": self.table("indirect_effects").records(),
            "index": _by_construct(self.table("index")),
            "item_weights": self.table("item_weights").records(),
            # SD of each construct's 0-100 score: unstandardized effects (csi.decisions)
            "score_sd": {c: number(v) for c, v in zip(
                self.model.constructs, self.point_vectors.get("score_sd", ()))},
            "reliability": _by_construct(self.table("reliability")),
            "htmt": self.table("htmt").records(),
            "fornell_larcker": self.table("fornell_larcker").records(),
            "vif": self.table("vif").records(),
            "bootstrap": self.bootstrap,
            **(self.priorities.to_dict() if self.priorities is not None else {}),
            **({} if self.advice is None or self.advice.status == "ok" else {"priorities": []}),
            **({"nonlinear": self.nonlinear.to_dict()} if self.nonlinear is not None else {}),
            **({"necessity": self.necessity.to_list(),
                "necessity_settings": self.necessity.settings()}
               if self.necessity is not None else {}),
            **({"moderation": self.moderation.to_list()} if self.moderation is not None
               else {}),
            "fit": self.fit_indices if self.fit_indices is not None else self.model_fit,
            "estimator_details": self.estimator_details,
            "warnings": list(self.warnings),
            "diagnostics": [d.to_dict() for d in self.diagnostics],
            "advice": self.advice.to_dict() if self.advice is not None else None,
        }
        doc["quality_flags"] = quality_flags(doc).to_dict()  # added in 0.1 (issue 13)
        return doc

    def to_json(self) -> str:
        return dumps(self.to_dict())




def family_tables(result: Result) -> dict[str, pd.DataFrame]:
    """The tables that carry inference, by estimate family (csi.estimators.reported)."""
    return {family: getattr(result, family) for family in FAMILIES}


def _by_construct(table: Table) -> dict[str, dict]:
    """{construct: {column: value}} of a table keyed by its `construct` column."""
    return {row.pop("construct"): row for row in table.records()}
