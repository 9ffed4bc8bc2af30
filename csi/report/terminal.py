"""Rich tables of a Result for the terminal. Reads the Result only; never recomputes."""

from __future__ import annotations

import math

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from csi.drivers.priorities import Priorities, share, sentences
from csi.measures.reliability import AVE_MIN, HTMT_MAX, RHO_C_MIN, quality_flags
from csi.report.careless import careless_line
from csi.report.diagnostics import advice_line, diagnostic_lines
from csi.result import Result


def _fmt(value: float, digits: int = 3) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def _p(value: float) -> str:
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _flag(value: float, bad: bool) -> str:
    return f"[bold red]{_fmt(value)} ✗[/]" if bad else _fmt(value)


def render(result: Result, console: Console) -> None:
    """Print the fit's index, structural and measurement model and quality flags."""
    label = result.model.label
    settings = result.settings
    scale = settings["scale"]
    console.print(
        f"[bold]csi fit[/] — model [bold]{result.model.name}[/] on {result.source}: "
        f"n = {result.n_obs} of {result.data['rows_read']} rows "
        f"(listwise: {result.data['rows_dropped_missing']} dropped)"
    )
    estimator = settings.get("estimator", "pls")
    if estimator == "cbsem":
        console.print(
            f"CB-SEM (semopy, {settings.get('objective', 'ML')}) on the covariance matrix, "
            f"standardized estimates; converged in {result.iterations} iterations; scale "
            f"{scale['min']:g}..{scale['max']:g}{' (from the data)' if scale['from_data'] else ''}"
        )
    else:
        console.print(
            f"{'Consistent PLS (PLSc)' if estimator == 'plsc' else 'PLS path modeling'}, "
            f"{settings['scheme']} scheme, "
            f"{'standardized' if settings['standardized'] else 'unstandardized'} indicators, "
            f"tol {settings['tol']:g}, max_iter {settings['max_iter']}; converged in "
            f"{result.iterations} iterations; scale {scale['min']:g}..{scale['max']:g}"
            f"{' (from the data)' if scale['from_data'] else ''}"
        )
    document = result.to_dict()
    for severity, text in diagnostic_lines(document):
        style = {"error": "bold red", "warning": "yellow"}.get(severity, "dim")
        console.print(f"[{style}]{severity.capitalize()}:[/] {escape(text)}")
    if result.fit_indices:
        render_fit_indices(result.fit_indices, console)

    render_data_quality(result.data_quality, console)
    if result.bootstrap:
        b = result.bootstrap
        console.print(
            f"Bootstrap: {b['n_used']} of {b['n_requested']} resamples used "
            f"({b['n_failed']} failed), seed {b['seed']}, {b['ci_method']} "
            f"{b['level']:.0%} intervals, sign change: {b['sign_change']}"
        )
    index = Table(title="Index (0–100)", title_justify="left")
    index.add_column("Construct")
    index.add_column("Index", justify="right")
    has_ci = "ci_low" in result.index
    if has_ci:
        index.add_column(f"{result.bootstrap['level']:.0%} CI", justify="right")
    for row in result.index.to_dict("records"):
        cells = [label(row["construct"]), f"{row['score']:.1f}"]
        if has_ci:
            cells.append(f"{row['ci_low']:.1f}–{row['ci_high']:.1f}")
        index.add_row(*cells)
    console.print(index)

    level = f"{result.bootstrap['level']:.0%}" if result.bootstrap else ""
    if result.nonlinear is not None:
        render_nonlinear(result.nonlinear.to_dict(), label, console)
    withheld = advice_line(document)
    if withheld:
        console.print(f"[bold]What to improve first:[/] {escape(withheld)}")
    elif result.priorities is not None:
        render_priorities(result.priorities, label, console)

    ml_se = not has_ci and "se" in result.paths  # CB-SEM's ML standard errors
    paths = Table(title="Structural model" + (" (ML standard errors)" if ml_se else ""),
                  title_justify="left")
    for column in ("From", "To", "Path") + ((f"{level} CI", "p") if has_ci else ()) + (
            ("SE", "p") if ml_se else ()):
        paths.add_column(column, justify="left" if column in ("From", "To") else "right")
    for row in result.paths.to_dict("records"):
        cells = [label(row["from"]), label(row["to"]), _fmt(row["estimate"])]
        if ml_se:
            cells += [_fmt(row["se"]), _p(row["p"]) if row["p"] == row["p"] else "—"]
        if has_ci:
            significant = row["ci_low"] > 0 or row["ci_high"] < 0
            cells += [f"{row['ci_low']:.3f} – {row['ci_high']:.3f}", _p(row["p"])]
            if not significant:
                cells = [f"[dim]{c}[/]" for c in cells]
        paths.add_row(*cells)
    console.print(paths)

    r2 = Table(title="Explained variance", title_justify="left")
    for column in ("Construct", "R²", "Adjusted R²"):
        r2.add_column(column, justify="left" if column == "Construct" else "right")
    for row in result.r2.to_dict("records"):
        r2.add_row(label(row["construct"]), _fmt(row["estimate"]), _fmt(row["adjusted"]))
    console.print(r2)

    outer = Table(title="Measurement model", title_justify="left")
    for column in ("Construct", "Indicator", "Weight", "Loading"):
        outer.add_column(column, justify="left" if column in ("Construct", "Indicator") else "right")
    for w, lo in zip(result.weights.to_dict("records"), result.loadings.to_dict("records")):
        outer.add_row(w["construct"], w["indicator"], _fmt(w["estimate"]), _fmt(lo["estimate"]))
    console.print(outer)

    flags = quality_flags(document)
    rel = Table(
        title=f"Reliability (flagged: rho_C < {RHO_C_MIN}, AVE < {AVE_MIN})", title_justify="left"
    )
    for column in ("Construct", "alpha", "rho_A", "rho_C", "AVE"):
        rel.add_column(column, justify="left" if column == "Construct" else "right")
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
            f"[bold red]HTMT above {HTMT_MAX}[/] (discriminant validity in doubt): "
            + ", ".join(f"{label(a)}–{label(b)} {value[(a, b)]:.3f}" for a, b in flags.htmt)
        )
    else:
        console.print(f"HTMT: every pair of constructs below {HTMT_MAX}.")


