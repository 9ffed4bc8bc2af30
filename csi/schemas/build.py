"""Writes csi/schemas/*.json, the published contract: `python -m csi.schemas.build` after a key
is added to a document (keys are only ever added; a test keeps the files equal to this)."""

from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).parent
BASE = "https://csi.example/schemas/"
NUM = {"type": ["number", "null"]}  # NaN is written as null
INT = {"type": "integer"}
STR = {"type": "string"}
STR_N = {"type": ["string", "null"]}
BOOL = {"type": "boolean"}
BOOL_N = {"type": ["boolean", "null"]}
INFERENCE = {k: {"$ref": "#/$defs/number"} for k in ("se", "t", "p", "ci_low", "ci_high")}


def obj(required=(), optional=None, **props):
    props = {**props, **(optional or {})}
    out = {"type": "object", "properties": props}
    if required:
        out["required"] = list(required)
    return out


def table(keys, numbers=(), extra=None, inference=True, required_numbers=True):
    props = {k: STR for k in keys}
    props.update({k: {"$ref": "#/$defs/number"} for k in numbers})
    if inference:
        props.update(INFERENCE)
    props.update(extra or {})
    req = list(keys) + (list(numbers) if required_numbers else [])
    return {"type": "array", "items": obj(req, None, **props)}


def keyed(item):  # an object keyed by construct (or indicator) name
    return {"type": "object", "additionalProperties": item}


DIAGNOSTIC = obj(["code", "severity", "message", "subject"],
                 code=STR, severity={"enum": ["error", "warning", "info"]}, message=STR,
                 subject=STR_N)
ADVICE = obj(["status", "reasons", "message"], status=STR,
             reasons={"type": "array", "items": STR}, message=STR_N)
FIT_DEFS = {
    "number": NUM,
    "diagnostic": DIAGNOSTIC,
    "advice": ADVICE,
    "strings": {"type": "array", "items": STR},
}

model = obj(["name", "target", "constructs", "paths"],
            name=STR, target=STR_N,
            constructs={"type": "array", "items": obj(
                ["name", "label", "mode", "indicators"], name=STR, label=STR_N,
                mode={"enum": ["A", "B"]}, indicators={"$ref": "#/$defs/strings"})},
            paths={"type": "array", "items": obj(["from", "to"], **{"from": STR, "to": STR})})
data = obj(["rows_read", "rows_used", "rows_dropped_missing", "missing", "missing_cells",
            "weights", "item_scales", "columns"],
           rows_read=INT, rows_used=INT, rows_dropped_missing=INT, missing=STR,
           missing_cells=keyed(INT), rows_dropped_straightliners=INT,
           rows_dropped_careless=INT, cells_imputed=INT, weights=STR_N,
           item_scales=keyed({"type": "array", "items": {"type": "number"},
                              "minItems": 2, "maxItems": 2}),
           format=STR_N, encoding=STR_N, layout=STR_N, id_column=STR_N,
           columns=keyed(STR),
           sha256={"description": "SHA-256 of the survey file's bytes (of a DataFrame: its "
                                  "canonical CSV); identifies the data wherever they live",
                   "type": ["string", "null"], "pattern": "^[0-9a-f]{64}$"})
data_quality = obj(["usable", "rows_read", "rows_used", "missing", "items", "notes", "warnings",
                    "errors"],
                   source=STR_N, usable=BOOL, rows_read=INT, rows_used=INT,
                   missing={"type": "object"},
                   items={"type": "array", "items": {"type": "object"}},
                   notes={"$ref": "#/$defs/strings"}, warnings={"$ref": "#/$defs/strings"},
                   errors={"$ref": "#/$defs/strings"})
settings = obj(["estimator", "scheme", "tol", "max_iter", "standardized", "scale"],
               estimator={"enum": ["pls", "plsc", "cbsem"]}, objective=STR, scheme=STR,
               tol={"type": "number"}, max_iter=INT, standardized=BOOL,
               scale=obj(["min", "max", "from_data"], min={"type": "number"},
                         max={"type": "number"}, from_data=BOOL),
               variant={"enum": ["linear", "nonlinear"]}, knot=STR,
               interaction={"enum": ["two-stage", "orthogonal", "product-indicator"]})
