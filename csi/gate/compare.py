"""Regression checks on model outputs: compare two `csi.fit` results under a tolerance policy.

`compare(baseline, current, policy)` takes two parsed `csi.fit` JSON documents and returns a
frozen `CheckReport`: every estimate present in both files, each with its verdict, plus the
structural and settings differences. Pure functions: nothing read (the policy comes from
`csi.gate.policy`), nothing rendered (see `csi.report.check_render`), nothing refitted. The
metrics compared are those `csi.gate.metrics` finds in the documents; the tolerances and rules
are described in `csi.gate.policy`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from statistics import NormalDist

from csi._version import __version__
from csi.errors import DataError, ExitCode
from csi.gate.metrics import DESCRIPTIVES, Leaf, constructs, is_number, leaves, model_names
from csi.gate.policy import Policy, Tolerance
from csi.jsonio import dumps

SCHEMA = "csi.check/1"


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
    p_value: float | None = None  # the ci rule's two-sided p of the change (z test)
    combined_se: float | None = field(default=None, repr=False)  # sqrt(se_b^2 + se_c^2)
    floor: float | None = field(default=None, repr=False)  # the numeric tolerance

    def to_dict(self) -> dict:
        return {
            "name": self.name, "family": self.family, "kind": self.kind,
            "presence": self.presence, "baseline": self.baseline, "current": self.current,
            "change": self.change, "tolerance": self.tolerance, "rule": self.rule,
            "verdict": self.verdict, "p_value": self.p_value,
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
# Comparing


def compare(baseline: dict, current: dict, policy: Policy | None = None, *,
            baseline_label: str = "baseline", current_label: str = "current") -> CheckReport:
    """Compare two parsed `csi.fit` documents; every difference is in the report.

    DataError (exit 3) if a document is not a complete csi fit result.
    """
    policy = policy or Policy()
    for doc, label in ((baseline, baseline_label), (current, current_label)):
        _validate(doc, label)
    names = model_names(baseline) | model_names(current)
    base = _compared(leaves(baseline, names), policy)
    curr = _compared(leaves(current, names), policy)
    strict = "fail" if policy.strict else "warn"

    findings: list[Finding] = []
    findings += _schema_findings(baseline, current, strict)
    findings += _data_findings(baseline, current, strict if policy.same_data else "info")
    findings += _diagnostic_findings(current, policy.diagnostics)
    findings += _model_findings(baseline["model"], current["model"], policy.structure, strict)
    findings += _settings_findings(baseline, current, strict, seed_matters=policy.inference)

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
        used_policy.update(policy.matching_entries(leaf.family, name))
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

    if policy.correction == "holm":
        metrics = _holm(metrics, policy.level)
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


def _compared(found: dict[str, Leaf], policy: Policy) -> dict[str, Leaf]:
    """The metrics the policy compares: data_quality's descriptives only when it names them."""
    if policy.compares_descriptives():
        return found
    return {name: leaf for name, leaf in found.items()
            if leaf.family.split(".")[0] != DESCRIPTIVES}


def _holm(metrics: list[MetricCheck], level: float) -> list[MetricCheck]:
    """Holm's step-down correction (Holm 1979, Scand. J. Statist. 6:65-70) of the ci rule's
    tests across every metric it compared: sorted by p, the i-th (from 0) of m is a change
    when p <= (1 - level) / (m - i) and every smaller p was one. Each tolerance becomes the
    z of the step that decided the metric times its combined SE, so verdict and tolerance
    agree (never below the numeric tolerance)."""
    tested = sorted((i for i, m in enumerate(metrics) if m.p_value is not None),
                    key=lambda i: metrics[i].p_value)
    alpha, m = 1 - level, len(tested)
    out = list(metrics)
    stopped = None
    for step, i in enumerate(tested):
        check = metrics[i]
        threshold = alpha / (m - step) if stopped is None else stopped
        change = abs(check.change)
        rejected = (stopped is None and check.p_value <= threshold and change > check.floor)
        if not rejected and stopped is None:
            stopped = threshold
        z = NormalDist().inv_cdf(1 - threshold / 2)
        out[i] = replace(check, tolerance=max(z * check.combined_se, check.floor),
                         verdict="fail" if rejected else "pass", rule=f"ci holm z={z:.2f}")
    return out


