"""The built-in models (acsi, ecsi and the national models scsb, ccsi, ncsb): they parse, ship
in the package, are listed by `csi models` (table and JSON), fit their bundled synthetic
surveys out of the box, and recover the paths those surveys were simulated with."""

import importlib
import io
import json
import sys
import tomllib
from csv import writer

import pytest
from click.testing import CliRunner

from csi.model.catalog import builtin_catalog, model_metadata
from csi.cli.main import cli
from csi.estimators import ENTRIES
from csi.model.spec import builtin_models, parse_model
from tests.conftest import ROOT

SURVEYS = ROOT / "surveys"
NATIONAL = ("scsb", "ccsi", "ncsb")
SYNTHETIC = ("acsi", *NATIONAL)


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def generator(model: str):
    """The module surveys/generate_<model>_synthetic.py (it imports surveys/synthetic.py)."""
    if str(SURVEYS) not in sys.path:
        sys.path.insert(0, str(SURVEYS))
    return importlib.import_module(f"generate_{model}_synthetic")


def builtin_catalog_spec(name: str):
    return next(entry.spec for entry in builtin_catalog() if entry.name == name)


def test_the_five_models_ship_in_the_package():
    """Every models/*.lav is a built-in model (package data `csi.builtin_models`: *.lav)."""
    on_disk = {path.stem for path in (ROOT / "models").glob("*.lav")}
    assert on_disk == set(builtin_models()) == {"acsi", "ecsi", "scsb", "ccsi", "ncsb"}
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["tool"]["setuptools"]["package-dir"]["csi.builtin_models"] == "models"
    assert "*.lav" in pyproject["tool"]["setuptools"]["package-data"]["csi.builtin_models"]


@pytest.mark.parametrize("name", sorted(builtin_models()))
def test_builtin_model_parses_for_every_estimator_and_names_its_source(name):
    text = builtin_models()[name]
    for entry in ENTRIES.values():
        spec = parse_model(text, name=name, composite=entry.composite)
    assert spec.target == "Satisfaction"
    assert all(c in spec.labels for c in spec.constructs)
    meta = model_metadata(text)
    assert meta["title"] and meta["citation"]
    assert any(year in meta["citation"] for year in ("(1992)", "(1996)", "(2001)", "(2003)",
                                                     "(2005)"))


def test_national_model_structures():
    """The structures the model files cite: SCSB's six paths (Fornell 1992), CCSI's six
    constructs and 11 paths with Chinese labels, NCSB's five changes to the ACSI
    (Johnson et al. 2001)."""
    catalog = {entry.name: entry.spec for entry in builtin_catalog()}
    edges = {name: {(p.source, p.target) for p in spec.paths} for name, spec in catalog.items()}
    assert edges["scsb"] == {("Expectation", "Value"), ("Expectation", "Satisfaction"),
                             ("Value", "Satisfaction"), ("Satisfaction", "Voice"),
                             ("Satisfaction", "Loyalty"), ("Voice", "Loyalty")}
    ccsi = catalog["ccsi"]
    assert [ccsi.label(c) for c in ccsi.constructs] == [
        "品牌形象", "预期质量", "感知质量", "感知价值", "顾客满意度", "顾客忠诚"]
    assert len(edges["ccsi"]) == 11
    assert set(ccsi.predecessors("Satisfaction")) == {"Image", "Expectation", "Quality", "Value"}
    assert ccsi.predecessors("Loyalty") == ("Image", "Satisfaction")
    ncsb = catalog["ncsb"]
    assert "Value" not in ncsb.constructs and "Expectation" not in ncsb.constructs
    assert {"Price", "Handling"} <= set(ncsb.predecessors("Satisfaction"))
    assert {"Image", "Affective", "Calculative", "Price", "Handling"} <= set(
        ncsb.predecessors("Loyalty"))
    assert ncsb.predecessors("Image") == ("Satisfaction",)


def test_models_table_lists_every_model_with_title_and_citation():
    result = run("models")
    assert result.exit_code == 0, result.output
    for text in ("acsi", "ecsi", "scsb", "ccsi", "ncsb", "品牌形象", "顾客满意度", "VOIC2",
                 "CALC2", "Swedish Customer Satisfaction Barometer (SCSB)", "Fornell, C. (1992)"):
        assert text in result.stdout


