"""Terminal tables of the interaction terms: simple slopes at -1/0/+1 SD of the moderator and
the floodlight range. Reads the JSON `moderation` block only; never recomputes."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from csi.report import i18n
from csi.report.i18n import _


def render_moderation(blocks: list[dict], label, console: Console, table, fmt) -> None:
    """One table per interaction term; `table` and `fmt` are the terminal's Table and
    number format (csi.report.terminal)."""
    for block in blocks:
        focal, moderator = label(block["focal"]), label(block["moderator"])
        title = (_("Quadratic effect of {focal} on {target} ({method}): simple slopes",
                   focal=focal, target=label(block["target"]), method=block["method"])
                 if block["quadratic"] else
                 _("Moderation of {focal} → {target} by {moderator} ({method}): simple slopes",
                   focal=focal, target=label(block["target"]), moderator=moderator,
                   method=block["method"]))
        slopes = table(title)
        slopes.add_column(_("At {moderator}", moderator=moderator), "left")
        slopes.add_column(_("Effect of {focal}", focal=focal))
        inference = "ci_low" in block["simple_slopes"][0]
        if inference:
            level = i18n.percent(block["floodlight"]["level"]) if block["floodlight"] else ""
            slopes.add_column(_("{level} CI", level=level))
            slopes.add_column("p")
        for row in block["simple_slopes"]:
            at = row["moderator_sd"]
            size = f"{abs(at):g}"
            name = (_("mean") if at == 0 else
                    _("{sign}{k} SD", sign="+" if at > 0 else "−", k=size))
            cells = [name, fmt(row["slope"])]
            if inference:
                cells += [f"{fmt(row['ci_low'])}–{fmt(row['ci_high'])}",
                          "<" + i18n.decimal(0.001, 3) if row["p"] < 0.001 else fmt(row["p"])]
            slopes.add_row(*cells)
        console.print(slopes)
        console.print(_("Interaction term {term}: {estimate} (per unit of the product of the "
                        "standardized scores)", term=escape(block["interaction"]),
                        estimate=fmt(block["estimate"])))
        light = block["floodlight"]
        if light is None:
            continue
        ranges = light["significant"]
        low, high = f"{light['from_sd']:g}", f"{light['to_sd']:+g}"
        if not ranges:
            console.print(_("Floodlight: the effect of {focal} is not significant anywhere "
                            "from {low} to {high} SD of {moderator}.", focal=focal,
                            moderator=moderator, low=low, high=high))
            continue
        spans = ", ".join(f"{a:+.2f}…{b:+.2f}" for a, b in ranges)
        console.print(_("Floodlight: the effect of {focal} is significant ({level}) where "
                        "{moderator} is at {spans} SD (scanned {low} to {high}).", focal=focal,
                        level=i18n.percent(light["level"]), moderator=moderator, spans=spans,
                        low=low, high=high))
