"""Driver importance and priorities: cSEM's IPMA, a simulated population, and the rules."""

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import csi
from csi.inference.bootstrap import BootstrapSettings
from csi.cli.main import cli
from csi.ingest import Survey
from csi.model.structure import Layout
from csi.estimators.reported import estimate_vectors
from csi.estimators.base import PlsSettings
from csi.model.structure import Structure
from csi.estimators import estimate
from csi.drivers.priorities import (
    Priorities,
    analyse,
    batch_ranks,
    choose_target,
    priority_model,
    quadrant,
    rank_order,
    sentences,
    share,
)
from csi.model.spec import parse_model
from tests.conftest import MOBI, reference
from tests.simulate import Population


@pytest.fixture(scope="module")
def mobi_fit():
    return csi.fit(MOBI, "ecsi", scale=(1, 10), bootstrap=BootstrapSettings(resamples=1000))


@pytest.mark.parametrize("target", ["Satisfaction", "Loyalty"])
def test_construct_importance_and_performance_equal_csem_ipma(target):
    result = csi.fit(MOBI, "ecsi", scale=(1, 10), target=target, bootstrap=0)
    ref = reference("cSEM_ipma_rescaled_0to100_constructs.csv").set_index("LV")
    ours = result.priorities.importance.set_index("driver")
    np.testing.assert_allclose(ours.total_effect_unstd, ref.loc[ours.index, f"importance_on_{target}"],
                               atol=1e-4, rtol=0)
    np.testing.assert_allclose(ours.performance, ref.loc[ours.index, "performance"], atol=1e-4)
    np.testing.assert_allclose(ours.impact_5pt, 5 * ours.total_effect_unstd, rtol=1e-12)
    # every construct with a non-zero cSEM importance is a driver, and only those
    assert set(ours.index) == set(ref.index[ref[f"importance_on_{target}"] > 0])


def test_indicator_importance_equals_csem_ipma():
    result = csi.fit(MOBI, "ecsi", scale=(1, 10), target="Loyalty", bootstrap=0)
    ref = reference("cSEM_ipma_rescaled_0to100_indicators.csv").set_index("MV")
    ours = result.priorities.indicator_importance.set_index("indicator")
    np.testing.assert_allclose(ours.importance, ref.loc[ours.index, "importance_on_Loyalty"],
                               atol=1e-4, rtol=0)
    np.testing.assert_allclose(ours.performance, ref.loc[ours.index, "performance"], atol=1e-4)


PLANTED = Population(
    constructs=("Price", "Service", "Range", "Satisfaction"),
    loadings={"Price": (0.85, 0.8, 0.75), "Service": (0.85, 0.8, 0.75),
              "Range": (0.85, 0.8, 0.75), "Satisfaction": (0.9, 0.85, 0.8)},
    paths={"Satisfaction": {"Price": 0.2, "Service": 0.45, "Range": 0.15}},
    exogenous_cor=0.3,
    # Service matters most and performs worst: the planted top priority
    item_mean={"Price": 5.5, "Service": 4.5, "Range": 6.5, "Satisfaction": 5.5},
    item_sd=0.7,  # keeps every simulated answer inside the 1-10 scale
)


def population_priorities(spec):
    """The population's priorities, from its exact covariance matrix and means."""
    structure = Structure.from_spec(spec)
    layout = Layout.from_spec(spec, structure)
    truth = estimate(PLANTED.item_cov()[None], structure, PlsSettings(tol=1e-12))
    sd = np.full((1, len(PLANTED.items)), PLANTED.item_sd)
    point = {k: v[0] for k, v in estimate_vectors(truth, PLANTED.means()[None], sd, layout,
                                                   1.0, 10.0, True).items()}
    return analyse(structure.constructs, structure.indicators, structure.block_of,
                   {c: spec.predecessors(c) for c in structure.constructs}, point, None,
                   list(layout.effects), spec.target, None, None)


def test_planted_top_priority_is_found_with_high_probability():
    spec = parse_model(PLANTED.model_text() + "\n# @target Satisfaction", name="planted")
    truth = population_priorities(spec)
    assert list(truth.ranking.driver) == ["Service", "Price", "Range"]
    sample = PLANTED.sample(np.random.default_rng(7), 1000)
    result = csi.fit(Survey("sample", sample), spec, scale=(1, 10),
                     bootstrap=BootstrapSettings(resamples=2000, seed=3))
    top = result.priorities.ranking.iloc[0]
    assert top.driver == "Service"
    assert top.p_top1 > 0.9
    assert result.priorities.ranking.p_top1.sum() == pytest.approx(1.0)


