"""Labels for reports: what a construct or a question is called, and how a long label wraps.

A name's label comes from, in order: a `--labels` file (CSV `name,label` or a YAML mapping),
the question text ingest kept for an indicator (the `data_quality` item labels or a
`data.labels` mapping of the saved result), the model's `# @label` annotation for a construct,
and otherwise the name itself. Labels may be in any script; `wrap` counts East Asian wide
characters as two columns and may break between them, as Chinese and Japanese text does.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from pathlib import Path

from csi.errors import DataError

HEADER_NAMES = {"name", "variable", "column", "indicator", "construct", "item", "code"}
HEADER_LABELS = {"label", "text", "question", "description", "wording"}


def read_labels(path: str | Path) -> dict[str, str]:
    """name -> label from a CSV (`name,label`, header optional; `.tsv` tab-separated) or YAML
    (`.yaml`/`.yml`: a mapping) file. DataError (exit 3) names the file and line of a problem."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise DataError(f"{path}: no such labels file") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory, not a labels file") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: not UTF-8 text; save the labels file as UTF-8") from None
    if path.suffix.lower() in (".yaml", ".yml"):
        return _yaml_labels(path, text)
    return _csv_labels(path, text)


def _yaml_labels(path: Path, text: str) -> dict[str, str]:
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        raise DataError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise DataError(f"{path}: expected a mapping of names to labels (name: label)")
    labels = {}
    for name, label in data.items():
        if isinstance(label, (dict, list)) or label is None:
            raise DataError(f"{path}: the label of '{name}' must be text, e.g. {name}: My label")
        labels[str(name).strip()] = str(label).strip()
    return labels


def _csv_labels(path: Path, text: str) -> dict[str, str]:
    first = text.split("\n", 1)[0]
    delimiter = "\t" if path.suffix.lower() == ".tsv" or ("\t" in first and "," not in first) \
        else ","
    labels: dict[str, str] = {}
    lines: dict[str, int] = {}
    first_row = True
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for row in reader:
        number = reader.line_num
        cells = [cell.strip() for cell in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if len(cells) < 2 or not cells[0] or not cells[1]:
            raise DataError(f"{path}, line {number}: expected name{delimiter}label, got "
                            f"{delimiter.join(row)!r}")
        header = first_row and cells[0].lower() in HEADER_NAMES \
            and cells[1].lower() in HEADER_LABELS
        first_row = False
        if header:
            continue
        name, label = cells[0], delimiter.join(cells[1:]).strip(delimiter + " ")
        if name in labels:
            raise DataError(f"{path}, line {number}: '{name}' is labelled twice "
                            f"(first on line {lines[name]})")
        labels[name] = label
        lines[name] = number
    return labels


def question_texts(doc: dict) -> dict[str, str]:
    """indicator -> question text that ingest kept in a saved result (absent: empty)."""
    texts: dict[str, str] = {}
    data = doc.get("data") or {}
    if isinstance(data.get("labels"), dict):
        texts.update({str(k): str(v) for k, v in data["labels"].items() if v})
    quality = doc.get("data_quality") or {}
    for item in quality.get("items") or []:
        if isinstance(item, dict) and item.get("indicator") and item.get("label"):
            texts[str(item["indicator"])] = str(item["label"])
    return texts


class Labels:
    """Callable name -> label for one result, with the sources in the module docstring."""

    def __init__(self, doc: dict, overrides: dict[str, str] | None = None):
        model = doc.get("model") or {}
        self.constructs = {c["name"]: c.get("label") or c["name"]
                           for c in model.get("constructs", [])}
        self.indicators = [i for c in model.get("constructs", []) for i in c.get("indicators", [])]
        self.questions = question_texts(doc)
        self.overrides = dict(overrides or {})

    def __call__(self, name: str) -> str:
        return (self.overrides.get(name) or self.constructs.get(name)
                or self.questions.get(name) or name)

    def question(self, indicator: str) -> str | None:
        """The indicator's question text or label, None when it has none but its name."""
        text = self.overrides.get(indicator) or self.questions.get(indicator)
        return text if text and text != indicator else None

    def unknown(self) -> list[str]:
        """Names in the overrides that are neither a construct nor an indicator."""
        known = set(self.constructs) | set(self.indicators)
        return [name for name in self.overrides if name not in known]


def width(text: str) -> int:
    """Display columns of `text`: East Asian wide and full-width characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _units(text: str) -> list[str]:
    """Breakable units: runs of narrow non-space characters, single wide characters, and
    single spaces (where a line may break)."""
    units: list[str] = []
    word = ""
    for ch in text:
        if ch.isspace():
            if word:
                units.append(word)
                word = ""
            units.append(" ")
        elif unicodedata.east_asian_width(ch) in "WF":
            if word:
                units.append(word)
                word = ""
            units.append(ch)
        else:
            word += ch
    if word:
        units.append(word)
    return units


_NO_LINE_START = set("，。、；：！？）》」』】〉,.;:!?)]}%")


def wrap(text: str, columns: int) -> list[str]:
    """Lines of at most `columns` display columns (a longer word is cut), breaking at spaces
    and between wide characters; CJK closing punctuation never starts a line."""
    columns = max(int(columns), 2)
    lines: list[str] = []
    line = ""
    for unit in _units(" ".join(str(text).split())):
        if unit == " ":
            if line:
                line += " "
            continue
        if width(line) + width(unit) <= columns or (unit in _NO_LINE_START and line):
            line += unit
            continue
        if line.strip():
            lines.append(line.rstrip())
        line = ""
        while width(unit) > columns:
            cut = _cut(unit, columns)
            lines.append(unit[:cut])
            unit = unit[cut:]
        line = unit
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


def _cut(word: str, columns: int) -> int:
    used = 0
    for position, ch in enumerate(word):
        used += width(ch)
        if used > columns:
            return max(position, 1)
    return len(word)


def wrapped(text: str, columns: int, max_lines: int | None = None) -> str:
    """`wrap` joined by newlines; with `max_lines`, the last kept line ends in an ellipsis."""
    lines = wrap(text, columns)
    if max_lines is not None and len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and width(last) + 1 > columns:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return "\n".join(lines)


__all__ = ["Labels", "question_texts", "read_labels", "width", "wrap", "wrapped"]
