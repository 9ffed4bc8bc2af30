"""A saved `csi latent` result (`csi.latent/1`) shown beside a fit (the PDF's "Hidden
segments" section): is it one, and was it made from the same model and survey as the fit?"""

from __future__ import annotations

from pathlib import Path

from csi.errors import DataError, ModelError

SCHEMA = "csi.latent/1"


def check_belongs(fit: dict, doc, path: str) -> None:
    """DataError (exit 3) when `doc` is not a `csi.latent/1` document; ModelError (exit 4)
    naming `path` when it was made from another model (its name or a construct of its
    equations differs from the fit's) or from another survey file."""
    schema = doc.get("schema") if isinstance(doc, dict) else None
    if schema != SCHEMA:
        raise DataError(f"{path}: not a result of csi latent (schema {schema!r}); write one "
                        "with `csi latent ... --format json`")
    model = fit["model"].get("name")
    constructs = {c["name"] for c in fit["model"]["constructs"]}
    named = list(dict.fromkeys(name for eq in doc.get("equations", [])
                               for name in [eq["target"], *eq.get("predictors", [])]))
    unknown = [name for name in named if name not in constructs]
    if doc.get("model") != model or unknown:
        what = (f"{', '.join(unknown)} not in the report's model" if unknown
                else f"model {doc.get('model')!r}, the report's is {model!r}")
        raise ModelError(f"{path}: made from another model ({what}); give the latent classes "
                         "of this fit's model")
    ours, theirs = fit.get("source"), doc.get("source")
    if ours and theirs and Path(str(ours)).name != Path(str(theirs)).name:
        raise ModelError(f"{path}: made from another survey ({Path(str(theirs)).name}, the "
                         f"report's fit is of {Path(str(ours)).name})")


__all__ = ["SCHEMA", "check_belongs"]
