"""The figures of a PDF report, drawn with matplotlib from a saved result (the `csi.fit` dict).

Every function takes the result document and a label function (name -> label, see
csi.report.labels) and returns a matplotlib Figure; nothing is recomputed but the layout.
Figures are built at 72 dpi, so one display unit is one PDF point, with
`matplotlib.figure.Figure` (no pyplot, no global state) inside `style()`, which sets the fonts
and the look for that block only. Text is set in DejaVu Sans, and every character it lacks
falls back to the shipped WenQuanYi Micro Hei (csi/report/fonts, registered with matplotlib
here), so Chinese, Japanese and Korean labels lay out and render as glyphs, not boxes, with no
font installed on the system. csi.report.pdf draws the figures as vector graphics with the
same two fonts.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
from pathlib import Path

import numpy as np

from csi.jsonio import read_number
from csi.report.i18n import _, term
from csi.report.labels import width, wrapped

FONT_DIR = Path(__file__).resolve().parent / "fonts"
CJK_FONT_FILE = FONT_DIR / "wqy-microhei.ttc"
CJK_FAMILY = "WenQuanYi Micro Hei"
FAMILY = ["DejaVu Sans", CJK_FAMILY]
PAGE_WIDTH_IN = 6.6  # the report's text width (A4, 2 cm margins) less a little air

INK = "#1f2a36"
SIGNIFICANT = "#1f4e79"
NOT_SIGNIFICANT = "#9aa5b1"
NEGATIVE = "#b03a2e"
TARGET = "#c0504d"
GRID = "#d9dee4"
QUADRANT_COLOURS = {
    "Concentrate here": "#c0392b",
    "Keep up the good work": "#2e7d32",
    "Low priority": "#7f8c8d",
    "Possible overkill": "#b9770e",
}
SERIES = ["#1f4e79", "#c0504d", "#2e7d32", "#8e44ad", "#b9770e", "#16a085"]


# Fonts and style ---------------------------------------------------------------------------

_fonts_ready = False


class _NoBoldWarning(logging.Filter):
    """The CJK font has one weight; matplotlib's note that it has no bold is expected."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Failed to find font weight" not in record.getMessage()


def register_fonts() -> None:
    """Make the shipped CJK font known to matplotlib (once per process)."""
    global _fonts_ready
    if _fonts_ready:
        return
    from matplotlib import font_manager

    if not any(entry.name == CJK_FAMILY for entry in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(str(CJK_FONT_FILE))
    logging.getLogger("matplotlib.font_manager").addFilter(_NoBoldWarning())
    _fonts_ready = True


@contextlib.contextmanager
def style():
    """Fonts (with CJK fallback), sizes and colours for csi's figures, for this block only."""
    import matplotlib

    register_fonts()
    settings = {
        "font.family": FAMILY,
        "font.size": 8,
        "axes.titlesize": 9,
        "axes.labelsize": 8,
        "axes.edgecolor": "#6b7785",
        "axes.labelcolor": INK,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "xtick.color": "#4a5561",
        "ytick.color": "#4a5561",
        "text.color": INK,
        "text.parse_math": False,  # a '$' in a label is text, not mathtext
        "axes.unicode_minus": True,
    }
    with matplotlib.rc_context({k: v for k, v in settings.items() if k in matplotlib.rcParams}):
        yield


def _figure(width_in: float, height_in: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width_in, height_in), dpi=72)
    FigureCanvasAgg(figure)  # a canvas, so text can be measured while laying out labels
    return figure


def _renderer(figure):
    return figure.canvas.get_renderer()


number = read_number  # a JSON value as a float, or None for null, NaN, booleans and text


def significant(row: dict, low: str = "ci_low", high: str = "ci_high") -> bool | None:
    """True/False when the row has an interval, None without a bootstrap."""
    lo, hi = number(row.get(low)), number(row.get(high))
    if lo is None or hi is None:
        return None
    return lo > 0 or hi < 0


def _constructs(doc: dict) -> list[str]:
    return [c["name"] for c in doc["model"]["constructs"]]


# Index -------------------------------------------------------------------------------------

