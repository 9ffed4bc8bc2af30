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
from csi.drivers.nonlinear import (
    NonlinearSettings,
    kano_classes,
    kano_probabilities,
    natural_spline_basis,
    weighted_median,
)
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
    """False-positive control: with purely linear effects no driver's asymmetry interval
    excludes 0, so none is basic or excitement (each is 'performance', or 'performance (not
    significant)' when P(performance) < 0.5), and the linear model is preferred, together, in
    at least 90% of 50 replications; most drivers are plain 'performance' (83% at this seed)."""
    rng = np.random.default_rng(7)
    clean, classes = 0, []
    for replication in range(50):
        result = fit_variant(kano_sample(rng, 1000, LINEAR), LINEAR, replication)
        drivers = result.nonlinear.drivers
        classes += list(drivers.kano_class)
        includes_zero = (drivers.asymmetry_ci_low <= 0) & (drivers.asymmetry_ci_high >= 0)
        symmetric = bool(includes_zero.all()) and set(drivers.kano_class) <= {
            "performance", "performance (not significant)"}
        clean += symmetric and result.nonlinear.comparison["preferred"] == "linear"
    assert clean / 50 >= 0.9, clean
    assert classes.count("performance") / len(classes) >= 0.75, classes


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
    # 21 grid points over the driver's range plus its knot, where the curve bends
    knot = block["knots"][path["from"]]
    assert path["piecewise"]
    assert len(path["curve"]) == 22 and len(path["curve"][0]) == 2
    assert knot in [x for x, _ in path["curve"]]
    # the band: one bound per curve point, around the curve
    assert len(path["curve_ci_low"]) == len(path["curve_ci_high"]) == 22
    for (_, y), low, high in zip(path["curve"], path["curve_ci_low"], path["curve_ci_high"]):
        assert low < y < high
    assert len(path["spline_curve"]) == 21 and "spline_knots" in path
    assert "spline" in block["curves"]["spline_curve"]
    driver = {d["driver"]: d for d in block["drivers"]}["Quality"]
    assert driver["kano_class"] in ("basic", "performance", "excitement",
                                    "performance (not significant)", None)
    assert driver["kano_reason"]
    assert driver["p_basic"] + driver["p_performance"] + driver["p_excitement"] == pytest.approx(1)
    assert "Bonferroni" in block["kano_rule"]
    for key in ("r2_linear", "r2_nonlinear", "cv_r2_linear", "cv_r2_nonlinear", "preferred"):
        assert key in block["comparison"]
    assert block["comparison"]["r2_linear"] == pytest.approx(linear["r2"]["Satisfaction"])
    assert doc["settings"]["variant"] == "nonlinear"
    assert doc["settings"]["knot"] == block["knot"] == "median"
    # on mobi the comparison prefers the linear model, so the priorities are the linear ones
    assert block["comparison"]["preferred"] == "linear"
    assert doc["priority_settings"]["model_used"] == "linear"
    assert doc["priority_settings"]["model"].startswith("linear")
    for row, plain in zip(doc["importance"], linear["importance"]):
        assert row["impact_5pt"] == plain["impact_5pt"]
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


# -- which model the priorities use (issue 14) -----------------------------------------------

def fit_sample(frame, shapes, **options):
    spec = parse_model(kano_model(shapes), name="kano")
    return csi.fit(Survey("sim", frame), spec, scale=(1, 10), variant="nonlinear",
                   bootstrap=0, **options)


def linear_impacts(result):
    table = result.priorities.importance.set_index("driver")
    return table.total_effect_unstd * 5, table.impact_5pt


def nonlinear_impacts(result):
    return result.nonlinear.drivers.set_index("driver").impact_5pt


