"""Reading a saved `csi.fit` JSON results file, with csi errors for anything wrong."""

from __future__ import annotations

import json
from pathlib import Path

from csi.errors import DataError


def read_results(path: str) -> dict:
    """The parsed document; DataError (exit 3) if unreadable or not a csi.fit result."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}, line {exc.lineno}: not valid JSON ({exc.msg})") from None
    if not isinstance(doc, dict) or not str(doc.get("schema", "")).startswith("csi.fit/"):
        raise DataError(f"{path}: not a csi fit result (no 'schema': 'csi.fit/…' key)")
    return doc