def render_fit_indices(fit: dict, console: Console) -> None:
    """CB-SEM's global fit in one line (lavaan's definitions; None shows as —)."""
    def value(key: str, digits: int = 3) -> str:
        return "—" if fit.get(key) is None else f"{fit[key]:.{digits}f}"

    pvalue = "—" if fit.get("pvalue") is None else _p(fit["pvalue"])
    console.print(
        f"Fit: χ² = {value('chisq', 2)} on {fit['df']} df (p {pvalue}), CFI {value('cfi')}, "
        f"TLI {value('tli')}, RMSEA {value('rmsea')} (90% CI {value('rmsea_ci_low')}–"
        f"{value('rmsea_ci_high')}), SRMR {value('srmr')}, AIC {value('aic', 1)}, "
        f"BIC {value('bic', 1)}"
    )


def render_priorities(priorities: Priorities, label, console: Console) -> None:
    """The driver table and the "What to improve first" sentences."""
    has_ci = priorities.level is not None
    level = f"{priorities.level:.0%}" if has_ci else ""
    table = Table(
        title=f"Drivers of {label(priorities.target)} ({priorities.target_reason}; "
              f"{priorities.model} model)",
        title_justify="left",
    )
    columns = ["#", "Driver", f"+5 lifts target by{' (' + level + ' CI)' if has_ci else ''}",
               "Perf.", "Quadrant"] + (["Top 1", "Top 3"] if has_ci else [])
    for column in columns:
        table.add_column(column, justify="left" if column in ("Driver", "Quadrant") else "right")
    importance = priorities.importance.set_index("driver")
    for row in priorities.ranking.to_dict("records"):
        info = importance.loc[row["driver"]]
        impact = f"{info['impact_5pt']:+.2f}"
        if has_ci:
            impact += f" ({info['impact_5pt_ci_low']:.2f}–{info['impact_5pt_ci_high']:.2f})"
        cells = [str(row["rank"]), label(row["driver"]), impact, f"{info['performance']:.1f}",
                 row["quadrant"]]
        if has_ci:
            cells += [share(row["p_top1"]), share(row["p_top3"])]
        if row["negative"]:
            cells[1] += " [red](negative effect)[/]"
        elif has_ci and not row["significant"]:
            cells = [f"[dim]{c}[/]" for c in cells]
            cells[1] += " [dim](not significant)[/]"
        table.add_row(*cells)
    console.print(table)
    console.print("[bold]What to improve first[/]")
    for number, sentence in enumerate(sentences(priorities, label), start=1):
        console.print(f"{number}. {sentence}")


def render_nonlinear(block: dict, label, console: Console) -> None:
    """Shapes and Kano classes of the target's drivers, and the linear/non-linear verdict."""
    comparison = block["comparison"]
    table = Table(title=f"Non-linear effects on {label(comparison['target'])} "
                        f"(knot: {block['knot']})", title_justify="left")
    for column in ("Driver", "Below", "Above", "Asym.", "Class", "P(basic)", "P(perf.)",
                   "P(excit.)"):
        table.add_column(column, justify="left" if column in ("Driver", "Class") else "right")
    paths = {(p["from"], p["to"]): p for p in block["paths"]}
    for row in block["drivers"]:
        if not row["direct"]:
            continue
        path = paths[(row["driver"], row["target"])]
        probabilities = [("—" if row[key] is None else f"{row[key]:.0%}")
                         for key in ("p_basic", "p_performance", "p_excitement")]
        table.add_row(label(row["driver"]), _fmt(path["slope_low"]), _fmt(path["slope_high"]),
                      _fmt(path["asymmetry"]), row["kano_class"] or "—", *probabilities)
    console.print(table)
    console.print(comparison["verdict"])
    for note in block["notes"]:
        console.print(f"[yellow]Note:[/] {note}")


def render_data_quality(quality: dict, console: Console) -> None:
    """What was read and done to the data, in a few lines; flagged items in a table."""
    missing = quality.get("missing", {})
    straight = quality.get("straightliners", {}) or {}
    duplicates = quality.get("duplicate_ids", {}) or {}
    console.print(
        f"Data: {quality.get('rows_used')} of {quality.get('rows_read')} rows used; missing "
        f"answers: {missing.get('method', 'listwise')} ({missing.get('rows_dropped', 0)} rows "
        f"dropped, {missing.get('cells_imputed', 0)} cells imputed); straight-liners: "
        f"{straight.get('count', 0)}{' (dropped)' if straight.get('dropped') else ''}; "
        f"duplicate IDs: {duplicates.get('count', 0) if duplicates else '—'}"
    )
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
        table = Table(title="Items to look at", title_justify="left")
        for column in ("Item", "Missing %", "Out of scale", "Distinct values"):
            table.add_column(column, justify="left" if column == "Item" else "right")
        for item in flagged:
            table.add_row(item["indicator"], f"{item.get('missing_pct', 0):.1f}",
                          str(item.get("out_of_scale", 0)), str(item.get("distinct", "")))
        console.print(table)
    for note in quality.get("notes", []):
        console.print(f"[dim]Data note: {note}[/]")