def index_chart(doc: dict, label) -> object:
    """Horizontal bars of every construct's 0–100 index with its CI; the target stands out."""
    with style():
        names = [n for n in _constructs(doc) if n in doc.get("index", {})]
        target = (doc.get("priority_settings") or {}).get("target") or doc["model"].get("target")
        rows = [doc["index"][n] for n in names]
        figure = _figure(PAGE_WIDTH_IN, 0.5 + 0.3 * len(names))
        ax = figure.add_subplot()
        y = np.arange(len(names))
        scores = [number(r.get("score")) or 0.0 for r in rows]
        colours = [TARGET if n == target else SIGNIFICANT for n in names]
        ax.barh(y, scores, color=colours, height=0.62, zorder=2)
        for i, row in enumerate(rows):
            lo, hi = number(row.get("ci_low")), number(row.get("ci_high"))
            if lo is not None and hi is not None:
                ax.plot([lo, hi], [i, i], color=INK, lw=1.0, zorder=3)
                ax.plot([lo, lo], [i - 0.15, i + 0.15], color=INK, lw=1.0, zorder=3)
                ax.plot([hi, hi], [i - 0.15, i + 0.15], color=INK, lw=1.0, zorder=3)
            end = max(scores[i], hi or 0.0)
            ax.text(end + 1.2, i, f"{scores[i]:.1f}", va="center", ha="left", fontsize=8,
                    fontweight="bold" if names[i] == target else "normal")
        ax.set_yticks(y, [wrapped(label(n), 30, 2) for n in names])
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.set_xlabel(_("Index (0–100)"))
        ax.grid(axis="x", color=GRID, lw=0.6, zorder=0)
        ax.tick_params(axis="y", length=0)
        figure.tight_layout(pad=0.3)
    return figure


# Path diagram ------------------------------------------------------------------------------

BOX_W, BOX_H = 1.12, 0.7  # node size in inches
STEP_X, STEP_Y = 1.62, 1.0  # grid pitch in inches


def _layers(constructs: list[str], paths: list[tuple[str, str]]) -> dict[str, int]:
    """Longest-path layer of every construct (sources 0); cycles are broken in model order."""
    layer = {c: 0 for c in constructs}
    for _ in range(len(constructs)):
        changed = False
        for a, b in paths:
            if layer[b] < layer[a] + 1 and layer[a] + 1 < len(constructs):
                layer[b] = layer[a] + 1
                changed = True
        if not changed:
            break
    return layer


def _segment_hits_box(p, q, centre, half_w, half_h) -> bool:
    """Whether segment p-q passes through the axis-aligned box (Liang-Barsky clipping)."""
    (x0, y0), (x1, y1) = p, q
    dx, dy = x1 - x0, y1 - y0
    t0, t1 = 0.0, 1.0
    for edge_p, edge_q in ((-dx, x0 - (centre[0] - half_w)), (dx, (centre[0] + half_w) - x0),
                           (-dy, y0 - (centre[1] - half_h)), (dy, (centre[1] + half_h) - y0)):
        if edge_p == 0:
            if edge_q < 0:
                return False
            continue
        t = edge_q / edge_p
        if edge_p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return False
    return True


def _cross(p1, p2, q1, q2) -> bool:
    """Proper crossing of segments p1-p2 and q1-q2."""
    def orient(a, b, c):
        value = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
        return 0 if abs(value) < 1e-9 else (1 if value > 0 else -1)

    return (orient(p1, p2, q1) * orient(p1, p2, q2) < 0
            and orient(q1, q2, p1) * orient(q1, q2, p2) < 0)


class _LayoutCost:
    """The layout objective, with the geometry of grid cells cached: which boxes a segment
    between two cells passes through, and whether two segments cross."""

    def __init__(self, paths, half_w: float, half_h: float):
        self.paths = paths
        self.half_w, self.half_h = half_w, half_h
        self._hits: dict = {}
        self._crossings: dict = {}

    @staticmethod
    def point(cell) -> tuple[float, float]:
        return cell[0], -cell[1] * STEP_Y / STEP_X  # one unit = one column

    def hits(self, p, q, occupied) -> int:
        """How many boxes other than the ends' the segment p-q passes through."""
        key = (p, q)
        if key not in self._hits:
            self._hits[key] = {}
        cache = self._hits[key]
        count = 0
        for cell in occupied:
            if cell == p or cell == q:
                continue
            hit = cache.get(cell)
            if hit is None:
                hit = cache[cell] = _segment_hits_box(self.point(p), self.point(q),
                                                      self.point(cell), self.half_w, self.half_h)
            count += hit
        return count

    def crossing(self, p, q, r, t) -> bool:
        key = (p, q, r, t)
        value = self._crossings.get(key)
        if value is None:
            value = self._crossings[key] = _cross(self.point(p), self.point(q), self.point(r),
                                                  self.point(t))
        return value

    def __call__(self, cells: dict) -> float:
        occupied = list(cells.values())
        cost = 0.0
        segments = []
        for a, b in self.paths:
            p, q = cells[a], cells[b]
            if q[0] < p[0]:
                cost += 1000.0  # arrows flow left to right (or straight down/up)
            elif q[0] == p[0]:
                cost += 3.0
            dy = (q[1] - p[1]) * STEP_Y / STEP_X
            cost += math.hypot(q[0] - p[0], dy) + 0.5 * abs(dy)
            cost += 60.0 * self.hits(p, q, occupied)
            segments.append((a, b, p, q))
        for (a, b, p, q), (c, d, r, t) in itertools.combinations(segments, 2):
            if len({a, b, c, d}) == 4 and self.crossing(p, q, r, t):
                cost += 20.0
        return cost


