"""Saved simulations and plans shown beside the fit they came from (the PDF's "Scenarios"
page): which kind a document is, whether it was made from that fit, and the few numbers the
page draws that the documents do not hold (each construct's interval after the change).

A simulation or plan belongs to a fit when every construct and item it names is in the fit's
model and every level it started from ("before") is the fit's index: a file made from another
model, survey or wave would show numbers the report's own indices contradict.
"""

from __future__ import annotations

from csi.errors import DataError, ModelError
from csi.jsonio import read_number

KINDS = {"csi.simulate/1": "simulation", "csi.plan/1": "plan"}
SAME = 1e-6  # index points: the same fit gives the same levels (JSON round-trips floats)


def kind_of(doc, path: str) -> str:
    """"simulation" or "plan" for a `csi.simulate/1` or `csi.plan/1` document, else a
    DataError (exit 3) naming the file."""
    schema = doc.get("schema") if isinstance(doc, dict) else None
    if schema not in KINDS:
        raise DataError(f"{path}: not a result of csi simulate or csi plan (schema "
                        f"{schema!r}); write one with `csi simulate ... --format json`")
    return KINDS[schema]


def check_belongs(fit: dict, doc: dict, path: str) -> None:
    """ModelError (exit 4) naming `path` when the simulation or plan `doc` was not made from
    the fit document `fit`: a name it uses is not in the fit's model, or a level it started
    from is not the fit's index."""
    kind = kind_of(doc, path)
    constructs = [c["name"] for c in fit["model"]["constructs"]]
    items = {i for c in fit["model"]["constructs"] for i in c.get("indicators", [])}
    model = fit["model"].get("name", "the fit's model")
    if kind == "simulation":
        named = [row["construct"] for row in doc.get("effects", [])]
        named += [c["construct"] for c in doc.get("changes", [])]
        named_items = [c["name"] for c in doc.get("changes", []) if c.get("kind") == "item"]
        started = [(row["construct"], row["before"]) for row in doc.get("effects", [])]
    else:
        named = [doc.get("target")] + [c["driver"] for c in doc.get("candidates", [])
                                       if c.get("kind") == "construct"]
        named_items = [c["driver"] for c in doc.get("candidates", []) if c.get("kind") == "item"]
        started = [(doc.get("target"), doc.get("before"))]
    unknown = list(dict.fromkeys(n for n in named if n not in constructs))
    unknown += list(dict.fromkeys(n for n in named_items if n not in items))
    if unknown:
        raise ModelError(f"{path}: made from another model: {', '.join(map(str, unknown))} "
                         f"{'is' if len(unknown) == 1 else 'are'} not in the report's model "
                         f"({model}); give the {kind} of this fit")
    index = fit.get("index") or {}
    for construct, before in started:
        score = read_number((index.get(construct) or {}).get("score"))
        before = read_number(before)
        if score is None or before is None or abs(score - before) > SAME:
            raise ModelError(
                f"{path}: made from another fit: {construct} starts at "
                f"{_text(before)} there but its index is {_text(score)} in the report's fit "
                f"(another survey or wave?); give the {kind} of this fit")


def after_interval(effect: dict) -> tuple[float, float] | None:
    """A simulated construct's interval on its 0-100 scale after the change: its level
    before plus the change's bootstrap interval (csi.decisions.simulate), held to 0..100 as
    every resample is; None without draws."""
    low, high = read_number(effect.get("ci_low")), read_number(effect.get("ci_high"))
    before = read_number(effect.get("before"))
    if low is None or high is None or before is None:
        return None
    return (min(max(before + low, 0.0), 100.0), min(max(before + high, 0.0), 100.0))


def advice_status(fit: dict, docs: list[dict]) -> tuple[str, tuple[str, ...]]:
    """The advice behind the scenarios: "withheld" when the fit's (or any document's) advice
    is withheld, "qualified" when it stands but warnings weaken it (csi.drivers.advice lists
    them as reasons), else "ok"; with the reasons' codes."""
    blocks = [fit.get("advice") or {}] + [doc.get("advice") or {} for doc in docs]
    reasons = tuple(dict.fromkeys(r for b in blocks for r in b.get("reasons") or []))
    if any(b.get("status") == "withheld" for b in blocks):
        return "withheld", reasons
    return ("qualified" if reasons else "ok"), reasons


def _text(value: float | None) -> str:
    return "nothing" if value is None else f"{value:.2f}"


__all__ = ["KINDS", "advice_status", "after_interval", "check_belongs", "kind_of"]
