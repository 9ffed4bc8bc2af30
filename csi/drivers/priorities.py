"""Driver importance, performance and improvement priorities (importance-performance map
analysis, IPMA; Ringle & Sarstedt 2016, Industrial Management & Data Systems 116(9)).

Importance of a driver = its unstandardized total effect on the target's 0-100 score: the
standardized total effect times sd(target score) / sd(driver score), both on 0-100. Impact =
the target's change from a 5-point gain in the driver (the ACSI convention). Performance =
the driver's index. The priority score is the satisfaction points available,
importance x (100 - performance). Every quantity is computed for each bootstrap resample too,
which gives its interval and the probability that a driver is the top (or a top-three)
priority: how stable the ranking is.

Under the non-linear variant the priorities come from one model only (`model_used`): the one
its cross-validated comparison prefers (csi.drivers.nonlinear.compare), unless the user forces
one (--priorities-from); advice never rests on a model the evidence does not favour silently.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from csi.errors import ModelError
from csi.tables import FramesOnAccess, Table

if TYPE_CHECKING:
    import pandas as pd

IMPACT_POINTS = 5.0
QUADRANTS = {  # (high importance, high performance) -> label (Martilla & James 1977)
    (True, False): "Concentrate here",
    (True, True): "Keep up the good work",
    (False, False): "Low priority",
    (False, True): "Possible overkill",
}
QUADRANT_RULE = (
    "importance (points of the target per point of the driver: the unstandardized total "
    "effect, or the non-linear impact / 5) and performance (index) are split at their means "
    "over the drivers; a value equal to the mean counts as high"
)
METRICS = ("total_effect", "total_effect_unstd", "importance", "impact_5pt", "performance")


@dataclass(frozen=True)
class Priorities(FramesOnAccess):
    """What to improve first, for one target construct (tables: DataFrames or Tables,
    csi.tables)."""

    target: str
    target_reason: str
    model: str  # which structural model the importances come from, and why (a sentence)
    level: float | None  # confidence level of the intervals, None without a bootstrap
    importance: pd.DataFrame  # driver, target, METRICS (+ _se, _ci_low, _ci_high)
    indicator_importance: pd.DataFrame  # indicator, construct, target, importance, performance
    ranking: pd.DataFrame  # rank, driver, score, quadrant, p_top1, p_top3, significant, negative
    model_used: str = "linear"  # "linear" or "nonlinear": the model the importances come from

    def to_dict(self) -> dict:
        return {
            "priority_settings": {
                "target": self.target,
                "target_reason": self.target_reason,
                "model": self.model,
                "model_used": self.model_used,
                "level": self.level,
                "quadrant_rule": QUADRANT_RULE,
                "score": "importance x (100 - performance)",
            },
            "importance": self.table("importance").records(),
            "indicator_importance": self.table("indicator_importance").records(),
            "priorities": self.table("ranking").records(),
        }

    @classmethod
    def from_dict(cls, doc: dict) -> Priorities:
        """Rebuild from a saved `csi.fit` JSON document (for `csi priorities`)."""
        import pandas as pd

        settings = doc["priority_settings"]
        return cls(
            target=settings["target"],
            target_reason=settings["target_reason"],
            model=settings["model"],
            model_used=settings.get("model_used") or (
                "nonlinear" if settings["model"].startswith("non-linear") else "linear"),
            level=settings["level"],
            importance=pd.DataFrame(doc["importance"]),
            indicator_importance=pd.DataFrame(doc["indicator_importance"]),
            ranking=pd.DataFrame(doc["priorities"]),
        )



PRIORITY_MODELS = ("linear", "nonlinear")
NONLINEAR_MODEL = "non-linear (piecewise effects, +5 points propagated"


def priority_model(preferred: str | None, forced: str | None = None) -> tuple[str, str]:
    """The model the priorities use ("linear" or "nonlinear") and the `model` sentence.

    `preferred` is the non-linear variant's cross-validated choice (None: the linear variant,
    which has only the linear model); `forced` the user's --priorities-from, which wins.
    """
    if forced is not None and forced not in PRIORITY_MODELS:
        raise ValueError(f"--priorities-from must be one of {', '.join(PRIORITY_MODELS)}")
    if preferred is None:
        if forced == "nonlinear":
            raise ValueError("--priorities-from nonlinear needs the non-linear variant "
                             "(--variant nonlinear)")
        return "linear", "linear"
    used = forced or preferred
    words = NONLINEAR_MODEL if used == "nonlinear" else "linear ("
    if forced is not None:
        other = "non-linear" if preferred == "nonlinear" else "linear"
        why = (f"set with --priorities-from {forced}; the cross-validated comparison prefers "
               f"the {other} model")
    elif used == "nonlinear":
        why = "the cross-validated comparison prefers it"
    else:
        why = "the cross-validated comparison does not prefer the non-linear model"
    return used, words + ("; " if used == "nonlinear" else "") + why + ")"


def choose_target(constructs: tuple[str, ...], predecessors: dict[str, tuple[str, ...]],
                  model_target: str | None, requested: str | None) -> tuple[str, str]:
    """The target construct and why: --target, the model's @target, or else the construct
    with the most predecessors (the first in model order on a tie)."""
    if requested is not None:
        if requested not in constructs:
            raise ModelError(f"--target '{requested}' is not a construct of the model "
                             f"({', '.join(constructs)})")
        if not predecessors[requested]:
            raise ModelError(f"--target '{requested}' has no predecessors: nothing drives it")
        return requested, "set with --target"
    if model_target is not None:
        return model_target, "the model's @target"
    best = max(constructs, key=lambda c: (len(predecessors[c]), -constructs.index(c)))
    return best, f"the construct with the most predecessors ({len(predecessors[best])})"


def ipma(total: np.ndarray, score_sd: np.ndarray, index: np.ndarray, item_weights: np.ndarray,
         item_performance: np.ndarray, drivers: np.ndarray, target: int,
         block_of: np.ndarray, impact: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """IPMA quantities for a batch (leading axis b); `total` is (b, K, K) standardized total
    effects. Returns construct-level (b, D) and indicator-level (b, I) arrays, where the
    indicators are those of the drivers' blocks in model order. `impact` (b, D), when given,
    is a non-linear model's gain from +5 points and replaces the linear impact."""
    standardized = total[:, drivers, target]
    unstandardized = standardized * score_sd[:, [target]] / score_sd[:, drivers]
    importance = unstandardized if impact is None else impact / IMPACT_POINTS
    performance = index[:, drivers]
    items = np.flatnonzero(np.isin(block_of, drivers))
    position = {d: i for i, d in enumerate(drivers)}
    owner = np.array([position[k] for k in block_of[items]])
    return {
        "total_effect": standardized,
        "total_effect_unstd": unstandardized,
        "importance": importance,
        "impact_5pt": importance * IMPACT_POINTS,
        "performance": performance,
        "score": _score(importance, performance),
        "item_importance": item_weights[:, items] * importance[:, owner],
        "item_performance": item_performance[:, items],
        "items": items,
    }


