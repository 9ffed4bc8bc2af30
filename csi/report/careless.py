"""The one-line summary of the careless-respondent screen, for the terminal and PDF reports.

It reads the `data_quality` block of a result (csi.ingest.quality) and renders what the
analysis decided (csi.ingest.careless); it decides nothing itself.
"""

from __future__ import annotations


def careless_line(quality: dict) -> str | None:
    """E.g. 'Careless respondents: 18 of 250 flagged (random 17, longstring 1); kept, see
    data_quality.careless (drop them with --drop-careless)'. None when the block has no
    screen (a result written before csi screened for careless respondents)."""
    screen = (quality or {}).get("careless_screen")
    if not screen:
        return None
    flagged, screened = screen.get("flagged", 0), screen.get("screened", 0)
    if not flagged:
        return f"Careless respondents: none of {screened} flagged"
    reasons = ", ".join(f"{reason} {count}" for reason, count in
                        (screen.get("by_reason") or {}).items() if count)
    head = f"Careless respondents: {flagged} of {screened} flagged ({reasons})"
    if screen.get("dropped"):
        return f"{head}; {screen.get('rows_dropped', flagged)} dropped (--drop-careless)"
    return f"{head}; kept, see data_quality.careless (drop them with --drop-careless)"