def layout(constructs: list[str], paths: list[tuple[str, str]]) -> dict[str, tuple[int, int]]:
    """Grid cells (column, row) of the path diagram's boxes: arrows run left to right, no
    arrow runs through a box, few arrows cross, arrows are short. A deterministic local search
    over single moves and swaps, started from the longest-path layering."""
    if not constructs:
        return {}
    layer = _layers(constructs, paths)
    depth = max(layer.values()) + 1
    columns = min(depth, 5)
    widest = max(sum(1 for c in constructs if layer[c] == k) for k in range(depth))
    per_column = math.ceil(len(constructs) / columns)
    rows = max(3 if len(constructs) > 3 else 1, widest, per_column + 1)
    half_w = (BOX_W / 2 + 0.08) / STEP_X
    half_h = (BOX_H / 2 + 0.08) / STEP_X

    def start(spread: int, shift: int) -> dict:
        """Layers spread over `spread` columns, each layer's boxes centred (moved by shift)."""
        cells, used = {}, set()
        for name in sorted(constructs, key=lambda n: (layer[n], constructs.index(n))):
            column = round(layer[name] * (spread - 1) / max(depth - 1, 1))
            order = sorted(range(rows), key=lambda r: (abs(r - (rows - 1) / 2 - shift), r))
            row = next((r for r in order if (column, r) not in used), None)
            while row is None:
                column = (column + 1) % columns
                row = next((r for r in order if (column, r) not in used), None)
            cells[name] = (column, row)
            used.add((column, row))
        return cells

    grid = [(c, r) for c in range(columns) for r in range(rows)]
    objective = _LayoutCost(paths, half_w, half_h)
    best, best_cost = None, math.inf
    budget = 6000  # cost evaluations: bounded time on large models
    starts = [start(spread, shift) for spread in sorted({min(columns, k) for k in (3, 4, 5)})
              for shift in (0, -1, 1)]
    for cells in starts:
        cost = objective(cells)
        improved = True
        while improved and budget > 0:
            improved = False
            for name in constructs:
                taken = {cell: n for n, cell in cells.items()}
                for cell in grid:
                    if cell == cells[name]:
                        continue
                    trial = dict(cells)
                    other = taken.get(cell)
                    if other is not None:
                        trial[other] = cells[name]
                    trial[name] = cell
                    trial_cost = objective(trial)
                    budget -= 1
                    if trial_cost < cost - 1e-9:
                        cells, cost, improved = trial, trial_cost, True
                        taken = {c: n for n, c in cells.items()}
        if cost < best_cost:
            best, best_cost = cells, cost
    # drop empty rows and columns
    used_columns = sorted({c for c, _ in best.values()})
    used_rows = sorted({r for _, r in best.values()})
    return {n: (used_columns.index(c), used_rows.index(r)) for n, (c, r) in best.items()}


def _border_point(centre, towards, half_w, half_h):
    """Where the ray from a box's centre towards a point leaves the box."""
    dx, dy = towards[0] - centre[0], towards[1] - centre[1]
    if dx == 0 and dy == 0:
        return centre
    scale = min(half_w / abs(dx) if dx else math.inf, half_h / abs(dy) if dy else math.inf)
    return centre[0] + dx * scale, centre[1] + dy * scale


