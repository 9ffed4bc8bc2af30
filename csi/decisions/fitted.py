"""The fitted structural model of a saved `csi.fit` document, as arrays, and the propagation of
changes through it (what-if simulation, plans).

A change is a shift of a construct's 0-100 level (its index, the mean score). It moves every
construct downstream through the structural equations, in causal order, and never upstream:
- linear model: each equation's unstandardized paths, path x sd(target score) / sd(source
  score) (Ringle & Sarstedt 2016, IMDS 116(9), the IPMA rescaling), so a change of d moves t by
  exactly the unstandardized total effect x the change;
- non-linear model (csi.drivers.nonlinear): each equation's fitted piecewise response, slope
  below and above the source's knot, so a basic factor saturates above its knot.
Each construct is held to 0..100 as it moves (an index cannot leave its scale), and what is
held is reported. Every function takes a batch of parameter sets (b: the point estimate, or the
bootstrap resamples) and is vectorised over it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from csi.errors import DataError, ModelError

MODELS = ("linear", "nonlinear")
LOW, HIGH = 0.0, 100.0


@dataclass(frozen=True)
class Fitted:
    """The structural model and the point estimates a simulation needs, from a fit document."""

    source: str  # the results file, for messages
    constructs: tuple[str, ...]
    labels: dict[str, str]  # construct labels
    paths: tuple[tuple[int, int], ...]  # (from, to) construct indices, the JSON's path order
    order: tuple[int, ...]  # constructs, every source before its targets
    model: str  # "linear" or "nonlinear"
    target: str | None  # the priorities' target
    level: np.ndarray  # (K,) indices
    score_sd: np.ndarray  # (K,) SD of the 0-100 construct scores
    path_std: np.ndarray  # (P,) standardized paths
    slope_low: np.ndarray | None  # (P,) non-linear slopes below / above the knot
    slope_high: np.ndarray | None
    knots: np.ndarray | None  # (K,)
    items: tuple[str, ...]  # indicators, in the JSON's item_weights order
    item_block: np.ndarray  # (I,) construct index of each item
    item_weight: np.ndarray  # (I,) normalized unstandardized weights (sum 1 per construct)
    item_performance: np.ndarray  # (I,) items' mean on 0-100
    item_range: np.ndarray  # (I,) high - low of each item's answer scale
    ci_level: float | None  # the bootstrap's confidence level
    advice: dict  # {"status", "message"}; status "ok" unless the fit withheld its advice

    def label(self, name: str) -> str:
        return self.labels.get(name, name)

    def downstream(self, starts: set[int]) -> set[int]:
        """The constructs reachable from `starts` along the paths (the starts included)."""
        reached = set(starts)
        for j in self.order:
            if any(k in reached for k, t in self.paths if t == j):
                reached.add(j)
        return reached

    def drivers(self, target: int) -> list[int]:
        """Constructs with a path (direct or not) to `target`, in model order."""
        return [k for k in range(len(self.constructs))
                if k != target and target in self.downstream({k})]

    def resolve(self, name: str, what: str = "change") -> tuple[str, int]:
        """("construct" | "item", position) of a construct or item given by name or label
        (case-insensitive)."""
        for kind, names in (("construct", self.constructs), ("item", self.items)):
            for position, candidate in enumerate(names):
                if name == candidate:
                    return kind, position
        wanted = name.casefold()
        for kind, names in (("construct", self.constructs), ("item", self.items)):
            for position, candidate in enumerate(names):
                if wanted in (candidate.casefold(), self.label(candidate).casefold()):
                    return kind, position
        raise ModelError(f"{what} '{name}' is neither a construct nor an item of the model "
                         f"in {self.source} (constructs: {', '.join(self.constructs)})")

    def point(self) -> Parameters:
        """The point estimates as a batch of one."""
        return Parameters(
            level=self.level[None], score_sd=self.score_sd[None], path_std=self.path_std[None],
            slope_low=None if self.slope_low is None else self.slope_low[None],
            slope_high=None if self.slope_high is None else self.slope_high[None],
            item_weight=self.item_weight[None])


@dataclass(frozen=True)
class Parameters:
    """One set of estimates per row (b): the point fit or the bootstrap resamples."""

    level: np.ndarray  # (b, K)
    score_sd: np.ndarray  # (b, K)
    path_std: np.ndarray  # (b, P)
    slope_low: np.ndarray | None  # (b, P)
    slope_high: np.ndarray | None
    item_weight: np.ndarray  # (b, I)

    @property
    def size(self) -> int:
        return self.level.shape[0]


def from_document(doc: dict, source: str, model: str | None = None) -> Fitted:
    """The Fitted model of a `csi.fit` document; `model` overrides the document's
    `priority_settings.model_used` (absent: linear)."""
    constructs = tuple(c["name"] for c in doc["model"]["constructs"])
    position = {c: k for k, c in enumerate(constructs)}
    if not doc.get("paths"):
        raise ModelError(f"{source}: the model has no structural paths: there is nothing a "
                         "change could move")
    if not all(c in (doc.get("score_sd") or {}) for c in constructs):
        raise DataError(f"{source}: the file has no 'score_sd' (made by an older csi?): refit "
                        "with this csi to simulate")
    paths = tuple((position[p["from"]], position[p["to"]]) for p in doc["paths"])
    settings = doc.get("priority_settings") or {}
    if model is None:
        model = "nonlinear" if settings.get("model_used") in ("nonlinear", "non-linear") \
            else "linear"
    slope_low = slope_high = knots = None
    if model == "nonlinear":
        block = doc.get("nonlinear")
        if not block:
            raise ModelError(f"{source}: no non-linear model in the file (fit with "
                             "--variant nonlinear)")
        rows = {(r["from"], r["to"]): r for r in block["paths"]}
        slope_low = np.array([_real(rows[p["from"], p["to"]]["slope_low"]) for p in doc["paths"]])
        slope_high = np.array([_real(rows[p["from"], p["to"]]["slope_high"])
                               for p in doc["paths"]])
        knots = np.array([_real(block["knots"][c]) for c in constructs])
    scale = doc["settings"]["scale"]
    item_scales = doc["data"].get("item_scales", {})
    weights = doc["item_weights"]
    items = tuple(r["indicator"] for r in weights)
    bounds = np.array([item_scales.get(i, [scale["min"], scale["max"]]) for i in items], float)
    labels = {c["name"]: c.get("label", c["name"]) for c in doc["model"]["constructs"]}
    bootstrap = doc.get("bootstrap") or {}
    advice = doc.get("advice") or {"status": "ok", "message": None}
    return Fitted(
        source=source,
        constructs=constructs,
        labels=labels,
        paths=paths,
        order=tuple(topological(len(constructs), paths)),
        model=model,
        target=settings.get("target") or doc["model"].get("target"),
        level=np.array([_real(doc["index"][c]["score"]) for c in constructs]),
        score_sd=np.array([_real(doc["score_sd"][c]) for c in constructs]),
        path_std=np.array([_real(p["estimate"]) for p in doc["paths"]]),
        slope_low=slope_low,
        slope_high=slope_high,
        knots=knots,
        items=items,
        item_block=np.array([position[r["construct"]] for r in weights], dtype=int),
        item_weight=np.array([_real(r["normalized"]) for r in weights]),
        item_performance=np.array([_real(r["performance"]) for r in weights]),
        item_range=bounds[:, 1] - bounds[:, 0],
        ci_level=bootstrap.get("level"),
        advice={"status": advice.get("status", "ok"), "message": advice.get("message")},
    )


def _real(value) -> float:
    return np.nan if value is None else float(value)


def topological(count: int, paths) -> list[int]:
    """Constructs ordered so every source comes before its targets (model order on ties)."""
    order: list[int] = []
    while len(order) < count:
        ready = [k for k in range(count) if k not in order
                 and all(a in order for a, b in paths if b == k)]
        if not ready:
            raise ModelError("the structural model has a cycle: changes cannot be propagated")
        order.append(ready[0])
    return order


def construct_shocks(fitted: Fitted, params: Parameters, constructs: np.ndarray,
                     items: np.ndarray) -> np.ndarray:
    """(b, K) shifts of the construct levels from construct changes (K,) on 0-100 and item
    changes (I,) on each item's answer scale: an item moves its construct's index by its
    normalized weight x the change x 100 / (scale range), the index being the weighted mean
    of its items on 0-100. Changes may also come as rows (r, K) and (r, I) for a batch of one
    parameter set: the result is then (r, K)."""
    through_items = params.item_weight * (np.atleast_2d(items) * 100.0 / fitted.item_range)
    membership = fitted.item_block[:, None] == np.arange(len(fitted.constructs))[None, :]
    return np.atleast_2d(constructs).astype(float) + through_items @ membership.astype(float)


def propagate(fitted: Fitted, params: Parameters, shocks: np.ndarray):
    """Levels after the shifts `shocks` (b, K), carried downstream in causal order: (after
    (b, K), held (b, K) bool: where 0..100 held a construct back). One parameter set (b = 1)
    broadcasts over many rows of shifts."""
    level = params.level
    after = np.broadcast_to(level, np.broadcast_shapes(level.shape, shocks.shape)).copy()
    held = np.zeros(after.shape, dtype=bool)
    if fitted.model == "linear":
        source = np.array([a for a, _ in fitted.paths])
        target = np.array([b for _, b in fitted.paths])
        beta = params.path_std * params.score_sd[:, target] / params.score_sd[:, source]
    for j in fitted.order:
        moved = np.broadcast_to(shocks[:, j], after.shape[:1]).copy()
        for position, (k, t) in enumerate(fitted.paths):
            if t != j:
                continue
            if fitted.model == "linear":
                moved += beta[:, position] * (after[:, k] - level[:, k])
            else:
                knot = fitted.knots[k]
                low, high = params.slope_low[:, position], params.slope_high[:, position]
                moved += _piece(after[:, k], knot, low, high) - _piece(level[:, k], knot, low,
                                                                       high)
        free = level[:, j] + moved
        after[:, j] = np.where(moved != 0, np.clip(free, LOW, HIGH), level[:, j])
        held[:, j] = after[:, j] != free
    return after, held


def _piece(x: np.ndarray, knot: float, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """The piecewise-linear response (csi.drivers.nonlinear): low below the knot, high above."""
    return low * np.minimum(x - knot, 0.0) + high * np.maximum(x - knot, 0.0)


def interval(values: np.ndarray, level: float) -> tuple[float, float]:
    """Percentile interval of bootstrap values (b,), as csi's importance table gives it."""
    alpha = 1 - level
    return (float(np.nanquantile(values, alpha / 2)),
            float(np.nanquantile(values, 1 - alpha / 2)))
