"""Rich tables of a Result for the terminal. Reads the Result only; never recomputes."""

from __future__ import annotations

import math

from rich.console import Console
from rich.markup import escape

from csi.drivers.priorities import Priorities
from csi.measures.reliability import AVE_MIN, HTMT_MAX, RHO_C_MIN, quality_flags
from csi.report import i18n, words
from csi.report.careless import careless_line
from csi.report.diagnostics import advice_line, diagnostic_lines
from csi.report.i18n import _, ngettext, term
from csi.report.notes import note as note_text
from csi.report.table import LEFT, Table
from csi.result import Result

def _fmt(value: float, digits: int = 3) -> str:
    return ("—" if value is None or (isinstance(value, float) and math.isnan(value))
            else i18n.decimal(value, digits))


def _p(value: float) -> str:
    return "<" + i18n.decimal(0.001, 3) if value < 0.001 else i18n.decimal(value, 3)


def _flag(value: float, bad: bool) -> str:
    return f"[bold red]{_fmt(value)} ✗[/]" if bad else _fmt(value)


def render(result: Result, console: Console, lang: str | None = None) -> None:
    """Print the fit's index, structural and measurement model and quality flags, in `lang`
    (csi.report.i18n; default CSI_LANG, else English)."""
    with i18n.use(lang):
        _render(result, console)