def test_model_used_is_linear_on_a_linear_population():
    """Purely linear effects (n = 1,000, seed 11): the comparison prefers the linear model,
    and the priorities use the linear importances."""
    result = fit_sample(kano_sample(np.random.default_rng(11), 1000, LINEAR), LINEAR)
    assert result.nonlinear.comparison["preferred"] == "linear"
    doc = json.loads(result.to_json())
    assert doc["priority_settings"]["model_used"] == "linear"
    assert doc["priority_settings"]["model"] == (
        "linear (the cross-validated comparison does not prefer the non-linear model)")
    expected, used = linear_impacts(result)
    np.testing.assert_allclose(used, expected, rtol=1e-12)
    assert not np.allclose(used, nonlinear_impacts(result)[used.index], rtol=1e-3)


def test_model_used_is_nonlinear_on_an_asymmetric_population():
    """Planted basic and excitement factors: the non-linear model is preferred, and its +5
    impacts (propagated through the fitted curves) are the priorities' impacts."""
    result = fit_sample(kano_sample(np.random.default_rng(3), 1000, PLANTED), PLANTED)
    assert result.nonlinear.comparison["preferred"] == "nonlinear"
    doc = json.loads(result.to_json())
    assert doc["priority_settings"]["model_used"] == "nonlinear"
    assert doc["priority_settings"]["model"].startswith("non-linear")
    _, used = linear_impacts(result)
    np.testing.assert_allclose(used, nonlinear_impacts(result)[used.index], rtol=1e-12)


def test_priorities_from_forces_either_model():
    asymmetric = kano_sample(np.random.default_rng(3), 1000, PLANTED)
    forced = fit_sample(asymmetric, PLANTED, priorities_from="linear")
    assert forced.nonlinear.comparison["preferred"] == "nonlinear"
    assert forced.priorities.model_used == "linear"
    assert forced.priorities.model == (
        "linear (set with --priorities-from linear; the cross-validated comparison prefers "
        "the non-linear model)")
    expected, used = linear_impacts(forced)
    np.testing.assert_allclose(used, expected, rtol=1e-12)
    assert forced.settings["priorities_from"] == "linear"

    # mobi: the comparison prefers the linear model; --priorities-from nonlinear overrides it
    run = CliRunner().invoke(cli, ["fit", str(MOBI), "--model", "ecsi", "--scale", "1:10",
                                   "--variant", "nonlinear", "--priorities-from", "nonlinear",
                                   "--bootstrap", "0", "--format", "json"])
    assert run.exit_code == 0, run.output
    doc = json.loads(run.stdout)
    assert doc["nonlinear"]["comparison"]["preferred"] == "linear"
    assert doc["priority_settings"]["model_used"] == "nonlinear"
    assert "set with --priorities-from nonlinear" in doc["priority_settings"]["model"]
    impacts = {d["driver"]: d["impact_5pt"] for d in doc["nonlinear"]["drivers"]}
    for row in doc["importance"]:
        assert row["impact_5pt"] == pytest.approx(impacts[row["driver"]], rel=1e-12)


def test_priorities_from_nonlinear_needs_the_variant():
    run = CliRunner().invoke(cli, ["fit", str(MOBI), "--model", "ecsi", "--bootstrap", "0",
                                   "--priorities-from", "nonlinear"])
    assert run.exit_code == 2
    assert "--priorities-from nonlinear needs --variant nonlinear" in run.stderr
    with pytest.raises(ValueError, match="needs the non-linear variant"):
        csi.fit(MOBI, "ecsi", scale=(1, 10), bootstrap=0, priorities_from="nonlinear")
    with pytest.raises(ValueError, match="priorities_from must be one of"):
        NonlinearSettings(priorities_from="spline")
    linear = csi.fit(MOBI, "ecsi", scale=(1, 10), bootstrap=0, priorities_from="linear")
    assert linear.priorities.model_used == "linear" and linear.priorities.model == "linear"


# -- the Kano rule -------------------------------------------------------------------------

