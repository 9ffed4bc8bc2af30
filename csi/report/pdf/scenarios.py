"""The "Scenarios" section: saved what-if simulations (`csi simulate`, csi.decisions.simulate)
and improvement plans (`csi plan`, csi.decisions.plan) of the report's fit, read from their
JSON documents. A red banner comes first when the fit's advice is withheld or qualified
(csi.decisions.scenarios.advice_status). In English the sentences are the documents' own; in
another language they are written from the same fields with catalog messages."""

from __future__ import annotations

from pathlib import Path

from csi.decisions.scenarios import advice_status, kind_of
from csi.report import words
from csi.report.diagnostics import diagnostic_lines
from csi.report.i18n import _, decimal, is_english
from csi.report.pdf.fonts import markup
from csi.report.pdf.layout import FLAG, Report, fixed, num
from csi.report.scenario_charts import simulation_chart

BANNER_BG = "#fbeceb"


def scenarios(rep: Report) -> list:
    """The banner (if any), then each simulation and plan in the order given."""
    docs = [doc for _name, doc in rep.scenarios]
    story = [rep.heading(_("Scenarios"))]
    story += banner(rep, docs)
    story.append(rep.P(_(
        "What the fitted model says would follow from changes (what-if simulations) and "
        "where a budget of improvement points lifts the target most (plans). Changes are "
        "carried downstream through the structural model, never upstream, and no index "
        "passes 0–100. They describe the model, not a forecast.")))
    for name, doc in rep.scenarios:
        if kind_of(doc, name) == "simulation":
            story += simulation(rep, name, doc)
        else:
            story += plan(rep, name, doc)
    return story


def banner(rep: Report, docs: list[dict]) -> list:
    """A red box: the advice is withheld (no conclusion is drawn) or qualified (the
    findings that weaken it); nothing when the advice stands unqualified."""
    from reportlab.lib import colors
    from reportlab.platypus import Spacer, Table, TableStyle

    status, reasons = advice_status(rep.doc, docs)
    if status == "ok":
        return []
    if status == "withheld":
        withheld = next((d for d in [rep.doc, *docs]
                         if (d.get("advice") or {}).get("status") == "withheld"), rep.doc)
        head = _("Advice withheld")
        lines = [words.advice(withheld) or "",
                 _("The scenarios below come from an inadmissible solution: read them as "
                   "arithmetic, not as advice.")]
    else:
        head = _("Advice qualified")
        found = [text for severity, text in diagnostic_lines(rep.doc, rep.label)
                 if severity in ("error", "warning")]
        lines = [_("The fit's advice stands, but these findings weaken it: {findings}",
                   findings=_("; ").join(found) if found else _(", ").join(reasons))]
    cells = [[rep.P(f'<font color="{FLAG}"><b>{markup(head)}</b></font>', "body",
                    markup=True)]]
    cells += [[rep.P(line)] for line in lines if line]
    box = Table(cells, colWidths=[rep.width], hAlign="LEFT")
    box.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor(BANNER_BG)),
        ("BOX", (0, 0), (-1, -1), 1.2, colors.HexColor(FLAG)),
        ("LEFTPADDING", (0, 0), (-1, -1), 8), ("RIGHTPADDING", (0, 0), (-1, -1), 8),
        ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]))
    return [box, Spacer(1, 8)]


def signed(value, digits: int = 1) -> str:
    value = num(value)
    return "—" if value is None else ("+" if value >= 0 else "−") + decimal(abs(value), digits)


def _change_text(rep: Report, change: dict) -> str:
    name = rep.label(change["name"]) if change.get("kind") == "construct" else change["name"]
    return f"{name} {num(change.get('applied')) or 0:+g}"


# Simulations -------------------------------------------------------------------------------

def simulation(rep: Report, name: str, doc: dict) -> list:
    """The effects table, the before/after chart and a sentence per construct reached."""
    changes = _(", ").join(_change_text(rep, c) for c in doc.get("changes", []))
    story = [rep.sub(_("What if: {changes}", changes=changes))]
    level = num(doc.get("level"))
    level_text = f"{level:.0%}" if level else ""
    story.append(rep.P(_("From {file} ({model} structural model).", file=Path(name).name,
                         model=_(str(doc.get("model", "linear")))), "lead"))
    header = [_("Construct"), _("Before"), _("After"), _("Change")]
    if level:
        header.append(_("{level} CI of the change", level=level_text))
    rows = []
    for row in doc.get("effects", []):
        cells = [rep.label(row["construct"]) + (_(" (set)") if row.get("changed") else ""),
                 fixed(row.get("before"), 1),
                 fixed(row.get("after"), 1) + ("*" if row.get("capped") else ""),
                 signed(row.get("change"), 2)]
        if level:
            cells.append(_("{low} to {high}", low=signed(row.get("ci_low"), 2),
                           high=signed(row.get("ci_high"), 2)))
        rows.append(cells)
    story.append(rep.table(header, rows, [2.8, 0.8, 0.8, 0.8, 1.6][: len(header)],
                           numeric={1, 2, 3, 4}))
    if any(row.get("capped") for row in doc.get("effects", [])):
        story.append(rep.P(_("* held at the end of the 0–100 scale."), "small"))
    story.extend(rep.chart(simulation_chart(doc, rep.label), (
        _("Each construct's index before and after the change; bars on the after values: "
          "the {level} bootstrap interval of the change.", level=level_text) if level else
        _("Each construct's index before and after the change (no intervals: the "
          "simulation was run without the fit's bootstrap draws, csi fit --draws FILE)."))))
    story += [rep.P(f"• {sentence}", "item") for sentence in simulation_sentences(rep, doc)]
    return story


