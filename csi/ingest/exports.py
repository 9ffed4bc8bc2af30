"""Export layouts: the extra header rows of Qualtrics and SurveyMonkey files, and of any
platform's question-text rows and merged header cells.

Qualtrics (CSV and Excel exports since 2016) writes three header rows: the column names
(`StartDate`, ..., `ResponseId`, `Q1_1`, ...), the question text, and a row of ImportId
records (`{"ImportId":"QID1_1"}`). Its legacy format writes two: `V1`, `V2`, ..., `Q1` and then
`ResponseID`, ..., question text. SurveyMonkey writes two: the question text (with blank
cells after a matrix question's first column) and a second row with the matrix rows'
sub-questions or `Response` / `Open-Ended Response`.

Detection looks for those tools' fixed markers only (never for "a row that looks like text"),
so a plain file is never mistaken for an export. The question text becomes the column's label.
SurveyMonkey has no question IDs: a single-column question is named by its text, a matrix
column by `question - sub-question`; map them to indicators with `--map`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from csi.ingest.header_rows import (
    merged_header,
    question_text_rows,
    text_labels,
)

LAYOUTS = ("plain", "qualtrics", "surveymonkey", "question_text", "merged_header", "skip_rows")
_QUALTRICS_COLUMNS = {"responseid", "startdate", "enddate", "recordeddate", "finished",
                      "progress", "duration (in seconds)", "ipaddress", "distributionchannel"}
_MONKEY_ANSWER = {"response", "open-ended response"}


@dataclass(frozen=True)
class Layout:
    """The header of a delimited file or sheet: names, labels and the rows it takes."""

    name: str  # one of LAYOUTS
    header_rows: int
    names: list[str]
    labels: dict[str, str] = field(default_factory=dict)
    note: str | None = None


def detect_layout(records: list[list[str]], skip_rows: int | None = None) -> Layout:
    """The layout of a file whose first non-blank records are `records` (header first; pass
    header_rows.RECORDS of them for the generic rules). `skip_rows`, when given, says how many
    rows under the header to skip instead."""
    header = [cell.strip() for cell in records[0]] if records else []
    if skip_rows is not None:
        return _skipped(header, [_padded(r, len(header)) for r in records[1:1 + skip_rows]],
                        skip_rows)
    second = _padded(records[1], len(header)) if len(records) > 1 else None
    third = _padded(records[2], len(header)) if len(records) > 2 else None
    if second is not None and third is not None and _import_ids(third):
        return Layout(
            "qualtrics", 3, header, _labels(header, second),
            "Qualtrics export: skipped its question-text and ImportId header rows",
        )
    lowered = [name.lower() for name in header]
    if second is not None and sum(name in _QUALTRICS_COLUMNS for name in lowered) >= 2 and \
            "responseid" in lowered and second[lowered.index("responseid")].strip().lower() \
            == "response id":
        return Layout("qualtrics", 2, header, _labels(header, second),
                      "Qualtrics export: skipped its question-text header row")
    if second is not None and header and header[0] == "V1" and any(
            cell.strip() == "ResponseID" for cell in second):
        return Layout("qualtrics", 2, header, _labels(header, second),
                      "Qualtrics legacy export: skipped its question-text header row")
    compact = {name.replace(" ", "") for name in lowered}
    if second is not None and "respondentid" in compact and (
            "collectorid" in compact or any(c.strip().lower() in _MONKEY_ANSWER for c in second)):
        names, labels = _monkey_names(header, second)
        return Layout("surveymonkey", 2, names, labels,
                      "SurveyMonkey export: merged its two header rows into column names")
    return _generic(header, [_padded(r, len(header)) for r in records[1:]])


def _generic(header: list[str], rows: list[list[str]]) -> Layout:
    """Merged header cells or question-text rows (csi.ingest.header_rows), else plain."""
    width = len(header)
    if merged_header(header, rows, width):
        names, labels = _monkey_names(header, rows[0])
        return Layout("merged_header", 2, names, labels,
                      "merged header cells: read the two header rows, naming a merged "
                      "question's columns 'question - sub-question'")
    count = question_text_rows(rows, width)
    if count:
        many = count > 1
        return Layout(
            "question_text", 1 + count, header, text_labels(header, rows[:count]),
            f"skipped {count} question-text row{'s' if many else ''} under the header (the "
            f"numbers start below {'them' if many else 'it'}; kept as the questions' labels); "
            f"if {'they are' if many else 'it is'} a respondent's answers, give --skip-rows 0"
        )
    return Layout("plain", 1, header)


def _skipped(header: list[str], rows: list[list[str]], count: int) -> Layout:
    if count == 0:
        return Layout("plain", 1, header)
    return Layout("skip_rows", 1 + count, header, text_labels(header, rows[:1]),
                  f"--skip-rows {count}: skipped {count} row{'s' if count > 1 else ''} under "
                  "the header")


def _padded(record: list[str], width: int) -> list[str]:
    return list(record[:width]) + [""] * max(0, width - len(record))


def _import_ids(record: list[str]) -> bool:
    hits = 0
    for cell in record:
        text = cell.strip()
        if text.startswith("{") and "importid" in text.lower():
            try:
                hits += isinstance(json.loads(text), dict)
            except ValueError:
                continue
    return hits > 0


def _labels(names: list[str], texts: list[str]) -> dict[str, str]:
    return {name: text.strip() for name, text in zip(names, texts)
            if name and text.strip() and text.strip() != name}


def _monkey_names(header: list[str], second: list[str]) -> tuple[list[str], dict[str, str]]:
    """Column names of a SurveyMonkey export: the question text, or `question - sub-question`
    for the columns of a matrix question (whose header cells after the first are blank)."""
    group_of: list[int] = []
    for position, name in enumerate(header):
        starts = bool(name) or position == 0 or not second[position].strip()
        group_of.append(position if starts else group_of[-1])
    sizes: dict[int, int] = {}
    for start in group_of:
        sizes[start] = sizes.get(start, 0) + 1
    names, labels = [], {}
    for position, start in enumerate(group_of):
        question = header[start]
        answer = second[position].strip()
        if sizes[start] > 1 and answer:
            name = f"{question} - {answer}" if question else answer
        else:
            name = question
        names.append(name)
        if name and question:
            is_answer = answer.lower() in _MONKEY_ANSWER or not answer
            labels[name] = question if is_answer or sizes[start] == 1 else f"{question} - {answer}"
    return names, labels
