"""The figures of the report's "Scenarios" and "Hidden segments" sections, drawn with
matplotlib from saved documents (`csi.simulate/1`, `csi.latent/1`) in the style of
csi.report.charts; nothing is recomputed but the layout."""

from __future__ import annotations

import numpy as np

from csi.decisions.scenarios import after_interval
from csi.report.charts import (GRID, INK, NOT_SIGNIFICANT, PAGE_WIDTH_IN, SERIES, SIGNIFICANT,
                               _figure, number, style)
from csi.report.i18n import _
from csi.report.labels import wrapped


def simulation_chart(doc: dict, label) -> object:
    """Each construct the simulation reaches: its index before (grey) and after the change
    (blue) as horizontal bars, the after bar with its bootstrap interval when draws gave
    one."""
    rows = doc.get("effects") or []
    with style():
        figure = _figure(PAGE_WIDTH_IN, 0.7 + 0.48 * len(rows))
        ax = figure.add_subplot()
        y = np.arange(len(rows))
        before = [number(r.get("before")) or 0.0 for r in rows]
        after = [number(r.get("after")) or 0.0 for r in rows]
        ax.barh(y - 0.19, before, height=0.36, color=NOT_SIGNIFICANT, zorder=2,
                label=_("Before"))
        ax.barh(y + 0.19, after, height=0.36, color=SIGNIFICANT, zorder=2, label=_("After"))
        for i, row in enumerate(rows):
            ends = after_interval(row)
            top = after[i]
            if ends is not None:
                lo, hi = ends
                ax.plot([lo, hi], [i + 0.19] * 2, color=INK, lw=1.0, zorder=3)
                for end in (lo, hi):
                    ax.plot([end, end], [i + 0.08, i + 0.30], color=INK, lw=1.0, zorder=3)
                top = max(top, hi)
            ax.text(before[i] + 1.0, i - 0.19, f"{before[i]:.1f}", va="center", ha="left",
                    fontsize=7, color="#4a5561")
            ax.text(top + 1.0, i + 0.19, f"{after[i]:.1f}", va="center", ha="left",
                    fontsize=7.5, fontweight="bold")
        ax.set_yticks(y, [wrapped(label(r["construct"]), 30, 2) for r in rows])
        ax.invert_yaxis()
        ax.set_xlim(0, 108)
        ax.set_xlabel(_("Index (0–100)"))
        ax.grid(axis="x", color=GRID, lw=0.6, zorder=0)
        ax.tick_params(axis="y", length=0)
        ax.legend(loc="lower right", frameon=False, fontsize=7)
        figure.tight_layout(pad=0.3)
    return figure


def class_chart(classes: list[dict], constructs: list[str], label) -> object:
    """The latent classes side by side: FIMIX's structural paths per class (left) and each
    class's re-estimated index per construct with its interval (right), a colour per
    class."""
    fitted = [c for c in classes if c.get("fit")]
    paths = list(dict.fromkeys((p["from"], p["to"]) for c in classes
                               for p in c["fimix"]["paths"]))
    names = [n for n in constructs
             if any(n in (c["fit"].get("index") or {}) for c in fitted)]
    k = max(len(classes), 1)
    height = 0.9 + 0.16 * k * max(len(paths), len(names), 1)
    with style():
        figure = _figure(PAGE_WIDTH_IN, min(height, 8.5))
        left, right = figure.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1]})
        bar = 0.8 / k
        for c, entry in enumerate(classes):
            colour = SERIES[c % len(SERIES)]
            estimates = {(p["from"], p["to"]): number(p["estimate"])
                         for p in entry["fimix"]["paths"]}
            y = np.arange(len(paths)) - 0.4 + bar * (c + 0.5)
            left.barh(y, [estimates.get(p) or 0.0 for p in paths], height=bar * 0.92,
                      color=colour, zorder=2,
                      label=_("Class {n}", n=entry["class"]))
            if not entry.get("fit"):
                continue
            index = entry["fit"].get("index") or {}
            y = np.arange(len(names)) - 0.4 + bar * (c + 0.5)
            scores = [number((index.get(n) or {}).get("score")) or 0.0 for n in names]
            right.barh(y, scores, height=bar * 0.92, color=colour, zorder=2)
            for i, n in enumerate(names):
                row = index.get(n) or {}
                lo, hi = number(row.get("ci_low")), number(row.get("ci_high"))
                if lo is not None and hi is not None:
                    right.plot([lo, hi], [y[i], y[i]], color=INK, lw=0.8, zorder=3)
        left.set_yticks(np.arange(len(paths)),
                        [wrapped(f"{label(a)} → {label(b)}", 24, 2) for a, b in paths])
        left.axvline(0, color=INK, lw=0.6, zorder=1)
        left.set_title(_("Paths per class"))
        left.set_xlabel(_("Standardized path"))
        right.set_yticks(np.arange(len(names)), [wrapped(label(n), 20, 2) for n in names])
        right.set_xlim(0, 100)
        right.set_title(_("Index per class"))
        right.set_xlabel(_("Index (0–100)"))
        for ax in (left, right):
            ax.invert_yaxis()
            ax.grid(axis="x", color=GRID, lw=0.6, zorder=0)
            ax.tick_params(axis="y", length=0, labelsize=7)
        figure.legend(*left.get_legend_handles_labels(), loc="lower center",
                      ncol=min(k, 5), frameon=False, fontsize=7)
        figure.tight_layout(pad=0.3, rect=(0, 0.06, 1, 1))
    return figure
