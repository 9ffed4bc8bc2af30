"""The trend section of a report over several survey waves (`csi report Q1.json Q2.json
...`): each construct's index per wave with its interval (table and line chart), the
significant changes between consecutive waves (computed in csi.multi.waves: bootstrap SEs,
Holm-adjusted)
and the priorities per wave side by side. The latest wave's full report follows."""

from __future__ import annotations

from csi.multi import waves as wave_stats
from csi.report import charts
from csi.report.i18n import _, ngettext, term
from csi.report.pdf.fonts import markup
from csi.report.pdf.layout import Report, fixed, interval, num, pvalue


def trend(rep: Report, waves: list[tuple[str, dict]]) -> list:
    names = [name for name, _doc in waves]
    latest = waves[-1][1]
    constructs = [c["name"] for c in latest["model"]["constructs"]
                  if c["name"] in (latest.get("index") or {})]
    story = [rep.heading(_("Trend across waves"))]
    story.append(rep.P(ngettext(
        "{n} wave, oldest first: {waves}. Each wave is a separate sample fitted on its own; "
        "the latest wave's full report follows this section.",
        "{n} waves, oldest first: {waves}. Each wave is a separate sample fitted on its own; "
        "the latest wave's full report follows this section.", len(waves),
        waves=_(", ").join(names))))
    rows = []
    for name in constructs:
        cells = [rep.label(name)]
        for _wave, doc in waves:
            row = (doc.get("index") or {}).get(name) or {}
            text = fixed(row.get("score"), 1)
            if num(row.get("ci_low")) is not None:
                text += f" ({interval(row, 1)})"
            cells.append(text)
        rows.append(cells)
    story.append(rep.sub(_("Indices per wave")))
    width = [2.4] + [1.5] * len(waves)
    story.append(rep.table([_("Construct")] + names, rows, width,
                           numeric=set(range(1, len(waves) + 1))))
    story.append(rep.P(_("In brackets: each wave's bootstrap interval."), "small"))
    story.extend(rep.chart(charts.trend_chart(waves, rep.label), _(
        "Each construct's index per wave; vertical bars: bootstrap intervals; the thick line "
        "is {target}.", target=rep.label(rep.target))))
    story += _changes(rep, waves)
    story += _priorities(rep, waves)
    return story


def _changes(rep: Report, waves) -> list:
    found = wave_stats.changes(waves)
    story = [rep.sub(_("Changes between consecutive waves"))]
    if not found:
        story.append(rep.P(_("No bootstrap standard errors in the waves' results: changes "
                             "cannot be tested. Fit each wave with --bootstrap N.")))
        return story
    significant = found.significant
    story.append(rep.P(_(
        "Difference of each index between consecutive waves; z from the two waves' bootstrap "
        "standard errors (independent samples), p values Holm-adjusted over all {n} "
        "comparisons. Significant (adjusted p < 0.05) changes in bold.", n=len(found))))
    rows, muted = [], set()
    for i, r in enumerate(found):
        change = ("+" if r.difference >= 0 else "") + fixed(r.difference, 1)
        cells = [markup(rep.label(r.construct)), markup(f"{r.from_wave} → {r.to_wave}"),
                 markup(f"{fixed(r.a, 1)} → {fixed(r.b, 1)}"), markup(change),
                 markup(fixed(r.se, 2)), markup(pvalue(r.p)),
                 markup(pvalue(r.p_holm))]
        if r.significant:
            cells = [f"<b>{c}</b>" for c in cells]
        else:
            muted.add(i)
        rows.append(cells)
    story.append(rep.table([_("Construct"), _("Waves"), _("Index"), _("Change"), _("SE"),
                            _("p"), _("Holm p")], rows, [2.2, 1.6, 1.3, 0.8, 0.6, 0.7, 0.7],
                           numeric={2, 3, 4, 5, 6}, markup=True, muted=muted))
    story.append(rep.P(ngettext("{n} significant change.", "{n} significant changes.",
                                len(significant)) if significant
                       else _("No change is significant after the Holm adjustment."),
                       "small"))
    return story


def _priorities(rep: Report, waves) -> list:
    """The top priorities of every wave side by side: rank, driver, quadrant."""
    if not any(doc.get("priorities") for _name, doc in waves):
        return []
    depth = max(len(doc.get("priorities") or []) for _name, doc in waves)
    ranked = [sorted(doc.get("priorities") or [], key=lambda p: p["rank"])
              for _name, doc in waves]
    rows = []
    for rank in range(min(depth, 5)):
        cells = [str(rank + 1)]
        for wave in ranked:
            if rank < len(wave):
                cells.append(f"{rep.label(wave[rank]['driver'])} · "
                             f"{term(wave[rank].get('quadrant'))}")
            else:
                cells.append("—")
        rows.append(cells)
    story = [rep.sub(_("Priorities per wave"))]
    story.append(rep.table(["#"] + [name for name, _doc in waves], rows,
                           [0.3] + [2.0] * len(waves)))
    story.append(rep.P(_("Drivers in priority order in each wave, with their quadrant of the "
                         "importance–performance map."), "small"))
    return story