def test_quadrant_rule_splits_at_the_means():
    importance = np.array([0.6, 0.4, 0.1, 0.1])  # mean 0.3
    performance = np.array([60.0, 80.0, 60.0, 80.0])  # mean 70
    assert quadrant(importance, performance) == [
        "Concentrate here", "Keep up the good work", "Low priority", "Possible overkill"]
    # a value equal to the mean counts as high
    assert quadrant(np.array([0.2, 0.2]), np.array([50.0, 50.0])) == ["Keep up the good work"] * 2


def test_ranking_puts_negative_effects_last_and_breaks_ties():
    names = ["A", "B", "C", "D"]
    score = np.array([10.0, 20.0, 20.0, 30.0])
    importance = np.array([0.5, 0.4, 0.6, -0.2])  # D's large score comes from a negative effect
    ranks = rank_order(score, importance, names)
    assert list(ranks) == [3, 2, 1, 4]  # B and C tie on score: the larger importance first
    batch = batch_ranks(score[None, :].repeat(3, 0), importance[None, :].repeat(3, 0))
    assert (batch == ranks).all()


def test_choose_target_default_and_errors():
    predecessors = {"A": (), "B": ("A",), "C": ("A", "B")}
    assert choose_target(("A", "B", "C"), predecessors, None, None) == (
        "C", "the construct with the most predecessors (2)")
    assert choose_target(("A", "B", "C"), predecessors, "B", None) == ("B", "the model's @target")
    assert choose_target(("A", "B", "C"), predecessors, "B", "C") == ("C", "set with --target")
    with pytest.raises(csi.errors.ModelError, match="'A' has no predecessors"):
        choose_target(("A", "B", "C"), predecessors, None, "A")


def _priorities(significant=True, negative=False):
    return Priorities(
        target="SAT", target_reason="x", model="linear", level=0.95,
        importance=pd.DataFrame({
            "driver": ["QUAL"], "target": ["SAT"], "total_effect": [0.5],
            "total_effect_unstd": [-0.46 if negative else 0.46],
            "impact_5pt": [-2.3 if negative else 2.3], "performance": [70.0],
            "impact_5pt_ci_low": [1.7], "impact_5pt_ci_high": [2.9]}),
        indicator_importance=pd.DataFrame({
            "indicator": ["q1", "q2", "q3", "q4"], "construct": ["QUAL"] * 4,
            "target": ["SAT"] * 4, "importance": [0.1] * 4,
            "performance": [80.0, 61.25, 70.0, 65.5]}),
        ranking=pd.DataFrame({"rank": [1], "driver": ["QUAL"], "score": [13.8],
                              "quadrant": ["Concentrate here"], "p_top1": [0.87],
                              "p_top3": [0.999], "significant": [significant],
                              "negative": [negative]}),
    )


def test_sentence_wording():
    labels = {"QUAL": "Perceived Quality", "SAT": "Satisfaction"}
    label = lambda name: labels.get(name, name)  # noqa: E731
    assert sentences(_priorities(), label) == [
        "Raise Perceived Quality: +5 points would lift Satisfaction by 2.3 points "
        "(95% CI 1.7–2.9); it is the top priority in 87% of resamples. Weakest questions: "
        "q2 (61.2), q4 (65.5), q3 (70.0)."
    ]  # one driver: no top-three share (100% by construction with three drivers or fewer)
    tentative = sentences(_priorities(significant=False), label)[0]
    assert tentative.endswith(
        "Caution: its effect is not statistically significant (the 95% CI of its impact "
        "includes zero), so treat this as tentative. Weakest questions: q2 (61.2), q4 (65.5), "
        "q3 (70.0).")
    assert sentences(_priorities(negative=True), label) == [
        "Perceived Quality has a negative effect on Satisfaction (-2.3 points per +5): it is "
        "not recommended as a priority; check the model and the items' wording."
    ]
    assert share(0.0) == "0%" and share(0.001) == "<1%" and share(1.0) == "100%"


