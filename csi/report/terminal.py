"""Rich tables of a Result for the terminal. Reads the Result only; never recomputes."""

from __future__ import annotations

import math

from rich.console import Console
from rich.table import Table

from csi.priorities import Priorities, share, sentences
from csi.result import Result

AVE_MIN = 0.5  # Fornell & Larcker (1981)
RHO_C_MIN = 0.7  # Nunnally & Bernstein (1994)
HTMT_MAX = 0.9  # Henseler, Ringle & Sarstedt (2015)


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
    console.print(
        f"PLS path modeling, {settings['scheme']} scheme, "
        f"{'standardized' if settings['standardized'] else 'unstandardized'} indicators, "
        f"tol {settings['tol']:g}, max_iter {settings['max_iter']}; converged in "
        f"{result.iterations} iterations; scale {scale['min']:g}..{scale['max']:g}"
        f"{' (from the data)' if scale['from_data'] else ''}"
    )

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
    if result.priorities is not None:
        render_priorities(result.priorities, label, console)

    paths = Table(title="Structural model", title_justify="left")
    for column in ("From", "To", "Path") + ((f"{level} CI", "p") if has_ci else ()):
        paths.add_column(column, justify="left" if column in ("From", "To") else "right")
    for row in result.paths.to_dict("records"):
        cells = [label(row["from"]), label(row["to"]), _fmt(row["estimate"])]
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
            _flag(row["rho_c"], row["rho_c"] < RHO_C_MIN),
            _flag(row["ave"], row["ave"] < AVE_MIN),
        )
    console.print(rel)

    high = result.htmt[result.htmt["value"] > HTMT_MAX]
    if len(high):
        console.print(
            f"[bold red]HTMT above {HTMT_MAX}[/] (discriminant validity in doubt): "
            + ", ".join(
                f"{label(r['a'])}–{label(r['b'])} {r['value']:.3f}" for r in high.to_dict("records")
            )
        )
    else:
        console.print(f"HTMT: every pair of constructs below {HTMT_MAX}.")
    for message in result.warnings:
        console.print(f"[yellow]Note:[/] {message}")


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
