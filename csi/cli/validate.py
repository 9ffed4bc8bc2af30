"""`csi validate`: the data-quality report of a survey for a model; exit 0 if usable, 3 if not."""

from __future__ import annotations

import io
import json
from functools import partial

import click
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from csi._version import __version__
from csi import estimators
from csi.cli.ingest_options import ingest_options, options_from
from csi.cli.paths import OUTPUT
from csi.errors import DataError
from csi.ingest import DataQuality, assess, read_survey
from csi.jsonio import write_atomic
from csi.model.spec import load_model
from csi.report.careless import careless_line

SCHEMA = "csi.data_quality/1"
CARELESS_SHOWN = 20
_LAYOUTS = {"question_text": "question-text rows skipped",
            "merged_header": "merged header cells",
            "skip_rows": "--skip-rows"}


@click.command("validate")
@click.argument("survey", metavar="SURVEY")
@click.option("-m", "--model", default="acsi", show_default=True,
              help="Built-in model name (see `csi models`) or a lavaan-style model file.")
@click.option("--estimator", type=click.Choice(estimators.NAMES), default="pls",
              show_default=True, help="The estimator the data will be fitted with: its model "
              "syntax is accepted (cbsem: covariances, fixed values, measurement-only models).")
@ingest_options
@click.option("--format", "output_format", type=click.Choice(["table", "json"]),
              default="table", show_default=True, help="Report format.")
@click.option("-o", "--output", type=OUTPUT,
              help="Write the report to this file (atomically) instead of standard output.")
def validate_command(survey, model, estimator, output_format, output, **ingest) -> None:
    """Check SURVEY (a file, or - for standard input) for MODEL and print the data-quality
    report: rows read and used, missing answers per item, codes, values outside the scale,
    straight-liners and other careless respondents, duplicate IDs, completion times,
    constant items. Exit 0 when the data are usable for the model, 3 when they are not (the
    first problem is repeated on standard error)."""
    options = options_from(ingest)
    spec = load_model(model, composite=estimators.entry(estimator).composite)
    data = read_survey(survey, options)
    quality = assess(data, spec, options)
    if output_format == "json":
        payload = json.dumps({"schema": SCHEMA, "csi_version": __version__, "model": spec.name,
                              **quality.to_dict()}, indent=2, ensure_ascii=False) + "\n"
    elif output:
        buffer = io.StringIO()
        render_quality(quality, spec.name, Console(file=buffer, width=110, no_color=True))
        payload = buffer.getvalue()
    else:
        payload = None
        render_quality(quality, spec.name, Console())
    if payload is not None and output:
        write_atomic(output, payload)
    elif payload is not None:
        click.echo(payload, nl=False)
    if not quality.usable:
        raise DataError(quality.errors[0])


