"""Regression checks on model outputs: compare two `csi.fit` results under a tolerance policy.

`compare(baseline, current, policy)` takes two parsed `csi.fit` JSON documents and returns a
frozen `CheckReport`: every estimate present in both files, each with its verdict, plus the
structural and settings differences. Pure functions: no I/O except `load_policy`, nothing
rendered (see `csi.report.check_render`), nothing refitted.

Metrics are found generically, so keys added to the JSON later are compared too:

- every numeric leaf outside the metadata keys is a metric with a stable name made of its
  family, the row's key and the field: `paths[Image->Expectation].estimate`,
  `index[Satisfaction].score`, `reliability[Quality].ave`, `r2[Satisfaction]`,
  `importance[Quality->Satisfaction].impact_5pt`, `fit.cfi`;
- strings and booleans are categorical metrics (`nonlinear.drivers[Quality].kano_class`);
- `se`, `t`, `p`, `ci_low`, `ci_high` (and `<metric>_se`, ...) describe the estimate beside
  them: the `ci` rule reads the SEs; the values themselves are compared only with
  `inference = true`;
- the priority order (`priorities.order`) is one metric, compared by the `priority` rule.

Tolerances (Policy): `numeric` passes when |current - baseline| <= abs + rel * |baseline|;
`ci` passes when |current - baseline| <= z * sqrt(se_b^2 + se_c^2), z the two-sided normal
quantile of `level` (1.96 for 0.95): the change is within the combined bootstrap uncertainty of
two independent runs. The ci tolerance is never below the numeric one, and a metric without a
bootstrap SE in both files falls back to the numeric rule (the report says which rule applied).
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from statistics import NormalDist

from csi._version import __version__
from csi.errors import CsiError, DataError, ExitCode
from csi.jsonio import dumps

SCHEMA = "csi.check/1"

RULES = ("numeric", "ci", "ignore")
CATEGORICAL = ("fail", "warn", "ignore")
PRIORITY_RULES = ("top1", "top3", "order", "ignore")
STRUCTURE = ("fail", "warn")
DEFAULT_ABS = 1e-6
DEFAULT_REL = 1e-6
DEFAULT_LEVEL = 0.95

# Top-level keys that describe a run rather than estimate something; compared as context.
CONTEXT_KEYS = frozenset({
    "schema", "csi_version", "source", "model", "n_obs", "data", "settings", "converged",
    "iterations", "bootstrap", "priority_settings", "warnings",
})
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
COMPARED_INFERENCE = ("se", "ci_low", "ci_high")  # with `inference = true`
NOT_METRICS = {"priorities": frozenset({"rank"})}  # ranks are checked by the priority rule
SE_FROM = {"r2": "r2_inference[{key}].estimate"}  # R² values whose SE is listed elsewhere
TOLERANCE_KEYS = ("rule", "abs", "rel", "categorical")
TOP_LEVEL_KEYS = ("level", "priority", "strict", "inference", "structure")


class PolicyError(CsiError):
    """The check policy file cannot be read or is invalid (a usage error: exit 2)."""

    exit_code = ExitCode.USAGE


# --------------------------------------------------------------------------------------------
# Policy


@dataclass(frozen=True)
class Tolerance:
    """How one metric is compared: the rule, the numeric bounds and categorical changes."""

    rule: str = "numeric"  # numeric | ci | ignore
    abs: float = DEFAULT_ABS
    rel: float = DEFAULT_REL
    categorical: str = "fail"  # fail | warn | ignore: what a changed category means

    def numeric_limit(self, baseline: float) -> float:
        return self.abs + self.rel * abs(baseline)

    def to_dict(self) -> dict:
        return {"rule": self.rule, "abs": self.abs, "rel": self.rel,
                "categorical": self.categorical}


@dataclass(frozen=True)
class Policy:
    """Tolerances per metric family and per named metric, and the other check settings.

    Resolution, most specific last: defaults, then each enclosing family (`nonlinear`, then
    `nonlinear.drivers`), then metric patterns in file order, then the exact metric name. Each
    layer overrides only the keys it sets.
    """

    defaults: Tolerance = Tolerance()
    families: tuple[tuple[str, tuple[tuple[str, object], ...]], ...] = ()
    metrics: tuple[tuple[str, tuple[tuple[str, object], ...]], ...] = ()
    level: float = DEFAULT_LEVEL
    priority: str = "top1"
    strict: bool = False
    inference: bool = False
    structure: str = "fail"
    source: str | None = None

    @property
    def z(self) -> float:
        """Two-sided normal quantile of `level` (1.959964 for 0.95)."""
        return NormalDist().inv_cdf(0.5 + self.level / 2)

    def tolerance(self, family: str, name: str) -> Tolerance:
        """The tolerance that applies to metric `name` of `family`."""
        settings = self.defaults.to_dict()
        parts = family.split(".")
        overrides = dict(self.families)
        for depth in range(1, len(parts) + 1):
            settings.update(overrides.get(".".join(parts[:depth]), ()))
        exact = None
        for pattern, values in self.metrics:
            if pattern == name:
                exact = values
            elif "*" in pattern or "?" in pattern:
                if _pattern(pattern).fullmatch(name):
                    settings.update(values)
        if exact is not None:
            settings.update(exact)
        return Tolerance(**settings)

    def with_strict(self, strict: bool) -> Policy:
        return self if not strict or self.strict else replace(self, strict=True)

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "level": self.level,
            "z": self.z,
            "priority": self.priority,
            "strict": self.strict,
            "inference": self.inference,
            "structure": self.structure,
            "defaults": self.defaults.to_dict(),
            "families": {name: dict(values) for name, values in self.families},
            "metrics": {name: dict(values) for name, values in self.metrics},
        }

    @classmethod
    def from_dict(cls, data: dict, source: str = "policy") -> Policy:
        """A policy from the parsed TOML document (see the README for the format)."""
        if not isinstance(data, dict):
            raise PolicyError(f"{source}: a policy is a TOML table")
        known = (*TOP_LEVEL_KEYS, "defaults", "families", "metrics")
        for key in data:
            if key not in known:
                raise PolicyError(f"{source}: unknown key '{key}' (expected one of "
                                  f"{', '.join(known)})")
        top = {key: data[key] for key in TOP_LEVEL_KEYS if key in data}
        level = top.get("level", DEFAULT_LEVEL)
        if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
            raise PolicyError(f"{source}: level must be a number between 0 and 1, e.g. 0.95")
        for key, choices in (("priority", PRIORITY_RULES), ("structure", STRUCTURE)):
            if key in top and top[key] not in choices:
                raise PolicyError(f"{source}: {key} = {top[key]!r} is not one of "
                                  f"{', '.join(choices)}")
        for key in ("strict", "inference"):
            if key in top and not isinstance(top[key], bool):
                raise PolicyError(f"{source}: {key} must be true or false")
        defaults = data.get("defaults", {})
        if not isinstance(defaults, dict):
            raise PolicyError(f"{source}: [defaults] must be a table")
        default_values = _tolerance_values(defaults, "[defaults]", source)
        return cls(
            defaults=Tolerance(**{**Tolerance().to_dict(), **default_values}),
            families=_named_tables(data.get("families", {}), "families", source),
            metrics=_named_tables(data.get("metrics", {}), "metrics", source),
            level=float(level),
            priority=top.get("priority", "top1"),
            strict=top.get("strict", False),
            inference=top.get("inference", False),
            structure=top.get("structure", "fail"),
            source=source,
        )


def load_policy(path: str | Path) -> Policy:
    """Read a TOML policy file; PolicyError (exit 2) if it cannot be read or is invalid."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(f"{path}: no such policy file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{path}: cannot read the policy file ({exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{path}: not valid TOML ({exc})") from None
    return Policy.from_dict(data, str(path))


def _tolerance_values(table: dict, where: str, source: str) -> dict:
    values = {}
    for key, value in table.items():
        if key not in TOLERANCE_KEYS:
            raise PolicyError(f"{source}: unknown key '{key}' in {where} (expected "
                              f"{', '.join(TOLERANCE_KEYS)})")
        if key == "rule" and value not in RULES:
            raise PolicyError(f"{source}: rule = {value!r} in {where} is not one of "
                              f"{', '.join(RULES)}")
        if key == "categorical" and value not in CATEGORICAL:
            raise PolicyError(f"{source}: categorical = {value!r} in {where} is not one of "
                              f"{', '.join(CATEGORICAL)}")
        if key in ("abs", "rel"):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                    math.isfinite(value) and value >= 0):
                raise PolicyError(f"{source}: {key} in {where} must be a number >= 0")
            value = float(value)
        values[key] = value
    return values


def _named_tables(tables, kind: str, source: str) -> tuple:
    """Flatten [families.x] / [metrics."x"] tables; unquoted dotted names nest in TOML, so
    a nested table is joined back with '.' (`[families.nonlinear.drivers]`)."""
    if not isinstance(tables, dict):
        raise PolicyError(f"{source}: [{kind}] must be a table of tables")
    out: list[tuple[str, tuple]] = []

    def walk(name: str, table) -> None:
        if not isinstance(table, dict):
            raise PolicyError(f"{source}: {kind}.{name} must be a table, e.g. "
                              f"[{kind}.\"{name}\"] with rule = \"numeric\"")
        own = {k: v for k, v in table.items() if not isinstance(v, dict)}
        if own:
            values = _tolerance_values(own, f'[{kind}."{name}"]', source)
            out.append((name, tuple(values.items())))
        for key, value in table.items():
            if isinstance(value, dict):
                walk(f"{name}.{key}", value)

    for name, table in tables.items():
        walk(name, table)
    return tuple(out)


def _pattern(pattern: str) -> re.Pattern:
    """`*` any characters, `?` one character; everything else (brackets too) is literal."""
    return re.compile("".join(
        ".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern))


# --------------------------------------------------------------------------------------------
# The report


@dataclass(frozen=True)
class MetricCheck:
    """One compared metric: values, change, the tolerance and rule applied, and the verdict.

    presence: "both", or "baseline"/"current" for a metric whose row (construct, indicator,
    path, driver) exists in one file only. rule: "abs+rel", "ci", "abs+rel (no SE)",
    "equal", "top1" | "top3" | "order", or "presence".
    """

    name: str
    family: str
    kind: str  # numeric | categorical | order
    presence: str
    baseline: object
    current: object
    change: float | None
    tolerance: float | None
    rule: str
    verdict: str  # pass | warn | fail

    def to_dict(self) -> dict:
        return {
            "name": self.name, "family": self.family, "kind": self.kind,
            "presence": self.presence, "baseline": self.baseline, "current": self.current,
            "change": self.change, "tolerance": self.tolerance, "rule": self.rule,
            "verdict": self.verdict,
        }


@dataclass(frozen=True)
class Finding:
    """A difference that is not an estimate: structure, schema, model, settings, coverage.

    category: structure (a construct, indicator or path in one file only), schema, model,
    settings (settings, bootstrap, priority settings, convergence), coverage (what could not
    be compared), info. severity: fail | warn | info.
    """

    category: str
    subject: str
    baseline: object
    current: object
    severity: str
    message: str

    def to_dict(self) -> dict:
        return {"category": self.category, "subject": self.subject, "baseline": self.baseline,
                "current": self.current, "severity": self.severity, "message": self.message}


@dataclass(frozen=True)
class FamilySummary:
    """Counts per metric family (one JUnit test case each)."""

    family: str
    compared: int
    passed: int
    failed: int
    warned: int
    ignored: int
    max_abs_change: float | None

    @property
    def verdict(self) -> str:
        return "fail" if self.failed else "warn" if self.warned else "pass"

    def to_dict(self) -> dict:
        return {"family": self.family, "compared": self.compared, "passed": self.passed,
                "failed": self.failed, "warned": self.warned, "ignored": self.ignored,
                "max_abs_change": self.max_abs_change, "verdict": self.verdict}


@dataclass(frozen=True)
class CheckReport:
    """Everything `csi check` found. `exit_code` is the command's exit code."""

    baseline: str  # labels (file names) of the two results
    current: str
    policy: Policy
    metrics: tuple[MetricCheck, ...]
    findings: tuple[Finding, ...]
    families: tuple[FamilySummary, ...]

    @property
    def failures(self) -> tuple[MetricCheck, ...]:
        return tuple(m for m in self.metrics if m.verdict == "fail")

    @property
    def warnings(self) -> tuple[MetricCheck, ...]:
        return tuple(m for m in self.metrics if m.verdict == "warn")

    @property
    def failed_findings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "fail")

    @property
    def passed(self) -> bool:
        return not self.failures and not self.failed_findings

    @property
    def exit_code(self) -> ExitCode:
        """0 when everything is within tolerance, else ExitCode.REGRESSION (1)."""
        return ExitCode.OK if self.passed else ExitCode.REGRESSION

    def summary(self) -> dict:
        compared = [m for m in self.metrics if m.presence == "both"]
        return {
            "metrics": len(compared),
            "failed": sum(m.verdict == "fail" for m in compared),
            "warned": sum(m.verdict == "warn" for m in compared),
            "families": len(self.families),
            "families_failed": sum(f.verdict == "fail" for f in self.families),
            "only_in_one_file": len(self.metrics) - len(compared),
            "findings_failed": len(self.failed_findings),
            "findings_warned": sum(f.severity == "warn" for f in self.findings),
        }

    def to_dict(self) -> dict:
        return {
            "schema": SCHEMA,
            "csi_version": __version__,
            "baseline": self.baseline,
            "current": self.current,
            "passed": self.passed,
            "exit_code": int(self.exit_code),
            "summary": self.summary(),
            "policy": self.policy.to_dict(),
            "families": [f.to_dict() for f in self.families],
            "findings": [f.to_dict() for f in self.findings],
            "metrics": [m.to_dict() for m in self.metrics],
        }

    def to_json(self) -> str:
        return dumps(self.to_dict())


# --------------------------------------------------------------------------------------------
# Flattening a result into named metrics


@dataclass(frozen=True)
class _Leaf:
    name: str
    family: str
    entity: str  # the row: `paths[Image->Expectation]`, or the family for its own scalars
    field: str | None
    value: object
    se: float | None
    inference: bool


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _leaves(doc: dict, names: frozenset[str]) -> dict[str, _Leaf]:
    """Every metric of a `csi.fit` document, by name, in document order."""
    out: dict[str, _Leaf] = {}
    for key, value in doc.items():
        if key not in CONTEXT_KEYS:
            _walk(value, key, key, names, out)
    for family, template in SE_FROM.items():
        for name, leaf in list(out.items()):
            if leaf.family == family and leaf.field is None and leaf.se is None:
                key = leaf.entity[len(family) + 1:-1]
                source = out.get(template.format(key=key))
                if source is not None and source.se is not None:
                    out[name] = _Leaf(**{**leaf.__dict__, "se": source.se})
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
        elif all(_is_number(item) or item is None for item in value):
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
    main = next((f for f in MAIN_FIELDS if _is_number(fields.get(f))), None)
    skip = NOT_METRICS.get(family, frozenset())
    for key, value in fields.items():
        if key in skip:
            continue
        if isinstance(value, (dict, list)):
            _walk(value, family, f"{entity}.{key}", names, out)
            continue
        inference = _inference_of(key, fields, main)
        if inference is not None:
            if inference in COMPARED_INFERENCE:
                _add(out, f"{entity}.{key}", family, entity, key, value, None, True)
            continue
        se = fields.get(f"{key}_se", fields.get("se") if key == main else None)
        _add(out, f"{entity}.{key}", family, entity, key, value,
             se if _is_number(se) else None, False)


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
    out[name] = _Leaf(name, family, entity, field_, value, se, inference)


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


# --------------------------------------------------------------------------------------------
# Comparing


def compare(baseline: dict, current: dict, policy: Policy | None = None, *,
            baseline_label: str = "baseline", current_label: str = "current") -> CheckReport:
    """Compare two parsed `csi.fit` documents; every difference is in the report.

    DataError (exit 3) if a document is not a complete csi fit result.
    """
    policy = policy or Policy()
    for doc, label in ((baseline, baseline_label), (current, current_label)):
        _validate(doc, label)
    names = _names(baseline) | _names(current)
    base = _leaves(baseline, names)
    curr = _leaves(current, names)
    strict = "fail" if policy.strict else "warn"

    findings: list[Finding] = []
    findings += _schema_findings(baseline, current, strict)
    findings += _model_findings(baseline["model"], current["model"], policy.structure, strict)
    findings += _settings_findings(baseline, current, strict)

    metrics: list[MetricCheck] = []
    ignored: dict[str, int] = {}
    used_policy: set[str] = set()
    families_b = {leaf.family for leaf in base.values()}
    families_c = {leaf.family for leaf in curr.values()}
    entities_b = {leaf.entity for leaf in base.values()}
    entities_c = {leaf.entity for leaf in curr.values()}
    missing_fields: dict[tuple[str, str, str], int] = {}

    for name in [*base, *(n for n in curr if n not in base)]:
        b, c = base.get(name), curr.get(name)
        leaf = b or c
        if leaf.inference and not policy.inference:
            continue
        if leaf.family not in families_b or leaf.family not in families_c:
            continue  # a whole family in one file only: one coverage finding below
        tolerance = policy.tolerance(leaf.family, name)
        used_policy.update(_matching_policy(policy, leaf.family, name))
        if b is None or c is None:
            side = "baseline" if c is None else "current"
            other_entities = entities_c if c is None else entities_b
            if leaf.entity in other_entities:  # the row exists: a field added by a newer csi
                key = (leaf.family, leaf.field or leaf.name, side)
                missing_fields[key] = missing_fields.get(key, 0) + 1
            elif tolerance.rule != "ignore":
                metrics.append(MetricCheck(
                    name, leaf.family, _kind(leaf.value), side,
                    b.value if b else None, c.value if c else None, None, None, "presence",
                    "fail" if policy.structure == "fail" else "warn"))
            else:
                ignored[leaf.family] = ignored.get(leaf.family, 0) + 1
            continue
        check = _compare_leaf(b, c, tolerance, policy.z)
        if check is None:
            ignored[leaf.family] = ignored.get(leaf.family, 0) + 1
        else:
            metrics.append(check)

    order = _priority_order(baseline, current, policy)
    if order is not None:
        metrics.append(order)

    for family in _ordered(leaf.family for leaf in base.values()):
        if family not in families_c:
            findings.append(Finding(
                "coverage", family, "present", "absent", strict,
                f"{family}: only in the baseline; not compared (was the current fit run "
                "with different options?)"))
    for family in _ordered(leaf.family for leaf in curr.values()):
        if family not in families_b:
            findings.append(Finding("coverage", family, "absent", "present", "info",
                                    f"{family}: only in the current file; not compared"))
    for (family, field_, side), count in missing_fields.items():
        findings.append(Finding(
            "coverage", f"{family}.{field_}", side == "baseline", side == "current", "info",
            f"{family}: field '{field_}' only in the {side} file ({count} rows); not compared"))
    for kind, entries in (("families", policy.families), ("metrics", policy.metrics)):
        for entry, _ in entries:
            if f"{kind}:{entry}" not in used_policy:
                findings.append(Finding("coverage", f"policy {kind}.{entry}", None, None, "info",
                                        f"policy [{kind}.\"{entry}\"] matched no metric"))
    if not any(m.presence == "both" for m in metrics):
        findings.append(Finding("coverage", "metrics", None, None, "fail",
                                "no estimate is present in both files: nothing was compared"))

    return CheckReport(
        baseline=baseline_label,
        current=current_label,
        policy=policy,
        metrics=tuple(metrics),
        findings=tuple(findings),
        families=_summaries(metrics, ignored),
    )


def _validate(doc: dict, label: str) -> None:
    if not isinstance(doc, dict) or not str(doc.get("schema", "")).startswith("csi.fit/"):
        raise DataError(f"{label}: not a csi fit result (no 'schema': 'csi.fit/…' key)")
    model = doc.get("model")
    if not isinstance(model, dict) or not isinstance(model.get("constructs"), list):
        raise DataError(f"{label}: not a complete csi fit result (no 'model' with "
                        "'constructs')")


def _names(doc: dict) -> frozenset[str]:
    names = set()
    for construct in _constructs(doc["model"]).values():
        names.add(construct["name"])
        names.update(construct.get("indicators") or ())
    return frozenset(names)


def _constructs(model: dict) -> dict[str, dict]:
    return {c["name"]: c for c in model.get("constructs", ())
            if isinstance(c, dict) and "name" in c}


def _kind(value) -> str:
    return "numeric" if _is_number(value) or value is None else "categorical"


def _compare_leaf(b: _Leaf, c: _Leaf, tolerance: Tolerance, z: float) -> MetricCheck | None:
    if tolerance.rule == "ignore":
        return None
    name, family = b.name, b.family
    numeric = (_is_number(b.value) or b.value is None) and (_is_number(c.value) or c.value is None)
    if not numeric:
        if tolerance.categorical == "ignore":
            return None
        same = b.value == c.value and type(b.value) is type(c.value)
        verdict = "pass" if same else "fail" if tolerance.categorical == "fail" else "warn"
        return MetricCheck(name, family, "categorical", "both", b.value, c.value, None, None,
                           "equal", verdict)
    if b.value is None or c.value is None:  # null is NaN in the JSON: equal only to null
        verdict = "pass" if b.value is None and c.value is None else "fail"
        return MetricCheck(name, family, "numeric", "both", b.value, c.value, None, None,
                           "abs+rel", verdict)
    change = float(c.value) - float(b.value)
    limit = tolerance.numeric_limit(float(b.value))
    rule = "abs+rel"
    if tolerance.rule == "ci" and not b.inference:
        if b.se is not None and c.se is not None and math.isfinite(b.se + c.se):
            limit = max(z * math.hypot(b.se, c.se), limit)
            rule = "ci"
        else:
            rule = "abs+rel (no SE)"
    verdict = "pass" if abs(change) <= limit else "fail"
    return MetricCheck(name, family, "numeric", "both", b.value, c.value, change, limit, rule,
                       verdict)


def _priority_order(baseline: dict, current: dict, policy: Policy) -> MetricCheck | None:
    """The drivers in priority order, compared by the policy's `priority` rule."""
    rb, rc = _ranking(baseline), _ranking(current)
    if rb is None or rc is None or policy.priority == "ignore":
        return None
    if policy.priority == "top1":
        same = rb[:1] == rc[:1]
    elif policy.priority == "top3":
        same = set(rb[:3]) == set(rc[:3])
    else:
        same = rb == rc
    return MetricCheck("priorities.order", "priorities", "order", "both", " > ".join(rb),
                       " > ".join(rc), None, None, policy.priority,
                       "pass" if same else "fail")


def _ranking(doc: dict) -> list[str] | None:
    rows = doc.get("priorities")
    if not isinstance(rows, list) or not all(isinstance(r, dict) and "driver" in r
                                             for r in rows):
        return None
    return [str(r["driver"]) for r in sorted(rows, key=lambda r: (r.get("rank") is None,
                                                                  r.get("rank") or 0))]


def _matching_policy(policy: Policy, family: str, name: str) -> set[str]:
    used = set()
    for entry, _ in policy.families:
        if family == entry or family.startswith(entry + "."):
            used.add(f"families:{entry}")
    for entry, _ in policy.metrics:
        if entry == name or (("*" in entry or "?" in entry) and _pattern(entry).fullmatch(name)):
            used.add(f"metrics:{entry}")
    return used


def _summaries(metrics: list[MetricCheck], ignored: dict[str, int]) -> tuple:
    out = []
    for family in _ordered([*(m.family for m in metrics), *ignored]):
        rows = [m for m in metrics if m.family == family]
        changes = [abs(m.change) for m in rows if m.change is not None]
        out.append(FamilySummary(
            family=family,
            compared=sum(m.presence == "both" for m in rows),
            passed=sum(m.verdict == "pass" for m in rows),
            failed=sum(m.verdict == "fail" for m in rows),
            warned=sum(m.verdict == "warn" for m in rows),
            ignored=ignored.get(family, 0),
            max_abs_change=max(changes) if changes else None,
        ))
    return tuple(out)


def _ordered(items) -> list:
    return list(dict.fromkeys(items))


# --------------------------------------------------------------------------------------------
# Structure and context


def _schema_findings(baseline: dict, current: dict, strict: str) -> list[Finding]:
    out = []
    if baseline["schema"] != current["schema"]:
        out.append(Finding("schema", "schema", baseline["schema"], current["schema"], strict,
                           f"schema version differs: {baseline['schema']} in the baseline, "
                           f"{current['schema']} in the current file; keys present in both "
                           "are compared"))
    for key in ("csi_version", "source", "n_obs"):
        if baseline.get(key) != current.get(key):
            out.append(Finding("info", key, baseline.get(key), current.get(key), "info",
                               f"{key}: {baseline.get(key)} → {current.get(key)}"))
    new = [w for w in current.get("warnings") or () if w not in (baseline.get("warnings") or ())]
    for message in new:
        out.append(Finding("info", "warnings", None, message, "info",
                           f"new warning in the current fit: {message}"))
    return out


def _model_findings(base: dict, curr: dict, structure: str, strict: str) -> list[Finding]:
    """Constructs, indicators and paths in one file only (structure); name, target and
    measurement modes that differ (model)."""
    out = []
    for key in ("name", "target"):
        if base.get(key) != curr.get(key):
            out.append(Finding("model", f"model.{key}", base.get(key), curr.get(key), strict,
                               f"model {key} differs: {base.get(key)} → {curr.get(key)}"))
    cb, cc = _constructs(base), _constructs(curr)
    for name in cb:
        if name not in cc:
            out.append(Finding("structure", f"construct {name}", "present", "absent",
                               structure, f"construct {name} only in the baseline"))
    for name in cc:
        if name not in cb:
            out.append(Finding("structure", f"construct {name}", "absent", "present",
                               structure, f"construct {name} only in the current file"))
    for name in (n for n in cb if n in cc):
        ib, ic = list(cb[name].get("indicators") or ()), list(cc[name].get("indicators") or ())
        for item in ib:
            if item not in ic:
                out.append(Finding("structure", f"indicator {name}.{item}", "present", "absent",
                                   structure, f"indicator {item} of {name} only in the baseline"))
        for item in ic:
            if item not in ib:
                out.append(Finding("structure", f"indicator {name}.{item}", "absent", "present",
                                   structure,
                                   f"indicator {item} of {name} only in the current file"))
        if cb[name].get("mode") != cc[name].get("mode"):
            out.append(Finding("model", f"model.constructs[{name}].mode", cb[name].get("mode"),
                               cc[name].get("mode"), strict,
                               f"measurement mode of {name} differs: {cb[name].get('mode')} → "
                               f"{cc[name].get('mode')}"))
        if cb[name].get("label") != cc[name].get("label"):
            out.append(Finding("info", f"model.constructs[{name}].label", cb[name].get("label"),
                               cc[name].get("label"), "info",
                               f"label of {name} differs: {cb[name].get('label')!r} → "
                               f"{cc[name].get('label')!r}"))
    pb, pc = _paths(base), _paths(curr)
    for path in pb:
        if path not in pc:
            out.append(Finding("structure", f"path {path}", "present", "absent", structure,
                               f"path {path} only in the baseline"))
    for path in pc:
        if path not in pb:
            out.append(Finding("structure", f"path {path}", "absent", "present", structure,
                               f"path {path} only in the current file"))
    return out


def _paths(model: dict) -> list[str]:
    return [f"{p.get('from')}->{p.get('to')}" for p in model.get("paths") or ()
            if isinstance(p, dict)]


def _settings_findings(baseline: dict, current: dict, strict: str) -> list[Finding]:
    """Estimation, bootstrap and priority settings that differ; convergence."""
    out = []
    for section, informational in (("settings", ()),
                                   ("bootstrap", ("n_used", "n_failed", "n_redrawn",
                                                  "failures")),
                                   ("priority_settings", ("target_reason",))):
        b, c = baseline.get(section), current.get(section)
        if isinstance(b, dict) and isinstance(c, dict):
            lb, lc = _flat(b, section), _flat(c, section)
            for key in _ordered([*lb, *lc]):
                vb, vc = lb.get(key, _ABSENT), lc.get(key, _ABSENT)
                if vb == vc:
                    continue
                field_ = key[len(section) + 1:].split(".")[0]
                one_sided = vb is _ABSENT or vc is _ABSENT
                severity = "info" if one_sided or field_ in informational else strict
                out.append(Finding("settings", key, _show(vb), _show(vc), severity,
                                   f"{key}: {_show(vb)} → {_show(vc)}"))
        elif (b is None) != (c is None):
            db, dc = _describe(section, b), _describe(section, c)
            out.append(Finding("settings", section, db, dc, strict,
                               f"{section}: {db} in the baseline, {dc} in the current file"))
    for label, doc in (("baseline", baseline), ("current", current)):
        if doc.get("converged") is False:
            out.append(Finding("settings", "converged", baseline.get("converged"),
                               current.get("converged"), strict,
                               f"the {label} fit did not converge"))
    return out


_ABSENT = object()


def _show(value):
    return "absent" if value is _ABSENT else value


def _describe(section: str, value) -> str:
    if value is None:
        return "none"
    if section == "bootstrap" and isinstance(value, dict):
        return f"{value.get('n_requested')} resamples"
    return "present"


def _flat(value, prefix: str) -> dict:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            out.update(_flat(item, f"{prefix}.{key}"))
        return out
    return {prefix: value}
