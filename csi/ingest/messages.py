"""The messages one preparation of a survey collects: notes, warnings and errors, in order."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Messages:
    """Notes (what csi did), warnings (what to look at) and errors (why the data cannot be
    used), appended by each step in turn; `csi validate` lists them all."""

    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