def _validate(doc: dict, label: str) -> None:
    if not isinstance(doc, dict) or not str(doc.get("schema", "")).startswith("csi.fit/"):
        raise DataError(f"{label}: not a csi fit result (no 'schema': 'csi.fit/…' key)")
    model = doc.get("model")
    if not isinstance(model, dict) or not isinstance(model.get("constructs"), list):
        raise DataError(f"{label}: not a complete csi fit result (no 'model' with "
                        "'constructs')")


def _kind(value) -> str:
    return "numeric" if is_number(value) or value is None else "categorical"


def _compare_leaf(b: Leaf, c: Leaf, tolerance: Tolerance, z: float) -> MetricCheck | None:
    if tolerance.rule == "ignore":
        return None
    name, family = b.name, b.family
    numeric = (is_number(b.value) or b.value is None) and (is_number(c.value) or c.value is None)
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
    floor = limit = tolerance.numeric_limit(float(b.value))
    rule = "abs+rel"
    se = p_value = None
    if tolerance.rule == "ci" and not b.inference:
        if b.se is not None and c.se is not None and math.isfinite(b.se + c.se):
            se = math.hypot(b.se, c.se)
            limit = max(z * se, limit)
            rule = "ci"
            p_value = math.erfc(abs(change) / se / math.sqrt(2)) if se > 0 else (
                1.0 if change == 0 else 0.0)
        else:
            rule = "abs+rel (no SE)"
    verdict = "pass" if abs(change) <= limit else "fail"
    return MetricCheck(name, family, "numeric", "both", b.value, c.value, change, limit, rule,
                       verdict, p_value, se, floor)


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


def _data_findings(baseline: dict, current: dict, severity: str) -> list[Finding]:
    """The data are identified by their content hash (`data.sha256`), never by a path."""
    hb, hc = ((doc.get("data") or {}).get("sha256") for doc in (baseline, current))
    if hb is None or hc is None or hb == hc:
        return []
    return [Finding("data", "data.sha256", hb, hc, severity,
                    f"the data differ: SHA-256 {hb[:12]}… in the baseline, {hc[:12]}… in the "
                    "current fit")]


def _diagnostic_findings(current: dict, rule: str) -> list[Finding]:
    """A diagnostic of severity error in the current result fails (policy `diagnostics`)."""
    if rule == "ignore":
        return []
    out = []
    for item in current.get("diagnostics") or ():
        if isinstance(item, dict) and item.get("severity") == "error":
            subject = f"diagnostics[{item.get('code')}]"
            out.append(Finding("diagnostics", subject, None, item.get("code"), rule,
                               f"error in the current fit ({item.get('code')}"
                               + (f", {item['subject']}" if item.get("subject") else "")
                               + f"): {item.get('message')}"))
    return out


def _model_findings(base: dict, curr: dict, structure: str, strict: str) -> list[Finding]:
    """Constructs, indicators and paths in one file only (structure); name, target and
    measurement modes that differ (model)."""
    out = []
    for key in ("name", "target"):
        if base.get(key) != curr.get(key):
            out.append(Finding("model", f"model.{key}", base.get(key), curr.get(key), strict,
                               f"model {key} differs: {base.get(key)} → {curr.get(key)}"))
    cb, cc = constructs(base), constructs(curr)
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


def _settings_findings(baseline: dict, current: dict, strict: str,
                       seed_matters: bool = True) -> list[Finding]:
    """Estimation, bootstrap and priority settings that differ; convergence. The seed matters
    only when what depends on the resamples is compared (`inference = true`)."""
    out = []
    counts = ("n_used", "n_failed", "n_redrawn", "failures")
    for section, informational in (("settings", ()),
                                   ("bootstrap", counts if seed_matters else (*counts, "seed")),
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