def path_diagram(doc: dict, label) -> object:
    """The structural model: boxes with each construct's label, index and R²; arrows with the
    standardized path coefficients, significant ones dark, others grey (both solid, so the
    sign stays readable)."""
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    with style():
        constructs = _constructs(doc)
        paths = [(p["from"], p["to"]) for p in doc["model"]["paths"]]
        estimates = {(p["from"], p["to"]): p for p in doc.get("paths", [])}
        cells = layout(constructs, paths)
        n_cols = max(c for c, _ in cells.values()) + 1
        n_rows = max(r for _, r in cells.values()) + 1
        centre = {n: (c * STEP_X + BOX_W / 2 + 0.1, (n_rows - 1 - r) * STEP_Y + BOX_H / 2 + 0.1)
                  for n, (c, r) in cells.items()}
        fig_w = (n_cols - 1) * STEP_X + BOX_W + 0.2
        fig_h = (n_rows - 1) * STEP_Y + BOX_H + 0.2
        figure = _figure(fig_w, fig_h)
        ax = figure.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, fig_w)
        ax.set_ylim(0, fig_h)
        ax.set_axis_off()
        target = (doc.get("priority_settings") or {}).get("target") or doc["model"].get("target")
        r2 = doc.get("r2") or {}
        index = doc.get("index") or {}
        for name in constructs:
            x, y = centre[name]
            box = FancyBboxPatch((x - BOX_W / 2, y - BOX_H / 2), BOX_W, BOX_H,
                                 boxstyle="round,pad=0,rounding_size=0.08",
                                 facecolor="#fbeaea" if name == target else "#eef3f8",
                                 edgecolor=TARGET if name == target else SIGNIFICANT,
                                 lw=1.4 if name == target else 0.9, zorder=3)
            ax.add_patch(box)
            facts = []
            score = number((index.get(name) or {}).get("score"))
            if score is not None:
                facts.append(_("index {value}", value=format(score, ".1f")))
            if number(r2.get(name)) is not None:
                facts.append(_("R² {value}", value=format(r2[name], ".2f")))
            title = wrapped(label(name), 16, 3)
            ax.text(x, y + (0.09 if facts else 0), title, ha="center", va="center", fontsize=7.2,
                    fontweight="bold", linespacing=1.1, zorder=4)
            if facts:
                ax.text(x, y - BOX_H / 2 + 0.1, " · ".join(facts), ha="center", va="center",
                        fontsize=6.5, color="#4a5561", zorder=4)
        placed: list[tuple[float, float]] = []
        half_w, half_h = BOX_W / 2, BOX_H / 2
        for a, b in paths:
            row = estimates.get((a, b), {})
            verdict = significant(row)
            strong = verdict is not False
            estimate = number(row.get("estimate"))
            colour = (NEGATIVE if estimate is not None and estimate < 0 and strong
                      else SIGNIFICANT if strong else NOT_SIGNIFICANT)
            lw = 0.8 + 2.2 * min(abs(estimate or 0.0), 1.0) if strong else 0.7
            start = _border_point(centre[a], centre[b], half_w, half_h)
            end = _border_point(centre[b], centre[a], half_w, half_h)
            # non-significant arrows are solid and grey: a dashed stub beside a number
            # reads as a minus sign
            arrow = FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=9, shrinkA=1,
                                    shrinkB=1.5, color=colour, lw=lw, linestyle="-", zorder=2)
            ax.add_patch(arrow)
            if estimate is None:
                continue
            length = math.hypot(end[0] - start[0], end[1] - start[1]) or 1.0
            # the label sits beside the arrow (offset along its normal), never on it
            normal = (-(end[1] - start[1]) / length, (end[0] - start[0]) / length)
            if normal[1] < 0 or (normal[1] == 0 and normal[0] < 0):
                normal = (-normal[0], -normal[1])
            # clear of the line: half the label's extent along the normal, plus air
            offset = abs(normal[0]) * 0.19 + abs(normal[1]) * 0.08 + lw / 144 + 0.02
            along = [(start[0] + t * (end[0] - start[0]) + side * offset * normal[0],
                      start[1] + t * (end[1] - start[1]) + side * offset * normal[1])
                     for t in (0.5, 0.38, 0.62, 0.28, 0.72) for side in (1, -1)]

            def room(point):  # distance in label sizes to the nearest label or box
                labels = min((max(abs(point[0] - px) / 0.34, abs(point[1] - py) / 0.17)
                              for px, py in placed), default=math.inf)
                boxes = min(max(abs(point[0] - bx) / (half_w + 0.17),
                                abs(point[1] - by) / (half_h + 0.08))
                            for bx, by in centre.values())
                return min(labels, boxes)

            spot = next((p for p in along if room(p) >= 1.0), None) or max(along, key=room)
            placed.append(spot)
            text = f"{estimate:+.2f}"
            ax.text(*spot, text, ha="center", va="center", fontsize=7,
                    fontweight="bold" if strong else "normal",
                    color=colour if strong else "#6b7785", zorder=5,
                    bbox={"boxstyle": "round,pad=0.1", "facecolor": "white",
                          "edgecolor": "none", "alpha": 0.85})
    return figure


