"""Model specifications: lavaan-style text parsed into a validated, immutable ModelSpec.

Syntax (the subset of lavaan, Rosseel 2012, that PLS path modeling uses):
    Sat =~ sat1 + sat2 + sat3     reflective block, estimated in Mode A
    Qual <~ q1 + q2               formative block, estimated in Mode B
    Sat ~ Exp + Qual + Val        structural paths into Sat
    # comment                     `# @label Sat = Customer Satisfaction` and `# @target Sat`
                                  are csi annotations that lavaan reads as comments.
A statement may continue on the next line after a trailing `+`; `;` separates statements.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from csi.errors import ModelError

NAME = r"[A-Za-z_.][A-Za-z0-9_.]*"
_NAME_RE = re.compile(rf"^{NAME}$")
_STATEMENT_RE = re.compile(r"^(?P<lhs>.*?)\s*(?P<op>=~|<~|~~|~|:=|==|<|>|=)\s*(?P<rhs>.*)$")
_ANNOTATION_RE = re.compile(r"^#\s*@(?P<key>label|target)\s+(?P<value>.*)$")


@dataclass(frozen=True)
class Block:
    """One construct's measurement block: its indicators and estimation mode."""

    construct: str
    indicators: tuple[str, ...]
    mode: str  # "A" (reflective, =~) or "B" (formative, <~)
    line: int


@dataclass(frozen=True)
class StructuralPath:
    """A structural path `source -> target` (written `target ~ source`)."""

    source: str
    target: str
    line: int


@dataclass(frozen=True)
class ModelSpec:
    """A validated model: measurement blocks in declaration order and structural paths."""

    name: str
    blocks: tuple[Block, ...]
    paths: tuple[StructuralPath, ...]
    labels: dict[str, str] = field(default_factory=dict)
    target: str | None = None

    @property
    def constructs(self) -> tuple[str, ...]:
        return tuple(block.construct for block in self.blocks)

    @property
    def indicators(self) -> tuple[str, ...]:
        return tuple(item for block in self.blocks for item in block.indicators)

    def block(self, construct: str) -> Block:
        for block in self.blocks:
            if block.construct == construct:
                return block
        raise KeyError(construct)

    def predecessors(self, construct: str) -> tuple[str, ...]:
        return tuple(p.source for p in self.paths if p.target == construct)

    @property
    def endogenous(self) -> tuple[str, ...]:
        targets = {p.target for p in self.paths}
        return tuple(c for c in self.constructs if c in targets)

    def label(self, name: str) -> str:
        return self.labels.get(name, name)

    def check_columns(self, columns: list[str] | tuple[str, ...], source: str) -> None:
        """Raise ModelError naming the first indicator that is not a column of the data."""
        available = set(columns)
        for block in self.blocks:
            for item in block.indicators:
                if item not in available:
                    close = difflib.get_close_matches(item, list(columns), n=1, cutoff=0.6)
                    hint = f" (closest: '{close[0]}')" if close else ""
                    raise ModelError(
                        f"{self.name}, line {block.line}: indicator '{item}' is not a column of "
                        f"{source}{hint}"
                    )


def builtin_models() -> dict[str, str]:
    """Names and texts of the models shipped in `models/`."""
    folder = resources.files("csi.builtin_models")
    return {
        entry.name.removesuffix(".lav"): entry.read_text(encoding="utf-8")
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".lav")
    }


def load_model(name_or_path: str) -> ModelSpec:
    """Parse a built-in model by name (`acsi`, `ecsi`) or a model file by path."""
    path = Path(name_or_path)
    if path.is_file():
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise ModelError(f"{name_or_path}: cannot read model file ({exc})") from exc
        return parse_model(text, name=str(path))
    builtin = builtin_models()
    if name_or_path in builtin:
        return parse_model(builtin[name_or_path], name=name_or_path)
    raise ModelError(
        f"unknown model '{name_or_path}': not a file and not a built-in model "
        f"({', '.join(builtin)})"
    )


def _statements(text: str) -> list[tuple[int, str]]:
    """Split text into (line number, statement), joining lines continued by a `+`."""
    statements: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        code = raw.split("#", 1)[0].strip()
        for piece in (p.strip() for p in code.split(";")):
            if not piece:
                continue
            if pending is not None and (pending[1].endswith("+") or piece.startswith("+")):
                pending = (pending[0], f"{pending[1]} {piece}")
                continue
            if pending is not None:
                statements.append(pending)
            pending = (number, piece)
    if pending is not None:
        statements.append(pending)
    return statements


def _names(rhs: str, where: str) -> list[str]:
    terms = [t.strip() for t in rhs.split("+")]
    if rhs.strip() == "":
        return []
    for term in terms:
        if "*" in term:
            raise ModelError(
                f"{where}: fixed values and labels ('{term}') are not supported by the PLS "
                "estimators; remove the multiplier"
            )
        if not _NAME_RE.match(term):
            raise ModelError(f"{where}: '{term}' is not a valid name")
    return terms


