"""The non-linear variant: planted shapes recovered, false positives controlled, and the
regressions equal direct least squares on the same construct scores."""

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import csi
from csi.inference.bootstrap import BootstrapSettings
from csi.cli.main import cli
from csi.ingest import Survey
from csi.drivers.nonlinear import NonlinearSettings, natural_spline_basis
from csi.model.spec import parse_model
from tests.conftest import MOBI
from tests.simulate import kano_model, kano_sample

PLANTED = {"BAS": (0.6, 0.1), "EXC": (0.1, 0.6), "PERF": (0.35, 0.35)}
LINEAR = {"A": (0.35, 0.35), "B": (0.25, 0.25), "C": (0.15, 0.15)}


def fit_variant(frame, shapes, seed, resamples=300):
    spec = parse_model(kano_model(shapes), name="kano")
    return csi.fit(Survey("sim", frame), spec, scale=(1, 10), nonlinear=NonlinearSettings(),
                   bootstrap=BootstrapSettings(resamples=resamples, seed=seed))


@pytest.mark.slow
def test_planted_basic_and_excitement_factors_are_classified():
    """At n = 1,000 a planted basic factor (steep below the knot) and excitement factor (steep
    above) are both classified correctly in at least 90% of 50 replications."""
    rng = np.random.default_rng(20261128)
    correct = 0
    for replication in range(50):
        result = fit_variant(kano_sample(rng, 1000, PLANTED), PLANTED, replication)
        classes = dict(zip(result.nonlinear.drivers.driver, result.nonlinear.drivers.kano_class))
        correct += classes["BAS"] == "basic" and classes["EXC"] == "excitement"
    assert correct / 50 >= 0.9, correct


@pytest.mark.slow
def test_linear_population_yields_performance_and_prefers_linear():
    """False-positive control: with purely linear effects every driver is 'performance' and
    the linear model is preferred, together, in at least 90% of 50 replications."""
    rng = np.random.default_rng(7)
    clean = 0
    for replication in range(50):
        result = fit_variant(kano_sample(rng, 1000, LINEAR), LINEAR, replication)
        all_performance = set(result.nonlinear.drivers.kano_class) == {"performance"}
        clean += all_performance and result.nonlinear.comparison["preferred"] == "linear"
    assert clean / 50 >= 0.9, clean


def test_strong_curvature_is_preferred_out_of_sample():
    rng = np.random.default_rng(3)
    result = fit_variant(kano_sample(rng, 1000, PLANTED), PLANTED, 1, resamples=50)
    comparison = result.nonlinear.comparison
    assert comparison["preferred"] == "nonlinear"
    assert comparison["cv_r2_nonlinear"] > comparison["cv_r2_linear"]
    assert comparison["verdict"].startswith("The non-linear model predicts SAT better")


def construct_scores(result, frame, low=1.0, high=10.0):
    """0-100 construct scores written out directly from the reported item weights."""
    weights = result.item_weights
    rescaled = (frame[list(weights.indicator)].to_numpy(float) - low) / (high - low) * 100
    return pd.DataFrame({
        c: rescaled[:, (weights.construct == c).to_numpy()]
        @ weights.normalized[weights.construct == c].to_numpy()
        for c in result.model.constructs
    })


