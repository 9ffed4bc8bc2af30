"""Terminal and CSV renderings of segment fits and two-group comparisons.

Reads SegmentResults and Comparison objects only; never recomputes.
"""

from __future__ import annotations

import math

import pandas as pd
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from csi.multi.compare import Comparison, format_interval
from csi.multi.segments import SegmentResults

SKIPPED_SHOWN = 10  # skipped segments listed by name; the rest are counted
NOTES_SHOWN = 5  # segments' own notes shown; the rest are counted


def _score(value: float) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:.1f}"


def _cell(row: dict, ci: bool) -> str:
    text = _score(row["score"])
    if ci and not math.isnan(row["ci_low"]):
        text += f"\n[dim]{row['ci_low']:.1f}–{row['ci_high']:.1f}[/]"
    return text


def render_segments(results: SegmentResults, console: Console) -> None:
    """The index of every construct per segment, segments sorted by the target's index
    (highest first), with CIs under every index when the console is wide enough (else under
    the target's only; the JSON and CSV always have them all); then skipped segments and
    notes."""
    spec = results.model
    ranking = results.ranking()
    has_ci = results.level is not None
    fitted, skipped = len(results.fits), len(results.skipped)
    console.print(
        f"[bold]csi fit --by {escape(results.column)}[/] — model [bold]{escape(spec.name)}[/] "
        f"on {escape(results.source)}: {fitted} segment{'s' if fitted != 1 else ''} fitted"
        + (f", {skipped} skipped" if skipped else "")
        + (f"; bootstrap seed {results.seed} (per-segment seeds in the JSON)"
           if has_ci else "")
    )
    constructs = [results.target] + [c for c in spec.constructs if c != results.target]
    order = results.order()
    longest = max([len(results.column)] + [len(name) for name in order])
    every_ci = has_ci and console.width >= 16 + longest + 12 * len(constructs)
    title = (f"Index (0–100) by {results.column}, sorted by {spec.label(results.target)}"
             + (f"; {results.level:.0%} CI below each index" if every_ci else
                f"; {results.level:.0%} CI below {results.target}" if has_ci else ""))
    table = Table(title=escape(title), title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column(escape(results.column), no_wrap=True, min_width=min(longest, 16))
    table.add_column("n", justify="right", no_wrap=True)
    differences = results.differences()
    letters = dict(zip(differences.names, differences.letters)) if differences else {}
    if differences:
        table.add_column("≠", no_wrap=True, header_style="bold")
    for construct in constructs:
        target = construct == results.target
        table.add_column(escape(construct), justify="right", style="bold" if target else None,
                         no_wrap=target, min_width=9 if target and has_ci else None)
    by_segment = {name: frame for name, frame in ranking.groupby("segment", sort=False)}
    for rank, name in enumerate(order, start=1):
        rows = by_segment[name].set_index("construct")
        cells = [str(rank), escape(name), str(int(rows["n_obs"].iloc[0]))]
        if differences:
            cells.append(letters[name])
        cells += [_cell(rows.loc[c].to_dict(), every_ci or (has_ci and c == results.target))
                  for c in constructs]
        table.add_row(*cells)
    if fitted:
        console.print(table)
    if differences:
        console.print(escape(differences.sentence))
    small = [s for s in results.skipped if s.small]
    if small:
        listed = ", ".join(f"{escape(s.name)} (n = {s.rows_used})"
                           for s in small[:SKIPPED_SHOWN])
        more = f" and {len(small) - SKIPPED_SHOWN} more" if len(small) > SKIPPED_SHOWN else ""
        console.print(f"Skipped {len(small)} segment{'s' if len(small) != 1 else ''} with "
                      f"fewer than {results.min_n} usable respondents (--min-n): "
                      f"{listed}{more}")
    for skip in [s for s in results.skipped if not s.small]:
        console.print(f"[yellow]Not estimated:[/] {escape(skip.name)}: {escape(skip.reason)}")
    for message in results.warnings:
        console.print(f"[yellow]Note:[/] {escape(message)}")
    shared = set.intersection(*(set(fit.result.warnings) for fit in results.fits)) \
        if results.fits else set()
    notes = [message for message in results.fits[0].result.warnings if message in shared] \
        if results.fits else []
    notes += [f"{fit.name}: {message}" for fit in results.fits
              for message in fit.result.warnings if message not in shared]
    for message in notes[:NOTES_SHOWN]:
        console.print(f"[yellow]Note:[/] {escape(message)}")
    if len(notes) > NOTES_SHOWN:
        console.print(f"[yellow]Note:[/] {len(notes) - NOTES_SHOWN} more notes on single "
                      "segments are in the JSON output (--format json)")


def segments_csv(results: SegmentResults) -> str:
    """One row per segment and construct: segment, rank, n_obs, construct, score, ci_low,
    ci_high (segments in ranking order)."""
    ranking = results.ranking().drop(columns="se")
    rank = {name: i for i, name in enumerate(results.order(), start=1)}
    ranking.insert(1, "rank", ranking["segment"].map(rank))
    ranking = ranking.rename(columns={"segment": results.column}
                             if results.column not in ranking.columns else {})
    return ranking.to_csv(index=False, float_format="%.10g")


def render_comparison(comparison: Comparison, console: Console) -> None:
    """The verdicts, then a table of every compared estimate."""
    a, b = comparison.a, comparison.b
    where = f" by {escape(comparison.by)}" if comparison.by else ""
    console.print(
        f"[bold]csi compare[/]{where}: [bold]{escape(b.name)}[/] (n = {b.result.n_obs}) against "
        f"[bold]{escape(a.name)}[/] (n = {a.result.n_obs}), differences {escape(b.name)} − "
        f"{escape(a.name)}; permutation test with {comparison.permutation.n_used} "
        f"permutations (Chin & Dibbern 2010)"
        + (f", {comparison.level:.0%} bootstrap CIs from {comparison.bootstrap_pairs} "
           "resample pairs" if comparison.bootstrap_pairs else "")
    )
    frame = comparison.differences
    target = (frame["family"] == "index") & (frame["construct"] == comparison.target)
    for text in frame.loc[target, "verdict"]:
        console.print(f"[bold]{escape(text)}[/]")
    significant = frame[frame["significant"] & ~target]
    console.print(f"Other significant changes (at the {1 - comparison.level:.0%} level):"
                  + ("" if len(significant) else " none"))
    for text in significant["verdict"]:
        console.print(f"• {escape(text)}")

    has_ci = bool(comparison.bootstrap_pairs)
    table = Table(title="Every compared estimate (construct names; labels in the verdicts)",
                  title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("Kind", no_wrap=True)
    table.add_column("Estimate", min_width=14, overflow="fold")
    for column in (escape(a.name), escape(b.name), "Change") + (
            (f"{comparison.level:.0%} CI",) if has_ci else ()) + ("p",):
        table.add_column(column, justify="right",
                         no_wrap=column not in (escape(a.name), escape(b.name)))
    previous = None
    for row in frame.to_dict("records"):
        family = row["family"]
        if family != previous and previous is not None:
            table.add_section()
        previous = family
        digits = 1 if family == "index" else 2
        name = (row["construct"] if family == "index" else f"{row['from']} → {row['to']}")
        cells = [family, escape(name), f"{row['a']:.{digits}f}", f"{row['b']:.{digits}f}",
                 f"{row['difference']:+.{digits}f}"]
        if has_ci:
            cells.append(format_interval(row["ci_low"], row["ci_high"], digits))
        cells.append(_p(row["p"]))
        if not row["significant"]:
            cells = [f"[dim]{c}[/]" for c in cells]
        table.add_row(*cells)
    console.print(table)
    for message in comparison.warnings:
        console.print(f"[yellow]Note:[/] {escape(message)}")
    notes = sorted(set(a.result.warnings) | set(b.result.warnings))
    for message in notes:
        console.print(f"[yellow]Note:[/] {escape(message)}")


def _p(value: float) -> str:
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def comparison_csv(comparison: Comparison) -> str:
    """The differences table as CSV."""
    frame: pd.DataFrame = comparison.differences
    return frame.to_csv(index=False, float_format="%.10g")
