"""Renderers of a `csi.check.CheckReport`: rich tables, JUnit XML, Markdown and GitHub Actions
annotations. They read the report only; nothing is compared here."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from csi.gate import CheckReport, MetricCheck
from csi.report import i18n
from csi.report.i18n import _, ngettext
from csi.report.notes import N_

VERDICT_STYLE = {"pass": "green", "warn": "yellow", "fail": "bold red", "info": "dim"}
VERDICT_WORD = {"pass": "pass", "warn": "warning", "fail": "FAIL", "info": "note"}
PRESENCE = {"baseline": "only in baseline", "current": "only in current"}
# finding categories of the "context" case
CONTEXT = ("schema", "data", "diagnostics", "model", "settings", "coverage")


def value_text(value) -> str:
    """A compared value as text: numbers to 6 significant digits, null as 'null'."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else str(value)
    return str(value)


def change_text(metric: MetricCheck) -> str:
    if metric.presence != "both":
        return PRESENCE[metric.presence]
    if metric.change is not None:
        return f"{metric.change:+.3g}"
    if metric.kind == "numeric":
        return "—" if metric.verdict == "pass" else "null"
    return "—" if metric.verdict == "pass" else "changed"


def tolerance_text(metric: MetricCheck, z: float) -> str:
    """The tolerance and the rule that produced it, e.g. '±0.114 ci z=1.96'."""
    if metric.rule == "presence":
        return "present in both"
    if metric.kind == "order":
        return {"top1": "top priority unchanged", "top3": "top three unchanged (any order)",
                "order": "order unchanged"}[metric.rule]
    if metric.kind == "categorical":
        return "unchanged"
    if metric.tolerance is None:
        return metric.rule
    rule = f"ci z={z:.3g}" if metric.rule == "ci" else metric.rule
    return f"±{metric.tolerance:.3g} {rule}"


def _baseline_current(metric: MetricCheck) -> tuple[str, str]:
    b = "—" if metric.presence == "current" else value_text(metric.baseline)
    c = "—" if metric.presence == "baseline" else value_text(metric.current)
    return b, c


def plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def headline(report: CheckReport, lang: str | None = None) -> str:
    """One line: the verdict and the counts, in `lang` (default: the current language)."""
    with i18n.use(lang or i18n.current()):
        s = report.summary()
        verdict = _("PASS") if report.passed else _("REGRESSION")
        parts = [ngettext("{n} metric compared in {families}", "{n} metrics compared in "
                          "{families}", s["metrics"],
                          families=ngettext("{n} family", "{n} families", s["families"])),
                 _("{n} beyond tolerance", n=s["failed"])]
        if s["only_in_one_file"]:
            parts.append(_("{n} in one file only", n=s["only_in_one_file"]))
        if s["warned"] or s["findings_warned"]:
            parts.append(ngettext("{n} warning", "{n} warnings",
                                  s["warned"] + s["findings_warned"]))
        if s["findings_failed"]:
            parts.append(ngettext("{n} structural or settings failure",
                                  "{n} structural or settings failures", s["findings_failed"]))
        return _("csi check {verdict}: {current} against {baseline}: {parts}", verdict=verdict,
                 current=report.current, baseline=report.baseline, parts=_(", ").join(parts))


def _human_tolerance(metric: MetricCheck, z: float) -> str:
    """tolerance_text in the current language (the JUnit and annotations stay English)."""
    text = tolerance_text(metric, z)
    return text if text.startswith("±") or text == metric.rule else _(text)


def _human_change(metric: MetricCheck) -> str:
    text = change_text(metric)
    return _(text) if text in ("changed", "null") or metric.presence != "both" else text


# words the human renderings translate when shown (tolerance_text, change_text, PRESENCE)
CHECK_WORDS = (N_("present in both"), N_("top priority unchanged"),
               N_("top three unchanged (any order)"), N_("order unchanged"), N_("unchanged"),
               N_("changed"), N_("only in baseline"), N_("only in current"), N_("pass"),
               N_("warning"), N_("FAIL"), N_("note"))


# --------------------------------------------------------------------------------------------
# Terminal


def render_check(report: CheckReport, console: Console, show_all: bool = False,
                 lang: str | None = None) -> None:
    """Findings, the metrics beyond tolerance (every compared metric with show_all) and the
    per-family counts, in `lang` (csi.report.i18n)."""
    with i18n.use(lang):
        _render_check(report, console, show_all)


