"""Reading a saved `csi.fit` JSON results file, with csi errors for anything wrong."""

from __future__ import annotations

from csi.jsonio import read_results

__all__ = ["read_results"]
