"""The report's fonts: DejaVu Sans (matplotlib's copy) with the shipped WenQuanYi Micro Hei for
every character DejaVu lacks, so CJK labels render, embed (as subsets) and extract on any
viewer. Fonts are registered with reportlab on first use."""

from __future__ import annotations

import html
from pathlib import Path

from csi.report import charts

SANS, BOLD, ITALIC, BOLD_ITALIC, CJK = ("CsiSans", "CsiSans-Bold", "CsiSans-Oblique",
                                        "CsiSans-BoldOblique", "CsiCJK")

_loaded: set[str] = set()
DEJAVU_FILES = {SANS: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf",
                ITALIC: "DejaVuSans-Oblique.ttf", BOLD_ITALIC: "DejaVuSans-BoldOblique.ttf"}


def load(name: str) -> str:
    """Register a report font with reportlab on first use (parsing a font file takes time,
    and most reports need neither the italics nor, without CJK labels, the CJK font)."""
    if name in _loaded:
        return name
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if name == CJK:
        pdfmetrics.registerFont(TTFont(CJK, str(charts.CJK_FONT_FILE), subfontIndex=0))
        for bold in (0, 1):
            for italic in (0, 1):
                addMapping(CJK, bold, italic, CJK)  # one weight: <b> keeps the CJK font
    else:
        import matplotlib

        ttf = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
        pdfmetrics.registerFont(TTFont(name, str(ttf / DEJAVU_FILES[name])))
    _loaded.add(name)
    return name


def register() -> None:
    """The fonts every report uses: DejaVu Sans and its bold (the family for <b>)."""
    from reportlab.pdfbase import pdfmetrics

    load(SANS)
    load(BOLD)
    pdfmetrics.registerFontFamily(SANS, normal=SANS, bold=BOLD, italic=SANS, boldItalic=BOLD)


def _covered(font: str) -> dict:
    from reportlab.pdfbase import pdfmetrics

    return pdfmetrics.getFont(load(font)).face.charToGlyph


def runs(text: str, font: str = SANS) -> list[tuple[str, bool]]:
    """Split text into (run, needs_cjk_font) pieces: characters that `font` (DejaVu Sans)
    lacks and the CJK font has go to the CJK font."""
    main = _covered(font)
    cjk = None
    out: list[tuple[str, bool]] = []
    for ch in text:
        fallback = False
        if ord(ch) not in main and not ch.isspace():
            cjk = cjk if cjk is not None else _covered(CJK)
            fallback = ord(ch) in cjk
        if out and out[-1][1] == fallback:
            out[-1] = (out[-1][0] + ch, fallback)
        else:
            out.append((ch, fallback))
    return out


def markup(text) -> str:
    """Plain text as Paragraph markup: escaped, with font fallback for CJK runs."""
    out = []
    for run, fallback in runs(str(text)):
        escaped = html.escape(run, quote=False)
        out.append(f'<font name="{CJK}">{escaped}</font>' if fallback else escaped)
    return "".join(out)


def draw(canvas, x: float, y: float, text: str, font: str, size: float,
          align: str = "left") -> None:
    """drawString with the CJK fallback, for page headers and footers."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    pieces = [(run, CJK if fallback else load(font)) for run, fallback in runs(text, font)]
    total = sum(stringWidth(run, f, size) for run, f in pieces)
    x = x - total if align == "right" else x - total / 2 if align == "center" else x
    for run, f in pieces:
        canvas.setFont(f, size)
        canvas.drawString(x, y, run)
        x += stringWidth(run, f, size)


def text_width(text: str, font: str, size: float) -> float:
    """The width of `text` in points, set as `draw` sets it (with the CJK fallback)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return sum(stringWidth(run, CJK if fallback else load(font), size)
               for run, fallback in runs(text, font))


def has_wide(text: str) -> bool:
    """Whether text has East Asian wide characters (Chinese, Japanese, Korean)."""
    import unicodedata

    return any(ord(ch) > 0x1100 and unicodedata.east_asian_width(ch) in "WF" for ch in text)
