"""csi: customer satisfaction indices (ACSI/ECSI) from survey data by PLS path modeling."""

__version__ = "0.1.0"

from csi.fit import fit  # noqa: E402
from csi.spec import load_model, parse_model  # noqa: E402

__all__ = ["__version__", "fit", "load_model", "parse_model"]
