"""The data options shared by every command that reads a survey: one decorator, one
IngestOptions (pass it to read_survey as well as to item_matrix)."""

from __future__ import annotations

import click

from csi.errors import CsiError
from csi.ingest import MISSING_METHODS, IngestOptions
from csi.ingest.options import parse_scale

_KEYS = ("scale", "na", "reverse", "clip", "missing", "weights", "column_map", "id_column",
         "drop_straightliners", "drop_careless", "encoding", "sheet", "skip_rows", "header_row")


def ingest_options(command):
    """Add the survey-reading options to a click command; the command receives them as
    keyword arguments and turns them into IngestOptions with `options_from(kwargs)`."""
    options = [
        click.option("--scale", metavar="MIN:MAX", callback=_checked_scale,
                     help="Answer scale of the items, e.g. 1:10 (default: the observed range, "
                          "stated in the output). Per-item scales go in the --map file."),
        click.option("--na", metavar="CODES", multiple=True,
                     help="Answers meaning \"don't know\" or refused, numbers or text, e.g. "
                          "98,99 or \"不知道,Don't know,N/A\": read as missing (text is "
                          "matched trimmed and ignoring case). SPSS user-missing values are "
                          "honoured without this."),
        click.option("--reverse", metavar="ITEMS", multiple=True,
                     help="Reverse-worded items (indicators or survey columns), e.g. "
                          "PERQ3,PERQ5: recoded min + max - x on their scale."),
        click.option("--clip", is_flag=True,
                     help="Move values outside the scale to its bounds instead of refusing "
                          "the data."),
        click.option("--missing", type=click.Choice(MISSING_METHODS), default="listwise",
                     show_default=True,
                     help="Missing answers: drop incomplete respondents, fill item means, or "
                          "estimate means and covariances by EM."),
        click.option("--weights", metavar="COLUMN",
                     help="Frequency-weight column: a respondent of weight w counts as w "
                          "respondents (n is the sum of the weights)."),
        click.option("--map", "column_map", metavar="FILE",
                     type=click.Path(dir_okay=False),
                     help="Column map, CSV or YAML: survey column -> model indicator, with "
                          "optional per-item scale, reverse and label."),
        click.option("--id", "id_column", metavar="COLUMN",
                     help="Respondent ID column for the duplicate check and the careless list "
                          "(default: a column named like id, respondent_id, ResponseId, 编号, "
                          "序号 or 答卷编号)."),
        click.option("--drop-careless", is_flag=True,
                     help="Drop the respondents flagged as careless (longstring, random or "
                          "speeder answers); without it they are only listed."),
        click.option("--drop-straightliners", is_flag=True,
                     help="Drop respondents who gave the same answer to every item (the "
                          "straight-liners among the careless)."),
        click.option("--encoding", metavar="NAME",
                     help="Text encoding of a CSV file (default: detected; UTF-8, GB18030, "
                          "cp1252)."),
        click.option("--sheet", metavar="NAME",
                     help="Sheet of an Excel workbook, by name or number (default: the first)."),
        click.option("--header-row", "header_row", metavar="N", type=int,
                     help="Row (line) of the file or sheet that holds the column names, "
                          "counting from 1 (default 1); the rows above are not read."),
        click.option("--skip-rows", "skip_rows", metavar="N", type=int,
                     help="Rows under the column names that hold no respondent, e.g. question "
                          "text (default: recognised; 0 keeps every row)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _checked_scale(ctx: click.Context, param: click.Parameter, value: str | None):
    """A malformed or reversed --scale is a usage error (exit 2), found before any reading."""
    if value is None:
        return None
    try:
        parse_scale(value)
    except CsiError as error:
        raise click.BadParameter(str(error).removeprefix(f"--scale '{value}': ")) from None
    return value


def options_from(params: dict) -> IngestOptions:
    """IngestOptions from the keyword arguments `ingest_options` added (removed from
    `params`, so the rest can be passed on)."""
    values = {key: params.pop(key) for key in _KEYS if key in params}
    return IngestOptions.from_text(
        scale=values.get("scale"),
        na=values.get("na") or None,
        reverse=values.get("reverse") or None,
        clip=bool(values.get("clip")),
        missing=values.get("missing") or "listwise",
        weights=values.get("weights"),
        column_map=values.get("column_map"),
        id_column=values.get("id_column"),
        drop_straightliners=bool(values.get("drop_straightliners")),
        drop_careless=bool(values.get("drop_careless")),
        encoding=values.get("encoding"),
        sheet=values.get("sheet"),
        skip_rows=values.get("skip_rows"),
        header_row=values.get("header_row"),
    )