# Drivers -----------------------------------------------------------------------------------

def _target(doc: dict) -> str:
    return (doc.get("priority_settings") or {}).get("target") or doc["model"].get("target") or ""


def _place_labels(ax, points, texts, colours, fontsize=7.5):
    """Label scatter points, trying positions around each point and keeping the first that
    overlaps no label or point so far and stays inside the axes."""
    figure = ax.figure
    renderer = _renderer(figure)
    axes_box = ax.get_window_extent(renderer)
    marks = [ax.transData.transform(p) for p in points]
    taken = []
    offsets = [(5, 3, "left", "bottom"), (5, -3, "left", "top"), (-5, 3, "right", "bottom"),
               (-5, -3, "right", "top"), (0, 7, "center", "bottom"), (0, -7, "center", "top"),
               (9, 0, "left", "center"), (-9, 0, "right", "center")]
    for (x, y), text, colour in zip(points, texts, colours):
        chosen = None
        for dx, dy, ha, va in offsets:
            artist = ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points",
                                 ha=ha, va=va, fontsize=fontsize, color=colour, zorder=5,
                                 linespacing=1.05)
            box = artist.get_window_extent(renderer).expanded(1.04, 1.08)
            inside = (box.x0 >= axes_box.x0 and box.x1 <= axes_box.x1
                      and box.y0 >= axes_box.y0 and box.y1 <= axes_box.y1)
            clash = any(box.overlaps(other) for other in taken) or any(
                box.contains(mx, my) for mx, my in marks)
            if inside and not clash:
                chosen = artist
                break
            artist.remove()
        if chosen is None:
            dx, dy, ha, va = offsets[0]
            chosen = ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points",
                                 ha=ha, va=va, fontsize=fontsize, color=colour, zorder=5,
                                 linespacing=1.05)
        taken.append(chosen.get_window_extent(renderer))


def _importance_metric(rows: list[dict]) -> str:
    """The importance column: `importance` (linear or non-linear points per point), or the
    unstandardized total effect in results of csi versions before it."""
    return "importance" if rows and all("importance" in r for r in rows) else "total_effect_unstd"


def ipma_map(doc: dict, label) -> object:
    """Importance–performance map of the target's drivers: importance (unstandardized total
    effect) across, performance (index) up, split into quadrants at the drivers' means."""
    with style():
        rows = doc.get("importance") or []
        quadrants = {p["driver"]: p.get("quadrant") for p in doc.get("priorities") or []}
        metric = _importance_metric(rows)
        x = np.array([number(r.get(metric)) or 0.0 for r in rows])
        y = np.array([number(r.get("performance")) or 0.0 for r in rows])
        figure = _figure(PAGE_WIDTH_IN, 3.5)
        ax = figure.add_subplot()
        x_lo = [number(r.get(f"{metric}_ci_low")) for r in rows]
        x_hi = [number(r.get(f"{metric}_ci_high")) for r in rows]
        y_lo = [number(r.get("performance_ci_low")) for r in rows]
        y_hi = [number(r.get("performance_ci_high")) for r in rows]
        span_x = [v for v in [*x, *x_lo, *x_hi] if v is not None]
        span_y = [v for v in [*y, *y_lo, *y_hi] if v is not None]
        pad_x = 0.18 * (max(span_x) - min(span_x) or 0.1)
        pad_y = 0.18 * (max(span_y) - min(span_y) or 5.0)
        ax.set_xlim(min(min(span_x) - pad_x, 0.0 if min(span_x) >= 0 else min(span_x) - pad_x),
                    max(span_x) + 1.8 * pad_x)
        ax.set_ylim(max(0.0, min(span_y) - pad_y), min(100.0, max(span_y) + pad_y))
        ax.axvline(x.mean(), color="#8a96a3", lw=0.8, ls=(0, (4, 3)), zorder=1)
        ax.axhline(y.mean(), color="#8a96a3", lw=0.8, ls=(0, (4, 3)), zorder=1)
        corners = {"Possible overkill": (0.01, 0.99, "left", "top"),
                   "Keep up the good work": (0.99, 0.99, "right", "top"),
                   "Low priority": (0.01, 0.01, "left", "bottom"),
                   "Concentrate here": (0.99, 0.01, "right", "bottom")}
        for name, (cx, cy, ha, va) in corners.items():
            ax.text(cx, cy, term(name), transform=ax.transAxes, ha=ha, va=va, fontsize=8,
                    color=QUADRANT_COLOURS[name], alpha=0.8)
        colours = [QUADRANT_COLOURS.get(quadrants.get(r["driver"]), SIGNIFICANT) for r in rows]
        for i in range(len(rows)):
            if x_lo[i] is not None and x_hi[i] is not None:
                ax.plot([x_lo[i], x_hi[i]], [y[i], y[i]], color=colours[i], alpha=0.45, lw=1.2,
                        zorder=2)
            if y_lo[i] is not None and y_hi[i] is not None:
                ax.plot([x[i], x[i]], [y_lo[i], y_hi[i]], color=colours[i], alpha=0.45, lw=1.2,
                        zorder=2)
        ax.scatter(x, y, s=42, c=colours, zorder=4, edgecolors="white", linewidths=0.8)
        ax.set_xlabel(_("Importance: index points of {target} per index point of the driver",
                        target=wrapped(label(_target(doc)), 40, 1)))
        ax.set_ylabel(_("Performance (index, 0–100)"))
        ax.grid(color=GRID, lw=0.5, zorder=0)
        figure.tight_layout(pad=0.4)
        _place_labels(ax, list(zip(x, y)), [wrapped(label(r["driver"]), 22, 2) for r in rows],
                      colours, fontsize=8)
    return figure