def test_quadratic_and_piecewise_terms_equal_direct_least_squares():
    frame = pd.read_csv(MOBI)
    result = csi.fit(Survey("mobi", frame), "ecsi", scale=(1, 10), nonlinear=NonlinearSettings(),
                     bootstrap=BootstrapSettings(resamples=0))
    scores = construct_scores(result, frame)
    paths = result.nonlinear.paths.set_index(["from", "to"])
    knots = result.nonlinear.knots
    for target in ("Satisfaction", "Loyalty", "Value"):
        sources = [s for s, t in result.model.paths if t == target]
        centred = [scores[s] - scores[s].mean() for s in sources]
        design = np.column_stack([np.ones(len(frame))] + [c for x in centred for c in (x, x**2)])
        beta = np.linalg.lstsq(design, scores[target], rcond=None)[0]
        for i, source in enumerate(sources):
            row = paths.loc[(source, target)]
            assert row.quadratic_linear == pytest.approx(beta[1 + 2 * i], abs=1e-9)
            assert row.quadratic == pytest.approx(beta[2 + 2 * i], abs=1e-11)
        columns = [np.ones(len(frame))]
        for source in sources:
            shifted = scores[source] - knots[source]
            if paths.loc[(source, target)].piecewise:
                columns += [np.minimum(shifted, 0), np.maximum(shifted, 0)]
            else:
                columns.append(shifted)
        beta = np.linalg.lstsq(np.column_stack(columns), scores[target], rcond=None)[0]
        position = 1
        for source in sources:
            row = paths.loc[(source, target)]
            if row.piecewise:
                assert row.slope_low == pytest.approx(beta[position], abs=1e-9)
                assert row.slope_high == pytest.approx(beta[position + 1], abs=1e-9)
                position += 2
            else:
                assert row.slope_low == row.slope_high == pytest.approx(beta[position], abs=1e-9)
                position += 1


def test_natural_spline_basis_is_linear_beyond_the_boundary_knots():
    knots = np.array([0.0, 30.0, 60.0, 100.0])
    x = np.array([100.0, 110.0, 120.0])
    basis = natural_spline_basis(x, knots)
    second_difference = basis[2] - 2 * basis[1] + basis[0]
    np.testing.assert_allclose(second_difference, 0, atol=1e-8)


def test_nonlinear_variant_on_mobi_end_to_end():
    run = CliRunner().invoke(cli, ["fit", str(MOBI), "--model", "ecsi", "--scale", "1:10",
                                   "--variant", "nonlinear", "--bootstrap", "500", "--format",
                                   "json"])
    assert run.exit_code == 0, run.output
    doc = json.loads(run.stdout)
    linear = json.loads(CliRunner().invoke(cli, [
        "fit", str(MOBI), "--model", "ecsi", "--scale", "1:10", "--bootstrap", "0",
        "--format", "json"]).stdout)
    for construct, values in linear["index"].items():
        assert doc["index"][construct]["score"] == values["score"]
    block = doc["nonlinear"]
    assert set(block) >= {"knot", "paths", "drivers", "comparison"}
    path = block["paths"][0]
    for key in ("from", "to", "slope_low", "slope_high", "asymmetry", "quadratic",
                "turning_point", "curve", "slope_low_se", "asymmetry_ci_low", "quadratic_ci_high"):
        assert key in path
    assert len(path["curve"]) == 21 and len(path["curve"][0]) == 2
    driver = {d["driver"]: d for d in block["drivers"]}["Quality"]
    assert driver["kano_class"] in ("basic", "performance", "excitement")
    assert driver["p_basic"] + driver["p_performance"] + driver["p_excitement"] == pytest.approx(1)
    for key in ("r2_linear", "r2_nonlinear", "cv_r2_linear", "cv_r2_nonlinear", "preferred"):
        assert key in block["comparison"]
    assert block["comparison"]["r2_linear"] == pytest.approx(linear["r2"]["Satisfaction"])
    assert doc["settings"]["variant"] == "nonlinear"
    assert doc["priority_settings"]["model"].startswith("non-linear")
    again = CliRunner().invoke(cli, ["fit", str(MOBI), "--model", "ecsi", "--scale", "1:10",
                                     "--variant", "nonlinear", "--bootstrap", "500", "--format",
                                     "json", "--workers", "1"])
    assert again.stdout == run.stdout


def test_terminal_shows_shapes_and_the_verdict():
    run = CliRunner().invoke(cli, ["fit", str(MOBI), "--model", "ecsi", "--scale", "1:10",
                                   "--variant", "nonlinear", "--bootstrap", "300"])
    assert run.exit_code == 0
    text = " ".join(run.stdout.split())
    assert "Non-linear effects on Customer Satisfaction" in text
    assert "does not predict Customer Satisfaction reliably better out of sample" in text
