"""One model by every estimator of the registry, side by side (`csi compare-estimators`).

`compare_estimators(survey, model)` fits the model by each estimator in `csi.estimators.NAMES`
(point estimates only) and returns a frozen `EstimatorComparison`: paths and 0-100 indices in
one wide table (a column per estimator), the fit indices of the common-factor estimator, a
one-line reading of where the estimators disagree, each estimator's notes and the error of
each estimator that could not run. `to_dict()` is the `csi.compare-estimators/1` document.

PLS estimates composites; PLSc and CB-SEM common factors, which correct for the measurement
error that attenuates composite paths (Dijkstra & Henseler 2015, "Consistent partial least
squares path modeling", MIS Quarterly 39(2), pp. 297-316), so their paths are larger in
absolute value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from csi import estimators
from csi.errors import CsiError
from csi.estimators.base import PlsSettings
from csi.ingest import IngestOptions, ItemData, Survey, item_matrix, read_survey
from csi.jsonio import dumps
from csi.model.spec import ModelSpec, load_model
from csi.pipeline import fit_items
from csi.result import Result

SCHEMA = "csi.compare-estimators/1"
LABELS = {"pls": "PLS", "plsc": "PLSc", "cbsem": "CB-SEM"}  # short names for tables, sentences
REFERENCE = "pls"  # the composite estimator whose paths the others are read against
SE_NOTE = "standard errors, p-values"  # the start of a note on SEs, which are not shown here


@dataclass(frozen=True)
class EstimatorComparison:
    """The fits of one model by every estimator that could run, and what they say together.

    `table` has one row per structural path (kind "path", first -> second) and per construct
    index (kind "index", first the construct), one column per estimator in registry order.
    """

    results: Mapping[str, Result]
    errors: Mapping[str, str]
    table: pd.DataFrame = field(repr=False)
    reading: str
    notes: tuple[tuple[str, str], ...]  # (who, message): "Data" or an estimator's label

    @property
    def estimators(self) -> tuple[str, ...]:
        """The estimators that ran, in registry order."""
        return tuple(self.results)

    @property
    def first(self) -> Result:
        return next(iter(self.results.values()))

    @property
    def fit_indices(self) -> dict | None:
        """The global fit of the common-factor estimator (CB-SEM), when it ran."""
        return next((r.fit_indices for e, r in self.results.items()
                     if not estimators.entry(e).composite), None)

    def to_dict(self) -> dict:
        """The `csi.compare-estimators/1` document (NaN, an estimate missing, is null)."""
        def number(value):
            return None if value is None or (isinstance(value, float) and np.isnan(value)) \
                else float(value)

        rows = self.table.to_dict("records")
        first = self.first
        return {
            "schema": SCHEMA,
            "source": first.source,
            "model": first.model.name,
            "n_obs": first.n_obs,
            "paths": [{"from": r["first"], "to": r["second"],
                       **{e: number(r[e]) for e in self.results}}
                      for r in rows if r["kind"] == "path"],
            "index": [{"construct": r["first"], **{e: number(r[e]) for e in self.results}}
                      for r in rows if r["kind"] == "index"],
            "fit": self.fit_indices,
            "reading": self.reading,
            "errors": dict(self.errors),
            "warnings": {e: list(r.warnings) for e, r in self.results.items()},
        }

    def to_json(self) -> str:
        return dumps(self.to_dict())


def compare_estimators(survey: Survey | str | Path, model: ModelSpec | str = "acsi", *,
                       options: IngestOptions | None = None,
                       objective: str = "ML") -> EstimatorComparison:
    """Fit `model` (a ModelSpec, built-in name or model file, read for a common-factor
    estimator) on `survey` (a Survey or a survey file, read with `options`) by every
    estimator; `objective` is CB-SEM's discrepancy function."""
    options = options or IngestOptions()
    spec = model if isinstance(model, ModelSpec) else load_model(str(model), composite=False)
    if not isinstance(survey, Survey):
        survey = read_survey(survey, options)
    items = item_matrix(survey, spec, options=options)
    return compare_items(items, spec, source=survey.source, objective=objective)


