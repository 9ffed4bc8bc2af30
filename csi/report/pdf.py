"""The PDF report: a document a manager can read, rendered from a saved fit (the `csi.fit`
JSON dict), never by refitting.

Sections: title page; executive summary (the target's index with its interval, every index, the
top priorities in the same sentences as the terminal, csi.priorities.sentences); structural
model (path diagram, paths, R²); drivers and priorities (priority table, importance bars,
importance–performance map, question-level map of the top drivers); non-linear effects (when
the fit has a `nonlinear` block); measurement model (loadings, weights, reliability, HTMT and
VIF with quality flags); data quality; methods appendix.

Built with reportlab's platypus (flowing text, tables that repeat their header, page numbers
"Page n of N", PDF outline). Text is set in DejaVu Sans (matplotlib's copy); every character
that font lacks is set in the shipped WenQuanYi Micro Hei, and reportlab embeds the subsets
used, so CJK labels render on any viewer and can be searched and extracted. Charts are the
matplotlib figures of csi.report.charts, drawn straight onto the PDF page by a small
matplotlib renderer (see `_renderer_type`): lines and shapes become PDF paths, text becomes
PDF text in the same two fonts, so charts are vector graphics, their labels can be searched,
and they show exactly the glyphs of the tables.
"""

from __future__ import annotations

import datetime as _dt
import functools
import html
import io
from dataclasses import dataclass
from pathlib import Path

from csi.jsonio import write_atomic
from csi.report import charts
from csi.report.labels import Labels
from csi.report.terminal import AVE_MIN, HTMT_MAX, RHO_C_MIN

LOADING_MIN = 0.7  # indicator reliability: loading² ≥ 0.5 (Hair et al. 2017, ch. 4)
VIF_MAX = 5.0  # structural collinearity (Hair et al. 2017, ch. 6)

SANS, BOLD, ITALIC, BOLD_ITALIC, CJK = ("CsiSans", "CsiSans-Bold", "CsiSans-Oblique",
                                        "CsiSans-BoldOblique", "CsiCJK")
ACCENT = "#1f4e79"
MUTED = "#6b7785"
FLAG = "#b03a2e"
RULE = "#c9d2dc"
HEAD_BG = "#e8eef5"
STRIPE = "#f6f8fa"

ESTIMATORS = {
    "pls": "PLS path modeling (Lohmöller's algorithm)",
    "plsc": "consistent PLS (PLSc; Dijkstra & Henseler 2015)",
    "cbsem": "covariance-based SEM (maximum likelihood)",
}
REFERENCES = [
    "Dijkstra, T. K., & Henseler, J. (2015). Consistent partial least squares path modeling. "
    "MIS Quarterly, 39(2), 297–316.",
    "Efron, B., & Tibshirani, R. J. (1993). An introduction to the bootstrap. Chapman & Hall.",
    "Fornell, C., Johnson, M. D., Anderson, E. W., Cha, J., & Bryant, B. E. (1996). The American "
    "Customer Satisfaction Index: nature, purpose, and findings. Journal of Marketing, 60(4), "
    "7–18.",
    "Fornell, C., & Larcker, D. F. (1981). Evaluating structural equation models with "
    "unobservable variables and measurement error. Journal of Marketing Research, 18(1), 39–50.",
    "Hair, J. F., Hult, G. T. M., Ringle, C. M., & Sarstedt, M. (2017). A primer on partial "
    "least squares structural equation modeling (PLS-SEM), 2nd ed. Sage.",
    "Henseler, J., Ringle, C. M., & Sarstedt, M. (2015). A new criterion for assessing "
    "discriminant validity in variance-based structural equation modeling. Journal of the "
    "Academy of Marketing Science, 43(1), 115–135.",
    "Kano, N., Seraku, N., Takahashi, F., & Tsuji, S. (1984). Attractive quality and must-be "
    "quality. Journal of the Japanese Society for Quality Control, 14(2), 39–48.",
    "Lohmöller, J.-B. (1989). Latent variable path modeling with partial least squares. "
    "Physica.",
    "Martilla, J. A., & James, J. C. (1977). Importance-performance analysis. Journal of "
    "Marketing, 41(1), 77–79.",
    "Ringle, C. M., & Sarstedt, M. (2016). Gain more insight from your PLS-SEM results: the "
    "importance-performance map analysis. Industrial Management & Data Systems, 116(9), "
    "1865–1886.",
    "Tenenhaus, M., Esposito Vinzi, V., Chatelin, Y.-M., & Lauro, C. (2005). PLS path modeling. "
    "Computational Statistics & Data Analysis, 48(1), 159–205.",
]


@dataclass(frozen=True)
class ReportInfo:
    """What `write` produced."""

    path: str
    pages: int
    size: int


# Fonts -------------------------------------------------------------------------------------

_loaded: set[str] = set()
DEJAVU_FILES = {SANS: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf",
                ITALIC: "DejaVuSans-Oblique.ttf", BOLD_ITALIC: "DejaVuSans-BoldOblique.ttf"}


def _font(name: str) -> str:
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


def _register_fonts() -> None:
    """The fonts every report uses: DejaVu Sans and its bold (the family for <b>)."""
    from reportlab.pdfbase import pdfmetrics

    _font(SANS)
    _font(BOLD)
    pdfmetrics.registerFontFamily(SANS, normal=SANS, bold=BOLD, italic=SANS, boldItalic=BOLD)


def _covered(font: str) -> dict:
    from reportlab.pdfbase import pdfmetrics

    return pdfmetrics.getFont(_font(font)).face.charToGlyph


def _runs(text: str, font: str = SANS) -> list[tuple[str, bool]]:
    """Split text into (run, needs_cjk_font) pieces: characters that `font` (DejaVu Sans)
    lacks and the CJK font has go to the CJK font."""
    main = _covered(font)
    cjk = None
    runs: list[tuple[str, bool]] = []
    for ch in text:
        fallback = False
        if ord(ch) not in main and not ch.isspace():
            cjk = cjk if cjk is not None else _covered(CJK)
            fallback = ord(ch) in cjk
        if runs and runs[-1][1] == fallback:
            runs[-1] = (runs[-1][0] + ch, fallback)
        else:
            runs.append((ch, fallback))
    return runs


def _m(text) -> str:
    """Plain text as Paragraph markup: escaped, with font fallback for CJK runs."""
    out = []
    for run, fallback in _runs(str(text)):
        escaped = html.escape(run, quote=False)
        out.append(f'<font name="{CJK}">{escaped}</font>' if fallback else escaped)
    return "".join(out)


