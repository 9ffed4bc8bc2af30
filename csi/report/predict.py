"""The terminal rendering of `csi predict` (csi.multi.predict): the indicator table, the
construct verdicts and CVPAT, per segment with --by. Reads the result, decides nothing."""

from __future__ import annotations

from rich.table import Table

from csi.report import i18n
from csi.report.i18n import _
from csi.report.notes import note


def render_predict(result, segments, console, lang: str | None = None) -> None:
    """Every prediction's table and verdicts, in `lang` (csi.report.i18n)."""
    with i18n.use(lang):
        _render(result, segments, console)


def _render(result, segments, console) -> None:
    for name, found in (segments or [(None, result)]):
        if name is not None:
            console.print(_("[bold]Segment {name}[/] (n = {n})", name=name, n=found.n_obs))
        s = found.settings
        folds = (_("leave-one-out") if s["folds"] == "loo" else
                 _("{folds} folds x {repeats}", folds=s["folds"], repeats=s["repeats"]))
        table = Table(title=_("PLSpredict ({folds}, {technique} antecedents, seed {seed})",
                              folds=folds, technique=_(s["technique"]), seed=s["seed"]),
                      title_justify="left")
        for column in (_("Indicator"), "Q²_predict", "RMSE", "RMSE LM", "MAE", "MAE LM",
                       "PLS < LM"):
            table.add_column(column, justify="left" if column == _("Indicator") else "right")
        for row in found.indicators:
            table.add_row(row["indicator"], f"{row['q2_predict']:.3f}", f"{row['rmse']:.3f}",
                          f"{row['rmse_lm']:.3f}", f"{row['mae']:.3f}", f"{row['mae_lm']:.3f}",
                          _("yes") if row["pls_better_than_lm"] else _("no"))
        console.print(table)
        for row in found.constructs:
            console.print(_("{construct}: {verdict} ({wins} of {n}).",
                            construct=row["construct"], verdict=note(row["verdict_text"]),
                            wins=row["pls_better_than_lm"], n=row["indicators"]))
        for row in found.cvpat:
            console.print(_("CVPAT PLS vs {benchmark}: average loss {pls} vs {other}, "
                            "difference {difference}, p = {p}", benchmark=row["benchmark"],
                            pls=f"{row['pls_loss']:.3f}", other=f"{row['benchmark_loss']:.3f}",
                            difference=f"{row['difference']:+.3f}", p=f"{row['p']:.3f}"))
        console.print(_("[bold]Verdict ({target}):[/] {verdict}.", target=found.target,
                        verdict=note(found.verdict_text)))