def _score(importance: np.ndarray, performance: np.ndarray) -> np.ndarray:
    return importance * (100.0 - performance)


def rank_order(score: np.ndarray, importance: np.ndarray, names: list[str]) -> np.ndarray:
    """Ranks (1 = first) for one set of drivers: positive effects by score (ties: higher
    importance, then name), then the non-positive ones, which are never recommended first."""
    keys = sorted(range(len(names)),
                  key=lambda i: (importance[i] <= 0, -score[i], -importance[i], names[i]))
    ranks = np.empty(len(names), dtype=int)
    ranks[keys] = np.arange(1, len(names) + 1)
    return ranks


def batch_ranks(score: np.ndarray, importance: np.ndarray) -> np.ndarray:
    """rank_order for every resample at once (b, D); ties broken by importance, then by
    position (the drivers' model order), vectorised."""
    size = score.shape[1]
    order = np.lexsort((np.broadcast_to(np.arange(size), score.shape), -importance, -score,
                        importance <= 0), axis=1)
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, size + 1)[None, :].repeat(len(order), 0), 1)
    return ranks


def quadrant(importance: np.ndarray, performance: np.ndarray) -> list[str]:
    """Importance-performance quadrant of each driver (see QUADRANT_RULE)."""
    high_importance = importance >= importance.mean()
    high_performance = performance >= performance.mean()
    return [QUADRANTS[(bool(i), bool(p))] for i, p in zip(high_importance, high_performance)]


