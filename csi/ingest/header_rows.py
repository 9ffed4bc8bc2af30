"""Rows under the header that hold no respondent, recognised without a survey tool's markers.

Exports of any platform, in any language, often put the questions' text in a row (or rows)
right under the short column names, and spreadsheets often merge a question's header cell
across the columns of its sub-questions, whose names are then in the row below. Both are
recognised from the cells alone, by comparing the rows under the header with the rows below
them (the body):

- the item columns are the columns whose body cells are numbers (at least NUMERIC_SHARE of
  the non-empty cells among the first SAMPLE_ROWS body rows, so "don't know" texts among
  the answers do not hide a column);
- a question-text row holds no number at all, has text in at least TEXT_SHARE of the item
  columns, and those texts mostly differ (at least half of them distinct: a respondent who
  answered "don't know" everywhere is not mistaken for question text); up to MAX_TEXT_ROWS
  such rows are skipped, and their text becomes the columns' labels;
- a merged header: the header row is blank over some item columns right of a named cell (a
  cell merged across its sub-questions) and the next row, which holds no number, names
  them; the column is then named `question - sub-question`, as SurveyMonkey's matrix
  columns are (see csi.ingest.exports).

At least two item columns are needed, and a blank line ends the rows looked at. Layouts no
rule can see are given with --skip-rows N and --header-row N (see csi.ingest.read_survey).
"""

from __future__ import annotations

import math
import re

from csi.ingest.frames import NULL_TEXTS

MAX_TEXT_ROWS = 3
SAMPLE_ROWS = 50
NUMERIC_SHARE = 0.8
TEXT_SHARE = 0.5
RECORDS = 1 + MAX_TEXT_ROWS + SAMPLE_ROWS  # records a reader passes to detect_layout
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")


def is_number(cell: str) -> bool:
    """A cell that reads as a number (either decimal mark)."""
    return bool(_NUMBER.match(cell.strip()))


def is_blank(cell: str) -> bool:
    return cell.strip() in NULL_TEXTS


def item_columns(rows: list[list[str]], width: int) -> list[int]:
    """The columns whose non-empty cells in `rows` are mostly numbers, and filled in at least
    half of the rows."""
    sample = rows[:SAMPLE_ROWS]
    if not sample:
        return []
    columns = []
    for position in range(width):
        cells = [row[position] for row in sample if position < len(row)]
        filled = [cell for cell in cells if not is_blank(cell)]
        if not filled or 2 * len(filled) < len(sample):
            continue
        if sum(map(is_number, filled)) >= NUMERIC_SHARE * len(filled):
            columns.append(position)
    return columns


def question_text_rows(rows: list[list[str]], width: int) -> int:
    """How many of `rows` (the records under the header) are question-text rows."""
    leading = 0
    while leading < min(MAX_TEXT_ROWS, len(rows) - 1) and _wordy(rows[leading]):
        leading += 1
    if leading == 0:
        return 0
    items = item_columns(rows[leading:], width)
    if len(items) < 2:
        return 0
    for position in range(leading):
        if not _question_text(rows[position], items):
            return position
    return leading


def merged_header(header: list[str], rows: list[list[str]], width: int) -> bool:
    """True when the header row is blank over item columns that the next row names, right
    of a named cell (a header cell merged across its sub-questions)."""
    if len(rows) < 2 or not _wordy(rows[0]):
        return False
    items = item_columns(rows[1:], width)
    if len(items) < 2:
        return False
    second = rows[0]
    merged = [c for c in items if c > 0 and not header[c].strip() and second[c].strip()
              and any(header[k].strip() for k in range(c))]
    named = all(header[c].strip() or second[c].strip() for c in items)
    return bool(merged) and named


def text_labels(names: list[str], rows: list[list[str]]) -> dict[str, str]:
    """Each column's text in the question-text rows (joined by ' - ' when several), where it
    is text and differs from the column's name."""
    labels = {}
    for position, name in enumerate(names):
        texts = []
        for row in rows:
            cell = row[position].strip() if position < len(row) else ""
            if cell and not is_blank(cell) and not is_number(cell) and cell not in texts:
                texts.append(cell)
        text = " - ".join(texts)
        if name and text and text != name:
            labels[name] = text
    return labels


def _wordy(row: list[str]) -> bool:
    """A row with some text and no number."""
    filled = [cell for cell in row if not is_blank(cell)]
    return bool(filled) and not any(is_number(cell) for cell in filled)


def _question_text(row: list[str], items: list[int]) -> bool:
    texts = [row[c].strip() for c in items if c < len(row) and not is_blank(row[c])]
    if len(texts) < max(2, math.ceil(TEXT_SHARE * len(items))):
        return False
    return len(set(texts)) >= max(2, math.ceil(len(texts) / 2))
