"""The result's tables as one long CSV: table, from, to, estimate (and inference columns).

`table` names the family of each row: path, weight, loading, r2, index, reliability measures,
htmt, vif, then the drivers of the target: importance.<measure> (from the driver to the
target) and priority.<field> (score, rank, p_top1, p_top3). A 0-100 index is not tested
against zero: its t and p are left empty.
"""

from __future__ import annotations

import pandas as pd

from csi.result import Result

INFERENCE = ["se", "t", "p", "ci_low", "ci_high"]
NO_TEST = ("index",)  # estimates whose test against zero means nothing
IMPORTANCE = ("total_effect", "total_effect_unstd", "importance", "impact_5pt", "performance")
PRIORITY = ("score", "rank", "p_top1", "p_top3")


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
    if result.priorities is not None:
        parts += _drivers(result.priorities)
    out = pd.concat(parts, ignore_index=True)
    out.loc[out["table"].isin(NO_TEST), ["t", "p"]] = float("nan")
    return out.to_csv(index=False, float_format="%.10g")


def _drivers(priorities) -> list[pd.DataFrame]:
    """Importance and priorities of the target's drivers, one table per measure."""
    importance = priorities.importance
    parts = [_table(f"importance.{measure}", importance, "driver", "target", measure)
             for measure in IMPORTANCE if measure in importance]
    ranking = priorities.ranking.assign(target=priorities.target)
    parts += [_table(f"priority.{field}", ranking, "driver", "target", field)
              for field in PRIORITY if field in ranking]
    return parts


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
    prefix = "" if value in ("estimate", "value") or name == "index" else f"{value}_"
    for column in INFERENCE:
        source = f"{prefix}{column}"
        out[column] = frame[source] if source in frame else float("nan")
    return out
