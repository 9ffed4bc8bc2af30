"""The one-line summary of the careless-respondent screen, for the terminal and PDF reports.

It reads the `data_quality` block of a result (csi.ingest.quality) and renders what the
analysis decided (csi.ingest.careless); it decides nothing itself.
"""

from __future__ import annotations


def careless_line(quality: dict) -> str | None:
    """E.g. 'Careless respondents: 18 of 250 flagged (random 17, longstring 1); kept, see
    data_quality.careless (drop them with --drop-careless)'. None when the block has no
    screen (a result written before csi screened for careless respondents)."""
    from csi.report.i18n import _

    screen = (quality or {}).get("careless_screen")
    if not screen:
        return None
    flagged, screened = screen.get("flagged", 0), screen.get("screened", 0)
    if not flagged:
        return _("Careless respondents: none of {screened} flagged", screened=screened)
    reasons = ", ".join(_(reason) + f" {count}" for reason, count in
                        (screen.get("by_reason") or {}).items() if count)
    head = _("Careless respondents: {flagged} of {screened} flagged ({reasons})",
             flagged=flagged, screened=screened, reasons=reasons)
    if screen.get("dropped"):
        return head + _("; {n} dropped (--drop-careless)",
                        n=screen.get("rows_dropped", flagged))
    return head + _("; kept, see data_quality.careless (drop them with --drop-careless)")