def importance_bars(doc: dict, label) -> object:
    """Points the target gains from +5 points in each driver, with the bootstrap CI; drivers
    in priority order, non-significant ones grey, negative ones red."""
    with style():
        order = [p["driver"] for p in sorted(doc.get("priorities") or [], key=lambda p: p["rank"])]
        by_driver = {r["driver"]: r for r in doc.get("importance") or []}
        order = [d for d in order if d in by_driver] or list(by_driver)
        status = {p["driver"]: p for p in doc.get("priorities") or []}
        figure = _figure(PAGE_WIDTH_IN, 0.55 + 0.36 * len(order))
        ax = figure.add_subplot()
        values, colours = [], []
        for driver in order:
            row = by_driver[driver]
            value = number(row.get("impact_5pt")) or 0.0
            metric = _importance_metric([row])
            verdict = significant(row, f"{metric}_ci_low", f"{metric}_ci_high")
            negative = value <= 0 or (status.get(driver) or {}).get("negative")
            values.append(value)
            colours.append(NEGATIVE if negative else
                           NOT_SIGNIFICANT if verdict is False else SIGNIFICANT)
        y = np.arange(len(order))
        ax.barh(y, values, color=colours, height=0.6, zorder=2)
        top = max([abs(v) for v in values] + [0.1])
        for i, driver in enumerate(order):
            row = by_driver[driver]
            lo, hi = number(row.get("impact_5pt_ci_low")), number(row.get("impact_5pt_ci_high"))
            if lo is not None and hi is not None:
                ax.errorbar(values[i], i, xerr=[[values[i] - lo], [hi - values[i]]], fmt="none",
                            ecolor=INK, elinewidth=1.0, capsize=3, zorder=3)
                top = max(top, abs(lo), abs(hi))
            right = max(values[i], hi if hi is not None else values[i])
            ax.text(right + 0.02 * top, i, f"{values[i]:+.2f}", va="center", ha="left",
                    fontsize=7.5)
        ax.set_yticks(y, [wrapped(label(d), 30, 2) for d in order])
        ax.invert_yaxis()
        ax.axvline(0, color="#6b7785", lw=0.8)
        lowest = min([0.0] + values + [(number(by_driver[d].get("impact_5pt_ci_low")) or 0.0)
                                       for d in order])
        ax.set_xlim(min(0.0, lowest * 1.15), top * 1.2)
        ax.set_xlabel(_("Points gained in {target} from +5 points in the driver",
                        target=wrapped(label(_target(doc)), 40, 1)))
        ax.grid(axis="x", color=GRID, lw=0.5, zorder=0)
        ax.tick_params(axis="y", length=0)
        figure.tight_layout(pad=0.3)
    return figure