def test_json_keys_and_rerender_from_saved_results(tmp_path, mobi_fit):
    out = tmp_path / "r.json"
    run = CliRunner().invoke(cli, ["fit", str(MOBI), "--model", "ecsi", "--scale", "1:10",
                                   "--bootstrap", "500", "--format", "json", "-o", str(out)])
    assert run.exit_code == 0, run.output
    doc = json.loads(out.read_text())
    row = doc["importance"][0]
    for key in ("driver", "target", "total_effect", "total_effect_unstd", "impact_5pt",
                "performance", "total_effect_se", "impact_5pt_ci_low", "performance_ci_high"):
        assert key in row
    assert set(doc["priorities"][0]) >= {"rank", "driver", "score", "quadrant", "p_top1", "p_top3"}
    assert doc["priorities"][0]["driver"] == "Quality"
    assert doc["indicator_importance"][0]["indicator"] == "IMAG1"
    assert doc["priority_settings"]["target"] == "Satisfaction"
    shown = CliRunner().invoke(cli, ["priorities", str(out)])
    assert shown.exit_code == 0
    assert "What to improve first" in shown.stdout
    assert "Raise Perceived Quality" in shown.stdout
    assert "PERQ2 (68.8)" in shown.stdout.replace("\n", " ")


def test_target_option_and_bad_target():
    run = CliRunner().invoke(cli, ["fit", str(MOBI), "--model", "ecsi", "--bootstrap", "0",
                                   "--target", "Loyalty", "--format", "json"])
    doc = json.loads(run.stdout)
    assert doc["priority_settings"]["target"] == "Loyalty"
    assert doc["priority_settings"]["target_reason"] == "set with --target"
    assert {r["driver"] for r in doc["importance"]} == {
        "Image", "Expectation", "Quality", "Value", "Satisfaction", "Complaints"}
    bad = CliRunner().invoke(cli, ["fit", str(MOBI), "--model", "ecsi", "--target", "Image"])
    assert bad.exit_code == 4
    assert bad.stderr == "Error: --target 'Image' has no predecessors: nothing drives it\n"


def test_priorities_command_rejects_non_results(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"a": 1}')
    run = CliRunner().invoke(cli, ["priorities", str(path)])
    assert run.exit_code == 3
    assert run.stderr == f"Error: {path}: not a csi fit result (no 'schema': 'csi.fit/…' key)\n"


def test_priority_model_names_the_model_and_why():
    assert priority_model(None) == ("linear", "linear")
    assert priority_model(None, "linear") == ("linear", "linear")
    with pytest.raises(ValueError, match="needs the non-linear variant"):
        priority_model(None, "nonlinear")
    assert priority_model("nonlinear") == (
        "nonlinear", "non-linear (piecewise effects, +5 points propagated; the cross-validated "
        "comparison prefers it)")
    assert priority_model("linear") == (
        "linear", "linear (the cross-validated comparison does not prefer the non-linear model)")
    assert priority_model("linear", "nonlinear") == (
        "nonlinear", "non-linear (piecewise effects, +5 points propagated; set with "
        "--priorities-from nonlinear; the cross-validated comparison prefers the linear model)")
    assert priority_model("nonlinear", "linear")[0] == "linear"
    with pytest.raises(ValueError, match="must be one of linear, nonlinear"):
        priority_model("linear", "quadratic")


def test_model_used_survives_the_saved_json():
    doc = _priorities().to_dict()
    assert doc["priority_settings"]["model_used"] == "linear"
    forced = dataclasses.replace(_priorities(), model="non-linear (x)", model_used="nonlinear")
    assert Priorities.from_dict(forced.to_dict()).model_used == "nonlinear"
    # a file written before model_used existed: the model sentence says which
    del doc["priority_settings"]["model_used"]
    assert Priorities.from_dict(doc).model_used == "linear"
    doc["priority_settings"]["model"] = "non-linear (piecewise effects, +5 points propagated)"
    assert Priorities.from_dict(doc).model_used == "nonlinear"


def test_a_top_priority_that_already_performs_well_is_explained():
    """Issue 14: a top priority in 'Keep up the good work' says why it still pays."""
    import csi
    from csi.drivers.priorities import sentences
    from tests.conftest import MOBI

    result = csi.fit(MOBI, "ecsi", scale=(1, 10), bootstrap=200)
    ranking = result.priorities.ranking
    assert ranking["quadrant"].iloc[0] == "Keep up the good work"
    first, second = sentences(result.priorities, result.model.label)[:2]
    assert "already performs well" in first and "it matters most for" in first
    assert "more than the average driver" in second
    # four drivers: the top-three share is informative and stated
    assert "top three" in first
