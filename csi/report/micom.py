"""The terminal rendering of MICOM in `csi compare` (csi.multi.micom): reads the result,
decides nothing."""

from __future__ import annotations

from csi.report import i18n
from csi.report.i18n import _
from csi.report.notes import note


def render_micom(result, detailed: bool, console, lang: str | None = None) -> None:
    """MICOM's one-line verdict and, when `detailed` (--micom), the three steps per construct
    (Henseler, Ringle & Sarstedt 2016), in `lang`."""
    if result is None:
        return
    with i18n.use(lang):
        if detailed:
            console.print(_table(result))
        console.print(note(result.sentence()) + _("."))


def _table(result):
    from csi.report.table import Table

    table = Table(_("MICOM (configural invariance holds: one model, settings, scale)"),
                  labels=[row["construct"] for row in result.constructs])
    table.add_column(_("Construct"), justify="left", label=True)
    table.add_column("c")
    table.add_column(_("5% quantile"), optional=True)  # c's test says as much through p
    for header in ("p", _("Mean diff."), "p", _("log var. ratio"), "p"):
        table.add_column(header)
    table.add_column(_("Invariance"), justify="left")
    for row in result.constructs:
        invariance = (_("full") if row["full_invariance"] else _("compositional")
                      if row["compositional_invariance"] else _("none"))
        table.add_row(row["construct"], f"{row['c']:.4f}", f"{row['c_quantile_5']:.4f}",
                      f"{row['p_c']:.3f}", f"{row['mean_difference']:+.3f}",
                      f"{row['p_mean']:.3f}", f"{row['log_variance_ratio']:+.3f}",
                      f"{row['p_variance']:.3f}", invariance)
    return table