def test_kano_rule_follows_the_interval_and_the_probabilities():
    """Every branch of KANO_RULE on constructed intervals and class probabilities."""
    nan = float("nan")
    cases = [  # low, high, P(basic), P(performance), P(excitement) -> class
        (-0.3, 0.4, 0.10, 0.60, 0.30, "performance"),
        # the case: P(excitement) 69% but the interval includes 0
        (-0.1, 0.8, 0.01, 0.30, 0.69, "performance (not significant)"),
        (-0.9, -0.2, 0.80, 0.20, 0.00, "basic"),
        (0.1, 0.9, 0.00, 0.30, 0.70, "excitement"),
        (-0.9, -0.1, 0.50, 0.50, 0.00, "basic"),  # exactly 0.5 is enough
        (0.0, 0.9, 0.00, 0.20, 0.80, "performance (not significant)"),  # a bound at 0: includes
        (-0.4, -0.05, 0.40, 0.55, 0.05, "performance"),  # significant but small asymmetry
        (0.05, 0.9, 0.15, 0.40, 0.45, None),  # excludes 0, no class reaches 0.5
        (-0.8, -0.05, 0.45, 0.10, 0.45, None),
        (nan, nan, nan, nan, nan, None),
    ]
    classes, reasons = kano_classes(*(np.array(column, dtype=float)
                                      for column in list(zip(*cases))[:5]))
    assert list(classes) == [case[5] for case in cases]
    assert reasons[7] == reasons[8] and "no class has a bootstrap probability" in reasons[7]
    assert "lies below 0 and P(basic) >= 0.5" in reasons[2]
    assert "significant but small" in reasons[6]
    assert len(set(reasons)) == 7  # one reason per branch (six and the fallback)


def test_kano_probabilities_use_bonferroni_intervals_and_bands():
    rng = np.random.default_rng(1)
    draws = np.column_stack([rng.uniform(-0.9, -0.3, 1000),     # all beyond -0.2
                             np.linspace(-0.1, 0.1, 1000),      # all inside the band
                             np.r_[np.full(300, -0.5), np.full(700, 0.5)]])
    low, high, p_basic, p_performance, p_excitement = kano_probabilities(draws, 0.95, 3)
    np.testing.assert_allclose(p_basic, [1, 0, 0.3])
    np.testing.assert_allclose(p_performance, [0, 1, 0])
    np.testing.assert_allclose(p_excitement, [0, 0, 0.7])
    # level 1 - 0.05 / 3: the 0.00833 and 0.99167 quantiles of the evenly spaced column
    assert low[1] == pytest.approx(-0.1 + 0.2 * 0.05 / 6, abs=1e-6)
    assert high[1] == pytest.approx(0.1 - 0.2 * 0.05 / 6, abs=1e-6)
    assert list(kano_classes(low, high, p_basic, p_performance, p_excitement)[0]) == [
        "basic", "performance", "performance (not significant)"]


# -- the knot --------------------------------------------------------------------------------

def test_default_knot_is_the_median_and_splits_respondents_evenly():
    frame = kano_sample(np.random.default_rng(5), 1000, PLANTED)
    result = fit_sample(frame, PLANTED)
    scores = construct_scores(result, frame)
    assert result.nonlinear.knot == "median"
    for driver in PLANTED:
        knot = result.nonlinear.knots[driver]
        assert knot == pytest.approx(np.median(scores[driver]), abs=1e-9)
        assert (scores[driver] < knot).sum() == (scores[driver] > knot).sum() == 500


def test_weighted_median_knot_equals_the_repeated_rows_median():
    frame = kano_sample(np.random.default_rng(6), 301, PLANTED)
    weights = 1 + np.arange(301) % 3
    weighted = fit_sample(frame.assign(w=weights), PLANTED, weights="w")
    repeated_frame = frame.loc[np.repeat(frame.index, weights)].reset_index(drop=True)
    repeated = fit_sample(repeated_frame, PLANTED)
    scores = construct_scores(repeated, repeated_frame)
    for driver in PLANTED:
        assert weighted.nonlinear.knots[driver] == pytest.approx(
            repeated.nonlinear.knots[driver], abs=1e-9)
        assert weighted.nonlinear.knots[driver] == pytest.approx(
            np.median(scores[driver]), abs=1e-9)
    # direct: non-integer weights put the median where the cumulative weight crosses half
    values = np.array([[1.0], [2.0], [3.0], [4.0]])
    assert weighted_median(values, np.array([0.5, 0.25, 0.125, 0.125]))[0] == 1.5  # half: 1|2
    assert weighted_median(values, np.array([0.625, 0.25, 0.0625, 0.0625]))[0] == 1.0
    assert weighted_median(values, np.ones(4))[0] == np.median(values)


