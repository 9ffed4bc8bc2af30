"""The diagnostics block every report shows first: errors and warnings in one short block,
then why advice is withheld. Renders what the analysis found (csi.diagnostics,
csi.drivers.advice); decides nothing."""

from __future__ import annotations

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def diagnostic_lines(doc: dict, label=lambda name: name) -> list[tuple[str, str]]:
    """(severity, sentence) for each diagnostic of a csi.fit document, errors first; a code
    that fires several times shows once, with its subjects listed. In a language other than
    English the sentence comes from the catalog by the diagnostic's code
    (csi.report.words.diagnostic); the JSON keeps the English message."""
    from csi.report.i18n import ngettext
    from csi.report.words import diagnostic

    grouped: dict[tuple[str, str], list[dict]] = {}
    for item in doc.get("diagnostics") or []:
        grouped.setdefault((item["severity"], item["code"]), []).append(item)
    lines = []
    for (severity, code), items in sorted(grouped.items(),
                                          key=lambda kv: SEVERITY_ORDER.get(kv[0][0], 3)):
        if len(items) == 1:
            lines.append((severity, diagnostic(items[0], label)))
        else:
            subjects = ", ".join(i["subject"] for i in items if i.get("subject"))
            lines.append((severity, diagnostic(items[0], label) + ngettext(
                " (and {n} more of {code}: {subjects})", " (and {n} more of {code}: {subjects})",
                len(items) - 1, code=code, subjects=subjects)))
    return lines


def advice_line(doc: dict) -> str | None:
    """The sentence that replaces the priorities when advice is withheld or not applicable
    (in the report's language: csi.report.words.advice)."""
    from csi.report.words import advice

    return advice(doc)