def compare_items(items: ItemData, spec: ModelSpec, *, source: str,
                  objective: str = "ML") -> EstimatorComparison:
    """The comparison on an already-validated item matrix. An estimator that cannot fit the
    model (PLS with a '~~' covariance, a CB-SEM fit that fails) is listed under `errors`;
    the first error is raised when none can."""
    results: dict[str, Result] = {}
    errors: dict[str, str] = {}
    for estimator in estimators.NAMES:
        try:
            results[estimator] = fit_items(items, spec,
                                           PlsSettings(estimator=estimator, objective=objective),
                                           source=source)
        except CsiError as error:
            errors[estimator] = str(error)
    if not results:
        raise CsiError(next(iter(errors.values())))
    table = comparison_table(results)
    return EstimatorComparison(results=results, errors=errors, table=table,
                               reading=disagreement(results, table), notes=notes(results))


def comparison_table(results: Mapping[str, Result]) -> pd.DataFrame:
    """Long-to-wide: one row per path and per construct index, one column per estimator."""
    first = next(iter(results.values()))
    rows = [("path", f"{a} -> {b}", a, b) for a, b in first.model.paths]
    rows += [("index", c, c, "") for c in first.model.constructs]
    table = pd.DataFrame(rows, columns=["kind", "name", "first", "second"])
    for estimator, result in results.items():
        paths = result.paths.set_index(["from", "to"])["estimate"]
        index = result.index.set_index("construct")["score"]
        table[estimator] = [paths.get((a, b), np.nan) if kind == "path" else index.get(a, np.nan)
                            for kind, _, a, b in rows]
    return table


def disagreement(results: Mapping[str, Result], table: pd.DataFrame) -> str:
    """One line: how far the common-factor paths exceed PLS's, what each estimator flags
    (an inadmissible solution, Heywood cases, CB-SEM's fit) and how far the indices differ."""
    parts = []
    paths = table[table["kind"] == "path"]
    if REFERENCE in results:
        reference = paths[REFERENCE].abs()
        larger = [e for e in results if e != REFERENCE]
        if larger:
            gaps = [f"{LABELS[e]} paths by up to {(paths[e].abs() - reference).max():.2f}"
                    for e in larger]
            parts.append(f"{', '.join(gaps)} exceed PLS's in absolute value, because common "
                         "factors correct for the measurement error that attenuates PLS's "
                         "composite paths")
    for estimator, result in results.items():
        if (result.estimator_details or {}).get("admissible") is False:
            parts.append(f"{LABELS[estimator]} is inadmissible (cSEM's verify() checks fail)")
        if not estimators.entry(estimator).composite:
            parts += _common_factor_flags(LABELS[estimator], result, paths[estimator])
    index = table[table["kind"] == "index"]
    columns = list(results)
    if len(columns) > 1:
        spread = (index[columns].max(axis=1) - index[columns].min(axis=1)).max()
        parts.append(f"indices differ by at most {spread:.1f} points (PLSc uses PLS's weights, "
                     "so its index equals PLS's)" if "plsc" in results and "pls" in results
                     else f"indices differ by at most {spread:.1f} points")
    return "; ".join(parts) + "." if parts else ""


def _common_factor_flags(label: str, result: Result, paths: pd.Series) -> list[str]:
    """What a common-factor fit flags (Heywood cases, latent correlations near 1,
    standardized paths beyond 1) and its CFI and RMSEA."""
    parts = []
    flags = []
    if any(w.startswith("Heywood case") for w in result.warnings):
        flags.append("Heywood cases")
    if any(w.startswith("latent correlations near") for w in result.warnings):
        flags.append("latent correlations near 1")
    biggest = paths.abs().max()
    if biggest > 1:
        flags.append(f"standardized paths up to {biggest:.2f}")
    if flags:
        parts.append(f"{label} flags {', '.join(flags)}")
    fit = result.fit_indices or {}
    if fit.get("cfi") is not None:
        parts.append(f"{label} fit CFI {fit['cfi']:.3f}, RMSEA {fit['rmsea']:.3f}")
    return parts


def notes(results: Mapping[str, Result]) -> tuple[tuple[str, str], ...]:
    """Each estimator's notes, those shared by all (data notes) once as "Data"; not the note
    on standard errors, as the comparison has point estimates only."""
    shared = set.intersection(*(set(r.warnings) for r in results.values()))
    out = [("Data", m) for m in next(iter(results.values())).warnings if m in shared]
    for estimator, result in results.items():
        out += [(LABELS[estimator], m) for m in result.warnings
                if m not in shared and not m.startswith(SE_NOTE)]
    return tuple(out)


__all__ = ["EstimatorComparison", "LABELS", "SCHEMA", "comparison_table", "compare_estimators",
           "compare_items", "disagreement", "notes"]