@pytest.mark.parametrize("option, expected", [("midpoint", 50.0), ("60", 60.0), ("12.5", 12.5)])
def test_fixed_knots_from_the_command_line(option, expected):
    run = CliRunner().invoke(cli, ["fit", str(MOBI), "--model", "ecsi", "--scale", "1:10",
                                   "--variant", "nonlinear", "--knot", option, "--bootstrap",
                                   "0", "--format", "json"])
    assert run.exit_code == 0, run.output
    block = json.loads(run.stdout)["nonlinear"]
    assert set(block["knots"].values()) == {expected}
    assert block["knot"] == (option if option == "midpoint" else expected)


def test_mean_knot_and_bad_knots():
    frame = pd.read_csv(MOBI)
    result = csi.fit(Survey("mobi", frame), "ecsi", scale=(1, 10),
                     nonlinear=NonlinearSettings(knot="mean"), bootstrap=0)
    scores = construct_scores(result, frame)
    for construct, knot in result.nonlinear.knots.items():
        assert knot == pytest.approx(scores[construct].mean(), abs=1e-9)
    assert NonlinearSettings(knot="70").knot == 70.0
    for bad in ("101", "-1", "nan", "middle"):
        with pytest.raises(ValueError, match="median, midpoint, mean or a number from 0 to 100"):
            NonlinearSettings(knot=bad)
        run = CliRunner().invoke(cli, ["fit", str(MOBI), "--model", "ecsi", "--variant",
                                       "nonlinear", "--knot", bad])
        assert run.exit_code == 2
        assert "Invalid value for '--knot'" in run.stderr


# -- the response curves ---------------------------------------------------------------------

def test_curve_is_the_fitted_piecewise_shape():
    """Each path's curve has slope_low left of the knot and slope_high right of it, and at
    the knot it equals the intercept plus the other predictors' mean contributions, by direct
    least squares on the construct scores."""
    frame = pd.read_csv(MOBI)
    result = csi.fit(Survey("mobi", frame), "ecsi", scale=(1, 10), variant="nonlinear",
                     bootstrap=0)
    scores = construct_scores(result, frame)
    knots = result.nonlinear.knots
    paths = result.nonlinear.paths.set_index(["from", "to"])
    for (source, target), row in paths.iterrows():
        curve = np.array(row.curve)
        x, y = curve[:, 0], curve[:, 1]
        assert x[0] == pytest.approx(scores[source].min()) and x[-1] == pytest.approx(
            scores[source].max())
        slopes = np.diff(y) / np.diff(x)
        knot = knots[source]
        if row.piecewise:
            left, right = x[1:] <= knot, x[:-1] >= knot
            assert left.any() and right.any()
            np.testing.assert_allclose(slopes[left], row.slope_low, rtol=1e-9)
            np.testing.assert_allclose(slopes[right], row.slope_high, rtol=1e-9)
        else:
            np.testing.assert_allclose(slopes, row.slope_low, rtol=1e-9)
        sources = [s for s, t in result.model.paths if t == target]
        columns = [np.ones(len(frame))]
        for s in sources:
            shifted = scores[s] - knots[s]
            columns += ([np.minimum(shifted, 0), np.maximum(shifted, 0)]
                        if paths.loc[(s, target)].piecewise else [shifted])
        design = np.column_stack(columns)
        beta = np.linalg.lstsq(design, scores[target], rcond=None)[0]
        mine = [1 + sum(1 + paths.loc[(s, target)].piecewise for s in sources[:i])
                for i, s in enumerate(sources) if s == source][0]
        own = slice(mine, mine + 1 + row.piecewise)
        contribution = beta * design.mean(axis=0)
        at_knot = contribution.sum() - contribution[own].sum()
        np.testing.assert_allclose(np.interp(knot, x, y), at_knot, rtol=1e-9)


