"""The JSON Schemas (draft 2020-12) of csi's documents: csi.fit/1, csi.check/1, csi.compare/1,
csi.segments/1, csi.simulate/1, csi.plan/1, csi.aggregate/1, csi.predict/1 and csi.latent/1, as
published by `csi schema NAME`. Keys are only ever added, so each
schema allows properties it does not list."""

from __future__ import annotations

import json
from importlib import resources

NAMES = ("fit", "check", "compare", "segments", "simulate", "plan", "aggregate", "predict",
         "latent")


def text(name: str) -> str:
    """The schema of document `name` (one of NAMES) as JSON text."""
    if name not in NAMES:
        raise ValueError(f"unknown schema '{name}' ({', '.join(NAMES)})")
    return resources.files(__name__).joinpath(f"{name}.json").read_text(encoding="utf-8")


def load(name: str) -> dict:
    """The schema of document `name` (one of NAMES), parsed."""
    return json.loads(text(name))