def short_item_label(indicator: str, label) -> str:
    """A scatter label for an indicator: its label when short, else its name."""
    text = label(indicator)
    return text if text != indicator and width(text) <= 30 else indicator


def top_drivers(doc: dict, count: int = 3) -> list[str]:
    """The first `count` drivers in priority order that have indicator-level results."""
    have = {r["construct"] for r in doc.get("indicator_importance") or []}
    ranked = sorted(doc.get("priorities") or [], key=lambda p: p["rank"])
    return [p["driver"] for p in ranked if p["driver"] in have][:count]


def indicator_ipma(doc: dict, label, drivers: list[str]) -> object:
    """Indicator-level importance–performance map of the given drivers' questions."""
    with style():
        rows = [r for r in doc.get("indicator_importance") or [] if r["construct"] in drivers]
        figure = _figure(PAGE_WIDTH_IN, 3.7)
        ax = figure.add_subplot()
        colour_of = {d: SERIES[i % len(SERIES)] for i, d in enumerate(drivers)}
        x = np.array([number(r["importance"]) or 0.0 for r in rows])
        y = np.array([number(r["performance"]) or 0.0 for r in rows])
        for driver in drivers:
            mask = np.array([r["construct"] == driver for r in rows], dtype=bool)
            ax.scatter(x[mask], y[mask], s=30, color=colour_of[driver], zorder=4,
                       edgecolors="white", linewidths=0.7,
                       label=wrapped(label(driver), 34, 1))
        if len(rows):
            pad_x = 0.15 * (x.max() - x.min() or 0.05)
            pad_y = 0.15 * (y.max() - y.min() or 5.0)
            ax.set_xlim(min(0.0, x.min() - pad_x), x.max() + 2.2 * pad_x)
            ax.set_ylim(max(0.0, y.min() - pad_y), min(100.0, y.max() + pad_y))
        ax.set_xlabel(_("Importance: index points of {target} per point of the question "
                        "(total effect)", target=wrapped(label(_target(doc)), 40, 1)))
        ax.set_ylabel(_("Performance (0–100)"))
        ax.grid(color=GRID, lw=0.5, zorder=0)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=min(3, len(drivers)),
                  frameon=False, fontsize=7.5)
        figure.tight_layout(pad=0.4)
        _place_labels(ax, list(zip(x, y)), [short_item_label(r["indicator"], label)
                                            for r in rows],
                      [colour_of[r["construct"]] for r in rows], fontsize=7)
    return figure


# Non-linear effects ------------------------------------------------------------------------

def nonlinear_paths(doc: dict) -> list[dict]:
    """The non-linear paths to chart: those into the target (its drivers) when any have a
    curve, else every path with one."""
    block = doc.get("nonlinear") or {}
    paths = [p for p in block.get("paths") or [] if p.get("curve")]
    target = _target(doc)
    direct = [p for p in paths if p.get("to") == target]
    return direct or paths


