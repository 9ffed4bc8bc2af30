"""The terminal rendering of `csi latent` (csi.multi.latent): reads the result, decides nothing."""

from __future__ import annotations

from rich.table import Table

from csi.report import i18n
from csi.report.i18n import _, ngettext, percent
from csi.report.notes import note


def render_latent(result, console, lang: str | None = None) -> None:
    """The criteria per K, the test's verdict, and each class's size, index and priorities,
    in `lang` (csi.report.i18n)."""
    with i18n.use(lang):
        _render_latent(result, console)


def _render_latent(result, console) -> None:
    table = Table(title=_("FIMIX-PLS on {source}: classes by K (AIC, AIC4, HQ, MDL5 in the "
                          "JSON)", source=result.source))
    for column in ("K", "lnL", "AIC3", "BIC", "CAIC", "EN", _("shares"), "LRT p"):
        table.add_column(column, justify="right", no_wrap=True)
    p_of = {t["k"]: t["p"] for t in result.lrt}
    for row in result.criteria.to_dict("records"):
        table.add_row(str(row["k"]), f"{row['loglik']:.2f}",
                      *(f"{row[c]:.1f}" for c in ("AIC3", "BIC", "CAIC")),
                      "" if row["k"] == 1 else f"{row['EN']:.3f}",
                      " ".join(percent(s) for s in row["shares"]),
                      f"{p_of[row['k']]:.3f}" if row["k"] in p_of else "")
    console.print(table)
    console.print(ngettext("[bold]{n} class[/] - {rule}", "[bold]{n} classes[/] - {rule}",
                           result.chosen_k, rule=note(result.rule)))
    picks = ", ".join(f"{k} {v}" for k, v in result.criteria_choice.items())
    console.print(_("Information criteria alone would choose: {picks} (not used: they find "
                    "classes in skewed answers that have none)", picks=picks))
    console.print(note(result.actionable["verdict"]))
    for excluded in result.excluded:
        console.print(_("Note") + ": " + note(excluded["reason"]))
    fits = {} if result.segments is None else {f.name: f.result for f in result.segments.fits}
    for entry in result.classes:
        name = str(entry["class"])
        console.print("\n" + _("[bold]Class {name}[/]: {share} ({size} respondents expected, "
                               "{assigned} assigned)", name=name, share=percent(entry["share"]),
                               size=f"{entry['size']:.0f}", assigned=f"{entry['n_modal']:.0f}"))
        fit = fits.get(name)
        if fit is None:
            console.print("  " + _("not re-estimated (too few respondents)"))
            continue
        paths = ", ".join(f"{p['from']}->{p['to']} {p['estimate']:.2f}"
                          for p in entry["fimix"]["paths"])
        console.print("  " + _("FIMIX paths: {paths}", paths=paths))
        index = ", ".join(f"{fit.model.label(r.construct)} {r.score:.1f}"
                          for r in fit.index.itertuples())
        console.print("  " + _("Index: {index}", index=index))
        if fit.priorities is not None:
            order = ", ".join(fit.model.label(d) for d in fit.priorities.ranking["driver"])
            console.print("  " + _("Priorities for {target}: {order}",
                                   target=fit.model.label(fit.priorities.target), order=order))
    for entry in result.explain:
        verdict = ("" if entry["p"] is None else
                   _("chi-square {statistic}, df {df}, p = {p}, Cramer's V {v}",
                     statistic=f"{entry['statistic']:.1f}", df=entry["df"],
                     p=f"{entry['p']:.3f}", v=f"{entry['cramers_v']:.2f}"))
        console.print("\n" + _("{column} vs class: {verdict}", column=entry["column"],
                               verdict=verdict))
