"""The terminal rendering of `csi latent` (csi.multi.latent): reads the result, decides nothing."""

from __future__ import annotations

from rich.table import Table


def render_latent(result, console) -> None:
    """The criteria per K, the test's verdict, and each class's size, index and priorities."""
    table = Table(title=f"FIMIX-PLS on {result.source}: classes by K (AIC, AIC4, HQ, MDL5 "
                        "in the JSON)")
    for column in ("K", "lnL", "AIC3", "BIC", "CAIC", "EN", "shares", "LRT p"):
        table.add_column(column, justify="right", no_wrap=True)
    p_of = {t["k"]: t["p"] for t in result.lrt}
    for row in result.criteria.to_dict("records"):
        table.add_row(str(row["k"]), f"{row['loglik']:.2f}",
                      *(f"{row[c]:.1f}" for c in ("AIC3", "BIC", "CAIC")),
                      "" if row["k"] == 1 else f"{row['EN']:.3f}",
                      " ".join(f"{s:.0%}" for s in row["shares"]),
                      f"{p_of[row['k']]:.3f}" if row["k"] in p_of else "")
    console.print(table)
    console.print(f"[bold]{result.chosen_k} class{'es' if result.chosen_k != 1 else ''}[/] "
                  f"- {result.rule}")
    picks = ", ".join(f"{k} {v}" for k, v in result.criteria_choice.items())
    console.print(f"Information criteria alone would choose: {picks} (not used: they find "
                  "classes in skewed answers that have none)")
    console.print(result.actionable["verdict"])
    for excluded in result.excluded:
        console.print(f"Note: {excluded['reason']}")
    fits = {} if result.segments is None else {f.name: f.result for f in result.segments.fits}
    for entry in result.classes:
        name = str(entry["class"])
        console.print(f"\n[bold]Class {name}[/]: {entry['share']:.0%} "
                      f"({entry['size']:.0f} respondents expected, {entry['n_modal']:.0f} "
                      "assigned)")
        fit = fits.get(name)
        if fit is None:
            console.print("  not re-estimated (too few respondents)")
            continue
        paths = ", ".join(f"{p['from']}->{p['to']} {p['estimate']:.2f}"
                          for p in entry["fimix"]["paths"])
        console.print(f"  FIMIX paths: {paths}")
        index = ", ".join(f"{fit.model.label(r.construct)} {r.score:.1f}"
                          for r in fit.index.itertuples())
        console.print(f"  Index: {index}")
        if fit.priorities is not None:
            order = ", ".join(fit.model.label(d) for d in fit.priorities.ranking["driver"])
            console.print(f"  Priorities for {fit.model.label(fit.priorities.target)}: {order}")
    for entry in result.explain:
        verdict = ("" if entry["p"] is None else
                   f"chi-square {entry['statistic']:.1f}, df {entry['df']}, p = {entry['p']:.3f}, "
                   f"Cramer's V {entry['cramers_v']:.2f}")
        console.print(f"\n{entry['column']} vs class: {verdict}")
