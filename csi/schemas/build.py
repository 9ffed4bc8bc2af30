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
    "discrepancy_values": {"type": "object", "properties": {
        k: {"$ref": "#/$defs/number"} for k in ("srmr", "d_uls", "d_g")}},
    "discrepancies": {"type": "object", "properties": {
        **{k: {"$ref": "#/$defs/number"} for k in ("srmr", "d_uls", "d_g")},
        **{k: {"$ref": "#/$defs/discrepancy_values"} for k in ("hi95", "hi99", "p")}}},
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
                   errors={"$ref": "#/$defs/strings"},
                   # how the file was read (issue 16): format, encoding and header layout
                   format=STR_N, encoding=STR_N, delimiter=STR_N, decimal=STR_N, layout=STR_N,
                   header_row={"type": ["integer", "null"]},
                   header_rows={"type": ["integer", "null"]}, sheet=STR_N,
                   row_numbering=STR_N,
                   weights={"description": "the weight column and its range and Kish's "
                                           "effective sample size, or null", "type": [
                                               "object", "null"], "properties": {
                       "column": STR, "min": {"$ref": "#/$defs/number"},
                       "max": {"$ref": "#/$defs/number"},
                       "effective_n": {"$ref": "#/$defs/number"}}},
                   completion_time={"type": ["object", "null"]},
                   constant_items={"$ref": "#/$defs/strings"},
                   few_distinct_items={"type": "array"},
                   straightliners=obj(["count", "rows", "dropped"], count=INT,
                                      rows={"type": "array", "items": INT}, dropped=BOOL,
                                      computed=BOOL),
                   duplicate_ids=obj(["count"], column=STR_N, how=STR_N, count=INT,
                                     ids={"type": "array"}, computed=BOOL),
                   # a survey in partitions on a cluster (issue 21): the checks that need
                   # whole columns and were not run, and each partition's rows
                   not_computed={"$ref": "#/$defs/strings"},
                   partitions=obj(["files", "rows_read", "rows_used"], files=INT,
                                  rows_read={"type": "array", "items": INT},
                                  rows_used={"type": "array", "items": INT}),
                   # the careless-response screen (issue 16): one row per flagged respondent
                   careless={"type": "array", "items": obj(
                       ["row", "reasons"], row=INT, id={}, reasons={"$ref": "#/$defs/strings"},
                       indices={"type": "object"})},
                   careless_screen={"type": ["object", "null"], "properties": {
                       "screened": INT, "flagged": INT, "by_reason": keyed(INT),
                       "thresholds": {"type": "object"}, "dropped": BOOL,
                       "rows_dropped": INT, "references": {"$ref": "#/$defs/strings"}}})
