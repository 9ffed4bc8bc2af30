"""Model specifications: lavaan-style text parsed into a validated, immutable ModelSpec.

Syntax (the subset of lavaan, Rosseel 2012, that csi's estimators use):
    Sat =~ sat1 + sat2 + sat3     reflective block (Mode A in PLS, a common factor in CB-SEM)
    Qual <~ q1 + q2               formative block, estimated in Mode B (PLS only)
    Sat ~ Exp + Qual + Val        structural paths into Sat
    Sat ~ Qual + Val + Qual:Val   an interaction (moderation) term; `Qual:Qual` a quadratic
                                  one (PLS only; estimated by csi.estimators.interaction)
    x1 ~~ x2                      residual covariance (CB-SEM only)
    CUSCO ~~ 0*CUSCO              a fixed (co)variance (CB-SEM only)
    F =~ 1*x1 + x2                a fixed loading; `Y ~ 0.5*X` a fixed path (CB-SEM only)
    # comment                     `# @label Sat = Customer Satisfaction` and `# @target Sat`
                                  are csi annotations that lavaan reads as comments.
A statement may continue on the next line after a trailing `+`; `;` separates statements.

Which syntax a model may use depends on the kind of estimator: composite estimators (the PLS
family) reject covariances and fixed values, naming the line; common-factor estimators (CB-SEM)
accept them, and also measurement-only (CFA) models, but no formative blocks. `parse_model`
validates for the kind it is given (`composite`, from the estimator registry, csi.estimators);
`ModelSpec.check_for` re-checks a parsed model for another.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from csi.errors import ModelError

NAME = r"[A-Za-z_.][A-Za-z0-9_.]*"
_NAME_RE = re.compile(rf"^{NAME}$")
_NUMBER_RE = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
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
class Interaction:
    """A product term `focal:moderator` predicting `target` (lavaan's `Y ~ X:M`); focal and
    moderator are the same construct for a quadratic term (`X:X`)."""

    focal: str
    moderator: str
    target: str
    line: int

    @property
    def name(self) -> str:
        return f"{self.focal}:{self.moderator}"


@dataclass(frozen=True)
class Covariance:
    """`left ~~ right`: a (residual) covariance, or a variance when left == right; free when
    `value` is None, else fixed at it (`CUSCO ~~ 0*CUSCO`). Both sides are indicators or both
    are constructs (for an endogenous construct: its disturbance)."""

    left: str
    right: str
    line: int
    value: float | None = None
    term: str = ""  # the right-hand term as written, for messages

    @property
    def key(self) -> frozenset:
        return frozenset((self.left, self.right))


@dataclass(frozen=True)
class FixedValue:
    """A loading (`F =~ 1*x1`: op "=~", left F, right x1) or path (`Y ~ 0.5*X`: op "~",
    left Y, right X) fixed at `value`."""

    op: str
    left: str
    right: str
    value: float
    line: int
    term: str  # as written, e.g. "1*x1"


@dataclass(frozen=True)
class ModelSpec:
    """A validated model: measurement blocks in declaration order, structural paths and, for
    CB-SEM, covariances and fixed values."""

    name: str
    blocks: tuple[Block, ...]
    paths: tuple[StructuralPath, ...]
    labels: dict[str, str] = field(default_factory=dict)
    target: str | None = None
    covariances: tuple[Covariance, ...] = ()
    fixed: tuple[FixedValue, ...] = ()
    interactions: tuple[Interaction, ...] = ()

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

    def fixed_value(self, op: str, left: str, right: str) -> float | None:
        """The value a loading (op "=~") or path (op "~", left = target) is fixed at, if any."""
        for item in self.fixed:
            if (item.op, item.left, item.right) == (op, left, right):
                return item.value
        return None

    def check_for(self, composite: bool) -> None:
        """Raise ModelError, naming the line, if a composite (PLS-family) or a common-factor
        (CB-SEM) estimator cannot estimate this model."""
        if composite:
            findings = [(c.line, 0, _pls_covariance_message(self.name, c.line))
                        for c in self.covariances]
            findings += [(f.line, 1, _pls_fixed_message(self.name, f.line, f.term))
                         for f in self.fixed]
            if findings:
                raise ModelError(min(findings)[2])
            _check_structural(self.name, {b.construct: b.line for b in self.blocks},
                              self.paths + _implied_paths(self.interactions))
        else:
            for term in self.interactions:
                raise ModelError(
                    f"{self.name}, line {term.line}: interaction term '{term.name}' is "
                    "estimated by the PLS estimators only; use --estimator pls"
                )
            for block in self.blocks:
                if block.mode == "B":
                    raise ModelError(
                        f"{self.name}, line {block.line}: construct '{block.construct}' is "
                        "formative ('<~'); CB-SEM estimates common factors only: declare it "
                        "reflective ('=~') or use --estimator pls"
                    )

    def check_columns(self, columns: list[str] | tuple[str, ...], source: str) -> None:
        """Raise ModelError naming the first indicator that is not a column of the data."""
        available = set(columns)
        for block in self.blocks:
            for item in block.indicators:
                if item not in available:
                    import difflib

                    close = difflib.get_close_matches(item, list(columns), n=1, cutoff=0.6)
                    hint = f" (closest: '{close[0]}')" if close else ""
                    raise ModelError(
                        f"{self.name}, line {block.line}: indicator '{item}' is not a column of "
                        f"{source}{hint}"
                    )


def builtin_models() -> dict[str, str]:
    """Names and texts of the models shipped in `models/`."""
    return dict(_builtin_texts())


@functools.lru_cache(maxsize=1)
def _builtin_texts() -> tuple[tuple[str, str], ...]:
    """The shipped models, read once per process (a package's files do not change). The
    package's folder is read directly: importlib.resources costs a short run ~10 ms of
    imports, and csi is never installed zipped."""
    import csi.builtin_models

    folder = Path(csi.builtin_models.__file__).parent
    return tuple((entry.name.removesuffix(".lav"), entry.read_text(encoding="utf-8"))
                 for entry in sorted(folder.glob("*.lav"), key=lambda e: e.name))


def load_model(name_or_path: str, composite: bool = True) -> ModelSpec:
    """Parse a built-in model by name (`csi models` lists them) or a model file by path, validated for
    a composite (PLS-family) or, with composite=False, a common-factor estimator."""
    path = Path(name_or_path)
    if path.is_file():
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise ModelError(f"{name_or_path}: cannot read model file ({exc})") from exc
        return parse_model(text, name=str(path), composite=composite)
    builtin = builtin_models()
    if name_or_path in builtin:
        return parse_model(builtin[name_or_path], name=name_or_path, composite=composite)
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


def _pls_covariance_message(name: str, line: int) -> str:
    return (f"{name}, line {line}: covariances ('~~') are not supported by the PLS "
            "estimators; remove the line")


def _pls_fixed_message(name: str, line: int, term: str) -> str:
    return (f"{name}, line {line}: fixed values and labels ('{term}') are not supported by the "
            "PLS estimators; remove the multiplier")


def _terms(rhs: str, name: str, line: int, pls: bool,
           products: bool = False) -> list[tuple[str, float | None, str]]:
    """The right-hand side's terms as (name, fixed value or None, term as written);
    `products`: a structural right-hand side, where `A:B` (an interaction) is a term."""
    where = f"{name}, line {line}"
    if rhs.strip() == "":
        return []
    terms = []
    for term in (t.strip() for t in rhs.split("+")):
        value = None
        target = term
        if "*" in term:
            if pls:
                raise ModelError(_pls_fixed_message(name, line, term))
            multiplier, _, target = (part.strip() for part in term.partition("*"))
            if multiplier.upper() == "NA":
                raise ModelError(
                    f"{where}: freeing a parameter ('{term}') is not supported: csi fixes the "
                    "first loading of each factor to 1, as lavaan does by default"
                )
            if not _NUMBER_RE.match(multiplier):
                raise ModelError(
                    f"{where}: labels and modifiers ('{term}') are not supported; only fixed "
                    "numbers such as '1*x1' or '0*x1'"
                )
            value = float(multiplier)
        if products and ":" in target:
            parts = [part.strip() for part in target.split(":")]
            if len(parts) != 2:
                raise ModelError(f"{where}: '{term}': csi estimates two-way interactions "
                                 "('A:B') and quadratic terms ('A:A') only")
            if value is not None or not all(_NAME_RE.match(part) for part in parts):
                raise ModelError(f"{where}: '{term}' is not a valid interaction term")
            target = ":".join(parts)
        elif not _NAME_RE.match(target):
            raise ModelError(f"{where}: '{term}' is not a valid name")
        terms.append((target, value, term))
    return terms


@functools.lru_cache(maxsize=64)  # a ModelSpec is immutable: a fit loop parses its model once
def parse_model(text: str, name: str = "<model>", composite: bool = True) -> ModelSpec:
    """Parse and validate lavaan-style model text for a composite (PLS-family) or a
    common-factor estimator; every error names the line."""
    pls = composite
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
    covariances: list[Covariance] = []
    fixed: list[FixedValue] = []
    interactions: list[Interaction] = []

    for number, statement in _statements(text):
        where = f"{name}, line {number}"
        match = _STATEMENT_RE.match(statement)
        if not match or match["op"] not in ("=~", "<~", "~", "~~"):
            raise ModelError(
                f"{where}: unknown operator in '{statement}'; expected '=~' (reflective block), "
                "'<~' (formative block) or '~' (structural path)"
            )
        lhs, op, rhs = match["lhs"].strip(), match["op"], match["rhs"].strip()
        if op == "~~" and pls:
            raise ModelError(_pls_covariance_message(name, number))
        if not _NAME_RE.match(lhs):
            kind = "variable" if op == "~~" else "construct"
            raise ModelError(f"{where}: '{lhs}' is not a valid {kind} name")
        terms = _terms(rhs, name, number, pls, products=op == "~")
        if op == "~~":
            if not terms:
                raise ModelError(f"{where}: covariance of '{lhs}' with nothing")
            covariances += [Covariance(left=lhs, right=item, line=number, value=value, term=term)
                            for item, value, term in terms]
        elif op in ("=~", "<~"):
            mode = "A" if op == "=~" else "B"
            if not terms:
                raise ModelError(f"{where}: construct '{lhs}' has no indicators")
            if lhs in block_mode and block_mode[lhs] != mode:
                raise ModelError(
                    f"{where}: construct '{lhs}' is declared both reflective (=~) and "
                    "formative (<~)"
                )
            block_mode.setdefault(lhs, mode)
            block_line.setdefault(lhs, number)
            items = block_items.setdefault(lhs, [])
            for item, value, term in terms:
                if item in item_owner:
                    owner, owner_line = item_owner[item]
                    raise ModelError(
                        f"{where}: indicator '{item}' is already in block '{owner}' "
                        f"(line {owner_line})"
                    )
                item_owner[item] = (lhs, number)
                items.append(item)
                if value is not None:
                    fixed.append(FixedValue("=~", lhs, item, value, number, term))
        else:
            if not terms:
                raise ModelError(f"{where}: path into '{lhs}' has no predictors")
            for source, value, term in terms:
                if ":" in source:
                    focal, moderator = source.split(":")
                    if not any(i.name == source and i.target == lhs for i in interactions):
                        interactions.append(Interaction(focal, moderator, lhs, number))
                    continue
                if not any(p.source == source and p.target == lhs for p in paths):
                    paths.append(StructuralPath(source=source, target=lhs, line=number))
                if value is not None:
                    fixed.append(FixedValue("~", lhs, source, value, number, term))

    if not block_items:
        raise ModelError(f"{name}: the model declares no constructs ('NAME =~ items')")
    for path in paths:
        for end in (path.target, path.source):
            if end not in block_items:
                raise ModelError(
                    f"{name}, line {path.line}: path '{path.source} -> {path.target}' refers to "
                    f"undeclared construct '{end}' (declare it with '{end} =~ ...')"
                )
    for term in interactions:
        for end in (term.focal, term.moderator):
            if end not in block_items:
                raise ModelError(
                    f"{name}, line {term.line}: interaction '{term.name}' names undeclared "
                    f"construct '{end}' (declare it with '{end} =~ ...')"
                )
    implied = list(_implied_paths(tuple(interactions)))
    if pls:
        _check_structural(name, block_line, tuple(paths) + tuple(implied))
    _check_acyclic(paths + implied, name)
    _check_covariances(covariances, block_items, item_owner, name)
    for key in labels:
        if key not in block_items and key not in item_owner:
            raise ModelError(f"{name}: @label names '{key}', which is not in the model")
    if target is not None and target not in block_items:
        raise ModelError(f"{name}: @target names '{target}', which is not a construct")

    blocks = tuple(
        Block(construct=c, indicators=tuple(items), mode=block_mode[c], line=block_line[c])
        for c, items in block_items.items()
    )
    spec = ModelSpec(name=name, blocks=blocks, paths=tuple(paths), labels=labels, target=target,
                     covariances=tuple(covariances), fixed=tuple(fixed),
                     interactions=tuple(interactions))
    spec.check_for(composite)
    return spec


def _implied_paths(interactions: tuple[Interaction, ...]) -> tuple[StructuralPath, ...]:
    """An interaction's constructs predict its target (for connectivity and cycles)."""
    return tuple(StructuralPath(end, term.target, term.line) for term in interactions
                 for end in dict.fromkeys((term.focal, term.moderator)))


def _check_structural(name: str, block_line: dict[str, int],
                      paths: tuple[StructuralPath, ...]) -> None:
    """A path model needs structural paths, and every construct on one of them."""
    if not paths:
        raise ModelError(f"{name}: the model has no structural paths ('Target ~ Predictor')")
    connected = {p.source for p in paths} | {p.target for p in paths}
    for construct, line in block_line.items():
        if construct not in connected:
            raise ModelError(
                f"{name}, line {line}: construct '{construct}' is not connected "
                "by any structural path"
            )


def _check_covariances(covariances: list[Covariance], block_items: dict[str, list[str]],
                       item_owner: dict[str, tuple[str, int]], name: str) -> None:
    """Both sides of a `~~` name the model's indicators, or both its constructs; no pair twice."""
    seen: dict[frozenset, int] = {}
    for cov in covariances:
        where = f"{name}, line {cov.line}"
        kinds = []
        for side in (cov.left, cov.right):
            if side in block_items:
                kinds.append("construct")
            elif side in item_owner:
                kinds.append("indicator")
            else:
                raise ModelError(
                    f"{where}: '{side}' in '{cov.left} ~~ {cov.term}' is neither a construct nor "
                    "an indicator of the model"
                )
        if kinds[0] != kinds[1]:
            raise ModelError(
                f"{where}: '{cov.left} ~~ {cov.term}' joins a construct and an indicator; "
                "covariances are between two indicators' errors or two constructs"
            )
        if cov.key in seen:
            raise ModelError(
                f"{where}: '{cov.left} ~~ {cov.right}' is already declared on line "
                f"{seen[cov.key]}"
            )
        seen[cov.key] = cov.line


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
