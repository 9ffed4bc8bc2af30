"""The document: page templates (title page, body pages with header and footer, "Page n of
N"), the PDF outline, the build of a report from a saved fit, and the atomic write.

Built with reportlab's platypus: flowing text, tables that repeat their header, page numbers
and a PDF outline. The report is rendered from the `csi.fit` JSON dict, never by refitting.
"""

from __future__ import annotations

import datetime as _dt
import io
from dataclasses import dataclass
from pathlib import Path

from csi.jsonio import write_atomic
from csi.report import i18n
from csi.report.i18n import _
from csi.report.labels import Labels
from csi.report.pdf import fonts, sections
from csi.report.pdf.fonts import SANS, draw
from csi.report.pdf.layout import MUTED, RULE, Report


@dataclass(frozen=True)
class ReportInfo:
    """What `write` produced."""

    path: str
    pages: int
    size: int


def _doc_template(buffer, report: Report, doc: dict):
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
        draw(canvas, margin, height - margin + 0.35 * cm, report.title, SANS, 8)
        draw(canvas, width - margin, height - margin + 0.35 * cm, report.today.isoformat(),
              SANS, 8, "right")
        canvas.line(margin, margin - 0.45 * cm, width - margin, margin - 0.45 * cm)
        draw(canvas, margin, margin - 0.85 * cm,
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

    page_text = _("Page {n} of {total}")

    class NumberedCanvas(Canvas):
        """Defers each page until the end, to write "Page n of N"."""

        _page_text = page_text

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
                    draw(self, A4[0] - margin, margin - 0.85 * cm,
                         self._page_text.format(n=self._pageNumber, total=total), SANS, 7.5,
                         "right")
                    self.restoreState()
                super().showPage()
            super().save()

    return NumberedCanvas


def render(doc, *, title: str | None = None, labels: dict[str, str] | None = None,
           today: _dt.date | None = None, lang: str | None = None,
           waves: list[tuple[str, dict]] | None = None,
           scenarios: list[tuple[str, dict]] | None = None,
           latent: tuple[str, dict] | None = None) -> tuple[bytes, int]:
    """The report of a fit as PDF bytes, and its page count. `doc` is the `csi.fit` dict (or a
    Result, whose to_dict() is used); `labels` maps construct and indicator names to labels;
    `lang` is the report's language (csi.report.i18n; default CSI_LANG, else English);
    `waves`, (label, document) for each wave in order, adds the trend section first (`doc`
    is then the latest wave); `scenarios`, (file, document) of `csi simulate` / `csi plan`
    results of this fit, adds the Scenarios section; `latent`, (file, document) of a
    `csi latent` result of the same model and survey, the Hidden segments section. A
    document of another fit is refused (ModelError naming its file)."""
    from csi.decisions.scenarios import check_belongs as check_scenario
    from csi.multi.latent_document import check_belongs as check_latent

    if hasattr(doc, "to_dict"):
        doc = doc.to_dict()
    _check(doc)
    for _label, wave in waves or []:
        _check(wave)
    for name, scenario in scenarios or []:
        check_scenario(doc, scenario, name)
    if latent is not None:
        check_latent(doc, latent[1], latent[0])
    with i18n.use(lang):
        fonts.register()
        report = Report(doc, Labels(doc, labels), title, today or _dt.date.today())
        report.scenarios = list(scenarios or [])
        report.latent = latent
        buffer = io.BytesIO()
        template, margin = _doc_template(buffer, report, doc)
        story = sections.build(report, waves=waves)
        template.build(story, canvasmaker=_numbered_canvas(margin))
    return buffer.getvalue(), template.page


def write(doc, path: str | Path, *, title: str | None = None,
          labels: dict[str, str] | None = None, today: _dt.date | None = None,
          lang: str | None = None, waves: list[tuple[str, dict]] | None = None,
          scenarios: list[tuple[str, dict]] | None = None,
          latent: tuple[str, dict] | None = None) -> ReportInfo:
    """Render the report and write it to `path` atomically."""
    payload, pages = render(doc, title=title, labels=labels, today=today, lang=lang,
                            waves=waves, scenarios=scenarios, latent=latent)
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
