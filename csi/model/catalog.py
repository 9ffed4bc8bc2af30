"""The built-in models as a catalog: each model's title, citation and parsed structure, for
`csi models` (its table and its `csi.models/1` JSON document).

A built-in model file names itself in two csi annotations beside `@label` and `@target`
(comments to lavaan and to the model parser):
    # @title European Customer Satisfaction Index (ECSI)
    # @citation Tenenhaus, M., ... (2005). PLS path modeling. ...
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from csi._version import __version__
from csi.jsonio import dumps
from csi.model.spec import ModelSpec, builtin_models, parse_model

SCHEMA = "csi.models/1"
_META_RE = re.compile(r"^#\s*@(?P<key>title|citation)\s+(?P<value>.*\S)\s*$")


@dataclass(frozen=True)
class CatalogEntry:
    """One built-in model: its `--model` name, title, citation and structure."""

    name: str
    title: str | None
    citation: str | None
    spec: ModelSpec

    def to_dict(self) -> dict:
        """The `model` block of `csi.fit/1` (name, target, constructs, paths), plus the
        title and citation, so a script reads a model the same way in both documents."""
        spec = self.spec
        return {
            "name": self.name,
            "title": self.title,
            "citation": self.citation,
            "target": spec.target,
            "constructs": [
                {
                    "name": block.construct,
                    "label": spec.label(block.construct),
                    "mode": block.mode,
                    "indicators": list(block.indicators),
                }
                for block in spec.blocks
            ],
            "paths": [{"from": p.source, "to": p.target} for p in spec.paths],
        }


def model_metadata(text: str) -> dict[str, str]:
    """The `@title` and `@citation` annotations of a model file's text (last one wins)."""
    found = {}
    for raw in text.splitlines():
        match = _META_RE.match(raw.strip())
        if match:
            found[match["key"]] = match["value"]
    return found


def builtin_catalog() -> tuple[CatalogEntry, ...]:
    """Every built-in model, parsed, in name order."""
    entries = []
    for name, text in builtin_models().items():
        meta = model_metadata(text)
        entries.append(CatalogEntry(name=name, title=meta.get("title"),
                                    citation=meta.get("citation"),
                                    spec=parse_model(text, name=name)))
    return tuple(entries)


def catalog_json(entries: tuple[CatalogEntry, ...]) -> str:
    """The `csi.models/1` document: schema, csi_version and the models."""
    document = {"schema": SCHEMA, "csi_version": __version__,
                "models": [entry.to_dict() for entry in entries]}
    return dumps(document)