def _render_check(report: CheckReport, console: Console, show_all: bool) -> None:
    policy = report.policy
    style = "bold green" if report.passed else "bold red"
    console.print(f"[{style}]{escape(headline(report))}[/]", highlight=False, soft_wrap=True)
    console.print(
        _("Policy: {source}; defaults {rule} (abs {abs} + rel {rel}); ci z = {z} (level "
          "{level}); priority {priority}; {strict}", source=escape(policy.source or _("defaults")),
          rule=policy.defaults.rule, abs=f"{policy.defaults.abs:g}",
          rel=f"{policy.defaults.rel:g}", z=f"{policy.z:.3g}", level=f"{policy.level:g}",
          priority=policy.priority, strict=_("strict") if policy.strict else _("not strict")),
        highlight=False, soft_wrap=True)

    shown = [f for f in report.findings if f.severity != "info"]
    if shown:
        table = Table(title=_("Structure and settings"), title_justify="left")
        for column in (_("Kind"), _("What"), _("Baseline"), _("Current"), _("Verdict")):
            table.add_column(column)
        for finding in shown:
            table.add_row(finding.category, escape(finding.subject),
                          escape(value_text(finding.baseline)),
                          escape(value_text(finding.current)), _verdict(finding.severity))
        console.print(table)

    rows = list(report.metrics) if show_all else [m for m in report.metrics
                                                  if m.verdict != "pass"]
    if rows:
        table = Table(title=_("Metrics") if show_all else _("Differences beyond tolerance"),
                      title_justify="left")
        longest = max(len(m.name) for m in rows)
        table.add_column(_("Metric"), overflow="fold", min_width=min(longest, 60))
        for column in (_("Baseline"), _("Current"), _("Change")):
            table.add_column(column, justify="right")
        table.add_column(_("Tolerance"))
        table.add_column(_("Verdict"))
        for metric in rows:
            b, c = _baseline_current(metric)
            table.add_row(escape(metric.name), escape(b), escape(c),
                          escape(_human_change(metric)),
                          escape(_human_tolerance(metric, policy.z)), _verdict(metric.verdict))
        console.print(table)

    table = Table(title=_("Families"), title_justify="left")
    table.add_column(_("Family"))
    for column in (_("Compared"), _("Failed"), _("Warned"), _("Ignored"), _("Max |change|")):
        table.add_column(column, justify="right")
    table.add_column(_("Verdict"))
    for family in report.families:
        table.add_row(escape(family.family), str(family.compared), str(family.failed),
                      str(family.warned), str(family.ignored),
                      "—" if family.max_abs_change is None else f"{family.max_abs_change:.3g}",
                      _verdict(family.verdict))
    console.print(table)
    for finding in report.findings:
        if finding.severity == "info":
            console.print("[dim]" + _("Note") + f":[/] {escape(finding.message)}",
                          highlight=False, soft_wrap=True)


def _verdict(verdict: str) -> str:
    word = _(VERDICT_WORD[verdict])
    return f"[{VERDICT_STYLE[verdict]}]{word}[/]"


# --------------------------------------------------------------------------------------------
# JUnit XML


def metric_line(metric: MetricCheck, z: float) -> str:
    """One metric as a line of text (JUnit failures, annotations)."""
    b, c = _baseline_current(metric)
    if metric.presence != "both":
        return f"{metric.name}: {PRESENCE[metric.presence]}"
    return (f"{metric.name}: baseline {b}, current {c}, change {change_text(metric)}, "
            f"tolerance {tolerance_text(metric, z)}")


