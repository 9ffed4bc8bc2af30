"""Column map files (`--map FILE`): which survey column holds which model indicator.

Survey tools name questions `Q7_2` or by their text; models name indicators `PERQ2`. A map
says which is which, and may carry per-item facts the questionnaire knows:

CSV (a header row is optional; without one the columns are column, indicator[, scale]):

    column,indicator,scale,reverse,label
    Q7_2,PERQ2,1:5,,Network quality
    Q7_3,PERQ3,1:5,yes,

Header names: `column` (or question, source, from), `indicator` (or item, to), optional
`scale` (MIN:MAX) or `min` and `max`, `reverse` (yes/no, true/false, 1/0, x), `label`.

YAML: a mapping from column to indicator, or to the details:

    Q7_2: PERQ2
    Q7_3: {indicator: PERQ3, scale: "1:5", reverse: true, label: Network quality}

Errors name the map file and its line (CSV) or key (YAML).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from csi.errors import DataError

_COLUMN_KEYS = ("column", "question", "source", "from", "variable")
_INDICATOR_KEYS = ("indicator", "item", "to", "target")
_TRUE = {"1", "true", "yes", "y", "x", "reverse", "reversed", "r"}
_FALSE = {"", "0", "false", "no", "n"}


@dataclass(frozen=True)
class ColumnMap:
    """A loaded column map: column -> indicator plus per-indicator facts."""

    columns: dict[str, str] = field(default_factory=dict)  # survey column -> indicator
    scales: dict[str, tuple[float, float]] = field(default_factory=dict)  # indicator -> bounds
    reverse: tuple[str, ...] = ()  # indicators
    labels: dict[str, str] = field(default_factory=dict)  # indicator -> question text
    source: str = "the column map"
    where: dict[str, str] = field(default_factory=dict)  # column -> "line 3" / "key 'Q1'"

    def locate(self, column: str) -> str:
        where = self.where.get(column)
        return f"{self.source}, {where}" if where else self.source


def load_column_map(spec: str | Path | Mapping[str, str] | None) -> ColumnMap:
    """A ColumnMap from a file path (.csv/.tsv/.txt or .yaml/.yml) or a plain mapping."""
    if spec is None:
        return ColumnMap()
    if isinstance(spec, Mapping):
        return _from_entries(
            [(str(k), v, f"key '{k}'") for k, v in spec.items()], "the column map"
        )
    path = Path(spec)
    name = str(spec)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{name}: no such map file") from None
    except IsADirectoryError:
        raise DataError(f"{name}: is a directory, not a map file") from None
    except OSError as exc:
        raise DataError(f"{name}: cannot read the map file ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{name}: the map file is not UTF-8 (byte {exc.start}); save it as UTF-8"
        ) from None
    if not text.strip():
        raise DataError(f"{name}: the map file is empty")
    if path.suffix.lower() in (".yaml", ".yml"):
        return _from_yaml(text, name)
    return _from_csv(text, name)


def _from_yaml(text: str, name: str) -> ColumnMap:
    import yaml

    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise DataError(f"{name}{where}: {problem}") from None
    if not isinstance(document, dict):
        raise DataError(
            f"{name}: a YAML map must be a mapping 'column: indicator' (one per line)"
        )
    return _from_entries([(str(k), v, f"key '{k}'") for k, v in document.items()], name)


def _from_csv(text: str, name: str) -> ColumnMap:
    first = text.splitlines()[0]
    delimiter = max((",", ";", "\t"), key=first.count) if any(
        d in first for d in (",", ";", "\t")) else ","
    rows = [(number, row) for number, row in enumerate(
        csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1) if any(
        cell.strip() for cell in row)]
    if not rows:
        raise DataError(f"{name}: the map file is empty")
    header = [cell.strip().lower() for cell in rows[0][1]]
    column_at = next((header.index(k) for k in _COLUMN_KEYS if k in header), None)
    indicator_at = next((header.index(k) for k in _INDICATOR_KEYS if k in header), None)
    if column_at is not None and indicator_at is not None:
        fields = {key: header.index(key) for key in ("scale", "min", "max", "reverse", "label")
                  if key in header}
        body = rows[1:]
    elif column_at is not None or indicator_at is not None:
        raise DataError(
            f"{name}, line {rows[0][0]}: the header needs both a 'column' and an 'indicator' "
            "field"
        )
    else:
        column_at, indicator_at, fields = 0, 1, {"scale": 2}
        body = rows
    entries = []
    for number, row in body:
        cells = [cell.strip() for cell in row]

        def cell(position: int | None) -> str:
            return cells[position] if position is not None and position < len(cells) else ""

        if len(cells) <= max(column_at, indicator_at) or not cell(indicator_at):
            raise DataError(
                f"{name}, line {number}: write 'column{delimiter}indicator' (found "
                f"{delimiter.join(cells)!r})"
            )
        details = {"indicator": cell(indicator_at)}
        if cell(fields.get("scale")):
            details["scale"] = cell(fields.get("scale"))
        if cell(fields.get("min")) or cell(fields.get("max")):
            details["scale"] = [cell(fields.get("min")), cell(fields.get("max"))]
        if "reverse" in fields:
            details["reverse"] = cell(fields["reverse"])
        if cell(fields.get("label")):
            details["label"] = cell(fields.get("label"))
        entries.append((cell(column_at), details, f"line {number}"))
    return _from_entries(entries, name)


def _from_entries(entries: list[tuple[str, object, str]], name: str) -> ColumnMap:
    columns: dict[str, str] = {}
    scales: dict[str, tuple[float, float]] = {}
    reverse: list[str] = []
    labels: dict[str, str] = {}
    where: dict[str, str] = {}
    owner: dict[str, str] = {}
    for column, value, place in entries:
        at = f"{name}, {place}"
        if not column:
            raise DataError(f"{at}: the survey column name is empty")
        if isinstance(value, str):
            value = {"indicator": value}
        if not isinstance(value, Mapping) or not isinstance(value.get("indicator"), str) or \
                not value["indicator"].strip():
            raise DataError(
                f"{at}: give the indicator for column '{column}', e.g. '{column}: PERQ1' or "
                f"'{{indicator: PERQ1, scale: \"1:5\"}}'"
            )
        unknown = set(value) - {"indicator", "scale", "reverse", "label"}
        if unknown:
            raise DataError(
                f"{at}: unknown field {sorted(unknown)[0]!r} (fields: indicator, scale, reverse, "
                "label)"
            )
        indicator = value["indicator"].strip()
        if column in columns:
            raise DataError(f"{at}: column '{column}' is mapped twice")
        if indicator in owner:
            raise DataError(
                f"{at}: columns '{owner[indicator]}' and '{column}' both map to indicator "
                f"'{indicator}'"
            )
        columns[column] = indicator
        owner[indicator] = column
        where[column] = place
        if value.get("scale") not in (None, ""):
            scales[indicator] = _scale(value["scale"], at)
        if _flag(value.get("reverse"), at):
            reverse.append(indicator)
        if value.get("label"):
            labels[indicator] = str(value["label"])
    return ColumnMap(columns=columns, scales=scales, reverse=tuple(reverse), labels=labels,
                     source=name, where=where)


def _scale(value, at: str) -> tuple[float, float]:
    if isinstance(value, str):
        low, sep, high = value.partition(":")
        parts = [low, high] if sep else None
    elif isinstance(value, (list, tuple)) and len(value) == 2:
        parts = list(value)
    else:
        parts = None
    try:
        bounds = (float(parts[0]), float(parts[1])) if parts else None
    except (TypeError, ValueError):
        bounds = None
    if bounds is None or not all(map(math.isfinite, bounds)) or bounds[0] >= bounds[1]:
        raise DataError(f"{at}: scale {value!r}: write it as MIN:MAX with MIN < MAX, e.g. 1:5")
    return bounds


def _flag(value, at: str) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise DataError(f"{at}: reverse {value!r}: write yes or no")
