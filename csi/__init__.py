"""csi: customer satisfaction indices (ACSI/ECSI) from survey data by PLS path modeling.

The public API, imported on first use so that `import csi` stays instant:
`csi.fit(source, model, ...)` -> Result, `csi.check(current, baseline, policy)` -> CheckReport,
`csi.load_model(name_or_path)` and `csi.parse_model(text)` -> ModelSpec.
"""

from __future__ import annotations

from csi._version import __version__

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up
if TYPE_CHECKING:
    from csi.gate import check
    from csi.model.spec import load_model, parse_model
    from csi.pipeline import fit

_API = {"fit": "csi.pipeline", "check": "csi.gate", "load_model": "csi.model.spec",
        "parse_model": "csi.model.spec"}


def __getattr__(name: str):
    if name in _API:
        import importlib

        value = getattr(importlib.import_module(_API[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'csi' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_API))


__all__ = ["__version__", "check", "fit", "load_model", "parse_model"]