settings = obj(["estimator", "scheme", "tol", "max_iter", "standardized", "scale"],
               estimator={"enum": ["pls", "plsc", "cbsem"]}, objective=STR, scheme=STR,
               tol={"type": "number"}, max_iter=INT, standardized=BOOL,
               scale=obj(["min", "max", "from_data"], min={"type": "number"},
                         max={"type": "number"}, from_data=BOOL),
               variant={"enum": ["linear", "nonlinear"]}, knot=STR, priorities_from=STR_N,
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
                curves=keyed(STR), kano_rule=STR_N,
                paths=table(("from", "to"), nl_paths_fields, inference=False, extra={
                    **{f"{f}_{s}": {"$ref": "#/$defs/number"} for f in nl_paths_fields
                       for s in ("se", "ci_low", "ci_high")},
                    "quadratic_linear": {"$ref": "#/$defs/number"},
                    "turning_point": {"$ref": "#/$defs/number"},
                    "piecewise": {"type": ["boolean", "string", "null"]},
                    "curve": {"type": ["array", "object", "null"]},
                    "curve_ci_low": {"type": ["array", "null"]},
                    "curve_ci_high": {"type": ["array", "null"]},
                    "spline_curve": {"type": ["array", "object", "null"]},
                    "spline_knots": {"type": ["integer", "array", "null"]}}),
                drivers=table(("driver", "target"), ("asymmetry", "impact_5pt"),
                              inference=False, extra={
                                  "direct": BOOL, "kano_class": STR_N,
                                  "kano_reason": STR_N,
                                  **{f"{f}_{e}": {"$ref": "#/$defs/number"}
                                     for f in ("asymmetry", "impact_5pt")
                                     for e in ("ci_low", "ci_high")},
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
                                  ("importance", "performance"), inference=False,
                                  extra={f"{f}_{e}": {"$ref": "#/$defs/number"}
                                         for f in ("importance", "performance")
                                         for e in ("ci_low", "ci_high")}),
    "priorities": table(("driver",), ("score",), inference=False, extra={
        "rank": INT, "quadrant": STR_N, "p_top1": {"$ref": "#/$defs/number"},
        "p_top3": {"$ref": "#/$defs/number"}, "significant": BOOL_N, "negative": BOOL_N,
        # cIPMA with --necessity (issue 18)
        "necessary": BOOL_N, "share_below": {"$ref": "#/$defs/number"},
        "necessity_reason": STR_N, "ipma_rank": {"type": ["integer", "null"]}}),
    "fit": {"type": ["object", "null"], "properties": {
        **{k: {"$ref": "#/$defs/number"} for k in ("chisq", "df", "pvalue", "cfi", "tli", "rmsea",
                                                   "rmsea_ci_low", "rmsea_ci_high", "srmr",
                                                   "aic", "bic")},
        # PLS and PLSc (issue 17): SRMR, d_ULS, d_G of the estimated and saturated model and,
        # with --fit-test, the Bollen-Stine quantiles and p values
        **{k: {"$ref": "#/$defs/number"} for k in ("d_uls", "d_g")},
        "implied": {"enum": ["composite", "common factor"]}, "d_g_log": STR,
        "saturated": {"$ref": "#/$defs/discrepancies"},
        **{k: {"$ref": "#/$defs/discrepancy_values"} for k in ("hi95", "hi99", "p")},
        "bollen_stine": {"type": ["object", "null"]}}},
    "score_sd": {"description": "SD of each construct's 0-100 score (for item-scale changes in "
                               "csi simulate)", **keyed({"$ref": "#/$defs/number"})},
    "necessity": {"type": "array", "items": {
        "type": "object",
        "required": ["driver", "target", "d_ce_fdh", "d_cr_fdh", "p", "necessary", "bottlenecks"],
        "properties": {
            "driver": STR, "target": STR, "necessary": BOOL,
            "bottlenecks": {"type": "array", "items": {"type": "object"}},
            **{k: {"$ref": "#/$defs/number"} for k in (
                "d_ce_fdh", "d_cr_fdh", "p", "p_cr_fdh", "cr_fdh_intercept", "cr_fdh_slope",
                "target_level", "required", "share_below")}}}},
    "necessity_settings": {"type": ["object", "null"]},
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
LATER = ("data_quality", "fit", "estimator_details", "diagnostics", "advice", "quality_flags",
         "score_sd", "necessity", "necessity_settings")
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
N = {"$ref": "fit.json#/$defs/number"}
N_REQ = ("score", "se", "ci_low", "ci_high")
ADVICE_SHORT = obj(["status"], status=STR, message=STR_N, reasons={"type": "array"})
simulate_props = {
    "schema": {"const": "csi.simulate/1"}, "source": STR, "model": {"enum": ["linear",
                                                                            "nonlinear"]},
    "changes": {"type": "array", "items": obj(
        ["name", "kind", "requested", "applied", "capped"], name=STR,
        kind={"enum": ["construct", "item"]}, construct=STR_N, unit=STR, requested=N,
        applied=N, capped=BOOL)},
    "effects": {"type": "array", "items": obj(
        ["construct", "before", "after", "change", "ci_low", "ci_high"], construct=STR,
        before=N, after=N, change=N, ci_low=N, ci_high=N, capped=BOOL, changed=BOOL)},
    "level": N, "n_draws": {"type": ["integer", "null"]},
    "capped": {"type": "array"}, "advice": ADVICE_SHORT,
    "sentences": {"type": "array", "items": STR}, "notes": {"type": "array", "items": STR},
}
simulate = document("simulate", "csi.simulate/1", "What a change does downstream: `csi simulate "
                    "--format json`.", ["schema", "changes", "effects"], simulate_props, {})
plan_props = {
    "schema": {"const": "csi.plan/1"}, "source": STR, "model": STR, "target": STR,
    "budget": N, "spent": N, "costs_file": STR_N,
    "candidates": {"type": "array", "items": obj(
        ["driver", "cost_per_point"], driver=STR, kind=STR, cost_per_point=N, max_points=N)},
    "steps": {"type": "array", "items": obj(["driver", "points", "cost", "gain"], driver=STR,
                                            points=N, cost=N, gain=N)},
    "allocation": {"type": "array", "items": obj(["driver", "points", "cost"], driver=STR,
                                                 kind=STR, points=N, cost=N)},
    "before": N, "after": N,
    "expected_gain": obj(["estimate", "ci_low", "ci_high"], estimate=N, ci_low=N, ci_high=N,
                         level=N),
    "advice": ADVICE_SHORT, "sentence": STR_N, "notes": {"type": "array", "items": STR},
}
plan = document("plan", "csi.plan/1", "An improvement plan under a budget: `csi plan --format "
                "json`.", ["schema", "target", "budget", "steps", "expected_gain", "sentence"],
                plan_props, {})
aggregate_props = {
    "schema": {"const": "csi.aggregate/1"}, "model": STR, "level": N, "method": STR,
    "members": {"type": "array", "items": obj(["result", "weight"], result=STR, weight=N,
                                              share=N, group=STR_N)},
    "index": keyed(obj(N_REQ, **{k: N for k in N_REQ})),
    "levels": {"type": "array", "items": {"type": "object"}},
    "notes": {"type": "array", "items": STR},
}
aggregate = document("aggregate", "csi.aggregate/1", "Indices combined by weight (Fornell et "
                     "al. 1996): `csi aggregate --format json`.",
                     ["schema", "model", "members", "index"], aggregate_props, {})
predict_props = {
    "schema": {"const": "csi.predict/1"}, "source": STR_N, "n_obs": {"type": "number"},
    "settings": {"type": "object"}, "target": STR_N, "verdict": STR, "verdict_text": STR,
    "indicators": {"type": "array", "items": obj(
        ["indicator", "q2_predict", "rmse", "mae", "rmse_lm", "mae_lm"], indicator=STR,
        construct=STR, pls_better_than_lm=BOOL_N,
        **{k: N for k in ("q2_predict", "rmse", "mae", "rmse_lm", "mae_lm", "rmse_ia",
                          "error_skewness")})},
    "constructs": {"type": "array", "items": obj(
        ["construct", "verdict"], construct=STR, indicators=INT, metric=STR, verdict=STR,
        verdict_text=STR, pls_better_than_lm=INT,
        **{k: N for k in ("q2_predict_min", "q2_predict_mean")})},
    "cvpat": {"type": "array", "items": obj(
        ["benchmark", "pls_loss", "benchmark_loss", "difference", "p"], benchmark=STR,
        pls_better=BOOL_N, **{k: N for k in ("pls_loss", "benchmark_loss", "difference", "t",
                                              "p_t", "p")})},
    "warnings": {"type": "array", "items": STR},
}
predict = document("predict", "csi.predict/1", "Out-of-sample prediction (PLSpredict, CVPAT): "
                   "`csi predict --format json`.", ["schema", "indicators", "constructs",
                                                    "verdict", "cvpat"], predict_props, {})
CRITERIA = ("AIC", "AIC3", "AIC4", "BIC", "CAIC", "HQ", "MDL5")
latent_props = {
    "schema": {"const": "csi.latent/1"}, "csi_version": STR, "source": STR_N, "model": STR,
    "n_obs": {"type": "number"}, "settings": {"type": "object"},
    "equations": {"type": "array", "items": obj(["target", "predictors", "in_likelihood"],
                                                target=STR, predictors={"type": "array"},
                                                in_likelihood=BOOL)},
    "excluded": {"type": "array"},
    "criteria": {"type": "array", "items": obj(
        ["k", "loglik", *CRITERIA, "EN", "shares"], k=INT, n_parameters=INT, loglik=N,
        EN=N, shares={"type": "array"}, sizes={"type": "array"}, iterations=INT,
        converged=BOOL, **{c: N for c in CRITERIA})},
    "lrt": {"type": "array", "items": obj(["k", "null_k", "statistic", "p"], k=INT, null_k=INT,
                                          statistic=N, p=N, resamples=INT, stopped_early=BOOL,
                                          significant=BOOL)},
    "chosen_k": INT, "rule": STR, "criteria_choice": keyed({"type": ["integer", "null"]}),
    "actionable": {"type": ["object", "null"]},
    "classes": {"type": "array", "items": obj(
        ["class", "share", "size"], **{"class": INT}, share=N, size=N, n_modal=N,
        fimix={"type": "object"}, fit={"anyOf": [fit_ref, {"type": "null"}]},
        not_estimated=STR_N)},
    "membership": {"type": "array", "items": obj(["row", "class", "probability"], row=INT,
                                                 **{"class": INT}, probability=N)},
    "explain": {"type": "array"}, "warnings": {"type": "array", "items": STR},
}
latent = document("latent", "csi.latent/1", "Latent classes (FIMIX-PLS): `csi latent --format "
                  "json`. Each class's re-estimated fit is a csi.fit/1 document.",
                  ["schema", "criteria", "chosen_k", "rule", "classes", "membership"],
                  latent_props, {})
SCHEMAS = {"fit": fit, "check": check, "compare": compare, "segments": segments,
           "simulate": simulate, "plan": plan, "aggregate": aggregate, "predict": predict,
           "latent": latent}


def main() -> None:
    for name, doc in SCHEMAS.items():
        (OUT / f"{name}.json").write_text(json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main()
