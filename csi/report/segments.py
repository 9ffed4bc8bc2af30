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

from csi.multi.compare import DIGITS, Comparison, format_interval, format_p
from csi.multi.segments import SegmentResults
from csi.report import i18n
from csi.report.i18n import _, ngettext, percent, term
from csi.report.notes import note

SKIPPED_SHOWN = 10  # skipped segments listed by name; the rest are counted
NOTES_SHOWN = 5  # segments' own notes shown; the rest are counted


def _score(value: float) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:.1f}"


def _cell(row: dict, ci: bool) -> str:
    text = _score(row["score"])
    if ci and not math.isnan(row["ci_low"]):
        text += f"\n[dim]{row['ci_low']:.1f}–{row['ci_high']:.1f}[/]"
    return text


def render_segments(results: SegmentResults, console: Console,
                    lang: str | None = None) -> None:
    """The index of every construct per segment, segments sorted by the target's index
    (highest first), with CIs under every index when the console is wide enough (else under
    the target's only; the JSON and CSV always have them all); then skipped segments and
    notes; in `lang` (csi.report.i18n)."""
    with i18n.use(lang):
        _render_segments(results, console)


def _render_segments(results: SegmentResults, console: Console) -> None:
    spec = results.model
    ranking = results.ranking()
    has_ci = results.level is not None
    fitted, skipped = len(results.fits), len(results.skipped)
    console.print(
        ngettext("[bold]csi fit --by {column}[/] — model [bold]{model}[/] on {source}: {n} "
                 "segment fitted", "[bold]csi fit --by {column}[/] — model [bold]{model}[/] on "
                 "{source}: {n} segments fitted", fitted, column=escape(results.column),
                 model=escape(spec.name), source=escape(results.source))
        + (_(", {n} skipped", n=skipped) if skipped else "")
        + (_("; bootstrap seed {seed} (per-segment seeds in the JSON)", seed=results.seed)
           if has_ci else "")
    )
    constructs = [results.target] + [c for c in spec.constructs if c != results.target]
    order = results.order()
    longest = max([len(results.column)] + [len(name) for name in order])
    every_ci = has_ci and console.width >= 16 + longest + 12 * len(constructs)
    title = (_("Index (0–100) by {column}, sorted by {target}", column=results.column,
               target=spec.label(results.target))
             + (_("; {level} CI below each index", level=percent(results.level)) if every_ci
                else _("; {level} CI below {target}", level=percent(results.level),
                       target=results.target) if has_ci else ""))
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
        console.print(escape(note(differences.sentence)))
    small = [s for s in results.skipped if s.small]
    note_head = "[yellow]" + _("Note") + ":[/] "
    if small:
        listed = ", ".join(f"{escape(s.name)} (n = {s.rows_used})"
                           for s in small[:SKIPPED_SHOWN])
        more = (_(" and {n} more", n=len(small) - SKIPPED_SHOWN)
                if len(small) > SKIPPED_SHOWN else "")
        console.print(ngettext(
            "Skipped {n} segment with fewer than {min_n} usable respondents (--min-n): "
            "{listed}", "Skipped {n} segments with fewer than {min_n} usable respondents "
            "(--min-n): {listed}", len(small), min_n=results.min_n, listed=listed) + more)
    for skip in [s for s in results.skipped if not s.small]:
        console.print("[yellow]" + _("Not estimated:") + "[/] "
                      + f"{escape(skip.name)}: {escape(note(skip.reason))}")
    for message in results.warnings:
        console.print(note_head + escape(note(message)))
    shared = set.intersection(*(set(fit.result.warnings) for fit in results.fits)) \
        if results.fits else set()
    notes = [message for message in results.fits[0].result.warnings if message in shared] \
        if results.fits else []
    notes += [f"{fit.name}: {message}" for fit in results.fits
              for message in fit.result.warnings if message not in shared]
    for message in notes[:NOTES_SHOWN]:
        name, colon, rest = message.partition(": ")
        shown = note(message) if note(message) != message or not colon else \
            name + _(": ") + note(rest)
        console.print(note_head + escape(shown))
    if len(notes) > NOTES_SHOWN:
        console.print(note_head + ngettext(
            "{n} more note on single segments is in the JSON output (--format json)",
            "{n} more notes on single segments are in the JSON output (--format json)",
            len(notes) - NOTES_SHOWN))


def segments_csv(results: SegmentResults) -> str:
    """One row per segment and construct: segment, rank, n_obs, construct, score, ci_low,
    ci_high (segments in ranking order)."""
    ranking = results.ranking().drop(columns="se")
    rank = {name: i for i, name in enumerate(results.order(), start=1)}
    ranking.insert(1, "rank", ranking["segment"].map(rank))
    ranking = ranking.rename(columns={"segment": results.column}
                             if results.column not in ranking.columns else {})
    return ranking.to_csv(index=False, float_format="%.10g")