bootstrap = {"type": ["object", "null"], "required": ["n_requested", "seed", "n_used"],
             "properties": {"n_requested": INT, "seed": INT, "ci_method": STR,
                            "level": {"type": "number"}, "sign_change": STR, "on_failure": STR,
                            "n_used": INT, "n_failed": INT, "n_redrawn": INT,
                            "failures": keyed(INT)}}
importance_fields = ("total_effect", "total_effect_unstd", "importance", "impact_5pt",
                     "performance")
importance_extra = {f"{f}_{s}": {"$ref": "#/$defs/number"} for f in importance_fields
                    for s in ("se", "ci_low", "ci_high")}
nl_paths_fields = ("slope_low", "slope_high", "asymmetry", "quadratic")
nonlinear = obj(["knot", "knots", "paths", "drivers", "comparison", "notes"],
                knot=STR, knots=keyed({"$ref": "#/$defs/number"}),
                paths=table(("from", "to"), nl_paths_fields, inference=False, extra={
                    **{f"{f}_{s}": {"$ref": "#/$defs/number"} for f in nl_paths_fields
                       for s in ("se", "ci_low", "ci_high")},
                    "quadratic_linear": {"$ref": "#/$defs/number"},
                    "turning_point": {"$ref": "#/$defs/number"},
                    "piecewise": {"type": ["boolean", "string", "null"]},
                    "curve": {"type": ["array", "object", "null"]},
                    "spline_knots": {"type": ["integer", "array", "null"]}}),
                drivers=table(("driver", "target"), ("asymmetry", "impact_5pt"),
                              inference=False, extra={
                                  "direct": BOOL, "kano_class": STR_N,
                                  "p_basic": {"$ref": "#/$defs/number"},
                                  "p_performance": {"$ref": "#/$defs/number"},
                                  "p_excitement": {"$ref": "#/$defs/number"},
                                  "marginal_effect": {"$ref": "#/$defs/number"}}),
                comparison={"type": ["object", "null"]},
                notes={"$ref": "#/$defs/strings"})
reliability_row = obj(["alpha", "rho_a", "rho_c", "ave"],
                      **{k: {"$ref": "#/$defs/number"} for k in ("alpha", "rho_a", "rho_c",
                                                                  "ave")})