def nonlinear_curves(doc: dict, label) -> object:
    """One panel per non-linear path (see nonlinear_paths): the estimated response curve of the
    target against the driver, the knot, and the slopes below and above it."""
    with style():
        block = doc.get("nonlinear") or {}
        paths = nonlinear_paths(doc)
        kano = {(d.get("driver"), d.get("target")): d.get("kano_class")
                for d in block.get("drivers") or []}
        knots = block.get("knots") if isinstance(block.get("knots"), dict) else {}
        columns = min(3, max(1, len(paths)))
        rows = max(1, math.ceil(len(paths) / columns))
        figure = _figure(PAGE_WIDTH_IN, 0.3 + 2.1 * rows)
        for i, path in enumerate(paths):
            ax = figure.add_subplot(rows, columns, i + 1)
            curve = np.asarray(path["curve"], dtype=float)
            knot = number(knots.get(path.get("from"))) if knots else number(block.get("knot"))
            if curve.ndim == 2 and curve.shape[1] >= 2 and len(curve):
                ax.plot(curve[:, 0], curve[:, 1], color=SIGNIFICANT, lw=1.6, zorder=3,
                        label=_("piecewise") if path.get("spline_curve") else None)
                band = _band(path, len(curve))
                if band is not None:  # the piecewise curve's bootstrap band
                    ax.fill_between(curve[:, 0], band[0], band[1], color=SIGNIFICANT,
                                    alpha=0.15, lw=0, zorder=2)
                elif curve.shape[1] >= 4:  # optional band: x, y, low, high
                    ax.fill_between(curve[:, 0], curve[:, 2], curve[:, 3], color=SIGNIFICANT,
                                    alpha=0.15, lw=0, zorder=2)
                spline = np.asarray(path.get("spline_curve") or [], dtype=float)
                if spline.ndim == 2 and spline.shape[1] >= 2 and len(spline):
                    ax.plot(spline[:, 0], spline[:, 1], color=TARGET, lw=1.0,
                            ls=(0, (3, 2)), zorder=3, label=_("spline"))
                    ax.legend(loc="lower right", fontsize=6, frameon=False)
                low, high = np.nanmin(curve[:, 0]), np.nanmax(curve[:, 0])
                if knot is not None and low < knot < high:
                    ax.axvline(knot, color="#8a96a3", lw=0.8, ls=(0, (3, 2)), zorder=1)
            kind = kano.get((path.get("from"), path.get("to")))
            ax.set_title(wrapped(label(path["from"]), 26, 2) + (f"\n({term(kind)})" if kind
                                                                else ""),
                         fontsize=7.5, linespacing=1.15)
            facts = []
            for key, fact in (("slope_low", lambda v: _("slope below knot {value}", value=v)),
                              ("slope_high", lambda v: _("slope above knot {value}", value=v))):
                value = number(path.get(key))
                if value is not None:
                    facts.append(fact(f"{value:.2f}"))
            if facts:
                ax.text(0.03, 0.97, "\n".join(facts), transform=ax.transAxes, ha="left",
                        va="top", fontsize=6.5, color="#4a5561", zorder=5,
                        bbox={"boxstyle": "round,pad=0.2", "facecolor": "white",
                              "edgecolor": "none", "alpha": 0.85})
            ax.tick_params(labelsize=6.5)
            ax.grid(color=GRID, lw=0.5, zorder=0)
            if i % columns == 0:
                ax.set_ylabel(wrapped(label(path["to"]), 28, 1), fontsize=7)
            ax.set_xlabel(_("driver index (0–100)"), fontsize=7)
        figure.tight_layout(pad=0.4, h_pad=0.8)
    return figure


def _band(path: dict, points: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The bootstrap band of a path's piecewise curve (curve_ci_low/high, aligned with the
    curve's x), or None when the path has none."""
    low, high = path.get("curve_ci_low"), path.get("curve_ci_high")
    if not low or not high or len(low) != points or len(high) != points:
        return None
    as_array = lambda values: np.array([np.nan if number(v) is None else number(v)
                                        for v in values])
    return as_array(low), as_array(high)


# Waves -------------------------------------------------------------------------------------

def trend_chart(waves: list[tuple[str, dict]], label) -> object:
    """Each construct's index per wave (a line per construct, in the latest wave's model
    order) with its bootstrap interval as a bar; the target's line is thicker."""
    with style():
        latest = waves[-1][1]
        names = [n for n in _constructs(latest) if n in latest.get("index", {})]
        target = _target(latest)
        figure = _figure(PAGE_WIDTH_IN, 3.4)
        ax = figure.add_subplot()
        x = np.arange(len(waves))
        spread = 0.06 * (len(names) - 1) / 2
        for i, name in enumerate(names):
            rows = [(doc.get("index") or {}).get(name) or {} for _, doc in waves]
            y = np.array([number(r.get("score")) if number(r.get("score")) is not None
                          else np.nan for r in rows])
            shift = x + (0.06 * i - spread if len(names) > 1 else 0)  # intervals side by side
            colour = SERIES[i % len(SERIES)]
            ax.plot(shift, y, marker="o", ms=3.5, color=colour,
                    lw=2.2 if name == target else 1.2, zorder=3,
                    label=wrapped(label(name), 24, 1))
            for xi, row in zip(shift, rows):
                lo, hi = number(row.get("ci_low")), number(row.get("ci_high"))
                if lo is not None and hi is not None:
                    ax.plot([xi, xi], [lo, hi], color=colour, lw=0.9, alpha=0.7, zorder=2)
        ax.set_xticks(x, [wrapped(name, 18, 2) for name, _ in waves])
        ax.set_xlim(-0.4, len(waves) - 0.6)
        ax.set_ylabel(_("Index (0–100)"))
        ax.grid(axis="y", color=GRID, lw=0.5, zorder=0)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=min(3, len(names)),
                  frameon=False, fontsize=7)
        figure.tight_layout(pad=0.4)
    return figure