def analyse(constructs: tuple[str, ...], indicators: tuple[str, ...], block_of: np.ndarray,
            predecessors: dict[str, tuple[str, ...]],
            point: dict[str, np.ndarray], draws: dict[str, np.ndarray] | None,
            effect_pairs: list[tuple[int, int]], model_target: str | None,
            requested: str | None, level: float | None, impact_family: str | None = None,
            model: str = "linear", model_used: str = "linear",
            not_drivers: set[int] = frozenset()) -> Priorities:
    """Importance, performance and priorities of every driver of the target.

    `point` and `draws` hold the estimate families (csi.estimates) of the fit and of the
    resamples; total effects arrive as vectors over `effect_pairs` and are expanded here.
    `impact_family` names a family of +5-point impacts (csi.nonlinear) that replaces the
    linear impact; `model` says which model the ranking used and why, `model_used` names it;
    `not_drivers` are constructs left out of the drivers (interaction terms).
    """
    products = {constructs[i] for i in not_drivers}  # not predecessors a reader would count
    predecessors = {c: tuple(p for p in before if p not in products)
                    for c, before in predecessors.items()}
    target, reason = choose_target(constructs, predecessors, model_target, requested)
    t = constructs.index(target)
    drivers = np.array(sorted({a for a, b in effect_pairs if b == t and a not in not_drivers}),
                       dtype=int)
    if drivers.size == 0:
        raise ModelError(f"nothing in the model has a path to '{target}'")
    names = [constructs[d] for d in drivers]

    sources = np.array([a for a, _ in effect_pairs], dtype=int)
    targets = np.array([b for _, b in effect_pairs], dtype=int)

    def expand(vectors: np.ndarray) -> np.ndarray:
        total = np.zeros((vectors.shape[0], len(constructs), len(constructs)))
        total[:, sources, targets] = vectors
        return total

    def compute(families: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return ipma(expand(families["total_effects"]), families["score_sd"], families["index"],
                    families["item_weights"], families["item_performance"], drivers, t,
                    block_of, families[impact_family] if impact_family else None)

    now = {k: v[0] for k, v in compute({k: v[None] for k, v in point.items()}).items()
           if k != "items"}
    items = np.flatnonzero(np.isin(block_of, drivers))
    # each table is built from its columns in one constructor call (adding columns one by
    # one costs more than the whole computation)
    importance = {"driver": names, "target": target} | {metric: now[metric]
                                                         for metric in METRICS}
    indicator = {
        "indicator": [indicators[i] for i in items],
        "construct": [constructs[k] for k in block_of[items]],
        "target": target,
        "importance": now["item_importance"],
        "performance": now["item_performance"],
    }
    ranks = rank_order(now["score"], now["importance"], names)
    ranking = {
        "rank": ranks,
        "driver": names,
        "score": now["score"],
        "quadrant": quadrant(now["importance"], now["performance"]),
        "p_top1": np.nan,
        "p_top3": np.nan,
        "significant": None,
        "negative": now["importance"] <= 0,
    }

    if draws is not None:
        boot = compute(draws)
        alpha = 1 - level
        for metric in METRICS:
            values = boot[metric]
            importance[f"{metric}_se"] = values.std(axis=0, ddof=1)
            importance[f"{metric}_ci_low"] = np.quantile(values, alpha / 2, axis=0)
            importance[f"{metric}_ci_high"] = np.quantile(values, 1 - alpha / 2, axis=0)
        for metric, key in (("importance", "item_importance"), ("performance", "item_performance")):
            indicator[f"{metric}_ci_low"] = np.quantile(boot[key], alpha / 2, axis=0)
            indicator[f"{metric}_ci_high"] = np.quantile(boot[key], 1 - alpha / 2, axis=0)
        resample_ranks = batch_ranks(boot["score"], boot["importance"])
        ranking["p_top1"] = (resample_ranks == 1).mean(axis=0)
        ranking["p_top3"] = (resample_ranks <= 3).mean(axis=0)
        ranking["significant"] = ((importance["importance_ci_low"] > 0)
                                  | (importance["importance_ci_high"] < 0))
    importance = Table(importance)
    indicator = Table(indicator)
    order = np.argsort(np.asarray(ranking["rank"]), kind="stable")  # by rank (ranks differ)
    ranking = Table({column: values if np.isscalar(values) or values is None
                     else np.asarray(values)[order] for column, values in ranking.items()})
    return Priorities(target=target, target_reason=reason, model=model, level=level,
                      importance=importance, indicator_importance=indicator, ranking=ranking,
                      model_used=model_used)


def share(probability: float) -> str:
    """A probability as a percentage that never rounds a near-certainty to certainty."""
    if 0.995 <= probability < 1:
        return ">99%"
    if 0 < probability < 0.005:
        return "<1%"
    return f"{probability:.0%}"


def sentences(priorities: Priorities, label, top: int = 3, weakest: int = 3) -> list[str]:
    """The top priorities in plain language, with numbers and uncertainty."""
    out = []
    importance = priorities.importance.set_index("driver")
    items = priorities.indicator_importance
    target_label = label(priorities.target)
    level = f"{priorities.level:.0%}" if priorities.level else None
    for row in priorities.ranking.head(top).to_dict("records"):
        driver = row["driver"]
        info = importance.loc[driver]
        if row["negative"]:
            out.append(
                f"{label(driver)} has a negative effect on {target_label} "
                f"({info['impact_5pt']:+.1f} points per +5): it is not recommended as a "
                "priority; check the model and the items' wording."
            )
            continue
        text = (f"Raise {label(driver)}: +5 points would lift {target_label} by "
                f"{info['impact_5pt']:.1f} points")
        if level and "impact_5pt_ci_low" in info:
            text += f" ({level} CI {info['impact_5pt_ci_low']:.1f}–{info['impact_5pt_ci_high']:.1f})"
        if row.get("p_top1") is not None and not math.isnan(row["p_top1"]):
            text += f"; it is the top priority in {share(row['p_top1'])} of resamples"
            if len(priorities.ranking) > 3:  # with three drivers or fewer it always is
                text += f" and in the top three in {share(row['p_top3'])}"
        text += "."
        if row["quadrant"] == QUADRANTS[(True, True)]:
            matters = ("it matters most for" if row["rank"] == 1 else
                       "it matters more than the average driver for")
            text += (f" It already performs well ({info['performance']:.1f}, '{row['quadrant']}')"
                     f", but {matters} {target_label}: raising it still pays.")
        if isinstance(row.get("necessity_reason"), str):  # cIPMA (csi.drivers.necessity)
            text = row["necessity_reason"] + " " + text
        if row.get("significant") is False:
            text += (f" Caution: its effect is not statistically significant (the {level} CI "
                     "of its impact includes zero), so treat this as tentative.")
        questions = items[items["construct"] == driver].nsmallest(weakest, "performance")
        if len(questions) > 1:
            listed = ", ".join(f"{label(q['indicator'])} ({q['performance']:.1f})"
                               for q in questions.to_dict("records"))
            text += f" Weakest questions: {listed}."
        out.append(text)
    return out