def _draw(canvas, x: float, y: float, text: str, font: str, size: float,
          align: str = "left") -> None:
    """drawString with the CJK fallback, for page headers and footers."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    runs = [(run, CJK if fallback else _font(font)) for run, fallback in _runs(text, font)]
    total = sum(stringWidth(run, f, size) for run, f in runs)
    x = x - total if align == "right" else x - total / 2 if align == "center" else x
    for run, f in runs:
        canvas.setFont(f, size)
        canvas.drawString(x, y, run)
        x += stringWidth(run, f, size)


# Formatting --------------------------------------------------------------------------------

def _num(value) -> float | None:
    """A JSON value as a float, or None for null, NaN, booleans and text."""
    return None if isinstance(value, bool) else charts.number(value)


def _table_style(head: list, rows: int, first_stripe: int):
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


def _f(value, digits: int = 3) -> str:
    value = _num(value)
    return "—" if value is None else f"{value:.{digits}f}"


def _p(value) -> str:
    value = _num(value)
    return "—" if value is None else "<0.001" if value < 0.001 else f"{value:.3f}"


def _ci(row: dict, digits: int, low: str = "ci_low", high: str = "ci_high") -> str:
    lo, hi = _num(row.get(low)), _num(row.get(high))
    return "—" if lo is None or hi is None else f"{lo:.{digits}f}–{hi:.{digits}f}"


def _share(value) -> str:
    from csi.drivers.priorities import share

    value = _num(value)
    return "—" if value is None else share(value)


def _has_wide(text: str) -> bool:
    """Whether text has East Asian wide characters (Chinese, Japanese, Korean)."""
    import unicodedata

    return any(ord(ch) > 0x1100 and unicodedata.east_asian_width(ch) in "WF" for ch in text)


def _flagged(text: str, bad: bool) -> str:
    return f'<font color="{FLAG}"><b>{_m(text)} ✗</b></font>' if bad else _m(text)


# The document ------------------------------------------------------------------------------

class _Report:
    """Builds the flowables of one report."""

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
        self.title = title or "Customer satisfaction report"
        self.width = 21.0 * cm - 2 * 2.0 * cm
        self.sections: list[str] = []
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
            "head": ParagraphStyle("head", parent=base, fontName=BOLD, fontSize=8.2,
                                   leading=10.2, spaceAfter=0, alignment=TA_LEFT),
            "headnum": ParagraphStyle("headnum", parent=base, fontName=BOLD, fontSize=8.2,
                                      leading=10.2, spaceAfter=0, alignment=TA_RIGHT),
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

        styles = self.s_cjk if _has_wide(text) else self.s
        return Paragraph(text if markup else _m(text), styles[style])

    def facts(self, rows: list[tuple[str, object]], widths=(1.3, 3.7)):
        """A two-column table of labelled facts, without a header row."""
        from reportlab.lib import colors
        from reportlab.platypus import Table

        total = sum(widths)
        data = [[self.P(key, "key"), self.P("—" if value is None else str(value), "cell")]
                for key, value in rows]
        table = Table(data, colWidths=[w * self.width / total for w in widths], hAlign="LEFT")
        table.setStyle(_table_style(
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
                text = cell if markup else _m(cell)
                if r in muted:
                    text = f'<font color="{MUTED}">{text}</font>'
                cells.append(self.P(text, "num" if i in numeric else "cell", markup=True))
            data.append(cells)
        table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
        table.setStyle(_table_style(
            [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(HEAD_BG)),
             ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.HexColor(ACCENT))], len(data), 2))
        return table

    def chart(self, figure, caption: str, max_height: float | None = None) -> list:
        """A matplotlib figure as a vector drawing scaled to the text width, kept on one page
        with its caption (and with a heading just before it)."""
        limit = max_height or 0.62 * 25.7 * 28.3465
        drawing = _figure_flowable(figure, self.width, limit)
        drawing.spaceBefore = 6
        drawing.keepWithNext = 1
        return [drawing, self.P(caption, "caption")]

    # sections

    def build(self) -> list:
        from reportlab.platypus import NextPageTemplate, PageBreak

        story = self.title_page()
        story += [NextPageTemplate("body"), PageBreak()]
        for part in (self.summary, self.structural, self.drivers, self.nonlinear,
                     self.measurement, self.data_quality, self.methods):
            flowables = part()
            if flowables:
                story += flowables
                story.append(PageBreak())
        if story and isinstance(story[-1], PageBreak):
            story.pop()
        return story

    def planned_sections(self) -> list[str]:
        names = ["Executive summary", "Structural model"]
        if self.doc.get("priorities"):
            names.append("Drivers and priorities")
        if self.doc.get("nonlinear"):
            names.append("Non-linear effects")
        names += ["Measurement model", "Data quality", "Methods"]
        return names

    def title_page(self) -> list:
        from reportlab.platypus import Spacer

        doc, data = self.doc, self.doc.get("data") or {}
        scale = self.settings.get("scale") or {}
        model = doc["model"]
        n_read = data.get("rows_read")
        used = f"{doc.get('n_obs', '—')}" + (f" of {n_read} rows read" if n_read is not None
                                            else "")
        dropped = data.get("rows_dropped_missing")
        if dropped:
            used += f" ({dropped} dropped for missing answers)"
        facts = [
            ("Survey file", str(doc.get("source", "—"))),
            ("Respondents used", used),
            ("Report date", self.today.isoformat()),
            ("Model", f"{model.get('name', '—')}: {len(self.constructs)} constructs, "
                      f"{len(model.get('paths', []))} paths"),
            ("Target", self.label(self.target) if self.target else "—"),
            ("Estimator", self.estimator_text()),
            ("Variant", self.variant_text()),
            ("Answer scale", f"{_g(scale.get('min'))}–{_g(scale.get('max'))}"
                             + (" (observed range)" if scale.get("from_data") else "")),
            ("Bootstrap", self.bootstrap_text()),
            ("csi version", str(doc.get("csi_version", "—"))),
        ]
        story = [Spacer(1, 60), self.P(self.title, "title"),
                 self.P(f"{self.label(self.target)}: index, drivers and priorities"
                        if self.target else "Index, drivers and priorities", "subtitle")]
        story.append(self.facts(facts))
        story.append(Spacer(1, 24))
        story.append(self.P("Contents", "h2"))
        for number, name in enumerate(self.planned_sections(), start=1):
            story.append(self.P(f"{number}. {name}", "body"))
        return story

    def estimator_text(self) -> str:
        s = self.settings
        name = ESTIMATORS.get(s.get("estimator", "pls"), str(s.get("estimator", "pls")))
        weighting = f"{s.get('scheme', 'path')} weighting scheme"
        items = "standardized" if s.get("standardized", True) else "unstandardized (centred)"
        return f"{name}, {weighting}, {items} indicators"

    def variant_text(self) -> str:
        block = self.doc.get("nonlinear")
        model = (self.doc.get("priority_settings") or {}).get("model", "linear")
        if block:
            return f"non-linear ({self.knot_text()}); priorities from the {model} model"
        return f"{model} structural model"

    def bootstrap_text(self) -> str:
        b = self.boot
        if not b:
            return "none: estimates without intervals or significance"
        return (f"{b.get('n_used', '—')} of {b.get('n_requested', '—')} resamples used, "
                f"{b.get('ci_method', 'percentile')} {self.level_text} intervals, "
                f"seed {b.get('seed', '—')}")

    def summary(self) -> list:
        from csi.drivers.priorities import Priorities, sentences

        doc = self.doc
        story = [self.heading("Executive summary")]
        index = doc.get("index") or {}
        row = index.get(self.target) or {}
        score = _num(row.get("score"))
        if score is not None:
            text = f"{self.label(self.target)}: {score:.1f}"
            if _num(row.get("ci_low")) is not None:
                text += f" ({self.level_text} CI {_ci(row, 1)})"
            story.append(self.P(text, "headline"))
        scale = self.settings.get("scale") or {}
        n_items = next((len(c.get("indicators", [])) for c in doc["model"]["constructs"]
                        if c["name"] == self.target), 0)
        explain = (f"Indices run from 0 to 100. Each is a weighted average of its questions' "
                   f"answers, rescaled from the {_g(scale.get('min'))}–{_g(scale.get('max'))} "
                   f"answer scale; {self.label(self.target)} is measured by {n_items} "
                   f"question{'s' if n_items != 1 else ''} and based on {doc.get('n_obs')} "
                   "respondents.")
        r2 = _num((doc.get("r2") or {}).get(self.target))
        if r2 is not None:
            explain += (f" The model explains {r2:.0%} of the differences between respondents "
                        f"in {self.label(self.target)} (R² {r2:.2f}).")
        story.append(self.P(explain))
        has_ci = any(_num(v.get("ci_low")) is not None for v in index.values())
        rows = []
        for name in self.constructs:
            if name not in index:
                continue
            cells = [self.label(name), _f(index[name].get("score"), 1)]
            if has_ci:
                cells.append(_ci(index[name], 1))
            rows.append(cells)
        header = ["Construct", "Index"] + ([f"{self.level_text} CI"] if has_ci else [])
        story.append(self.sub("Indices"))
        story.append(self.table(header, rows, [3.2, 1, 1.3][: len(header)], numeric={1, 2}))
        story.extend(self.chart(charts.index_chart(doc, self.label),
                                "Every construct's index (0–100)"
                                + (f" with its {self.level_text} bootstrap interval" if has_ci
                                   else "") + f"; {self.label(self.target)} highlighted."))
        if doc.get("priorities"):
            story.append(self.sub("What to improve first"))
            for number, sentence in enumerate(sentences(Priorities.from_dict(doc), self.label),
                                              start=1):
                story.append(self.P(f"{number}. {sentence}", "item"))
        notes = self.notes()
        if notes:
            story.append(self.P(f"{len(notes)} note{'s' if len(notes) != 1 else ''} on the data "
                                f"or the fit: see section {self._number_of('Data quality')}.",
                                "small"))
        return story

    def _number_of(self, name: str) -> int:
        return self.planned_sections().index(name) + 1

    def structural(self) -> list:
        doc = self.doc
        story = [self.heading("Structural model")]
        significance = (f"Solid dark arrows are significant (the {self.level_text} bootstrap "
                        "interval excludes zero); dashed grey arrows are not"
                        if self.boot else "Without a bootstrap, significance is not known")
        story.extend(self.chart(
            charts.path_diagram(doc, self.label),
            "Path diagram. Numbers on arrows are standardized path coefficients (the change in "
            "the target construct, in standard deviations, per standard deviation of the "
            f"source); arrow width grows with the coefficient. {significance}. Each box shows "
            "the construct's index and, for constructs the model explains, R².",
            max_height=0.45 * 25.7 * 28.3465))
        has_ci = any(_num(p.get("ci_low")) is not None for p in doc.get("paths", []))
        header = ["From", "To", "Path"] + ([f"{self.level_text} CI", "p"] if has_ci else [])
        rows, muted = [], set()
        for i, p in enumerate(doc.get("paths", [])):
            cells = [self.label(p["from"]), self.label(p["to"]), _f(p.get("estimate"))]
            if has_ci:
                cells += [_ci(p, 3), _p(p.get("p"))]
                if charts._significant(p) is False:
                    muted.add(i)
                    cells[2] += " (n.s.)"
            rows.append(cells)
        story.append(self.sub("Path coefficients"))
        story.append(self.table(header, rows, [2.4, 2.4, 1.2, 1.5, 0.8][: len(header)],
                                numeric={2, 3, 4}, muted=muted))
        if has_ci:
            story.append(self.P("n.s.: not significant; grey rows.", "small"))
        r2_rows = [[self.label(c), _f(v), _f((doc.get("r2_adj") or {}).get(c))]
                   for c, v in (doc.get("r2") or {}).items()]
        if r2_rows:
            story.append(self.sub("Explained variance"))
            story.append(self.table(["Construct", "R²", "Adjusted R²"], r2_rows, [3, 1, 1],
                                    numeric={1, 2}))
        return story

    def drivers(self) -> list:
        doc = self.doc
        if not doc.get("priorities"):
            return []
        settings = doc.get("priority_settings") or {}
        target = self.label(self.target)
        story = [self.heading("Drivers and priorities")]
        story.append(self.P(
            f"Drivers of {target} ({settings.get('target_reason', 'the target')}; "
            f"{settings.get('model', 'linear')} model). Importance is a driver's total effect "
            f"on {target}: the index points {target} gains per index point of the driver, "
            "directly and through the constructs in between. Performance is the driver's "
            "index. The priority score, importance × (100 − performance), is the number of "
            f"points {target} could gain; drivers are ranked by it."))
        importance = {r["driver"]: r for r in doc.get("importance") or []}
        has_ci = self.level is not None and any(
            _num(r.get("impact_5pt_ci_low")) is not None for r in importance.values())
        header = ["#", "Driver", "+5 lifts target by" + (f" ({self.level_text} CI)"
                                                         if has_ci else ""),
                  "Perf.", "Quadrant"] + (["Top 1", "Top 3"] if has_ci else [])
        rows, muted = [], set()
        for i, row in enumerate(sorted(doc["priorities"], key=lambda p: p["rank"])):
            info = importance.get(row["driver"], {})
            impact = f"{_num(info.get('impact_5pt')) or 0:+.2f}"
            if has_ci:
                impact += f" ({_ci(info, 2, 'impact_5pt_ci_low', 'impact_5pt_ci_high')})"
            driver = _m(self.label(row["driver"]))
            if row.get("negative"):
                driver += f' <font color="{FLAG}">(negative effect)</font>'
            elif has_ci and row.get("significant") is False:
                driver += " (not significant)"
                muted.add(i)
            cells = [str(row["rank"]), driver, _m(impact), _f(info.get("performance"), 1),
                     _m(row.get("quadrant", ""))]
            if has_ci:
                cells += [_m(_share(row.get("p_top1"))), _m(_share(row.get("p_top3")))]
            rows.append(cells)
        story.append(self.table(header, rows, [0.3, 2.1, 1.8, 0.6, 1.85, 0.6, 0.6][: len(header)],
                                numeric={0, 2, 3, 5, 6}, markup=True, muted=muted))
        if has_ci:
            story.append(self.P(
                "Top 1 / Top 3: the share of bootstrap resamples in which the driver is the top "
                "priority / among the top three; how stable the ranking is.", "small"))
        story.append(self.sub("Impact of each driver"))
        story.extend(self.chart(
            charts.importance_bars(doc, self.label),
            f"Index points {target} gains when a driver's index rises by 5 points"
            + (f", with {self.level_text} bootstrap intervals; grey bars are not significant"
               if has_ci else "") + "."))
        story.append(self.sub("Importance–performance map"))
        story.extend(self.chart(
            charts.ipma_map(doc, self.label),
            "Importance–performance map. Quadrants: "
            + str(settings.get("quadrant_rule", "split at the drivers' means")) + ". "
            "Concentrate here: important drivers that perform below average."
            + (f" Lines show {self.level_text} bootstrap intervals." if has_ci else "")))
        tops = charts.top_drivers(doc)
        if tops:
            story.append(self.sub("Questions of the top drivers"))
            story.extend(self.chart(
                charts.indicator_ipma(doc, self.label, tops),
                "Question-level importance–performance map of the top "
                f"{len(tops)} driver{'s' if len(tops) != 1 else ''}: each question's total "
                f"effect on {target} (its weight in the driver's index times the driver's "
                "importance) against its mean answer on 0–100."))
            items = [r for r in doc.get("indicator_importance") or [] if r["construct"] in tops]
            item_ci = any(_num(r.get("importance_ci_low")) is not None for r in items)
            header = ["Driver", "Question" if any(self.label.question(r["indicator"])
                                                  for r in items) else "Item",
                      "Importance", "Performance"]
            rows = []
            for r in sorted(items, key=lambda r: (tops.index(r["construct"]),
                                                  -(_num(r.get("importance")) or 0))):
                question = self.label.question(r["indicator"])
                name = r["indicator"] + (f": {question}" if question else "")
                imp = _f(r.get("importance"), 3)
                perf = _f(r.get("performance"), 1)
                if item_ci:
                    imp += f" ({_ci(r, 3, 'importance_ci_low', 'importance_ci_high')})"
                    perf += f" ({_ci(r, 1, 'performance_ci_low', 'performance_ci_high')})"
                rows.append([self.label(r["construct"]), name, imp, perf])
            story.append(self.table(header, rows, [1.8, 2.8, 1.5, 1.4], numeric={2, 3}))
            if item_ci:
                story.append(self.P(f"In brackets: {self.level_text} bootstrap intervals.",
                                    "small"))
        return story

    def nonlinear(self) -> list:
        block = self.doc.get("nonlinear")
        if not block:
            return []
        story = [self.heading("Non-linear effects")]
        target = self.label(self.target)
        story.append(self.P(
            f"The non-linear variant ({self.knot_text()}) lets each structural effect differ "
            "below and above a knot on the driver's 0–100 index, so an effect can be stronger "
            "for dissatisfied customers (a basic need: poor performance hurts more than good "
            "performance pleases), the same on both sides (a performance factor), or stronger "
            "for satisfied ones (an excitement factor), as in Kano's model of quality "
            "(Kano et al. 1984)."))
        drawn = charts.nonlinear_paths(self.doc)
        if drawn:
            story.extend(self.chart(
                charts.nonlinear_curves(self.doc, self.label),
                "Estimated response curves of "
                + (target if all(p.get("to") == self.target for p in drawn) else "each outcome")
                + " against each driver's index; dotted line: the knot. In brackets: the "
                  "driver's Kano class."))
        drivers = block.get("drivers") or []
        if drivers:
            has_ci = any(_num(d.get("impact_5pt_ci_low")) is not None for d in drivers)
            rows = []
            for d in drivers:
                impact = _f(d.get("impact_5pt"), 2)
                if has_ci:
                    impact += f" ({_ci(d, 2, 'impact_5pt_ci_low', 'impact_5pt_ci_high')})"
                rows.append([self.label(d.get("driver", "")), str(d.get("kano_class") or "—"),
                             _share(d.get("p_basic")), _share(d.get("p_performance")),
                             _share(d.get("p_excitement")), _f(d.get("marginal_effect")),
                             impact])
            story.append(self.sub(f"Kano classes of the drivers of {target}"))
            story.append(self.table(["Driver", "Class", "P(basic)", "P(perf.)", "P(excit.)",
                                     "Marginal effect", "+5 lifts target by"], rows,
                                    [1.9, 1.15, 0.8, 0.8, 0.85, 0.95, 1.6],
                                    numeric={2, 3, 4, 5, 6}))
            story.append(self.P(
                "P(...): the share of bootstrap resamples that put the driver in each class; "
                "— : not classified. Marginal effect: points of the target per point of the "
                "driver at its current level.", "small"))
        paths = block.get("paths") or []
        if paths:
            has_ci = any(_num(p.get("slope_low_ci_low")) is not None for p in paths)
            rows = []
            for p in paths:
                below, above = _f(p.get("slope_low")), _f(p.get("slope_high"))
                if has_ci:
                    below += f" ({_ci(p, 2, 'slope_low_ci_low', 'slope_low_ci_high')})"
                    above += f" ({_ci(p, 2, 'slope_high_ci_low', 'slope_high_ci_high')})"
                rows.append([f"{self.label(p['from'])} → {self.label(p['to'])}", below, above,
                             _f(p.get("asymmetry"), 2), _f(p.get("turning_point"), 1)])
            story.append(self.sub("Slopes below and above the knot"))
            story.append(self.table(["Path", "Slope below", "Slope above", "Asymmetry",
                                     "Turning point"], rows, [2.8, 1.5, 1.5, 0.9, 0.9],
                                    numeric={1, 2, 3, 4}))
            if has_ci:
                story.append(self.P(f"In brackets: {self.level_text} bootstrap intervals.",
                                    "small"))
        comparison = block.get("comparison") or {}
        if comparison:
            story.append(self.sub("Linear or non-linear?"))
            rows = [["R² of " + self.label(comparison.get("target") or self.target or ""),
                     _f(comparison.get("r2_linear")), _f(comparison.get("r2_nonlinear"))],
                    ["Cross-validated R²", _f(comparison.get("cv_r2_linear")),
                     _f(comparison.get("cv_r2_nonlinear"))]]
            story.append(self.table(["", "Linear", "Non-linear"], rows, [2.5, 1, 1],
                                    numeric={1, 2}))
            if comparison.get("verdict"):
                story.append(self.P(str(comparison["verdict"])))
            elif comparison.get("preferred"):
                story.append(self.P(f"Preferred model: {comparison['preferred']}."))
        for note in block.get("notes") or []:
            story.append(self.P(f"Note: {note}", "small"))
        return story

    def knot_text(self) -> str:
        knot = (self.doc.get("nonlinear") or {}).get("knot")
        if knot is None:
            return "knot not recorded"
        number = _num(knot)
        return f"knot at {number:g}" if number is not None else f"knot: {knot}"

    def measurement(self) -> list:
        doc = self.doc
        story = [self.heading("Measurement model")]
        loadings = {(r["construct"], r["indicator"]): r for r in doc.get("loadings") or []}
        weights = {(r["construct"], r["indicator"]): r for r in doc.get("weights") or []}
        modes = {c["name"]: c.get("mode", "A") for c in doc["model"]["constructs"]}
        flags = 0
        rows = []
        for c in doc["model"]["constructs"]:
            for item in c.get("indicators", []):
                key = (c["name"], item)
                loading = _num((loadings.get(key) or {}).get("estimate"))
                low = (modes[c["name"]] == "A" and loading is not None
                       and len(c.get("indicators", [])) > 1 and abs(loading) < LOADING_MIN)
                flags += low
                question = self.label.question(item)
                rows.append([_m(self.label(c["name"])),
                             _m(item + (f": {question}" if question else "")),
                             _m(_f((weights.get(key) or {}).get("estimate"))),
                             _flagged(_f(loading), low)])
        story.append(self.sub("Loadings and weights"))
        story.append(self.P(
            "Loadings are each question's correlation with its construct; weights are its "
            f"share in the construct's score. Flagged (✗): loading below {LOADING_MIN} on a "
            "reflective construct with several questions.", "lead"))
        has_questions = any(self.label.question(i) for i in self.label.indicators)
        story.append(self.table(["Construct", "Question" if has_questions else "Item",
                                 "Weight", "Loading"], rows,
                                [1.8, 3.6, 0.8, 0.9], numeric={2, 3}, markup=True))
        reliability = doc.get("reliability") or {}
        rows = []
        for name in self.constructs:
            r = reliability.get(name)
            if not r:
                continue
            rho_c, ave = _num(r.get("rho_c")), _num(r.get("ave"))
            bad_rho, bad_ave = rho_c is not None and rho_c < RHO_C_MIN, \
                ave is not None and ave < AVE_MIN
            flags += bad_rho + bad_ave
            rows.append([_m(self.label(name)), _m(_f(r.get("alpha"))), _m(_f(r.get("rho_a"))),
                         _flagged(_f(rho_c), bad_rho), _flagged(_f(ave), bad_ave)])
        if rows:
            story.append(self.sub("Reliability and convergent validity"))
            story.append(self.P(f"Flagged (✗): rho_C below {RHO_C_MIN} (composite reliability) "
                                f"or AVE below {AVE_MIN} (average variance extracted).",
                                "lead"))
            story.append(self.table(["Construct", "alpha", "rho_A", "rho_C", "AVE"], rows,
                                    [3, 1, 1, 1, 1], numeric={1, 2, 3, 4}, markup=True))
        htmt = doc.get("htmt") or []
        if htmt:
            value = {frozenset((r["a"], r["b"])): _num(r.get("value")) for r in htmt}
            names = [c for c in self.constructs if any(c in pair for pair in value)]
            rows = []
            for i, a in enumerate(names):
                cells = [_m(f"{i + 1}. {self.label(a)}")]
                for j, b in enumerate(names[:-1]):
                    v = value.get(frozenset((a, b))) if j < i else None
                    bad = v is not None and v > HTMT_MAX
                    flags += bad
                    cells.append(_flagged(_f(v), bad) if v is not None else
                                 ("—" if j == i else ""))
                rows.append(cells)
            story.append(self.sub("Discriminant validity (HTMT)"))
            story.append(self.P(
                "Heterotrait–monotrait ratio of correlations between constructs (columns numbered "
                f"as the rows). Flagged (✗): above {HTMT_MAX}, where two constructs may not be "
                "distinct.", "lead"))
            story.append(self.table([""] + [str(j + 1) for j in range(len(names) - 1)], rows,
                                    [2.6] + [0.75] * (len(names) - 1),
                                    numeric=set(range(1, len(names))), markup=True))
        vif = doc.get("vif") or []
        if vif:
            rows = []
            for r in vif:
                v = _num(r.get("value"))
                bad = v is not None and v > VIF_MAX
                flags += bad
                rows.append([_m(self.label(r["from"])), _m(self.label(r["to"])),
                             _flagged(_f(v, 2), bad)])
            story.append(self.sub("Collinearity of the structural model (VIF)"))
            story.append(self.P(f"Flagged (✗): VIF above {VIF_MAX:g}.", "lead"))
            story.append(self.table(["Predictor", "Of", "VIF"], rows, [2.5, 2.5, 1],
                                    numeric={2}, markup=True))
        story.insert(1, self.P(
            f"{flags} quality flag{'s' if flags != 1 else ''} in this section."
            if flags else "No quality flags in this section.", "body"))
        return story

    def notes(self) -> list[str]:
        seen, out = set(), []
        quality = self.doc.get("data_quality") or {}
        for message in [*(self.doc.get("warnings") or []), *(quality.get("warnings") or [])]:
            if message and message not in seen:
                seen.add(message)
                out.append(str(message))
        return out

    def data_quality(self) -> list:
        doc = self.doc
        data = doc.get("data") or {}
        quality = doc.get("data_quality") or {}
        story = [self.heading("Data quality")]
        missing = quality.get("missing") or {}
        straight = quality.get("straightliners") or {}
        duplicates = quality.get("duplicate_ids") or {}
        scale = self.settings.get("scale") or {}
        method = data.get("missing", missing.get("method", "listwise"))
        dropped = data.get("rows_dropped_missing", missing.get("rows_dropped", 0))
        imputed = data.get("cells_imputed") or missing.get("cells_imputed")
        facts = [
            ("Rows read", data.get("rows_read", quality.get("rows_read"))),
            ("Rows used", data.get("rows_used", quality.get("rows_used", doc.get("n_obs")))),
            ("Missing answers", f"{method}: {dropped} rows dropped"
                                + (f", {imputed} answers imputed" if imputed else "")),
        ]
        if straight:
            facts.append(("Straight-liners", f"{straight.get('count', 0)}"
                          + (" (dropped)" if straight.get("dropped") and straight.get("count")
                             else "")))
        elif "rows_dropped_straightliners" in data:
            facts.append(("Straight-liners dropped", data["rows_dropped_straightliners"]))
        if duplicates.get("column"):
            facts.append(("Duplicate respondent IDs",
                          f"{duplicates.get('count', 0)} (column {duplicates['column']})"))
        for key, name in (("constant_items", "Constant questions"),
                          ("few_distinct_items", "Questions with few distinct answers")):
            if quality.get(key):
                facts.append((name, ", ".join(quality[key])))
        facts.append(("Answer scale", f"{_g(scale.get('min'))}–{_g(scale.get('max'))}"
                      + (" (observed range: set --scale)" if scale.get("from_data") else "")))
        if data.get("item_scales"):
            facts.append(("Questions on other scales", ", ".join(
                f"{k} {_g(v[0])}–{_g(v[1])}" for k, v in data["item_scales"].items())))
        if data.get("weights"):
            facts.append(("Survey weights", f"column {data['weights']}"))
        reading = [str(data[k]) for k in ("format", "encoding", "layout") if data.get(k)]
        if reading:
            facts.append(("File read as", ", ".join(reading)))
        story.append(self.facts(facts))
        story.append(self.sub("Answers per question"))
        items = [i for i in quality.get("items") or [] if isinstance(i, dict)
                 and i.get("indicator")]
        rows_read = data.get("rows_read") or quality.get("rows_read") or doc.get("n_obs") or 0
        questions = any(self.label.question(i) for i in self.label.indicators)
        if items:
            rows = []
            for item in items:
                pct = _num(item.get("missing_pct"))
                name = item["indicator"]
                question = self.label.question(name)
                rows.append([name + (f": {question}" if question else ""),
                             str(item.get("missing", 0)), "—" if pct is None else f"{pct:.1f}%",
                             _f(item.get("mean"), 2), _f(item.get("sd"), 2),
                             str(item.get("distinct", "—"))])
            story.append(self.table(["Question" if questions else "Item", "Missing", "%",
                                     "Mean", "SD", "Distinct"], rows,
                                    [3.6, 0.8, 0.7, 0.7, 0.6, 0.7], numeric={1, 2, 3, 4, 5}))
        else:
            cells = {k: int(v) for k, v in (data.get("missing_cells") or {}).items()}
            if cells and not any(cells.values()):
                story.append(self.P(f"No missing answers in any of the {len(cells)} questions."))
            elif cells:
                rows = []
                for name, n in cells.items():
                    question = self.label.question(name)
                    rows.append([name + (f": {question}" if question else ""), str(n),
                                 f"{100 * n / rows_read:.1f}%" if rows_read else "—"])
                story.append(self.table(["Question" if questions else "Item", "Missing", "%"],
                                        rows, [4.5, 0.9, 0.8], numeric={1, 2}))
        notes = self.notes()
        quality_notes = [n for n in quality.get("notes") or [] if n]
        if notes:
            story.append(self.sub("Points to check"))
            story += [self.P(f"• {n}", "item") for n in notes]
        if quality_notes:
            story.append(self.sub("What csi did with the data"))
            story += [self.P(f"• {n}", "item") for n in quality_notes]
        story.append(self.sub("Settings"))
        story.append(self.facts(self.settings_facts()))
        return story

    def settings_facts(self) -> list[tuple[str, object]]:
        s, doc = self.settings, self.doc
        priority = doc.get("priority_settings") or {}
        converged = doc.get("converged")
        facts = [
            ("Estimator", ESTIMATORS.get(s.get("estimator", "pls"), s.get("estimator"))),
            ("Weighting scheme", s.get("scheme")),
            ("Indicators", "standardized" if s.get("standardized", True)
             else "unstandardized (centred)"),
            ("Tolerance", s.get("tol")),
            ("Iteration limit", s.get("max_iter")),
            ("Converged", f"{'yes' if converged else 'NO'}, in {doc.get('iterations', '—')} "
                          "iterations" if converged is not None else None),
        ]
        if priority:
            facts.append(("Target of the priorities", f"{self.label(priority.get('target'))} "
                                                      f"({priority.get('target_reason', '')})"))
        facts.append(("Bootstrap", self.bootstrap_text()))
        return facts

    def methods(self) -> list:
        doc = self.doc
        s = self.settings
        story = [self.heading("Methods")]
        modes = {c.get("mode", "A") for c in doc["model"]["constructs"]}
        mode_text = {"A": "reflective (Mode A)", "B": "formative (Mode B)"}
        converged = doc.get("converged")
        story.append(self.sub("Estimation"))
        story.append(self.P(
            f"Estimator: {self.estimator_text()} (Lohmöller 1989; Tenenhaus et al. 2005). "
            f"Measurement: {', '.join(mode_text.get(m, m) for m in sorted(modes))}. "
            f"Convergence: largest change of any outer weight below {s.get('tol', '—')}, "
            f"within {s.get('max_iter', '—')} iterations; the estimation "
            + ("converged" if converged else "did NOT converge")
            + f" in {doc.get('iterations', '—')} iterations. Variant: {self.variant_text()}."))
        story.append(self.P(
            "Index: the indicator weights are unstandardized (weight / standard deviation), "
            "normalized to sum to 1 within each construct and applied to the questions' mean "
            "answers rescaled to 0–100 by the answer scale (Fornell et al. 1996)."))
        story.append(self.P(
            "Drivers: importance–performance map analysis (Ringle & Sarstedt 2016; Martilla & "
            "James 1977). Importance is the unstandardized total effect on the target's 0–100 "
            "score; impact is the target's change from a 5-point gain in the driver; the "
            "priority score is importance × (100 − performance)."))
        story.append(self.P(
            f"Quality thresholds: loadings ≥ {LOADING_MIN}, rho_C ≥ {RHO_C_MIN}, AVE ≥ {AVE_MIN} "
            f"(Fornell & Larcker 1981; Hair et al. 2017), HTMT ≤ {HTMT_MAX} (Henseler et al. "
            f"2015), structural VIF ≤ {VIF_MAX:g}."))
        story.append(self.sub("Bootstrap"))
        b = self.boot
        if b:
            story.append(self.facts([
                ("Resamples requested", b.get("n_requested")),
                ("Resamples used", b.get("n_used")),
                ("Failed resamples", b.get("n_failed")),
                ("Failed resamples were", b.get("on_failure")),
                ("Seed", b.get("seed")),
                ("Interval method", b.get("ci_method")),
                ("Confidence level", self.level_text or None),
                ("Sign changes", b.get("sign_change")),
            ]))
            story.append(self.P("Efron & Tibshirani (1993). The same seed reproduces every "
                                "interval and rank probability.", "small"))
        else:
            story.append(self.P("No bootstrap was run: the report shows point estimates only. "
                                "Run csi fit with --bootstrap N for intervals, significance and "
                                "the stability of the priority ranking."))
        story.append(self.sub("Software and data"))
        rows = [["csi version", doc.get("csi_version")], ["Result schema", doc.get("schema")],
                ["Survey file", doc.get("source")], ["Model", doc["model"].get("name")],
                ["Report date", self.today.isoformat()]]
        story.append(self.facts(rows))
        story.append(self.sub("References"))
        story += [self.P(ref, "ref") for ref in REFERENCES]
        return story


def _g(value) -> str:
    value = _num(value)
    return "—" if value is None else f"{value:g}"


# Page furniture ----------------------------------------------------------------------------

def _doc_template(buffer, report: _Report, doc: dict):
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import cm
    from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

    class Template(BaseDocTemplate):
        def afterFlowable(self, flowable):
            mark = getattr(flowable, "_bookmark", None)
            if mark:
                text, level = mark
                key = f"s{id(flowable)}"
                self.canv.bookmarkPage(key)
                self.canv.addOutlineEntry(text, key, level=level, closed=level > 0)

    margin = 2.0 * cm
    width, height = A4
    frame = Frame(margin, margin, width - 2 * margin, height - 2 * margin - 0.3 * cm, id="main",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)

    def body_page(canvas, _doc):
        canvas.saveState()
        canvas.setStrokeColor(colors.HexColor(RULE))
        canvas.setLineWidth(0.5)
        canvas.line(margin, height - margin + 0.2 * cm, width - margin, height - margin + 0.2 * cm)
        canvas.setFillColor(colors.HexColor(MUTED))
        _draw(canvas, margin, height - margin + 0.35 * cm, report.title, SANS, 8)
        _draw(canvas, width - margin, height - margin + 0.35 * cm, report.today.isoformat(),
              SANS, 8, "right")
        canvas.line(margin, margin - 0.45 * cm, width - margin, margin - 0.45 * cm)
        _draw(canvas, margin, margin - 0.85 * cm,
              f"csi {doc.get('csi_version', '')} · {Path(str(doc.get('source', ''))).name}",
              SANS, 7.5)
        canvas.restoreState()

    template = Template(
        buffer, pagesize=A4, leftMargin=margin, rightMargin=margin, topMargin=margin,
        bottomMargin=margin, title=report.title,
        author=f"csi {doc.get('csi_version', '')}",
        subject=f"{report.label(report.target) if report.target else 'Satisfaction'} index, "
                f"drivers and priorities from {doc.get('source', '')}",
        creator="csi",
        keywords=["customer satisfaction", "PLS path modeling", str(doc["model"].get("name"))],
    )
    template.addPageTemplates([PageTemplate("title", [frame]),
                               PageTemplate("body", [frame], onPage=body_page)])
    return template, margin


def _numbered_canvas(margin: float):
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import cm
    from reportlab.pdfgen.canvas import Canvas

    class NumberedCanvas(Canvas):
        """Defers each page until the end, to write "Page n of N"."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._saved_pages: list[dict] = []

        def showPage(self):
            self._saved_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._saved_pages)
            for state in self._saved_pages:
                self.__dict__.update(state)
                if self._pageNumber > 1:
                    self.saveState()
                    self.setFillColor(colors.HexColor(MUTED))
                    _draw(self, A4[0] - margin, margin - 0.85 * cm, f"Page {self._pageNumber} "
                          f"of {total}", SANS, 7.5, "right")
                    self.restoreState()
                super().showPage()
            super().save()

    return NumberedCanvas