def simulation_sentences(rep: Report, doc: dict) -> list[str]:
    """The simulation's sentences: its own in English, else written from its fields."""
    if is_english():
        return list(doc.get("sentences") or [])
    if (doc.get("advice") or {}).get("status", "ok") != "ok":
        return [_("No conclusion is drawn: the fit's advice is withheld; the numbers above "
                  "come from an inadmissible solution.")]
    cause = _(" and ").join(_cause(rep, c) for c in doc.get("changes", []))
    level = num(doc.get("level"))
    out = []
    for row in doc.get("effects", []):
        if row.get("changed"):
            continue
        values = dict(cause=cause, name=rep.label(row["construct"]),
                      before=fixed(row.get("before"), 1), after=fixed(row.get("after"), 1),
                      change=signed(row.get("change")))
        if num(row.get("ci_low")) is not None and level:
            text = _("{cause} moves {name} from {before} to {after} ({change}, {level} CI "
                     "{low} to {high})", level=format(level, ".0%"), low=signed(row["ci_low"]),
                     high=signed(row["ci_high"]), **values)
        else:
            text = _("{cause} moves {name} from {before} to {after} ({change})", **values)
        out.append(text + (_(", held at the end of its scale.") if row.get("capped")
                           else _(".")))
    return out


def _cause(rep: Report, change: dict) -> str:
    applied = num(change.get("applied")) or 0.0
    item = change.get("kind") == "item"
    name = change["name"] if item else rep.label(change["name"])
    points = f"{abs(applied):g}"
    if applied >= 0:
        return (_("raising {name} by {points} points on its answer scale", name=name,
                  points=points) if item else
                _("raising {name} by {points} points", name=name, points=points))
    return (_("lowering {name} by {points} points on its answer scale", name=name,
              points=points) if item else
            _("lowering {name} by {points} points", name=name, points=points))


# Plans -------------------------------------------------------------------------------------

def plan(rep: Report, name: str, doc: dict) -> list:
    """The steps table (driver, points, cost, gain), the expected gain with its interval
    and the manager's sentence."""
    target = rep.label(doc.get("target"))
    story = [rep.sub(_("Plan: a budget of {budget} for {target}",
                       budget=format(num(doc.get("budget")) or 0, "g"), target=target))]
    story.append(rep.P(_("From {file} ({model} structural model).", file=Path(name).name,
                         model=_(str(doc.get("model", "linear")))), "lead"))
    rows = []
    for number, step in enumerate(doc.get("steps", []), start=1):
        rows.append([str(number), _driver(rep, doc, step["driver"]),
                     fixed(step.get("points"), 2), fixed(step.get("cost"), 2),
                     signed(step.get("gain"), 2)])
    if rows:
        story.append(rep.table([_("Step"), _("Driver"), _("Points"), _("Cost"),
                                _("Gain in {target}", target=target)], rows,
                               [0.5, 3.0, 0.8, 0.8, 1.4], numeric={0, 2, 3, 4}))
    gain = doc.get("expected_gain") or {}
    level = num(gain.get("level"))
    expected = signed(gain.get("estimate"), 2)
    if num(gain.get("ci_low")) is not None and level:
        expected += _(" ({level} CI {low} to {high})", level=format(level, ".0%"),
                      low=signed(gain["ci_low"], 2), high=signed(gain["ci_high"], 2))
    else:
        expected += _(" (no interval: the plan was made without the fit's bootstrap draws)")
    story.append(rep.facts([
        (_("Expected gain"), expected),
        (_("{target} before → after", target=target),
         f"{fixed(doc.get('before'), 1)} → {fixed(doc.get('after'), 1)}"),
        (_("Budget spent"), f"{fixed(doc.get('spent'), 2)} / {fixed(doc.get('budget'), 2)}"),
    ], widths=(1.6, 3.4)))
    story.append(rep.P(plan_sentence(rep, doc), "h2"))
    return story


def _driver(rep: Report, doc: dict, name: str) -> str:
    kinds = {c["driver"]: c.get("kind") for c in doc.get("candidates", [])}
    if kinds.get(name) == "item":
        return _("{driver} (answer scale)", driver=name)
    return rep.label(name)


def plan_sentence(rep: Report, doc: dict) -> str:
    """The plan's sentence: its own in English, else written from its fields."""
    if is_english():
        return str(doc.get("sentence") or "")
    target = rep.label(doc.get("target"))
    if (doc.get("advice") or {}).get("status", "ok") != "ok":
        return _("No plan is recommended: the fit's advice is withheld.")
    allocation = doc.get("allocation") or []
    if not allocation:
        return _("No spending raises {target}: no driver has a positive effect within the "
                 "budget and limits.", target=target)
    parts = [_("{points} points on {driver}", points=format(row["points"], "g"),
               driver=_driver(rep, doc, row["driver"])) for row in allocation]
    spend = parts[0] if len(parts) == 1 else _(", ").join(parts[:-1]) + _(" and ") + parts[-1]
    gain = doc.get("expected_gain") or {}
    level = num(gain.get("level"))
    if num(gain.get("ci_low")) is not None and level:
        return _("Spend {spend}: {target} {gain} ({level} CI {low}–{high}).", spend=spend,
                 target=target, gain=signed(gain.get("estimate")), level=format(level, ".0%"),
                 low=decimal(gain["ci_low"], 1), high=decimal(gain["ci_high"], 1))
    return _("Spend {spend}: {target} {gain}.", spend=spend, target=target,
             gain=signed(gain.get("estimate")))
