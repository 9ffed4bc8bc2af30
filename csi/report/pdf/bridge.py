"""The matplotlib -> reportlab bridge: a small matplotlib renderer that draws a figure straight
onto a reportlab canvas, so charts are vector graphics whose lines are PDF paths and whose
labels are PDF text in the report's fonts (searchable, with the same glyphs as the tables).
Both libraries are imported on first use, so this module imports without them."""

from __future__ import annotations

import functools
import io

from csi.report import charts
from csi.report.pdf.fonts import BOLD, BOLD_ITALIC, ITALIC, SANS, draw, register, text_width


def _font_for(prop) -> str:
    """The report font matching a matplotlib FontProperties' weight and style."""
    weight = prop.get_weight()
    bold = (weight if isinstance(weight, (int, float)) else
            {"semibold": 600, "demibold": 600, "demi": 600, "bold": 700, "heavy": 800,
             "extra bold": 800, "black": 900}.get(str(weight), 400)) >= 600
    italic = prop.get_style() in ("italic", "oblique")
    return {(False, False): SANS, (True, False): BOLD, (False, True): ITALIC,
            (True, True): BOLD_ITALIC}[(bold, italic)]


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
            draw(canvas, 0, 0, s, _font_for(prop), prop.get_size_in_points())
            canvas.restoreState()

        def get_text_width_height_descent(self, s, prop, ismath):
            width, height, descent = super().get_text_width_height_descent(s, prop, ismath)
            if ismath:
                return width, height, descent
            return text_width(s, _font_for(prop), prop.get_size_in_points()), height, descent

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


def figure_flowable(figure, max_width: float, max_height: float):
    """A flowable that draws `figure` as vector graphics, at most max_width x max_height."""
    return _figure_flowable_type()(figure, max_width, max_height)


def figure_pdf(figure) -> bytes:
    """One matplotlib figure as a one-page PDF, drawn as in the reports (for checks and
    exports)."""
    from reportlab.pdfgen.canvas import Canvas

    register()
    flowable = figure_flowable(figure, 1e6, 1e6)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(flowable.width, flowable.height))
    flowable.drawOn(canvas, 0, 0)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