def parse_model(text: str, name: str = "<model>") -> ModelSpec:
    """Parse and validate lavaan-style model text; every error names the line."""
    labels: dict[str, str] = {}
    target: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        match = _ANNOTATION_RE.match(raw.strip())
        if not match:
            continue
        if match["key"] == "label":
            key, sep, value = match["value"].partition("=")
            if not sep or not key.strip() or not value.strip():
                raise ModelError(f"{name}, line {number}: write labels as '# @label NAME = Label'")
            labels[key.strip()] = value.strip()
        else:
            target = match["value"].strip()

    block_items: dict[str, list[str]] = {}
    block_mode: dict[str, str] = {}
    block_line: dict[str, int] = {}
    item_owner: dict[str, tuple[str, int]] = {}
    paths: list[StructuralPath] = []

    for number, statement in _statements(text):
        where = f"{name}, line {number}"
        match = _STATEMENT_RE.match(statement)
        if not match or match["op"] not in ("=~", "<~", "~", "~~"):
            raise ModelError(
                f"{where}: unknown operator in '{statement}'; expected '=~' (reflective block), "
                "'<~' (formative block) or '~' (structural path)"
            )
        lhs, op, rhs = match["lhs"].strip(), match["op"], match["rhs"].strip()
        if op == "~~":
            raise ModelError(
                f"{where}: covariances ('~~') are not supported by the PLS estimators; "
                "remove the line"
            )
        if not _NAME_RE.match(lhs):
            raise ModelError(f"{where}: '{lhs}' is not a valid construct name")
        names = _names(rhs, where)
        if op in ("=~", "<~"):
            mode = "A" if op == "=~" else "B"
            if not names:
                raise ModelError(f"{where}: construct '{lhs}' has no indicators")
            if lhs in block_mode and block_mode[lhs] != mode:
                raise ModelError(
                    f"{where}: construct '{lhs}' is declared both reflective (=~) and "
                    "formative (<~)"
                )
            block_mode.setdefault(lhs, mode)
            block_line.setdefault(lhs, number)
            items = block_items.setdefault(lhs, [])
            for item in names:
                if item in item_owner:
                    owner, owner_line = item_owner[item]
                    raise ModelError(
                        f"{where}: indicator '{item}' is already in block '{owner}' "
                        f"(line {owner_line})"
                    )
                item_owner[item] = (lhs, number)
                items.append(item)
        else:
            if not names:
                raise ModelError(f"{where}: path into '{lhs}' has no predictors")
            for source in names:
                if not any(p.source == source and p.target == lhs for p in paths):
                    paths.append(StructuralPath(source=source, target=lhs, line=number))

    if not block_items:
        raise ModelError(f"{name}: the model declares no constructs ('NAME =~ items')")
    for path in paths:
        for end in (path.target, path.source):
            if end not in block_items:
                raise ModelError(
                    f"{name}, line {path.line}: path '{path.source} -> {path.target}' refers to "
                    f"undeclared construct '{end}' (declare it with '{end} =~ ...')"
                )
    if not paths:
        raise ModelError(f"{name}: the model has no structural paths ('Target ~ Predictor')")
    connected = {p.source for p in paths} | {p.target for p in paths}
    for construct in block_items:
        if construct not in connected:
            raise ModelError(
                f"{name}, line {block_line[construct]}: construct '{construct}' is not connected "
                "by any structural path"
            )
    _check_acyclic(paths, name)
    for key in labels:
        if key not in block_items and key not in item_owner:
            raise ModelError(f"{name}: @label names '{key}', which is not in the model")
    if target is not None and target not in block_items:
        raise ModelError(f"{name}: @target names '{target}', which is not a construct")

    blocks = tuple(
        Block(construct=c, indicators=tuple(items), mode=block_mode[c], line=block_line[c])
        for c, items in block_items.items()
    )
    return ModelSpec(name=name, blocks=blocks, paths=tuple(paths), labels=labels, target=target)


def _check_acyclic(paths: list[StructuralPath], name: str) -> None:
    """Raise ModelError naming a cycle if the structural model is not recursive."""
    successors: dict[str, list[StructuralPath]] = {}
    for path in paths:
        successors.setdefault(path.source, []).append(path)
    state: dict[str, int] = {}  # 1 = on the current walk, 2 = finished

    def visit(node: str, trail: list[StructuralPath]) -> None:
        state[node] = 1
        for path in successors.get(node, []):
            if state.get(path.target) == 1:
                start = next(i for i, p in enumerate(trail + [path]) if p.source == path.target)
                cycle = (trail + [path])[start:]
                names = " -> ".join([cycle[0].source] + [p.target for p in cycle])
                raise ModelError(
                    f"{name}, line {path.line}: the structural model has a cycle: {names}"
                )
            if state.get(path.target) is None:
                visit(path.target, trail + [path])
        state[node] = 2

    for node in list(successors):
        if state.get(node) is None:
            visit(node, [])