# Charts ------------------------------------------------------------------------------------

def _font_for(prop) -> str:
    """The report font matching a matplotlib FontProperties' weight and style."""
    weight = prop.get_weight()
    bold = (weight if isinstance(weight, (int, float)) else
            {"semibold": 600, "demibold": 600, "demi": 600, "bold": 700, "heavy": 800,
             "extra bold": 800, "black": 900}.get(str(weight), 400)) >= 600
    italic = prop.get_style() in ("italic", "oblique")
    return {(False, False): SANS, (True, False): BOLD, (False, True): ITALIC,
            (True, True): BOLD_ITALIC}[(bold, italic)]


def _text_width(text: str, font: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return sum(stringWidth(run, CJK if fallback else _font(font), size)
               for run, fallback in _runs(text, font))


@functools.cache
def _renderer_type():
    """A matplotlib renderer that draws onto a reportlab canvas (built on first use, so the
    module imports without matplotlib)."""
    from matplotlib.backend_bases import RendererBase
    from matplotlib.path import Path as MplPath
    from reportlab.pdfgen.canvas import FILL_NON_ZERO

    caps = {"butt": 0, "round": 1, "projecting": 2}
    joins = {"miter": 0, "round": 1, "bevel": 2}

    class CanvasRenderer(RendererBase):
        """Paths become PDF paths, text becomes PDF text in the report's fonts (DejaVu Sans
        with the CJK fallback), at 1 display unit = 1 point; y grows upwards as in PDF."""

        def __init__(self, canvas, width: float, height: float):
            super().__init__()
            self.canvas = canvas
            self.width, self.height = width, height

        def flipy(self):
            return False

        def get_canvas_width_height(self):
            return self.width, self.height

        def points_to_pixels(self, points):
            return points

        def option_image_nocomposite(self):
            return True

        def _path(self, path, transform):
            pdf_path = self.canvas.beginPath()
            last = None
            empty = True
            for vertices, code in path.iter_segments(transform, remove_nans=True,
                                                     simplify=False, curves=True):
                if code == MplPath.MOVETO:
                    pdf_path.moveTo(*vertices[-2:])
                elif code == MplPath.LINETO:
                    pdf_path.lineTo(*vertices[-2:])
                elif code == MplPath.CURVE3 and last is not None:
                    (qx, qy, x, y), (lx, ly) = vertices, last
                    pdf_path.curveTo(lx + 2 / 3 * (qx - lx), ly + 2 / 3 * (qy - ly),
                                     x + 2 / 3 * (qx - x), y + 2 / 3 * (qy - y), x, y)
                elif code == MplPath.CURVE4:
                    pdf_path.curveTo(*vertices)
                elif code == MplPath.CLOSEPOLY:
                    pdf_path.close()
                    continue
                else:
                    continue
                last = tuple(vertices[-2:])
                empty = False
            return None if empty else pdf_path

        def _clip(self, gc) -> None:
            rectangle = gc.get_clip_rectangle()
            if rectangle is not None:
                x0, y0, w, h = rectangle.bounds
                clip = self.canvas.beginPath()
                clip.rect(x0, y0, w, h)
                self.canvas.clipPath(clip, stroke=0, fill=0)
            path, affine = gc.get_clip_path()
            if path is not None:
                clip = self._path(path, affine)
                if clip is not None:
                    self.canvas.clipPath(clip, stroke=0, fill=0, fillMode=FILL_NON_ZERO)

        def draw_path(self, gc, path, transform, rgbFace=None):
            rgba = gc.get_rgb()
            stroke = gc.get_linewidth() > 0 and rgba is not None and rgba[3] > 0
            fill_alpha = 0.0
            if rgbFace is not None:
                fill_alpha = (gc.get_alpha() if gc.get_forced_alpha()
                              else rgbFace[3] if len(rgbFace) > 3 else 1.0)
            fill = rgbFace is not None and fill_alpha > 0
            if not (stroke or fill):
                return
            pdf_path = self._path(path, transform)
            if pdf_path is None:
                return
            canvas = self.canvas
            canvas.saveState()
            self._clip(gc)
            if stroke:
                canvas.setStrokeColorRGB(*rgba[:3], alpha=rgba[3])
                canvas.setLineWidth(gc.get_linewidth())
                canvas.setLineCap(caps.get(gc.get_capstyle(), 0))
                canvas.setLineJoin(joins.get(gc.get_joinstyle(), 0))
                offset, dashes = gc.get_dashes()
                if dashes is not None and len(dashes):
                    canvas.setDash([float(d) for d in dashes], float(offset or 0))
            if fill:
                canvas.setFillColorRGB(*rgbFace[:3], alpha=fill_alpha)
            canvas.drawPath(pdf_path, stroke=int(stroke), fill=int(fill),
                            fillMode=FILL_NON_ZERO)
            canvas.restoreState()

        def draw_image(self, gc, x, y, im, transform=None):
            from PIL import Image
            from reportlab.lib.utils import ImageReader

            height, width = im.shape[:2]
            self.canvas.saveState()
            self._clip(gc)
            self.canvas.drawImage(ImageReader(Image.fromarray(im, "RGBA")), x, y, width,
                                  height, mask="auto")
            self.canvas.restoreState()

        def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
            if ismath:
                return self._draw_text_as_path(gc, x, y, s, prop, angle, ismath, mtext)
            rgba = gc.get_rgb()
            canvas = self.canvas
            canvas.saveState()
            self._clip(gc)
            canvas.setFillColorRGB(*rgba[:3], alpha=rgba[3])
            canvas.translate(x, y)
            if angle:
                canvas.rotate(angle)
            _draw(canvas, 0, 0, s, _font_for(prop), prop.get_size_in_points())
            canvas.restoreState()

        def get_text_width_height_descent(self, s, prop, ismath):
            width, height, descent = super().get_text_width_height_descent(s, prop, ismath)
            if ismath:
                return width, height, descent
            return _text_width(s, _font_for(prop), prop.get_size_in_points()), height, descent

    return CanvasRenderer


@functools.cache
def _figure_flowable_type():
    from reportlab.platypus import Flowable

    class FigureFlowable(Flowable):
        """A matplotlib figure drawn as vector graphics, scaled down to fit a box."""

        def __init__(self, figure, max_width: float, max_height: float):
            super().__init__()
            self.figure = figure
            w, h = (float(v) * 72.0 for v in figure.get_size_inches())
            self.figure_size = (w, h)
            self.factor = min(1.0, max_width / w, max_height / h)
            self.width, self.height = w * self.factor, h * self.factor
            self.hAlign = "CENTER"

        def wrap(self, available_width, available_height):
            return self.width, self.height

        def draw(self):
            canvas = self.canv
            canvas.saveState()
            canvas.scale(self.factor, self.factor)
            renderer = _renderer_type()(canvas, *self.figure_size)
            with charts.style():
                self.figure.draw(renderer)
            canvas.restoreState()

    return FigureFlowable


def _figure_flowable(figure, max_width: float, max_height: float):
    """A flowable that draws `figure` as vector graphics, at most max_width x max_height."""
    return _figure_flowable_type()(figure, max_width, max_height)


# Entry points ------------------------------------------------------------------------------

def render(doc, *, title: str | None = None, labels: dict[str, str] | None = None,
           today: _dt.date | None = None) -> tuple[bytes, int]:
    """The report of a fit as PDF bytes, and its page count. `doc` is the `csi.fit` dict (or a
    Result, whose to_dict() is used); `labels` maps construct and indicator names to labels."""
    if hasattr(doc, "to_dict"):
        doc = doc.to_dict()
    _check(doc)
    _register_fonts()
    report = _Report(doc, Labels(doc, labels), title, today or _dt.date.today())
    buffer = io.BytesIO()
    template, margin = _doc_template(buffer, report, doc)
    story = report.build()
    template.build(story, canvasmaker=_numbered_canvas(margin))
    return buffer.getvalue(), template.page


def figure_pdf(figure) -> bytes:
    """One matplotlib figure as a one-page PDF, drawn as in the reports (for checks and
    exports)."""
    from reportlab.pdfgen.canvas import Canvas

    _register_fonts()
    flowable = _figure_flowable(figure, 1e6, 1e6)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(flowable.width, flowable.height))
    flowable.drawOn(canvas, 0, 0)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def write(doc, path: str | Path, *, title: str | None = None,
          labels: dict[str, str] | None = None, today: _dt.date | None = None) -> ReportInfo:
    """Render the report and write it to `path` atomically."""
    payload, pages = render(doc, title=title, labels=labels, today=today)
    write_atomic(path, payload)
    return ReportInfo(path=str(path), pages=pages, size=len(payload))


def _check(doc) -> None:
    from csi.errors import DataError

    if not isinstance(doc, dict):
        raise DataError("a report needs a csi fit result (a JSON object)")
    missing = [key for key in ("model", "index", "paths") if key not in doc]
    if missing:
        raise DataError(f"the result has no {', '.join(repr(k) for k in missing)}: "
                        "not a complete csi fit result")
    if not (doc.get("model") or {}).get("constructs"):
        raise DataError("the result's model has no constructs")