def to_junit(report: CheckReport) -> str:
    """JUnit XML: one test case per metric family, plus `structure` (constructs, indicators,
    paths in one file only) and `context` (schema, model, settings, coverage). A failing case
    lists every failing metric or finding; warnings go to the case's system-out."""
    z = report.policy.z
    cases: list[ET.Element] = []
    for family in report.families:
        case = ET.Element("testcase", classname="csi.check", name=family.family)
        rows = [m for m in report.metrics if m.family == family.family]
        failed = [m for m in rows if m.verdict == "fail"]
        if failed:
            failure = ET.SubElement(
                case, "failure", type="regression",
                message=f"{family.family}: {len(failed)} of {plural(len(rows), 'metric')} "
                        "beyond tolerance")
            failure.text = "\n".join(metric_line(m, z) for m in failed)
        elif family.compared == 0 and family.ignored:
            ET.SubElement(case, "skipped", message="ignored by the policy")
        warned = [m for m in rows if m.verdict == "warn"]
        if warned:
            ET.SubElement(case, "system-out").text = "\n".join(
                "warning: " + metric_line(m, z) for m in warned)
        cases.append(case)
    for name, categories in (("structure", ("structure",)), ("context", CONTEXT)):
        case = ET.Element("testcase", classname="csi.check", name=name)
        findings = [f for f in report.findings if f.category in categories]
        failed = [f for f in findings if f.severity == "fail"]
        if failed:
            failure = ET.SubElement(case, "failure", type="regression",
                                    message=f"{name}: {plural(len(failed), 'difference')}")
            failure.text = "\n".join(f.message for f in failed)
        others = [f for f in findings if f.severity != "fail"]
        if others:
            ET.SubElement(case, "system-out").text = "\n".join(
                f"{f.severity}: {f.message}" for f in others)
        cases.append(case)

    counts = {
        "tests": str(len(cases)),
        "failures": str(sum(case.find("failure") is not None for case in cases)),
        "errors": "0",
        "skipped": str(sum(case.find("skipped") is not None for case in cases)),
    }
    suites = ET.Element("testsuites", name="csi check", **counts)
    suite = ET.SubElement(suites, "testsuite",
                          name=f"csi check {report.current} against {report.baseline}",
                          **counts)
    properties = ET.SubElement(suite, "properties")
    for key, value in (("baseline", report.baseline), ("current", report.current),
                       ("policy", report.policy.source or "defaults")):
        ET.SubElement(properties, "property", name=key, value=value)
    suite.extend(cases)
    notes = [f.message for f in report.findings if f.category == "info"]
    if notes:
        ET.SubElement(suite, "system-out").text = "\n".join(notes)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(
        suites, encoding="unicode") + "\n"


# --------------------------------------------------------------------------------------------
# Markdown


def _md(text) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def to_markdown(report: CheckReport, lang: str | None = None) -> str:
    """A job summary: the verdict, the families, every failure and the differences, in
    `lang` (csi.report.i18n)."""
    with i18n.use(lang):
        return _markdown(report)


def _markdown(report: CheckReport) -> str:
    z = report.policy.z
    mark = "✅" if report.passed else "❌"
    lines = [f"### {mark} {_md(headline(report))}", ""]
    issues = [f for f in report.findings if f.severity != "info"]
    if issues:
        lines += ["| | " + _("Structure and settings") + " |", "|---|---|"]
        lines += [f"| {'❌' if f.severity == 'fail' else '⚠️'} | {_md(f.message)} |"
                  for f in issues]
        lines.append("")
    rows = [m for m in report.metrics if m.verdict != "pass"]
    if rows:
        lines += ["| " + " | ".join((_("Metric"), _("Baseline"), _("Current"), _("Change"),
                                     _("Tolerance"), _("Verdict"))) + " |",
                  "|---|---:|---:|---:|---|---|"]
        for m in rows:
            b, c = _baseline_current(m)
            word = _(VERDICT_WORD[m.verdict])
            lines.append(f"| `{_md(m.name)}` | {_md(b)} | {_md(c)} | {_md(_human_change(m))} | "
                         f"{_md(_human_tolerance(m, z))} | {word} |")
        lines.append("")
    lines += ["| " + " | ".join((_("Family"), _("Compared"), _("Failed"), _("Warned"),
                                 _md(_("Max |change|")))) + " |",
              "|---|---:|---:|---:|---:|"]
    for f in report.families:
        change = "—" if f.max_abs_change is None else f"{f.max_abs_change:.3g}"
        lines.append(f"| {'❌ ' if f.failed else ''}{_md(f.family)} | {f.compared} | "
                     f"{f.failed} | {f.warned} | {change} |")
    notes = [f for f in report.findings if f.severity == "info"]
    if notes:
        lines += ["", *(f"- {_md(f.message)}" for f in notes)]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# GitHub Actions


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotations(report: CheckReport) -> list[str]:
    """`::error` / `::warning` workflow commands: one per failing family (listing its
    metrics) and one per structural or settings difference."""
    z = report.policy.z
    out = []

    def command(level: str, title: str, message: str) -> None:
        out.append(f"::{level} title={_escape_property(title)}::{_escape_data(message)}")

    for family in report.families:
        rows = [m for m in report.metrics if m.family == family.family]
        for verdict, level in (("fail", "error"), ("warn", "warning")):
            picked = [m for m in rows if m.verdict == verdict]
            if picked:
                what = "beyond tolerance" if verdict == "fail" else "changed (warning)"
                command(level, f"csi check: {family.family}",
                        f"{family.family}: {plural(len(picked), 'metric')} {what}\n"
                        + "\n".join(metric_line(m, z) for m in picked))
    for finding in report.findings:
        if finding.severity in ("fail", "warn"):
            command("error" if finding.severity == "fail" else "warning",
                    f"csi check: {finding.category}", finding.message)
    return out
