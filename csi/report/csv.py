"""The result's tables as one long CSV: table, from, to, estimate (and inference columns)."""

from __future__ import annotations

import pandas as pd

from csi.result import Result

INFERENCE = ["se", "t", "p", "ci_low", "ci_high"]


def to_csv(result: Result) -> str:
    """One row per estimate; `from`/`to` name the construct, indicator or pair it belongs to."""
    parts = [
        _table("path", result.paths, "from", "to", "estimate"),
        _table("total_effect", result.total_effects, "from", "to", "estimate"),
        _table("indirect_effect", result.indirect_effects, "from", "to", "estimate"),
        _table("weight", result.weights, "construct", "indicator", "estimate"),
        _table("loading", result.loadings, "construct", "indicator", "estimate"),
        _table("r2", result.r2, "construct", None, "estimate"),
        _table("r2_adj", result.r2, "construct", None, "adjusted"),
        _table("index", result.index, "construct", None, "score"),
    ]
    for measure in ("alpha", "rho_a", "rho_c", "ave"):
        parts.append(_table(measure, result.reliability, "construct", None, measure))
    parts.append(_table("htmt", result.htmt, "a", "b", "value"))
    parts.append(_table("vif", result.vif, "from", "to", "value"))
    return pd.concat(parts, ignore_index=True).to_csv(index=False, float_format="%.10g")


def _table(name: str, frame: pd.DataFrame, first: str, second: str | None,
           value: str) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "table": name,
            "from": frame[first],
            "to": frame[second] if second else "",
            "estimate": frame[value],
        }
    )
    prefix = "" if value in ("estimate", "score", "value") else f"{value}_"
    for column in INFERENCE:
        source = f"{prefix}{column}"
        out[column] = frame[source] if source in frame else float("nan")
    return out
