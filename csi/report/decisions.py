"""Terminal renderings of `csi simulate`, `csi plan` and `csi aggregate` (csi.decisions):
they read the results and decide nothing."""

from __future__ import annotations

from rich.table import Table


def render_simulation(simulation, console) -> None:
    """The effects as a table, then a sentence per construct the changes reach."""

    fitted = simulation.fitted
    table = Table(title=f"What if: {', '.join(_change(c) for c in simulation.changes)} "
                        f"({fitted.model} model)")
    table.add_column("Construct")
    for column in ("Before", "After", "Change"):
        table.add_column(column, justify="right")
    if simulation.level is not None:
        table.add_column(f"{simulation.level:.0%} CI", justify="right")
    for row in simulation.effects:
        cells = [fitted.label(row["construct"]) + (" (set)" if row["changed"] else ""),
                 f"{row['before']:.1f}", f"{row['after']:.1f}" + ("*" if row["capped"] else ""),
                 f"{row['change']:+.2f}"]
        if simulation.level is not None:
            cells.append(f"{row['ci_low']:+.2f} to {row['ci_high']:+.2f}")
        table.add_row(*cells)
    console.print(table)
    if any(row["capped"] for row in simulation.effects):
        console.print("* held at the end of the 0-100 scale")
    for sentence in simulation.sentences():
        console.print(sentence, highlight=False)


def _change(change) -> str:
    return f"{change.name} {change.applied:+g}"


def render_plan(result, console) -> None:

    fitted = result.fitted
    table = Table(title=f"Plan: a budget of {result.budget:g} for "
                        f"{fitted.label(result.target)} ({fitted.model} model)")
    for column, justify in (("Step", "right"), ("Driver", "left"), ("Points", "right"),
                            ("Cost", "right"), ("Gain", "right")):
        table.add_column(column, justify=justify)
    for number, step in enumerate(result.steps, start=1):
        table.add_row(str(number), fitted.label(step["driver"]), f"{step['points']:g}",
                      f"{step['cost']:g}", f"{step['gain']:+.2f}")
    console.print(table)
    console.print(result.sentence(), highlight=False)


def render_aggregate(result, console) -> None:

    def table(title: str, index: dict) -> Table:
        out = Table(title=title)
        out.add_column("Construct")
        for column in ("Index", "SE", f"{result.level:.0%} CI"):
            out.add_column(column, justify="right")
        for construct, row in index.items():
            se = "-" if row["se"] is None else f"{row['se']:.2f}"
            ci = ("-" if row["se"] is None
                  else f"{row['ci_low']:.1f} to {row['ci_high']:.1f}")
            out.add_row(result.labels.get(construct, construct), f"{row['score']:.1f}", se, ci)
        return out

    for block in result.levels:
        for group in block["groups"]:
            console.print(table(f"{block['column']} {group['name']} "
                                f"({len(group['members'])} members, weight "
                                f"{group['weight']:g})", group["index"]))
    console.print(table(f"All {len(result.members)} members ({result.model})", result.index))