def test_curve_band_is_computed_per_resample_in_the_batch():
    """The batched nl_curve family equals, resample by resample, the curve of a weighted
    least-squares fit on that resample's respondent counts."""
    from csi.ingest import item_matrix
    from csi.model.spec import load_model
    from csi.model.structure import Layout, Structure
    from csi.pipeline import nonlinear_model

    frame = pd.read_csv(MOBI)
    spec = load_model("ecsi")
    result = csi.fit(Survey("mobi", frame), spec, scale=(1, 10), variant="nonlinear",
                     bootstrap=0)
    items = item_matrix(Survey("mobi", frame), spec, (1, 10))
    layout = Layout.from_spec(spec, Structure.from_spec(spec))
    model = nonlinear_model(result, spec, layout, items, None, NonlinearSettings())
    rng = np.random.default_rng(2)
    counts = rng.multinomial(len(frame), np.full(len(frame), 1 / len(frame)), size=4)
    weights = np.repeat(result.point_vectors["item_weights"][None], 4, axis=0)
    batch = model.statistics(counts.astype(float), {"item_weights": weights})["nl_curve"]
    scores = construct_scores(result, frame)
    constructs = layout.structure.constructs
    for position, (k, j) in enumerate(layout.paths):
        source, target = constructs[k], constructs[j]
        sources = [constructs[m] for m in layout.structure.predecessors[j]]
        grid = model.grids[position]
        for b, w in enumerate(counts):
            columns, owner = [np.ones(len(frame))], [None]
            for s in sources:
                shifted = scores[s] - model.knots[constructs.index(s)]
                pieces = ([np.minimum(shifted, 0), np.maximum(shifted, 0)]
                          if model.piecewise[constructs.index(s)] else [shifted])
                columns += pieces
                owner += [s] * len(pieces)
            design = np.column_stack(columns)
            root = np.sqrt(w)
            beta = np.linalg.lstsq(design * root[:, None], scores[target] * root, rcond=None)[0]
            means = w @ design / w.sum()
            own = [i for i, o in enumerate(owner) if o == source]
            base = sum(beta[i] * means[i] for i in range(len(beta)) if i not in own)
            shifted = grid - model.knots[k]
            low, high = beta[own[0]], beta[own[-1]]
            expected = base + low * np.minimum(shifted, 0) + high * np.maximum(shifted, 0)
            np.testing.assert_allclose(model.curve(batch[b], position), expected, rtol=1e-9)


def test_json_of_the_nonlinear_variant_is_valid_and_keeps_its_keys(tmp_path):
    out = tmp_path / "nl.json"
    run = CliRunner().invoke(cli, ["fit", str(MOBI), "--model", "ecsi", "--scale", "1:10",
                                   "--variant", "nonlinear", "--knot", "55", "--bootstrap",
                                   "200", "--format", "json", "-o", str(out)])
    assert run.exit_code == 0, run.output
    doc = json.loads(out.read_text(), parse_constant=lambda name: pytest.fail(name))
    block = doc["nonlinear"]
    assert set(block) >= {"knot", "knots", "paths", "drivers", "comparison", "notes",
                          "kano_rule", "curves"}
    assert block["knot"] == 55.0
    for row in block["drivers"]:
        assert set(row) >= {"driver", "kano_class", "kano_reason", "p_basic", "p_performance",
                            "p_excitement", "marginal_effect", "impact_5pt"}
    assert {"model", "model_used"} <= set(doc["priority_settings"])
    shown = CliRunner().invoke(cli, ["priorities", str(out)])
    assert shown.exit_code == 0, shown.output