fit_props = {
    "schema": {"const": "csi.fit/1"},
    "csi_version": STR,
    "source": {"description": "where the survey was read from (never compared by csi check)",
               "type": "string"},
    "model": model,
    "n_obs": {"type": "number"},
    "data": data,
    "data_quality": data_quality,
    "settings": settings,
    "converged": BOOL,
    "iterations": INT,
    "paths": table(("from", "to"), ("estimate",)),
    "weights": table(("construct", "indicator"), ("estimate",)),
    "loadings": table(("construct", "indicator"), ("estimate",)),
    "cross_loadings": table(("indicator", "construct"), ("estimate",), inference=False),
    "r2": keyed({"$ref": "#/$defs/number"}),
    "r2_adj": keyed({"$ref": "#/$defs/number"}),
    "r2_inference": table(("construct",), ("estimate",)),
    "total_effects": table(("from", "to"), ("estimate",)),
    "indirect_effects": table(("from", "to"), ("estimate",)),
    "index": keyed(obj(["score"], None, score={"$ref": "#/$defs/number"}, **INFERENCE)),
    "item_weights": table(("construct", "indicator"),
                          ("unstandardized", "normalized", "performance"), inference=False),
    "reliability": keyed(reliability_row),
    "htmt": table(("a", "b"), ("value",), inference=False),
    "fornell_larcker": table(("a", "b"), ("value",), inference=False),
    "vif": table(("from", "to"), ("value",), inference=False),
    "bootstrap": bootstrap,
    "priority_settings": {"type": ["object", "null"]},
    "importance": table(("driver", "target"), importance_fields, inference=False,
                        extra=importance_extra),
    "indicator_importance": table(("indicator", "construct", "target"),
                                  ("importance", "performance"), inference=False),
    "priorities": table(("driver",), ("score",), inference=False, extra={
        "rank": INT, "quadrant": STR_N, "p_top1": {"$ref": "#/$defs/number"},
        "p_top3": {"$ref": "#/$defs/number"}, "significant": BOOL_N, "negative": BOOL_N}),
    "fit": {"type": ["object", "null"], "properties": {
        k: {"$ref": "#/$defs/number"} for k in ("chisq", "df", "pvalue", "cfi", "tli", "rmsea",
                                                "rmsea_ci_low", "rmsea_ci_high", "srmr",
                                                "aic", "bic")}},
    "estimator_details": {"type": ["object", "null"]},
    "warnings": {"$ref": "#/$defs/strings"},
    "diagnostics": {"type": "array", "items": {"$ref": "#/$defs/diagnostic"}},
    "advice": {"$ref": "#/$defs/advice"},
    "quality_flags": {"type": "object"},
    "nonlinear": nonlinear,
    "segment": obj(["column", "value", "rows"], column=STR, value=STR, rows=INT),
    # interaction terms (issue 17): simple slopes at -1/0/+1 SD and the floodlight range
    "moderation": {"type": "array", "items": obj(
        ["interaction", "focal", "moderator", "target", "method", "quadratic", "estimate",
         "simple_slopes", "floodlight"],
        interaction=STR, focal=STR, moderator=STR, target=STR,
        method={"enum": ["two-stage", "orthogonal", "product-indicator"]}, quadratic=BOOL,
        estimate={"$ref": "#/$defs/number"},
        simple_slopes={"type": "array", "items": obj(
            ["moderator_sd", "slope"], moderator_sd={"type": "number"},
            slope={"$ref": "#/$defs/number"}, **INFERENCE)},
        floodlight={"oneOf": [{"type": "null"}, obj(
            ["from_sd", "to_sd", "step", "level", "significant"], from_sd={"type": "number"},
            to_sd={"type": "number"}, step={"type": "number"}, level={"type": "number"},
            significant={"type": "array", "items": {
                "type": "array", "items": {"type": "number"}, "minItems": 2,
                "maxItems": 2}})]})},
}
# keys added to csi.fit/1 after its first documents (tests/golden/) are optional
LATER = ("data_quality", "fit", "estimator_details", "diagnostics", "advice", "quality_flags")
FIT_REQUIRED = [k for k in fit_props if k not in (
    "priority_settings", "importance", "indicator_importance", "nonlinear", "segment",
    "moderation", *LATER)]


def document(name, title, description, required, props, defs):
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{BASE}{name}.json", "title": title, "description": description,
            "type": "object", "required": required, "properties": props, "$defs": defs}


fit = document("fit", "csi.fit/1", "A fitted model: `csi fit --format json`, "
               "`csi.fit(...).to_dict()`. Keys are only ever added.", FIT_REQUIRED, fit_props,
               FIT_DEFS)
fit_ref = {"$ref": "fit.json"}

check_defs = {"number": NUM}
metric = obj(["name", "family", "kind", "presence", "baseline", "current", "change",
              "tolerance", "rule", "verdict"],
             name=STR, family=STR, kind={"enum": ["numeric", "categorical", "order"]},
             presence={"enum": ["both", "baseline", "current"]}, baseline={}, current={},
             change={"$ref": "#/$defs/number"}, tolerance={"$ref": "#/$defs/number"},
             rule=STR, verdict={"enum": ["pass", "warn", "fail"]},
             p_value={"$ref": "#/$defs/number"})
finding = obj(["category", "subject", "baseline", "current", "severity", "message"],
              category=STR, subject=STR, baseline={}, current={},
              severity={"enum": ["fail", "warn", "info"]}, message=STR)
family = obj(["family", "compared", "passed", "failed", "warned", "ignored", "max_abs_change",
              "verdict"], family=STR, compared=INT, passed=INT, failed=INT, warned=INT,
             ignored=INT, max_abs_change={"$ref": "#/$defs/number"},
             verdict={"enum": ["pass", "warn", "fail"]})
