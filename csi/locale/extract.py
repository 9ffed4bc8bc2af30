"""Extract the report's messages from the sources into csi.pot and merge them into every
language's .po file (new messages untranslated, vanished ones dropped). Run after changing a
message: `python -m csi.locale.extract`."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCES = HERE.parent / "report"
KEYWORDS = {"_": None, "ngettext": (1, 2), "N_": None}


def template():
    """The catalog of every message in csi/report (Babel's Python extractor)."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_file

    catalog = Catalog(project="csi", domain="csi", charset="utf-8")
    for path in sorted(SOURCES.rglob("*.py")):
        for line, message, comments, _context in extract_from_file(
                "python", str(path), keywords=KEYWORDS):
            catalog.add(message, None, [(str(path.relative_to(HERE.parent.parent)), line)],
                        auto_comments=comments, flags=("python-brace-format",)
                        if "{" in (message if isinstance(message, str) else message[0])
                        else ())
    return catalog


def main() -> None:
    from babel.messages.pofile import read_po, write_po

    pot = template()
    with open(HERE / "csi.pot", "wb") as handle:
        write_po(handle, pot, width=96, omit_header=False, sort_output=False)
    for po in sorted(HERE.glob("*/LC_MESSAGES/csi.po")):
        with open(po, "rb") as handle:
            catalog = read_po(handle)
        catalog.update(pot, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        with open(po, "wb") as handle:
            write_po(handle, catalog, width=96, sort_output=False)
        missing = sum(1 for m in catalog if m.id and not (
            all(m.string) if isinstance(m.string, tuple) else m.string))
        print(f"{po.relative_to(HERE)}: {len(catalog)} messages, {missing} untranslated")


if __name__ == "__main__":
    main()
