"""`csi compare-estimators` as a library (csi.multi.estimator_comparison): its document is the
`csi.compare-estimators/1` contract and each column is exactly that estimator's `csi.fit`."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

import csi
from csi.cli.main import cli
from csi.estimators import NAMES
from csi.ingest import IngestOptions
from csi.multi.estimator_comparison import SCHEMA, compare_estimators
from tests.conftest import MOBI, REFERENCE

# the well-identified common-factor model of mobi that tests/test_weights.py fits by CB-SEM
MODEL = csi.parse_model(
    "Image =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5\nSatisfaction =~ CUSA1 + CUSA2 + CUSA3\n"
    "Loyalty =~ CUSL1 + CUSL2 + CUSL3\nSatisfaction ~ Image\nLoyalty ~ Satisfaction + Image\n",
    name="mobi-sem", composite=False)
KEYS = ["schema", "source", "model", "n_obs", "paths", "index", "fit", "reading", "errors",
        "warnings"]


@pytest.fixture(scope="module")
def comparison():
    return compare_estimators(MOBI, MODEL, options=IngestOptions(scale=(1, 10)))


def test_document_keys_and_columns(comparison):
    doc = comparison.to_dict()
    assert list(doc) == KEYS
    assert doc["schema"] == SCHEMA == "csi.compare-estimators/1"
    assert (doc["model"], doc["n_obs"], doc["errors"]) == ("mobi-sem", 250, {})
    assert [(p["from"], p["to"]) for p in doc["paths"]] == [
        ("Image", "Satisfaction"), ("Satisfaction", "Loyalty"), ("Image", "Loyalty")]
    assert [row["construct"] for row in doc["index"]] == ["Image", "Satisfaction", "Loyalty"]
    for row in doc["paths"]:
        assert list(row) == ["from", "to", *NAMES]
    assert list(doc["warnings"]) == list(NAMES)
    assert json.loads(comparison.to_json()) == json.loads(json.dumps(doc))


@pytest.mark.parametrize("estimator", NAMES)
def test_each_column_is_that_estimators_fit(comparison, estimator):
    fitted = csi.fit(MOBI, MODEL, scale=(1, 10), estimator=estimator, bootstrap=0)
    doc = comparison.to_dict()
    paths = fitted.paths.set_index(["from", "to"])["estimate"]
    assert [row[estimator] for row in doc["paths"]] == [
        paths[(row["from"], row["to"])] for row in doc["paths"]]  # exactly, not approximately
    index = fitted.index.set_index("construct")["score"]
    assert [row[estimator] for row in doc["index"]] == [
        index[row["construct"]] for row in doc["index"]]
    assert doc["warnings"][estimator] == list(fitted.warnings)
    if estimator == "cbsem":
        assert doc["fit"] == fitted.fit_indices and doc["fit"]["df"] == 41  # 66 moments - 25 parameters
    else:
        assert fitted.fit_indices is None


def test_reading_states_the_largest_path_gaps(comparison):
    doc = comparison.to_dict()
    gap = {e: max(abs(row[e]) - abs(row["pls"]) for row in doc["paths"])
           for e in ("plsc", "cbsem")}
    assert gap["plsc"] > 0 and gap["cbsem"] > 0  # common factors disattenuate PLS's paths
    assert doc["reading"].startswith(f"PLSc paths by up to {gap['plsc']:.2f}, CB-SEM paths by "
                                     f"up to {gap['cbsem']:.2f} exceed PLS's in absolute value")
    spread = max(max(row[e] for e in NAMES) - min(row[e] for e in NAMES)
                 for row in doc["index"])
    assert f"indices differ by at most {spread:.1f} points (PLSc uses PLS's weights" \
        in doc["reading"]
    assert f"CB-SEM fit CFI {doc['fit']['cfi']:.3f}, RMSEA {doc['fit']['rmsea']:.3f}" \
        in doc["reading"]


def test_a_model_with_covariances_runs_by_cbsem_only():
    # the C3 variant of ECSI has residual covariances and a fixed error variance
    comparison = compare_estimators(MOBI, str(REFERENCE / "models" / "mobi_C3_ecsi.lav"),
                                    options=IngestOptions(scale=(1, 10)))
    doc = comparison.to_dict()
    assert comparison.estimators == ("cbsem",)
    assert sorted(doc["errors"]) == ["pls", "plsc"]
    assert "covariances ('~~') are not supported" in doc["errors"]["pls"]
    assert list(doc["index"][0]) == ["construct", "cbsem"]
    assert doc["fit"]["df"] == 178  # lavaan 0.6.21's df for this model
    assert "exceed PLS's" not in doc["reading"]


def test_cli_table_and_json_render_the_comparison(tmp_path):
    args = ["compare-estimators", str(MOBI), "--model", "ecsi", "--scale", "1:10"]
    table = CliRunner().invoke(cli, args)
    assert table.exit_code == 0, table.output
    assert "PLS" in table.output and "CB-SEM" in table.output and "Reading:" in table.output
    out = tmp_path / "estimators.json"
    written = CliRunner().invoke(cli, [*args, "--format", "json", "-o", str(out), "-q"])
    assert written.exit_code == 0, written.output
    expected = compare_estimators(MOBI, "ecsi", options=IngestOptions(scale=(1, 10)))
    assert out.read_text() == expected.to_json()
    assert not np.isnan([row["pls"] for row in json.loads(out.read_text())["paths"]]).any()