def _render(result: Result, console: Console) -> None:
    label = result.model.label
    names = [label(c) for c in result.model.constructs]  # abbreviated in too-wide tables
    settings = result.settings
    scale = settings["scale"]
    console.print(_(
        "[bold]csi fit[/] — model [bold]{model}[/] on {source}: n = {n} of {rows} rows "
        "(listwise: {dropped} dropped)", model=escape(result.model.name),
        source=escape(str(result.source)), n=result.n_obs, rows=result.data["rows_read"],
        dropped=result.data["rows_dropped_missing"]))
    estimator = settings.get("estimator", "pls")
    scale_text = f"{scale['min']:g}..{scale['max']:g}" + (
        _(" (from the data)") if scale["from_data"] else "")
    if estimator == "cbsem":
        console.print(_(
            "CB-SEM (semopy, {objective}) on the covariance matrix, standardized estimates; "
            "converged in {n} iterations; scale {scale}",
            objective=settings.get("objective", "ML"), n=result.iterations, scale=scale_text))
    else:
        console.print(_(
            "{estimator}, {scheme} scheme, {indicators} indicators, tol {tol}, max_iter "
            "{max_iter}; converged in {n} iterations; scale {scale}",
            estimator=_("Consistent PLS (PLSc)") if estimator == "plsc"
            else _("PLS path modeling"), scheme=_(settings["scheme"]),
            indicators=_("standardized") if settings["standardized"] else _("unstandardized"),
            tol=f"{settings['tol']:g}", max_iter=settings["max_iter"], n=result.iterations,
            scale=scale_text))
    document = result.to_dict()
    for severity, text in diagnostic_lines(document, label):
        style = {"error": "bold red", "warning": "yellow"}.get(severity, "dim")
        head = {"error": _("Error"), "warning": _("Warning")}.get(severity, _("Note"))
        console.print(f"[{style}]{head}:[/] {escape(text)}")
    if result.fit_indices:
        render_fit_indices(result.fit_indices, console)

    render_data_quality(result.data_quality, console)
    if result.bootstrap:
        b = result.bootstrap
        console.print(_(
            "Bootstrap: {used} of {requested} resamples used ({failed} failed), seed {seed}, "
            "{method} {level} intervals, sign change: {sign}", used=b["n_used"],
            requested=b["n_requested"], failed=b["n_failed"], seed=b["seed"],
            method=_(b["ci_method"]), level=i18n.percent(b["level"]),
            sign=_(str(b["sign_change"]))))
    index = Table(_("Index (0–100)"), labels=names)
    index.add_column(_("Construct"), LEFT, label=True)
    index.add_column(_("Index"))
    has_ci = "ci_low" in result.index
    if has_ci:
        index.add_column(_("{level} CI", level=i18n.percent(result.bootstrap["level"])))
    terms = {block["interaction"] for block in (result.moderation.to_list()
                                                if result.moderation is not None else ())}
    for row in result.index.to_dict("records"):
        if row["construct"] in terms:  # a product term has no 0-100 index
            continue
        cells = [label(row["construct"]), _fmt(row["score"], 1)]
        if has_ci:
            cells.append(f"{_fmt(row['ci_low'], 1)}–{_fmt(row['ci_high'], 1)}")
        index.add_row(*cells)
    console.print(index)

    level = i18n.percent(result.bootstrap["level"]) if result.bootstrap else ""
    if result.nonlinear is not None:
        render_nonlinear(result.nonlinear.to_dict(), label, console, names)
    withheld = advice_line(document)
    if withheld:
        console.print("[bold]" + _("What to improve first") + f":[/] {escape(withheld)}")
    elif result.priorities is not None:
        render_priorities(result.priorities, label, console, names=names)

    ml_se = not has_ci and "se" in result.paths  # CB-SEM's ML standard errors
    paths = Table(_("Structural model") + (_(" (ML standard errors)") if ml_se else ""),
                  labels=names)
    paths.add_column(_("From"), LEFT, label=True)
    paths.add_column(_("To"), LEFT, label=True)
    for column in (_("Path"),) + ((_("{level} CI", level=level), "p") if has_ci else ()) + (
            (_("SE"), "p") if ml_se else ()):
        paths.add_column(column)
    for row in result.paths.to_dict("records"):
        cells = [label(row["from"]), label(row["to"]), _fmt(row["estimate"])]
        if ml_se:
            cells += [_fmt(row["se"]), _p(row["p"]) if row["p"] == row["p"] else "—"]
        if has_ci:
            significant = row["ci_low"] > 0 or row["ci_high"] < 0
            cells += [f"{_fmt(row['ci_low'])}–{_fmt(row['ci_high'])}", _p(row["p"])]
            if not significant:
                cells = [f"[dim]{c}[/]" for c in cells]
        paths.add_row(*cells)
    console.print(paths)
    if result.moderation is not None:
        from csi.report.moderation import render_moderation

        render_moderation(result.moderation.to_list(), label, console, Table, _fmt)

    r2 = Table(_("Explained variance"), labels=names)
    r2.add_column(_("Construct"), LEFT, label=True)
    for column in (_("R²"), _("Adjusted R²")):
        r2.add_column(column)
    for row in result.r2.to_dict("records"):
        r2.add_row(label(row["construct"]), _fmt(row["estimate"]), _fmt(row["adjusted"]))
    console.print(r2)

    outer = Table(_("Measurement model"), labels=names)
    outer.add_column(_("Construct"), LEFT, label=True)
    outer.add_column(_("Question"), LEFT)
    for column in (_("Weight"), _("Loading")):
        outer.add_column(column)
    for w, lo in zip(result.weights.to_dict("records"), result.loadings.to_dict("records")):
        outer.add_row(label(w["construct"]), w["indicator"], _fmt(w["estimate"]),
                      _fmt(lo["estimate"]))
    console.print(outer)

    flags = quality_flags(document)
    rel = Table(_("Reliability (flagged: rho_C < {rho_c}, AVE < {ave})", rho_c=RHO_C_MIN,
                  ave=AVE_MIN), labels=names)
    rel.add_column(_("Construct"), LEFT, label=True)
    for column in ("alpha", "rho_A", "rho_C", "AVE"):
        rel.add_column(column)
    for row in result.reliability.to_dict("records"):
        rel.add_row(
            label(row["construct"]),
            _fmt(row["alpha"]),
            _fmt(row["rho_a"]),
            _flag(row["rho_c"], row["construct"] in flags.rho_c),
            _flag(row["ave"], row["construct"] in flags.ave),
        )
    console.print(rel)

    if flags.htmt:
        value = {(r["a"], r["b"]): r["value"] for r in result.htmt.to_dict("records")}
        console.print(
            _("[bold red]HTMT above {limit}[/] (discriminant validity in doubt): ",
              limit=HTMT_MAX)
            + ", ".join(f"{label(a)}–{label(b)} {_fmt(value[(a, b)])}" for a, b in flags.htmt)
        )
    else:
        console.print(_("HTMT: every pair of constructs below {limit}.", limit=HTMT_MAX))


