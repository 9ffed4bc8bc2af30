"""Terminal renderings of `csi simulate`, `csi plan` and `csi aggregate` (csi.decisions):
they read the results and decide nothing. Words come from the catalog (csi.report.i18n); in
English the sentences are the decision layer's own, in another language they are written
here from the same numbers."""

from __future__ import annotations

from rich.table import Table

from csi.report import i18n
from csi.report.i18n import _, decimal, ngettext, percent


def _signed(value: float, digits: int) -> str:
    """As f"{value:+.{digits}f}", in the current locale."""
    text = decimal(value, digits)
    return text if text.startswith("-") else "+" + text


def render_simulation(simulation, console, lang: str | None = None) -> None:
    """The effects as a table, then a sentence per construct the changes reach, in `lang`."""
    with i18n.use(lang):
        _render_simulation(simulation, console)


def _render_simulation(simulation, console) -> None:
    fitted = simulation.fitted
    table = Table(title=_("What if: {changes} ({model} model)",
                          changes=_(", ").join(_change(c) for c in simulation.changes),
                          model=_(fitted.model)))
    table.add_column(_("Construct"))
    for column in (_("Before"), _("After"), _("Change")):
        table.add_column(column, justify="right")
    if simulation.level is not None:
        table.add_column(_("{level} CI", level=percent(simulation.level)), justify="right")
    for row in simulation.effects:
        cells = [fitted.label(row["construct"]) + (_(" (set)") if row["changed"] else ""),
                 decimal(row["before"], 1),
                 decimal(row["after"], 1) + ("*" if row["capped"] else ""),
                 _signed(row["change"], 2)]
        if simulation.level is not None:
            cells.append(_("{low} to {high}", low=_signed(row["ci_low"], 2),
                           high=_signed(row["ci_high"], 2)))
        table.add_row(*cells)
    console.print(table)
    if any(row["capped"] for row in simulation.effects):
        console.print(_("* held at the end of the 0-100 scale"))
    for sentence in (simulation.sentences() if i18n.is_english()
                     else _simulation_sentences(simulation)):
        console.print(sentence, highlight=False)


def _simulation_sentences(simulation) -> list[str]:
    """csi.decisions.simulate.Simulation.sentences, in the current language."""
    fitted = simulation.fitted
    if fitted.advice["status"] != "ok":
        return [_("No conclusion is drawn: the fit's advice is withheld; the numbers above "
                  "come from an inadmissible solution.")]
    parts = []
    for change in simulation.changes:
        name = fitted.label(change.name)
        amount = decimal(abs(change.applied), 2).rstrip("0").rstrip(".")
        if change.kind == "item":
            parts.append(_("raising {name} by {points} points on its answer scale", name=name,
                           points=amount) if change.applied >= 0 else
                         _("lowering {name} by {points} points on its answer scale", name=name,
                           points=amount))
        else:
            parts.append(_("raising {name} by {points} points", name=name, points=amount)
                         if change.applied >= 0 else
                         _("lowering {name} by {points} points", name=name, points=amount))
    cause = _(", ").join(parts)
    out = []
    for row in simulation.effects:
        if row["changed"]:
            continue
        values = dict(cause=cause, name=fitted.label(row["construct"]),
                      before=decimal(row["before"], 1), after=decimal(row["after"], 1),
                      change=_signed(row["change"], 1))
        if row["ci_low"] is not None:
            text = _("{cause}: {name} moves from {before} to {after} ({change}, {level} CI "
                     "{low} to {high})", level=percent(simulation.level),
                     low=_signed(row["ci_low"], 1), high=_signed(row["ci_high"], 1), **values)
        else:
            text = _("{cause}: {name} moves from {before} to {after} ({change})", **values)
        out.append(text + (_(", held at the end of its scale.") if row["capped"] else _(".")))
    return out


def _change(change) -> str:
    return f"{change.name} {change.applied:+g}"


def render_plan(result, console, lang: str | None = None) -> None:
    """The plan's steps and its sentence, in `lang`."""
    with i18n.use(lang):
        _render_plan(result, console)


def _render_plan(result, console) -> None:
    fitted = result.fitted
    table = Table(title=_("Plan: a budget of {budget} for {target} ({model} model)",
                          budget=f"{result.budget:g}", target=fitted.label(result.target),
                          model=_(fitted.model)))
    for column, justify in ((_("Step"), "right"), (_("Driver"), "left"),
                            (_("Points"), "right"), (_("Cost"), "right"),
                            (_("Gain"), "right")):
        table.add_column(column, justify=justify)
    for number, step in enumerate(result.steps, start=1):
        table.add_row(str(number), fitted.label(step["driver"]), f"{step['points']:g}",
                      f"{step['cost']:g}", _signed(step["gain"], 2))
    console.print(table)
    console.print(result.sentence() if i18n.is_english() else _plan_sentence(result),
                  highlight=False)


def _plan_sentence(result) -> str:
    """csi.decisions.plan.Plan.sentence, in the current language."""
    fitted = result.fitted
    target = fitted.label(result.target)
    if fitted.advice["status"] != "ok":
        return _("No plan is recommended: the fit's advice is withheld.")
    if not result.allocation:
        return _("No spending raises {target}: no driver has a positive effect within the "
                 "budget and limits.", target=target)
    parts = []
    for row in result.allocation:
        where = fitted.label(row["driver"])
        parts.append(_("{points} points on {where} (answer scale)", points=f"{row['points']:g}",
                       where=where) if row["kind"] == "item" else
                     _("{points} points on {where}", points=f"{row['points']:g}", where=where))
    text = _("Spend {spend}: {target} {gain}", spend=_(", ").join(parts), target=target,
             gain=_signed(result.gain, 1))
    if result.ci is not None:
        text += _(" ({level} CI {low}–{high})", level=percent(result.level),
                  low=decimal(result.ci[0], 1), high=decimal(result.ci[1], 1))
    return text + _(".")


def render_aggregate(result, console, lang: str | None = None) -> None:
    """The weighted indices of every group and of all members, in `lang`."""
    with i18n.use(lang):
        _render_aggregate(result, console)


def _render_aggregate(result, console) -> None:
    def table(title: str, index: dict) -> Table:
        out = Table(title=title)
        out.add_column(_("Construct"))
        for column in (_("Index"), _("SE"), _("{level} CI", level=percent(result.level))):
            out.add_column(column, justify="right")
        for construct, row in index.items():
            se = "-" if row["se"] is None else decimal(row["se"], 2)
            ci = ("-" if row["se"] is None
                  else _("{low} to {high}", low=decimal(row["ci_low"], 1),
                         high=decimal(row["ci_high"], 1)))
            out.add_row(result.labels.get(construct, construct), decimal(row["score"], 1), se,
                        ci)
        return out

    for block in result.levels:
        for group in block["groups"]:
            console.print(table(ngettext(
                "{column} {name} ({n} member, weight {weight})",
                "{column} {name} ({n} members, weight {weight})", len(group["members"]),
                column=block["column"], name=group["name"], weight=f"{group['weight']:g}"),
                group["index"]))
    console.print(table(ngettext("All {n} member ({model})", "All {n} members ({model})",
                                 len(result.members), model=result.model), result.index))
