"""Whether csi's advice (the priorities) can be given, from the fit's diagnostics.

The rule (issue 14): advice is `withheld` when a diagnostic is an error (an inadmissible
solution: its importances are not estimates of anything), `not_applicable` for a model
without structural paths (a CFA), else `ok`; warnings that weaken it are listed as its
reasons, so a reader sees what qualifies it.
"""

from __future__ import annotations

from dataclasses import dataclass

from csi.diagnostics import Diagnostic

STATUSES = ("ok", "withheld", "not_applicable")


@dataclass(frozen=True)
class Advice:
    """The advice's status, the diagnostic codes behind it, and one sentence saying why."""

    status: str
    reasons: tuple[str, ...] = ()
    sentence: str | None = None

    def to_dict(self) -> dict:
        return {"status": self.status, "reasons": list(self.reasons), "message": self.sentence}

    @classmethod
    def from_dict(cls, doc: dict) -> Advice:
        return cls(doc["status"], tuple(doc.get("reasons", ())), doc.get("message"))


def advise(diagnostics: tuple[Diagnostic, ...], has_paths: bool) -> Advice:
    """The advice status for a fit with these diagnostics."""
    if not has_paths:
        return Advice("not_applicable", (), "The model has no structural paths (a measurement "
                      "model): there are no drivers to rank.")
    errors = _codes(d for d in diagnostics if d.severity == "error")
    if errors:
        first = next(d for d in diagnostics if d.severity == "error")
        return Advice("withheld", errors,
                      f"Priorities are withheld: the solution is inadmissible ({first.message}), "
                      "so its effects and importances are not trustworthy. PLS "
                      "(--estimator pls) estimates composites and is always admissible.")
    return Advice("ok", _codes(d for d in diagnostics if d.severity == "warning"))


def _codes(diagnostics) -> tuple[str, ...]:
    return tuple(dict.fromkeys(d.code for d in diagnostics))