def render_fit_indices(fit: dict, console: Console) -> None:
    """CB-SEM's global fit in one line (lavaan's definitions; None shows as —)."""
    def value(key: str, digits: int = 3) -> str:
        return "—" if fit.get(key) is None else f"{fit[key]:.{digits}f}"

    pvalue = "—" if fit.get("pvalue") is None else _p(fit["pvalue"])
    console.print(_(
        "Fit: χ² = {chisq} on {df} df (p {p}), CFI {cfi}, TLI {tli}, RMSEA {rmsea} (90% CI "
        "{low}–{high}), SRMR {srmr}, AIC {aic}, BIC {bic}", chisq=value("chisq", 2),
        df=fit["df"], p=pvalue, cfi=value("cfi"), tli=value("tli"), rmsea=value("rmsea"),
        low=value("rmsea_ci_low"), high=value("rmsea_ci_high"), srmr=value("srmr"),
        aic=value("aic", 1), bic=value("bic", 1)))


def render_priorities(priorities: Priorities, label, console: Console,
                      lang: str | None = None, names=None) -> None:
    """The driver table and the "What to improve first" sentences; `names`, the labels of
    the model's constructs in order, number the abbreviated labels as the other tables do."""
    with i18n.use(lang if lang is not None else i18n.current()):
        _render_priorities(priorities, label, console, names)


def _render_priorities(priorities: Priorities, label, console: Console, names=None) -> None:
    # below 200 resamples the bootstrap reports no intervals (csi.diagnostics), though it ran
    has_ci = (priorities.level is not None
              and "impact_5pt_ci_low" in priorities.importance.columns)
    level = i18n.percent(priorities.level) if has_ci else ""
    # with three drivers or fewer every one is in the top three: the column says nothing
    top3 = has_ci and len(priorities.ranking) > 3
    table = Table(_("Drivers of {target} ({reason}; {model} model)",
                    target=label(priorities.target),
                    reason=words.target_reason(priorities.target_reason),
                    model=note_text(priorities.model_used)),
                  labels=names or [label(driver) for driver in priorities.ranking["driver"]])
    table.add_column("#")
    table.add_column(_("Driver"), LEFT, label=True)
    table.add_column(_("+5 lifts target by ({level} CI)", level=level).replace(" (", "\n(", 1)
                     if has_ci
                     else _("+5 lifts target by"))
    table.add_column(_("Perf."))
    table.add_column(_("Quadrant"), LEFT)
    if has_ci:
        table.add_column(_("Top 1"), optional=True)
    if top3:
        table.add_column(_("Top 3"), optional=True)
    importance = priorities.importance.set_index("driver")
    for row in priorities.ranking.to_dict("records"):
        info = importance.loc[row["driver"]]
        impact = ("+" if info["impact_5pt"] >= 0 else "") + _fmt(info["impact_5pt"], 2)
        if has_ci:
            impact += (f" ({_fmt(info['impact_5pt_ci_low'], 2)}–"
                       f"{_fmt(info['impact_5pt_ci_high'], 2)})")
        cells = [str(row["rank"]), escape(label(row["driver"])), impact,
                 _fmt(info["performance"], 1), term(row["quadrant"])]
        if has_ci:
            cells.append(words.share(row["p_top1"]))
        if top3:
            cells.append(words.share(row["p_top3"]))
        if row["negative"]:
            cells[1] += " [red]" + _("(negative effect)") + "[/]"
        elif has_ci and not row["significant"]:
            cells = [f"[dim]{c}[/]" for c in cells]
            cells[1] += " [dim]" + _("(not significant)") + "[/]"
        table.add_row(*cells)
    console.print(table)
    console.print("[bold]" + _("What to improve first") + "[/]")
    for number, sentence in enumerate(words.priority_sentences(priorities, label, level),
                                      start=1):
        console.print(f"{number}. {escape(sentence)}")