def test_models_json_lists_all_five_models():
    result = run("models", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["schema"] == "csi.models/1"
    assert [m["name"] for m in doc["models"]] == ["acsi", "ccsi", "ecsi", "ncsb", "scsb"]
    for entry in doc["models"]:
        assert list(entry) == ["name", "title", "citation", "target", "constructs", "paths"]
        for construct in entry["constructs"]:
            assert list(construct) == ["name", "label", "mode", "indicators"]
        assert all(list(p) == ["from", "to"] for p in entry["paths"])
    ccsi = next(m for m in doc["models"] if m["name"] == "ccsi")
    assert ccsi["constructs"][0] == {"name": "Image", "label": "品牌形象", "mode": "A",
                                     "indicators": ["IMAG1", "IMAG2", "IMAG3"]}
    assert len(ccsi["paths"]) == 11


def test_models_json_model_block_is_the_fit_documents(tmp_path):
    """A model reads the same in `csi models --format json` and in `csi.fit/1`'s `model`."""
    out = tmp_path / "models.json"
    assert run("models", "--format", "json", "-o", out).exit_code == 0
    entry = next(m for m in json.loads(out.read_text())["models"] if m["name"] == "ncsb")
    fit = run("fit", SURVEYS / "ncsb_synthetic.csv", "--model", "ncsb", "--bootstrap", 0,
              "--format", "json", "--quiet")
    assert fit.exit_code == 0, fit.output
    model = json.loads(fit.stdout)["model"]
    assert model == {k: v for k, v in entry.items() if k not in ("title", "citation")}


@pytest.mark.parametrize("model", SYNTHETIC)
def test_bundled_survey_is_what_its_generator_writes(model):
    """The CSV in surveys/ is byte for byte the seeded generator's output."""
    module = generator(model)
    header, rows = module.simulate(module.N_DEFAULT, module.SEED)
    buffer = io.StringIO()
    csv = writer(buffer, lineterminator="\n")
    csv.writerow(header)
    csv.writerows(rows)
    assert (SURVEYS / f"{model}_synthetic.csv").read_bytes() == buffer.getvalue().encode()


@pytest.mark.parametrize("model", NATIONAL)
def test_fit_bundled_survey_out_of_the_box(model):
    result = run("fit", SURVEYS / f"{model}_synthetic.csv", "--model", model, "--bootstrap", 0)
    assert result.exit_code == 0, result.output
    assert builtin_catalog_spec(model).label("Satisfaction") in result.stdout


@pytest.mark.parametrize("model", NATIONAL)
def test_planted_paths_are_recovered(model):
    """Consistent PLS on the bundled survey recovers every planted path within 4 bootstrap
    standard errors.

    The surveys are simulated from common-factor populations with at least two items per
    construct, for which PLSc (Dijkstra & Henseler 2015) is consistent and plain PLS is not
    (its paths are attenuated by the items' measurement error, by up to 0.11 here). A
    standard error shrinks like 1/sqrt(n). A Monte Carlo study of 400 surveys per model from
    the same generators at the bundled sizes (600, 800 and 1000 respondents) gave PLSc path
    SDs of 0.027-0.055 (SD * sqrt(n) at most 1.73) and biases of at most 0.0075, 0.16 SD:
    the 1-10 rounding and the clipping at 1 and 10 cost little. So 4 SE (0.11-0.22) makes a
    false failure improbable (6e-5 per path) while a path off by a quarter fails.
    (acsi_synthetic is left out: its single item CUSCO carries measurement error that no
    estimator can separate from a one-item construct, so PLSc attenuates its paths.)
    """
    module = generator(model)
    result = run("fit", SURVEYS / f"{model}_synthetic.csv", "--model", model, "--scale", "1:10",
                 "--estimator", "plsc", "--bootstrap", 200, "--seed", 7, "--format", "json",
                 "--quiet")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    n = doc["n_obs"]
    estimates = {(p["from"], p["to"]): (p["estimate"], p["se"]) for p in doc["paths"]}
    assert set(estimates) == set(module.PATHS)
    for key, planted in module.PATHS.items():
        estimate, se = estimates[key]
        assert se * n**0.5 < 2.5, (key, se)  # the tolerance stays of order 1/sqrt(n)
        assert abs(estimate - planted) <= 4 * se, (key, estimate, planted, se)
