"""Flattening a `csi.fit` document into named metrics, the units `csi check` compares.

Metrics are found generically, so keys added to the JSON later are compared too:

- every numeric leaf outside the metadata keys is a metric with a stable name made of its
  family, the row's key and the field: `paths[Image->Expectation].estimate`,
  `index[Satisfaction].score`, `reliability[Quality].ave`, `r2[Satisfaction]`,
  `importance[Quality->Satisfaction].impact_5pt`, `fit.cfi`;
- strings and booleans are categorical metrics (`nonlinear.drivers[Quality].kano_class`);
- `se`, `t`, `p`, `ci_low`, `ci_high` (and `<metric>_se`, ...) describe the estimate beside
  them: the `ci` rule reads the SEs; the values themselves are compared only with
  `inference = true`, as is everything else that depends on the resamples (RESAMPLED:
  rank and class probabilities, significance flags, cross-validated fit);
- nothing that names where a file lives is a metric (`source` fields; the file's path inside
  a message is replaced by `<source>`): the data are identified by `data.sha256`;
- the priority order (`priorities.order`) is one metric, compared by the `priority` rule.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

# Top-level keys that describe a run rather than estimate something; compared as context.
CONTEXT_KEYS = frozenset({
    "schema", "csi_version", "source", "model", "n_obs", "data", "settings", "converged",
    "iterations", "bootstrap", "priority_settings", "warnings", "diagnostics", "advice",
})
# The descriptives of the data: metrics only when a policy names them (Policy.descriptives).
DESCRIPTIVES = "data_quality"
# Fields that depend on the bootstrap resamples (or the seed) although they are not SEs or
# interval bounds: compared, like those, only with `inference = true`.
RESAMPLED = {
    "priorities": frozenset({"p_top1", "p_top3", "significant"}),
    "nonlinear.drivers": frozenset({"kano_class", "p_basic", "p_performance", "p_excitement"}),
    "nonlinear.comparison": frozenset({"cv_r2_linear", "cv_r2_nonlinear", "t", "p",
                                       "preferred", "verdict"}),
}
PLACE_FIELDS = frozenset({"source"})  # where a file lives: never compared
# How the rows of a known table are named; other tables use their identifier fields.
KEY_FIELDS = {
    "paths": ("from", "to"),
    "total_effects": ("from", "to"),
    "indirect_effects": ("from", "to"),
    "vif": ("from", "to"),
    "weights": ("construct", "indicator"),
    "loadings": ("construct", "indicator"),
    "item_weights": ("construct", "indicator"),
    "cross_loadings": ("indicator", "construct"),
    "r2_inference": ("construct",),
    "htmt": ("a", "b"),
    "fornell_larcker": ("a", "b"),
    "importance": ("driver", "target"),
    "indicator_importance": ("indicator", "target"),
    "priorities": ("driver",),
    "nonlinear.paths": ("from", "to"),
    "nonlinear.drivers": ("driver",),
}
IDENTIFIERS = ("from", "to", "driver", "target", "construct", "indicator", "a", "b", "name",
               "segment", "group", "item")
MAIN_FIELDS = ("estimate", "score", "value")  # the field a bare `se`, `ci_low`, ... belongs to
INFERENCE = ("se", "t", "p", "ci_low", "ci_high")
NOT_METRICS = {"priorities": frozenset({"rank"})}  # ranks are checked by the priority rule
SE_FROM = {"r2": "r2_inference[{key}].estimate"}  # R² values whose SE is listed elsewhere


@dataclass(frozen=True)
class Leaf:
    """One metric of a document: its name, family and row, the value, and the SE beside it
    (`inference`: the value is itself an SE or interval bound of another metric)."""

    name: str
    family: str
    entity: str  # the row: `paths[Image->Expectation]`, or the family for its own scalars
    field: str | None
    value: object
    se: float | None
    inference: bool


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def leaves(doc: dict, names: frozenset[str]) -> dict[str, Leaf]:
    """Every metric of a `csi.fit` document, by name, in document order."""
    out: dict[str, Leaf] = {}
    for key, value in doc.items():
        if key not in CONTEXT_KEYS:
            _walk(value, key, key, names, out)
    place = doc.get("source")
    for name, leaf in list(out.items()):
        if leaf.field in PLACE_FIELDS or name.rsplit(".", 1)[-1] in PLACE_FIELDS:
            del out[name]
        elif isinstance(place, str) and place and isinstance(leaf.value, str) \
                and place in leaf.value:
            out[name] = Leaf(**{**leaf.__dict__, "value": leaf.value.replace(place, "<source>")})
    for family, template in SE_FROM.items():
        for name, leaf in list(out.items()):
            if leaf.family == family and leaf.field is None and leaf.se is None:
                key = leaf.entity[len(family) + 1:-1]
                source = out.get(template.format(key=key))
                if source is not None and source.se is not None:
                    out[name] = Leaf(**{**leaf.__dict__, "se": source.se})
    return out


def _walk(value, family: str, prefix: str, names: frozenset[str], out: dict) -> None:
    if isinstance(value, dict):
        if value and all(key in names for key in value):  # keyed by construct/indicator
            for key, item in value.items():
                entity = f"{prefix}[{key}]"
                if isinstance(item, dict):
                    _fields(item, family, entity, names, out)
                elif isinstance(item, list):
                    _walk(item, family, entity, names, out)
                else:
                    _add(out, entity, family, entity, None, item, None, False)
        else:  # a container: its scalars are metrics, its tables are sub-families
            scalars = {k: v for k, v in value.items() if not isinstance(v, (dict, list))}
            _fields(scalars, family, prefix, names, out)
            for key, item in value.items():
                if isinstance(item, (dict, list)):
                    _walk(item, f"{family}.{key}", f"{prefix}.{key}", names, out)
    elif isinstance(value, list):
        if value and all(isinstance(row, dict) for row in value):
            _rows(value, family, prefix, names, out)
        elif all(is_number(item) or item is None for item in value):
            for i, item in enumerate(value):
                _add(out, f"{prefix}[{i}]", family, f"{prefix}[{i}]", None, item, None, False)
        else:
            _add(out, prefix, family, prefix, None, _canonical(value), None, False)
    else:
        _add(out, prefix, family, prefix, None, value, None, False)


def _rows(rows: list[dict], family: str, prefix: str, names, out: dict) -> None:
    keys = KEY_FIELDS.get(family) or _identifier_fields(rows)
    labels = [_row_label(row, keys) for row in rows]
    if len(set(labels)) < len(labels):  # not unique: name rows by every identifier
        keys = _identifier_fields(rows, every_string=True)
        labels = [_row_label(row, keys) for row in rows]
    seen: dict[str, int] = {}
    for row, label in zip(rows, labels):
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > 1:
            label = f"{label}#{seen[label]}"
        entity = f"{prefix}[{label}]"
        _fields({k: v for k, v in row.items() if k not in keys}, family, entity, names, out)


def _identifier_fields(rows: list[dict], every_string: bool = False) -> tuple[str, ...]:
    first = rows[0]
    strings = [k for k in first if all(isinstance(row.get(k), str) for row in rows)]
    keys = strings if every_string else [k for k in strings if k in IDENTIFIERS]
    return tuple(keys) or tuple(strings)


def _row_label(row: dict, keys: tuple[str, ...]) -> str:
    values = [str(row.get(key)) for key in keys]
    if len(keys) == 2 and keys[1] in ("to", "target"):
        return "->".join(values)
    return ",".join(values)


def _fields(fields: dict, family: str, entity: str, names, out: dict) -> None:
    main = next((f for f in MAIN_FIELDS if is_number(fields.get(f))), None)
    skip = NOT_METRICS.get(family, frozenset())
    for key, value in fields.items():
        if key in skip:
            continue
        if isinstance(value, (dict, list)):
            _walk(value, family, f"{entity}.{key}", names, out)
            continue
        inference = _inference_of(key, fields, main)
        if inference is not None or key in RESAMPLED.get(family, ()):
            _add(out, f"{entity}.{key}", family, entity, key, value, None, True)
            continue
        se = fields.get(f"{key}_se", fields.get("se") if key == main else None)
        _add(out, f"{entity}.{key}", family, entity, key, value,
             se if is_number(se) else None, False)


def _inference_of(key: str, fields: dict, main: str | None) -> str | None:
    """'se', 'ci_low', ... when `key` describes the uncertainty of another field."""
    if key in INFERENCE and main is not None:
        return key
    for suffix in INFERENCE:
        stem = key[: -len(suffix) - 1]
        if key.endswith(f"_{suffix}") and stem in fields and stem != key:
            return suffix
    return None


def _add(out, name, family, entity, field_, value, se, inference) -> None:
    if isinstance(value, (list, dict)):
        value = _canonical(value)
    out[name] = Leaf(name, family, entity, field_, value, se, inference)


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def model_names(doc: dict) -> frozenset[str]:
    """The construct and indicator names of a document's model: the keys that name rows."""
    names = set()
    for construct in constructs(doc["model"]).values():
        names.add(construct["name"])
        names.update(construct.get("indicators") or ())
    return frozenset(names)


def constructs(model: dict) -> dict[str, dict]:
    """The constructs of a document's `model`, by name."""
    return {c["name"]: c for c in model.get("constructs", ())
            if isinstance(c, dict) and "name" in c}