def render_nonlinear(block: dict, label, console: Console, names=None) -> None:
    """Shapes and Kano classes of the target's drivers, and the linear/non-linear verdict."""
    comparison = block["comparison"]
    table = Table(_("Non-linear effects on {target} (knot: {knot})",
                    target=label(comparison["target"]), knot=_(str(block["knot"]))),
                  labels=names or [label(row["driver"]) for row in block["drivers"]])
    table.add_column(_("Driver"), LEFT, label=True)
    for column in (_("Below"), _("Above"), _("Asym.")):
        table.add_column(column)
    table.add_column(_("Class"), LEFT)
    for column in (_("P(basic)"), _("P(perf.)"), _("P(excit.)")):
        table.add_column(column, optional=True)
    paths = {(p["from"], p["to"]): p for p in block["paths"]}
    for row in block["drivers"]:
        if not row["direct"]:
            continue
        path = paths[(row["driver"], row["target"])]
        probabilities = [("—" if row[key] is None else i18n.percent(row[key]))
                         for key in ("p_basic", "p_performance", "p_excitement")]
        table.add_row(label(row["driver"]), _fmt(path["slope_low"]), _fmt(path["slope_high"]),
                      _fmt(path["asymmetry"]), term(row["kano_class"]), *probabilities)
    console.print(table)
    verdict = words.verdict(comparison, label(comparison["target"]))
    if verdict:
        console.print(escape(verdict))
    for note in block["notes"]:
        console.print("[yellow]" + _("Note") + f":[/] {escape(note_text(note))}")


def render_data_quality(quality: dict, console: Console) -> None:
    """What was read and done to the data, in a few lines; flagged items in a table."""
    missing = quality.get("missing", {})
    straight = quality.get("straightliners", {}) or {}
    duplicates = quality.get("duplicate_ids", {}) or {}
    console.print(_(
        "Data: {used} of {read} rows used; missing answers: {method} ({dropped} rows dropped, "
        "{imputed} cells imputed); straight-liners: {straight}; duplicate IDs: {duplicates}",
        used=quality.get("rows_used"), read=quality.get("rows_read"),
        method=_(missing.get("method", "listwise")), dropped=missing.get("rows_dropped", 0),
        imputed=missing.get("cells_imputed", 0),
        straight=_("not computed") if straight.get("computed") is False else (
            f"{straight.get('count', 0)}" + (_(" (dropped)") if straight.get("dropped") else "")),
        duplicates=(_("not computed") if duplicates.get("computed") is False else
                    duplicates.get("count", 0) if duplicates else "—")))
    careless = careless_line(quality)
    if careless:
        console.print(careless)
    flagged = [
        item for item in quality.get("items", [])
        if item.get("missing_pct", 0) > 5 or item.get("out_of_scale", 0)
        or item.get("distinct", 3) < 3
        or item.get("indicator") in quality.get("constant_items", [])
    ]
    if flagged:
        table = Table(_("Questions to look at"))
        table.add_column(_("Question"), LEFT)
        for column in (_("Missing %"), _("Out of scale"), _("Distinct values")):
            table.add_column(column)
        for item in flagged:
            table.add_row(item["indicator"], f"{item.get('missing_pct', 0):.1f}",
                          str(item.get("out_of_scale", 0)), str(item.get("distinct", "")))
        console.print(table)
    for note in quality.get("notes", []):
        console.print("[dim]" + _("Data note") + f": {escape(note_text(note))}[/]")