def render_quality(quality: DataQuality, model: str, console: Console) -> None:
    """The data-quality report as rich text and a table of items."""
    doc = quality.to_dict()
    say = partial(console.print, soft_wrap=True)
    verdict = "[bold green]usable ✓[/]" if quality.usable else "[bold red]not usable ✗[/]"
    say(f"[bold]csi validate[/] — {escape(doc['source'])} for model "
        f"[bold]{escape(model)}[/]: {verdict}")
    reading = [doc["format"]]
    if doc.get("sheet"):
        reading.append(f"sheet '{doc['sheet']}'")
    if doc.get("encoding"):
        reading.append(doc["encoding"])
    if doc["layout"] in _LAYOUTS:
        reading.append(f"{_LAYOUTS[doc['layout']]} ({doc['header_rows']} header rows)")
    elif doc["layout"] != "plain":
        reading.append(f"{doc['layout']} export ({doc['header_rows']} header rows)")
    say(f"Read as {', '.join(escape(str(r)) for r in reading)}; "
        f"{escape(doc['row_numbering'])}.")
    missing = doc["missing"]
    say(
        f"Rows: {doc['rows_read']} read, {doc['rows_used']} used; missing answers "
        f"({missing['method']}): {missing['cells_missing']} cells in "
        f"{missing['rows_with_missing']} rows, {missing['rows_dropped']} rows dropped"
        + (f", {missing['cells_imputed']} cells imputed" if missing["cells_imputed"] else "")
    )
    ids = doc["duplicate_ids"]
    if ids["column"]:
        dup = f"{ids['count']} duplicated" if ids["count"] else "no duplicates"
        say(f"Respondent IDs: column {escape(ids['column'])} ({ids['how']}): {dup}")
    timing = doc.get("completion_time")
    if timing and timing["how"]:
        median = timing["median_seconds"]
        say(f"Completion time: {escape(', '.join(timing['columns']))}"
            + (f", median {median:.0f} s" if median is not None else ""))
    straight = doc["straightliners"]
    say(f"Straight-liners: {straight['count']}"
        + (" (dropped)" if straight["dropped"] and straight["count"] else ""))
    line = careless_line(doc)
    if line:
        say(escape(line))
    if doc["weights"]:
        w = doc["weights"]
        say(f"Weights: column {escape(w['column'])}, {w['min']:.3g}–{w['max']:.3g} "
            f"after normalising to mean 1; effective n {w['effective_n']:.1f}")

    table = Table(title="Items", title_justify="left", expand=True, box=box.SIMPLE_HEAD,
                  pad_edge=False, caption="Miss: missing answers (% of rows read); Codes: "
                  "--na / SPSS user-missing codes; Out: outside the scale or not a number",
                  caption_justify="left")
    table.add_column("Item", no_wrap=True)
    table.add_column("Question", overflow="ellipsis", no_wrap=True, ratio=1, min_width=8)
    for name in ("Scale", "Miss", "Codes", "Out", "Distinct", "Mean", "SD"):
        table.add_column(name, justify="right", no_wrap=True)
    for item in doc["items"]:
        pct = item["missing_pct"]
        missing_text = f"{pct:.1f}%" if pct is not None else "—"
        if pct is not None and pct > 5:
            missing_text = f"[yellow]{missing_text}[/]"
        outside = item["out_of_scale"] + item["non_numeric"]
        name = escape(item["indicator"])
        if item["column"] not in (item["indicator"], item["label"]):
            name += f" ← {escape(_short(item['column'], 24))}"
        if item["reversed"]:
            name += " (rev.)"
        table.add_row(
            name,
            escape(" ".join((item["label"] or "").split())),
            f"{item['scale'][0]:g}–{item['scale'][1]:g}" if item["scale"] else "observed",
            missing_text,
            str(item["na_coded"] + item["user_missing"]),
            f"[red]{outside}[/]" if outside else "0",
            f"[yellow]{item['distinct']}[/]" if item["distinct"] < 3 else str(item["distinct"]),
            "—" if item["mean"] is None else f"{item['mean']:.2f}",
            "—" if item["sd"] is None else f"{item['sd']:.2f}",
        )
    console.print(table)
    _careless_table(doc.get("careless") or [], console)
    for title, style, lines in (("Notes", "", doc["notes"]),
                                ("Warnings", "yellow", doc["warnings"]),
                                ("Errors", "red", doc["errors"])):
        if lines:
            say(f"[bold {style}]{title}[/]" if style else f"[bold]{title}[/]")
            for line in lines:
                say(f"  • {escape(line)}", style=style or None, highlight=False)


def _careless_table(entries: list[dict], console: Console) -> None:
    """The flagged respondents with their indices (the first CARELESS_SHOWN)."""
    if not entries:
        return
    more = len(entries) - CARELESS_SHOWN
    table = Table(title="Possibly careless respondents", title_justify="left", expand=False,
                  box=box.SIMPLE_HEAD, pad_edge=False, caption_justify="left",
                  caption=("longstring: longest run of identical answers; IRV: SD of the "
                           "answers; r: correlation with the other respondents' item means; "
                           "D²: Mahalanobis distance"
                           + (f". {more} more: --format json lists all" if more > 0 else "")))
    for name in ("Row", "ID", "Reasons", "Longstring", "IRV", "r", "D²", "Seconds"):
        table.add_column(name, justify="left" if name in ("ID", "Reasons") else "right",
                         no_wrap=True)
    for entry in entries[:CARELESS_SHOWN]:
        index = entry.get("indices") or {}
        table.add_row(
            str(entry["row"]), escape(_short(entry.get("id"), 16)) or "—",
            ", ".join(entry["reasons"]), str(index.get("longstring", "—")),
            *("—" if index.get(key) is None else f"{index[key]:.{digits}f}"
              for key, digits in (("irv", 2), ("person_total", 2), ("mahalanobis", 1),
                                  ("seconds", 0))),
        )
    console.print(table)


def _short(text: str | None, limit: int = 48) -> str:
    if not text:
        return ""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