check_props = {
    "schema": {"const": "csi.check/1"}, "csi_version": STR, "baseline": STR, "current": STR,
    "passed": BOOL, "exit_code": {"enum": [0, 1]},
    "summary": obj(["metrics", "failed", "warned", "families", "families_failed",
                    "only_in_one_file", "findings_failed", "findings_warned"],
                   **{k: INT for k in ("metrics", "failed", "warned", "families",
                                       "families_failed", "only_in_one_file",
                                       "findings_failed", "findings_warned")}),
    "policy": obj(["level", "z", "priority", "strict", "inference", "structure", "defaults",
                   "families", "metrics"], source=STR_N, level={"type": "number"},
                  z={"type": "number"}, priority=STR, strict=BOOL, inference=BOOL,
                  structure=STR, defaults={"type": "object"}, families={"type": "object"},
                  metrics={"type": "object"}, extends={"enum": ["exact", "seed", "waves"]},
                  correction={"enum": ["none", "holm"]}, descriptives=BOOL, same_data=BOOL,
                  diagnostics={"enum": ["fail", "warn", "ignore"]}),
    "families": {"type": "array", "items": family},
    "findings": {"type": "array", "items": finding},
    "metrics": {"type": "array", "items": metric},
}
check = document("check", "csi.check/1", "The report of `csi check --format json` "
                 "(`csi.check(...).to_dict()`).", list(check_props), check_props, check_defs)

diag_ref = {"type": "array", "items": {"$ref": "fit.json#/$defs/diagnostic"}}
compare_props = {
    "schema": {"const": "csi.compare/1"}, "csi_version": STR, "by": STR_N, "direction": STR,
    "groups": {"type": "array", "minItems": 2, "maxItems": 2, "items": obj(
        ["role", "name", "n_obs"], role=STR, name=STR, source=STR_N, n_obs={"type": "number"},
        seed={"type": ["integer", "null"]})},
    "target": STR_N, "settings": {"type": "object"}, "permutation": {"type": ["object", "null"]},
    "bootstrap_pairs": {"type": ["integer", "null"]},
    "differences": {"type": "array", "items": obj(
        ["family", "a", "b", "difference", "p", "verdict"], family=STR,
        construct=STR_N, **{"from": STR_N, "to": STR_N},
        a={"$ref": "fit.json#/$defs/number"}, b={"$ref": "fit.json#/$defs/number"},
        difference={"$ref": "fit.json#/$defs/number"}, se={"$ref": "fit.json#/$defs/number"},
        ci_low={"$ref": "fit.json#/$defs/number"}, ci_high={"$ref": "fit.json#/$defs/number"},
        p={"$ref": "fit.json#/$defs/number"}, significant=BOOL_N, verdict=STR)},
    "fits": {"type": "array", "items": fit_ref},
    "warnings": {"type": "array", "items": STR},
    "diagnostics": diag_ref,
}
compare = document("compare", "csi.compare/1", "Two groups compared: `csi compare --format "
                   "json`. Each group's fit is a csi.fit/1 document.",
                   [k for k in compare_props if k != "diagnostics"], compare_props, {})
segments_props = {
    "schema": {"const": "csi.segments/1"}, "csi_version": STR, "source": STR_N, "by": STR,
    "min_n": INT, "seed": {"type": ["integer", "null"]}, "seeding": {"type": ["string", "object"]}, "target": STR_N,
    "ranking": {"type": "array", "items": obj(
        ["segment", "n_obs", "score", "ci_low", "ci_high"], segment=STR,
        n_obs={"type": "number"}, score={"$ref": "fit.json#/$defs/number"},
        ci_low={"$ref": "fit.json#/$defs/number"}, ci_high={"$ref": "fit.json#/$defs/number"})},
    "rows_without_segment": INT,
    "segments": {"type": "array", "items": {"allOf": [fit_ref, {"required": ["segment"]}]}},
    "skipped": {"type": "array", "items": obj(
        ["value", "rows", "reason"], value=STR, rows=INT, rows_used=INT, reason=STR,
        below_min_n=BOOL)},
    "warnings": {"type": "array", "items": STR},
    "differences": {"type": ["array", "object", "null"]},
    "diagnostics": diag_ref,
}
segments = document("segments", "csi.segments/1", "Every segment fitted: `csi fit --by COLUMN "
                    "--format json`. Each segment is a csi.fit/1 document with `segment`.",
                    ["schema", "csi_version", "by", "min_n", "seed", "seeding", "target",
                     "ranking", "segments", "skipped", "rows_without_segment", "warnings"],
                    segments_props, {})
SCHEMAS = {"fit": fit, "check": check, "compare": compare, "segments": segments}


def main() -> None:
    for name, doc in SCHEMAS.items():
        (OUT / f"{name}.json").write_text(json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main()
