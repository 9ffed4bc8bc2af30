"""The report's house style and building blocks: colours, number formats, paragraph styles,
and `Report`, the context every section reads (the fit document, labels, target, date) with
the builders of paragraphs, headings, fact lists, striped tables and charts."""

from __future__ import annotations

import datetime as _dt

from csi.report import charts, i18n
from csi.report.i18n import _
from csi.report.labels import Labels
from csi.report.pdf import fonts
from csi.report.pdf.bridge import figure_flowable
from csi.report.pdf.fonts import BOLD, SANS

ACCENT = "#1f4e79"
MUTED = "#6b7785"
FLAG = "#b03a2e"
RULE = "#c9d2dc"
HEAD_BG = "#e8eef5"
STRIPE = "#f6f8fa"


# Formatting --------------------------------------------------------------------------------

def num(value) -> float | None:
    """A JSON value as a float, or None for null, NaN, booleans and text."""
    return None if isinstance(value, bool) else charts.number(value)


def table_style(head: list, rows: int, first_stripe: int):
    """The house style of every table: `head` commands for its first row, a rule below the
    last, even padding, and a stripe on every other row from `first_stripe`."""
    from reportlab.lib import colors
    from reportlab.platypus import TableStyle

    commands = head + [
        ("LINEBELOW", (0, -1), (-1, -1), 0.5, colors.HexColor(RULE)),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    commands += [("BACKGROUND", (0, r), (-1, r), colors.HexColor(STRIPE))
                 for r in range(first_stripe, rows, 2)]
    return TableStyle(commands)


def fixed(value, digits: int = 3) -> str:
    """A number with `digits` decimals, or — for a missing value."""
    value = num(value)
    return "—" if value is None else i18n.decimal(value, digits)


def pvalue(value) -> str:
    """A p-value as the terminal shows it: <0.001 or three decimals."""
    value = num(value)
    return ("—" if value is None else "<" + i18n.decimal(0.001, 3) if value < 0.001
            else i18n.decimal(value, 3))


def interval(row: dict, digits: int, low: str = "ci_low", high: str = "ci_high") -> str:
    """A row's interval as "low–high", or — when either end is missing."""
    lo, hi = num(row.get(low)), num(row.get(high))
    return ("—" if lo is None or hi is None
            else f"{i18n.decimal(lo, digits)}–{i18n.decimal(hi, digits)}")


def share(value) -> str:
    """A probability as the terminal shows it (csi.drivers.priorities.share), or —."""
    from csi.report.words import share as as_share

    value = num(value)
    return "—" if value is None else as_share(value)


def flagged(text: str, bad: bool) -> str:
    """Cell markup for a value; in red with ✗ when the analysis flagged it."""
    text = fonts.markup(text)
    return f'<font color="{FLAG}"><b>{text} ✗</b></font>' if bad else text


def general(value) -> str:
    """A number in its shortest form (scale ends, knots), or —."""
    value = num(value)
    return "—" if value is None else f"{value:g}"


# Synthetic bold ----------------------------------------------------------------------------

BOLD_STYLES = {"h1", "h2", "title", "headline", "head", "headnum", "key"}


def _bold_paragraph_class():
    from reportlab.platypus import Paragraph

    class BoldParagraph(Paragraph):
        """A bold paragraph with CJK text: the CJK face has one weight, so its glyphs (and
        only its glyphs: the Latin runs are in DejaVu Sans Bold) are filled and stroked in
        the text colour (PDF text render mode 2, a synthetic bold); the text stays text."""

        def drawOn(self, canvas, x, y, _sW=0):
            begin = canvas.beginText

            def bold_cjk_text(*args, **kwargs):
                text = begin(*args, **kwargs)
                format_text = text._formatText

                def _formatText(run):
                    mode = "2 Tr " if text._fontname == fonts.CJK else "0 Tr "
                    return mode + format_text(run)

                text._formatText = _formatText
                return text

            canvas.saveState()
            canvas.setStrokeColor(self.style.textColor)
            canvas.setLineWidth(self.style.fontSize * 0.02)
            canvas.beginText = bold_cjk_text
            try:
                super().drawOn(canvas, x, y, _sW)
            finally:
                del canvas.beginText
                canvas.restoreState()

    return BoldParagraph


def _BoldParagraph(text, style):
    global _BoldParagraph
    cls = _bold_paragraph_class()
    _BoldParagraph = cls
    return cls(text, style)


# The report's context ----------------------------------------------------------------------

class Report:
    """One report's context (the fit document, labels, target, date, styles) and the
    builders of its flowables; the sections (csi.report.pdf.sections) fill it."""

    def __init__(self, doc: dict, labels: Labels, title: str | None, today: _dt.date):
        from reportlab.lib.units import cm

        self.doc = doc
        self.label = labels
        self.today = today
        model = doc["model"]
        self.constructs = [c["name"] for c in model["constructs"]]
        self.settings = doc.get("settings") or {}
        self.boot = doc.get("bootstrap") or None
        self.level = (self.boot or {}).get("level")
        self.level_text = f"{self.level:.0%}" if self.level else ""
        self.target = ((doc.get("priority_settings") or {}).get("target") or model.get("target")
                       or self._default_target())
        self.title = title or _("Customer satisfaction report")
        self.english = i18n.is_english()
        self.width = 21.0 * cm - 2 * 2.0 * cm
        self.sections: list[str] = []
        self.waves: list[tuple[str, dict]] | None = None
        self.scenarios: list[tuple[str, dict]] = []  # (file, csi.simulate/plan document)
        self.latent: tuple[str, dict] | None = None  # (file, csi.latent document)
        self._styles()

    def _default_target(self) -> str | None:
        index = self.doc.get("index") or {}
        r2 = self.doc.get("r2") or {}
        return max(r2, key=lambda c: r2[c] or 0) if r2 else next(iter(index), None)

    # styles and helpers

    def _styles(self) -> None:
        from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
        from reportlab.lib.styles import ParagraphStyle

        base = ParagraphStyle("body", fontName=SANS, fontSize=9.5, leading=13.2,
                              textColor="#1f2a36", spaceAfter=5)
        self.s = {
            "body": base,
            "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10.5,
                                    textColor=MUTED, spaceAfter=3),
            "caption": ParagraphStyle("caption", parent=base, fontSize=8, leading=10.5,
                                      textColor=MUTED, spaceBefore=2, spaceAfter=10),
            "h1": ParagraphStyle("h1", parent=base, fontName=BOLD, fontSize=16, leading=20,
                                 textColor=ACCENT, spaceBefore=4, spaceAfter=8),
            "h2": ParagraphStyle("h2", parent=base, fontName=BOLD, fontSize=11.5, leading=15,
                                 textColor=ACCENT, spaceBefore=10, spaceAfter=5,
                                 keepWithNext=1),
            "title": ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=26,
                                    leading=32, textColor=ACCENT, spaceAfter=10),
            "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=13, leading=17,
                                       textColor=MUTED, spaceAfter=22),
            "headline": ParagraphStyle("headline", parent=base, fontName=BOLD, fontSize=15,
                                       leading=20, textColor="#1f2a36", spaceAfter=6),
            "cell": ParagraphStyle("cell", parent=base, fontSize=8.2, leading=10.2,
                                   spaceAfter=0, alignment=TA_LEFT),
            "num": ParagraphStyle("num", parent=base, fontSize=8.2, leading=10.2,
                                  spaceAfter=0, alignment=TA_RIGHT),
            # a header wraps between words, never inside one ("Asymmetr/y")
            "head": ParagraphStyle("head", parent=base, fontName=BOLD, fontSize=8.2,
                                   leading=10.2, spaceAfter=0, alignment=TA_LEFT,
                                   splitLongWords=0),
            "headnum": ParagraphStyle("headnum", parent=base, fontName=BOLD, fontSize=8.2,
                                      leading=10.2, spaceAfter=0, alignment=TA_RIGHT,
                                      splitLongWords=0),
            "centre": ParagraphStyle("centre", parent=base, alignment=TA_CENTER),
            "item": ParagraphStyle("item", parent=base, leftIndent=16, bulletIndent=2,
                                   spaceAfter=6),
            "ref": ParagraphStyle("ref", parent=base, fontSize=7.5, leading=9.6,
                                  textColor=MUTED, spaceAfter=2, leftIndent=10,
                                  firstLineIndent=-10),
            "lead": ParagraphStyle("lead", parent=base, fontSize=8, leading=10.5,
                                   textColor=MUTED, spaceAfter=3, keepWithNext=1),
            "key": ParagraphStyle("key", parent=base, fontName=BOLD, fontSize=8.2,
                                  leading=10.2, spaceAfter=0, textColor=MUTED),
        }
        # Text with Chinese, Japanese or Korean characters may break between any two of them
        # (reportlab's CJK wrapping); other text breaks at spaces only.
        self.s_cjk = {name: ParagraphStyle(f"{name}-cjk", parent=style, wordWrap="CJK")
                      for name, style in self.s.items()}

    def P(self, text: str, style: str = "body", markup: bool = False):
        from reportlab.platypus import Paragraph

        wide = fonts.has_wide(text)
        styles = self.s_cjk if wide else self.s
        if wide and style in BOLD_STYLES:
            return _BoldParagraph(text if markup else fonts.markup(text), styles[style])
        return Paragraph(text if markup else fonts.markup(text), styles[style])

    def facts(self, rows: list[tuple[str, object]], widths=(1.3, 3.7)):
        """A two-column table of labelled facts, without a header row."""
        from reportlab.lib import colors
        from reportlab.platypus import Table

        total = sum(widths)
        data = [[self.P(key, "key"), self.P("—" if value is None else str(value), "cell")]
                for key, value in rows]
        table = Table(data, colWidths=[w * self.width / total for w in widths], hAlign="LEFT")
        table.setStyle(table_style(
            [("LINEABOVE", (0, 0), (-1, 0), 0.8, colors.HexColor(ACCENT))], len(data), 1))
        return table

    def heading(self, text: str):
        """A numbered section heading that also makes a PDF outline entry."""
        self.sections.append(text)
        paragraph = self.P(f"{len(self.sections)}. {text}", "h1")
        paragraph._bookmark = (f"{len(self.sections)}. {text}", 0)
        return paragraph

    def sub(self, text: str):
        paragraph = self.P(text, "h2")
        paragraph._bookmark = (text, 1)
        return paragraph

    def table(self, header: list[str], rows: list[list], widths: list[float],
              numeric: set[int] = frozenset(), markup: bool = False, muted=()):
        """A striped table with a repeating header; cells are text (or markup) wrapped in
        Paragraphs, `numeric` columns right-aligned, `muted` rows greyed."""
        from reportlab.lib import colors
        from reportlab.platypus import Table

        total = sum(widths)
        widths = [w * self.width / total for w in widths]
        data = [[self.P(h, "headnum" if i in numeric else "head") for i, h in enumerate(header)]]
        for r, row in enumerate(rows):
            cells = []
            for i, cell in enumerate(row):
                text = cell if markup else fonts.markup(cell)
                if r in muted:
                    text = f'<font color="{MUTED}">{text}</font>'
                cells.append(self.P(text, "num" if i in numeric else "cell", markup=True))
            data.append(cells)
        table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
        table.setStyle(table_style(
            [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(HEAD_BG)),
             ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.HexColor(ACCENT))], len(data), 2))
        return table

    def chart(self, figure, caption: str, max_height: float | None = None) -> list:
        """A matplotlib figure as a vector drawing scaled to the text width, kept on one page
        with its caption (and with a heading just before it)."""
        limit = max_height or 0.62 * 25.7 * 28.3465
        drawing = figure_flowable(figure, self.width, limit)
        drawing.spaceBefore = 6
        drawing.keepWithNext = 1
        return [drawing, self.P(caption, "caption")]
