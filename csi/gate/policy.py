"""The tolerance policy of `csi check`: how far each metric may move, read from a TOML file.

Tolerances (Policy): `numeric` passes when |current - baseline| <= abs + rel * |baseline|;
`ci` passes when |current - baseline| <= z * sqrt(se_b^2 + se_c^2), z the two-sided normal
quantile of `level` (1.96 for 0.95): the change is within the combined bootstrap uncertainty of
two independent runs. The ci tolerance is never below the numeric one, and a metric without a
bootstrap SE in both files falls back to the numeric rule (the report says which rule applied).
With `correction = "holm"` the ci rule's tests are corrected for multiplicity across every
metric it compares (Holm 1979, Scand. J. Statist. 6:65-70): a result from an unchanged
population fails with probability at most 1 - level.

Built-in policies by name (`--policy exact|seed|waves`); a TOML file extends one of them
(`extends = "waves"`, default `seed`) and overrides what it sets.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from statistics import NormalDist

from csi.errors import CsiError, ExitCode

RULES = ("numeric", "ci", "ignore")
CATEGORICAL = ("fail", "warn", "ignore")
PRIORITY_RULES = ("top1", "top3", "order", "ignore")
STRUCTURE = ("fail", "warn")
CORRECTIONS = ("none", "holm")
DIAGNOSTICS = ("fail", "warn", "ignore")
DEFAULT_ABS = 1e-6
DEFAULT_REL = 1e-6
DEFAULT_LEVEL = 0.95
TOLERANCE_KEYS = ("rule", "abs", "rel", "categorical")
TOP_LEVEL_KEYS = ("level", "priority", "strict", "inference", "structure", "correction",
                  "descriptives", "same_data", "diagnostics")

# The built-in policies, as the TOML tables they would be (`--policy NAME`).
BUILTIN = {
    # same data, seed and csi: every number, inference and descriptives included
    "exact": {"strict": True, "inference": True, "descriptives": True, "priority": "order"},
    # same data, any seed: the point estimates only (the default)
    "seed": {},
    # a new sample of the same population: indices, paths and importances within their
    # combined bootstrap uncertainty, Holm-corrected across all of them
    "waves": {"priority": "ignore", "correction": "holm", "same_data": False,
              "defaults": {"rule": "ignore", "categorical": "warn"},
              "families": {"index": {"rule": "ci"}, "paths": {"rule": "ci"},
                           "importance": {"rule": "ci"}}},
}
DEFAULT_POLICY = "seed"


class PolicyError(CsiError):
    """The check policy file cannot be read or is invalid (a usage error: exit 2)."""

    exit_code = ExitCode.USAGE


@dataclass(frozen=True)
class Tolerance:
    """How one metric is compared: the rule, the numeric bounds and categorical changes."""

    rule: str = "numeric"  # numeric | ci | ignore
    abs: float = DEFAULT_ABS
    rel: float = DEFAULT_REL
    categorical: str = "fail"  # fail | warn | ignore: what a changed category means

    def numeric_limit(self, baseline: float) -> float:
        return self.abs + self.rel * abs(baseline)

    def to_dict(self) -> dict:
        return {"rule": self.rule, "abs": self.abs, "rel": self.rel,
                "categorical": self.categorical}


@dataclass(frozen=True)
class Policy:
    """Tolerances per metric family and per named metric, and the other check settings.

    Resolution, most specific last: defaults, then each enclosing family (`nonlinear`, then
    `nonlinear.drivers`), then metric patterns in file order, then the exact metric name. Each
    layer overrides only the keys it sets.
    """

    defaults: Tolerance = Tolerance()
    families: tuple[tuple[str, tuple[tuple[str, object], ...]], ...] = ()
    metrics: tuple[tuple[str, tuple[tuple[str, object], ...]], ...] = ()
    level: float = DEFAULT_LEVEL
    priority: str = "top1"
    strict: bool = False
    inference: bool = False
    structure: str = "fail"
    source: str | None = None
    correction: str = "none"  # none | holm: multiplicity correction of the ci rule
    descriptives: bool = False  # compare data_quality (descriptives of the data) too
    same_data: bool = True  # a different data hash (data.sha256) is a warning (strict: fail)
    diagnostics: str = "fail"  # what an error diagnostic in the current result means
    name: str = DEFAULT_POLICY  # the built-in policy this one starts from

    def compares_descriptives(self) -> bool:
        """data_quality is compared when the policy says so or names any of it."""
        return self.descriptives or any(
            entry == "data_quality" or entry.startswith(("data_quality.", "data_quality["))
            for entry, _ in (*self.families, *self.metrics))

    @property
    def z(self) -> float:
        """Two-sided normal quantile of `level` (1.959964 for 0.95)."""
        return NormalDist().inv_cdf(0.5 + self.level / 2)

    def tolerance(self, family: str, name: str) -> Tolerance:
        """The tolerance that applies to metric `name` of `family`."""
        settings = self.defaults.to_dict()
        parts = family.split(".")
        overrides = dict(self.families)
        for depth in range(1, len(parts) + 1):
            settings.update(overrides.get(".".join(parts[:depth]), ()))
        exact = None
        for pattern, values in self.metrics:
            if pattern == name:
                exact = values
            elif "*" in pattern or "?" in pattern:
                if _pattern(pattern).fullmatch(name):
                    settings.update(values)
        if exact is not None:
            settings.update(exact)
        return Tolerance(**settings)

    def matching_entries(self, family: str, name: str) -> set[str]:
        """The entries (`families:<name>`, `metrics:<pattern>`) that apply to metric `name` of
        `family`, whether or not they change its tolerance."""
        used = set()
        for entry, _ in self.families:
            if family == entry or family.startswith(entry + "."):
                used.add(f"families:{entry}")
        for entry, _ in self.metrics:
            if entry == name or (("*" in entry or "?" in entry)
                                 and _pattern(entry).fullmatch(name)):
                used.add(f"metrics:{entry}")
        return used

    def with_strict(self, strict: bool) -> Policy:
        return self if not strict or self.strict else replace(self, strict=True)

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "level": self.level,
            "z": self.z,
            "priority": self.priority,
            "strict": self.strict,
            "inference": self.inference,
            "structure": self.structure,
            "defaults": self.defaults.to_dict(),
            "families": {name: dict(values) for name, values in self.families},
            "metrics": {name: dict(values) for name, values in self.metrics},
            "extends": self.name,
            "correction": self.correction,
            "descriptives": self.descriptives,
            "same_data": self.same_data,
            "diagnostics": self.diagnostics,
        }

    @classmethod
    def from_dict(cls, data: dict, source: str = "policy") -> Policy:
        """A policy from the parsed TOML document (see the README for the format): the
        built-in policy it `extends` (default `seed`), overridden by what it sets."""
        if not isinstance(data, dict):
            raise PolicyError(f"{source}: a policy is a TOML table")
        base = data.get("extends", DEFAULT_POLICY)
        if base not in BUILTIN:
            raise PolicyError(f"{source}: extends = {base!r} is not one of "
                              f"{', '.join(BUILTIN)}")
        return cls._from_table(_merge(BUILTIN[base], data), source, base)

    @classmethod
    def _from_table(cls, data: dict, source: str, name: str) -> Policy:
        known = (*TOP_LEVEL_KEYS, "defaults", "families", "metrics", "extends")
        for key in data:
            if key not in known:
                raise PolicyError(f"{source}: unknown key '{key}' (expected one of "
                                  f"{', '.join(known)})")
        top = {key: data[key] for key in TOP_LEVEL_KEYS if key in data}
        level = top.get("level", DEFAULT_LEVEL)
        if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
            raise PolicyError(f"{source}: level must be a number between 0 and 1, e.g. 0.95")
        for key, choices in (("priority", PRIORITY_RULES), ("structure", STRUCTURE),
                             ("correction", CORRECTIONS), ("diagnostics", DIAGNOSTICS)):
            if key in top and top[key] not in choices:
                raise PolicyError(f"{source}: {key} = {top[key]!r} is not one of "
                                  f"{', '.join(choices)}")
        for key in ("strict", "inference", "descriptives", "same_data"):
            if key in top and not isinstance(top[key], bool):
                raise PolicyError(f"{source}: {key} must be true or false")
        defaults = data.get("defaults", {})
        if not isinstance(defaults, dict):
            raise PolicyError(f"{source}: [defaults] must be a table")
        default_values = _tolerance_values(defaults, "[defaults]", source)
        return cls(
            defaults=Tolerance(**{**Tolerance().to_dict(), **default_values}),
            families=_named_tables(data.get("families", {}), "families", source),
            metrics=_named_tables(data.get("metrics", {}), "metrics", source),
            level=float(level),
            priority=top.get("priority", "top1"),
            strict=top.get("strict", False),
            inference=top.get("inference", False),
            structure=top.get("structure", "fail"),
            source=source,
            correction=top.get("correction", "none"),
            descriptives=top.get("descriptives", False),
            same_data=top.get("same_data", True),
            diagnostics=top.get("diagnostics", "fail"),
            name=name,
        )


def builtin_policy(name: str) -> Policy:
    """One of the built-in policies: exact, seed (the default) or waves."""
    return Policy._from_table(BUILTIN[name], name, name)


def _merge(base: dict, override: dict) -> dict:
    """`override` on top of `base`, table by table (a family's keys merge, not replace).
    Dotted family names are compared as written and as TOML nests them."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def load_policy(path: str | Path) -> Policy:
    """A built-in policy by name (exact, seed, waves), or a TOML policy file; PolicyError
    (exit 2) if it cannot be read or is invalid."""
    if str(path) in BUILTIN:
        return builtin_policy(str(path))
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(f"{path}: no such policy file (built-in policies: "
                          f"{', '.join(BUILTIN)})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{path}: cannot read the policy file ({exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{path}: not valid TOML ({exc})") from None
    return Policy.from_dict(data, str(path))


def _tolerance_values(table: dict, where: str, source: str) -> dict:
    values = {}
    for key, value in table.items():
        if key not in TOLERANCE_KEYS:
            raise PolicyError(f"{source}: unknown key '{key}' in {where} (expected "
                              f"{', '.join(TOLERANCE_KEYS)})")
        if key == "rule" and value not in RULES:
            raise PolicyError(f"{source}: rule = {value!r} in {where} is not one of "
                              f"{', '.join(RULES)}")
        if key == "categorical" and value not in CATEGORICAL:
            raise PolicyError(f"{source}: categorical = {value!r} in {where} is not one of "
                              f"{', '.join(CATEGORICAL)}")
        if key in ("abs", "rel"):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                    math.isfinite(value) and value >= 0):
                raise PolicyError(f"{source}: {key} in {where} must be a number >= 0")
            value = float(value)
        values[key] = value
    return values


def _named_tables(tables, kind: str, source: str) -> tuple:
    """Flatten [families.x] / [metrics."x"] tables; unquoted dotted names nest in TOML, so
    a nested table is joined back with '.' (`[families.nonlinear.drivers]`)."""
    if not isinstance(tables, dict):
        raise PolicyError(f"{source}: [{kind}] must be a table of tables")
    out: list[tuple[str, tuple]] = []

    def walk(name: str, table) -> None:
        if not isinstance(table, dict):
            raise PolicyError(f"{source}: {kind}.{name} must be a table, e.g. "
                              f"[{kind}.\"{name}\"] with rule = \"numeric\"")
        own = {k: v for k, v in table.items() if not isinstance(v, dict)}
        if own:
            values = _tolerance_values(own, f'[{kind}."{name}"]', source)
            out.append((name, tuple(values.items())))
        for key, value in table.items():
            if isinstance(value, dict):
                walk(f"{name}.{key}", value)

    for name, table in tables.items():
        walk(name, table)
    return tuple(out)


def _pattern(pattern: str) -> re.Pattern:
    """`*` any characters, `?` one character; everything else (brackets too) is literal."""
    return re.compile("".join(
        ".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern))