def render_comparison(comparison: Comparison, console: Console,
                      lang: str | None = None) -> None:
    """The verdicts, then a table of every compared estimate, in `lang`."""
    with i18n.use(lang):
        _render_comparison(comparison, console)


def _render_comparison(comparison: Comparison, console: Console) -> None:
    a, b = comparison.a, comparison.b
    where = _(" by {column}", column=escape(comparison.by)) if comparison.by else ""
    console.print(
        _("[bold]csi compare[/]{where}: [bold]{b}[/] (n = {n_b}) against [bold]{a}[/] (n = "
          "{n_a}), differences {b} − {a}; permutation test with {n} permutations (Chin & "
          "Dibbern 2010)", where=where, b=escape(b.name), n_b=b.result.n_obs, a=escape(a.name),
          n_a=a.result.n_obs, n=comparison.permutation.n_used)
        + (_(", {level} bootstrap CIs from {n} resample pairs", level=percent(comparison.level),
             n=comparison.bootstrap_pairs) if comparison.bootstrap_pairs else "")
    )
    frame = comparison.differences
    target = (frame["family"] == "index") & (frame["construct"] == comparison.target)
    labels = {c: comparison.a.result.model.label(c) for c in comparison.a.result.model.constructs}
    for row in frame.loc[target].to_dict("records"):
        console.print(f"[bold]{escape(_verdict(row, labels, comparison.level))}[/]")
    significant = frame[frame["significant"] & ~target]
    console.print(_("Other significant changes (at the {level} level):",
                    level=percent(1 - comparison.level))
                  + ("" if len(significant) else _(" none")))
    for row in significant.to_dict("records"):
        console.print(f"• {escape(_verdict(row, labels, comparison.level))}")

    has_ci = bool(comparison.bootstrap_pairs)
    table = Table(title=_("Every compared estimate (construct names; labels in the verdicts)"),
                  title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column(_("Kind"), no_wrap=True)
    table.add_column(_("Estimate"), min_width=14, overflow="fold")
    for column in (escape(a.name), escape(b.name), _("Change")) + (
            (_("{level} CI", level=percent(comparison.level)),) if has_ci else ()) + ("p",):
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
        cells = [term(family), escape(name), f"{row['a']:.{digits}f}", f"{row['b']:.{digits}f}",
                 f"{row['difference']:+.{digits}f}"]
        if has_ci:
            cells.append(format_interval(row["ci_low"], row["ci_high"], digits))
        cells.append(_p(row["p"]))
        if not row["significant"]:
            cells = [f"[dim]{c}[/]" for c in cells]
        table.add_row(*cells)
    console.print(table)
    note_head = "[yellow]" + _("Note") + ":[/] "
    for message in comparison.warnings:
        console.print(note_head + escape(note(message)))
    notes = sorted(set(a.result.warnings) | set(b.result.warnings))
    for message in notes:
        console.print(note_head + escape(note(message)))


def _verdict(row: dict, labels: dict, level: float) -> str:
    """A compared estimate's sentence: csi.multi.compare.verdict's in English (stored in the
    row), the same facts from the catalog otherwise."""
    if i18n.is_english():
        return row["verdict"]
    family, digits = row["family"], DIGITS[row["family"]]

    def name(construct: str) -> str:
        return labels.get(construct) or construct

    values = f"({row['a']:.{digits}f} → {row['b']:.{digits}f})"
    size = f"{abs(row['difference']):.{digits}f}"
    unchanged = float(size) == 0
    rose = row["difference"] > 0
    if family == "index":
        subject = name(row["construct"])
        text = (_("{subject} was unchanged {values}", subject=subject, values=values)
                if unchanged else
                _("{subject} rose {size} points {values}", subject=subject, size=size,
                  values=values) if rose else
                _("{subject} fell {size} points {values}", subject=subject, size=size,
                  values=values))
    else:
        subject = (_("The path {a} → {b}", a=name(row["from"]), b=name(row["to"]))
                   if family == "path" else
                   _("The importance of {a} for {b}", a=name(row["from"]), b=name(row["to"])))
        text = (_("{subject} was unchanged {values}", subject=subject, values=values)
                if unchanged else
                _("{subject} rose {size} {values}", subject=subject, size=size,
                  values=values) if rose else
                _("{subject} fell {size} {values}", subject=subject, size=size, values=values))
    if row.get("ci_low") == row.get("ci_low") and row.get("ci_low") is not None:
        text += _(", {level} CI {interval}", level=percent(level),
                  interval=format_interval(row["ci_low"], row["ci_high"], digits))
    text += _(", {p}", p=format_p(row["p"]))
    if not row["significant"]:
        text += _(": not a significant change at the {level} level", level=percent(1 - level))
    return text


def _p(value: float) -> str:
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def comparison_csv(comparison: Comparison) -> str:
    """The differences table as CSV."""
    frame: pd.DataFrame = comparison.differences
    return frame.to_csv(index=False, float_format="%.10g")
