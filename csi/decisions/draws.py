"""The bootstrap draws a simulation needs, saved beside a fit (`csi fit --draws FILE`).

A Parquet file of one row per used resample and one float64 column per estimate, named
`family/name` (`paths/Quality->Value`, `index/Quality`, `item_weights/PERQ1`, ...): the very
resamples the fit's intervals came from (same seed, same order), so a simulation's interval for
a 5-point change is the importance table's `impact_5pt` interval. Only the families the
structural propagation reads are kept (indices, score SDs, paths, item weights and the
non-linear slopes), which keeps the file small; its metadata identify the fit it belongs to.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

from csi._version import __version__
from csi.decisions.fitted import Fitted, Parameters
from csi.errors import DataError, ModelError
from csi.jsonio import write_atomic

SCHEMA = "csi.draws/1"
CONSTRUCT_FAMILIES = ("index", "score_sd")
PATH_FAMILIES = ("paths", "nl_slope_low", "nl_slope_high")
ITEM_FAMILIES = ("item_weights",)


def draws_table(result) -> tuple[dict[str, np.ndarray], dict]:
    """The columns {name: (B,)} and metadata of a fit's (csi.result.Result) draws."""
    if result.draws is None:
        raise ModelError("there are no bootstrap draws to save: --draws needs --bootstrap N "
                         "(at least 200 resamples, the fewest that report intervals)")
    values = result.draws.values
    names = {
        **{family: list(result.model.constructs) for family in CONSTRUCT_FAMILIES},
        **{family: [f"{a}->{b}" for a, b in zip(result.paths["from"], result.paths["to"])]
           for family in PATH_FAMILIES},
        "item_weights": list(result.item_weights["indicator"]),
    }
    columns = {}
    for family, labels in names.items():
        if family not in values:
            continue
        for position, label in enumerate(labels):
            columns[f"{family}/{label}"] = np.ascontiguousarray(values[family][:, position],
                                                                dtype=np.float64)
    block = result.bootstrap or {}
    metadata = {"schema": SCHEMA, "csi_version": __version__, "source": result.source,
                "model": result.model.name, "seed": block.get("seed"),
                "n_requested": block.get("n_requested"), "n_used": result.draws.n_used,
                "level": block.get("level")}
    return columns, metadata


def write_draws(result, path: str | Path) -> int:
    """Write a fit's draws to a Parquet file atomically; returns its size in bytes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns, metadata = draws_table(result)
    table = pa.table(columns).replace_schema_metadata(
        {"csi": json.dumps(metadata, sort_keys=True)})
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    payload = buffer.getvalue()
    write_atomic(path, payload)
    return len(payload)


def read_draws(path: str | Path) -> tuple[dict[str, np.ndarray], dict]:
    """The columns and metadata of a draws file; DataError (exit 3) if it is not one."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: not a csi draws file ({exc})") from None
    raw = (table.schema.metadata or {}).get(b"csi")
    metadata = json.loads(raw) if raw else {}
    if metadata.get("schema") != SCHEMA:
        raise DataError(f"{path}: not a csi draws file (no '{SCHEMA}' metadata); write one "
                        "with `csi fit --draws FILE`")
    return {name: table.column(name).to_numpy() for name in table.column_names}, metadata


def parameters(fitted: Fitted, doc: dict, path: str | Path) -> Parameters:
    """The resampled Parameters of a draws file, checked to belong to the fit `doc`."""
    columns, metadata = read_draws(path)
    block = doc.get("bootstrap") or {}
    mine = (metadata.get("source"), metadata.get("model"), metadata.get("seed"),
            metadata.get("n_requested"))
    theirs = (doc.get("source"), doc["model"]["name"], block.get("seed"),
              block.get("n_requested"))
    if mine != theirs:
        raise DataError(f"{path}: these draws are not from the fit in {fitted.source} (source, "
                        f"model, seed, resamples {mine} vs {theirs})")
    paths = [f"{fitted.constructs[a]}->{fitted.constructs[b]}" for a, b in fitted.paths]

    def family(name: str, labels) -> np.ndarray:
        try:
            return np.column_stack([columns[f"{name}/{label}"] for label in labels])
        except KeyError as exc:
            raise DataError(f"{path}: no column {exc.args[0]} (draws of another model?)") \
                from None

    nonlinear = fitted.model == "nonlinear"
    return Parameters(
        level=family("index", fitted.constructs),
        score_sd=family("score_sd", fitted.constructs),
        path_std=family("paths", paths),
        slope_low=family("nl_slope_low", paths) if nonlinear else None,
        slope_high=family("nl_slope_high", paths) if nonlinear else None,
        item_weight=family("item_weights", fitted.items),
    )
