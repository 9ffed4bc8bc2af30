"""csi simulate, csi plan, csi aggregate and the draws file (issue 19).

Independent truths: the importance table's impacts and the estimator's total effects (the
simulation propagates direct paths instead), the index formula for items, piecewise-linear
curves written by hand, the fractional knapsack's optimum, and weighted means and SEs
computed by hand.
"""

import copy
import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from csi.cli.main import cli
from csi.decisions.aggregate import aggregate
from csi.decisions.draws import parameters, read_draws
from csi.decisions.fitted import from_document
from csi.decisions.plan import plan
from csi.decisions.simulate import simulate

ROOT = Path(__file__).resolve().parents[1]
SURVEY = ROOT / "surveys" / "acsi_synthetic.csv"
MOBI = ROOT / "surveys" / "mobi.csv"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def linear(tmp_path_factory):
    """A linear ACSI fit with 200 resamples, its JSON and its draws file."""
    folder = tmp_path_factory.mktemp("linear")
    out, draws = folder / "fit.json", folder / "draws.parquet"
    result = run("fit", SURVEY, "--model", "acsi", "--scale", "1:10", "--bootstrap", 200,
                 "--seed", 7, "--format", "json", "-o", out, "--draws", draws, "-q")
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text()), out, draws


@pytest.fixture(scope="module")
def nonlinear(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nonlinear")
    out, draws = folder / "fit.json", folder / "draws.parquet"
    result = run("fit", MOBI, "--model", "ecsi", "--scale", "1:10", "--variant", "nonlinear",
                 "--bootstrap", 200, "--seed", 3, "--format", "json", "-o", out,
                 "--draws", draws, "-q")
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text()), out, draws


def effect(simulation, construct):
    return next(row for row in simulation.effects if row["construct"] == construct)


def test_linear_simulate_equals_impacts_and_total_effects(linear):
    doc, path, _ = linear
    fitted = from_document(doc, str(path))
    target = doc["priority_settings"]["target"]
    for row in doc["importance"]:
        simulation = simulate(fitted, [(row["driver"], 5.0)])
        assert effect(simulation, target)["change"] == pytest.approx(row["impact_5pt"],
                                                                     rel=1e-12)
    sd = doc["score_sd"]
    for row in doc["total_effects"]:  # every pair: +1 on the source, total effect unstd
        simulation = simulate(fitted, [(row["from"], 1.0)])
        expected = row["estimate"] * sd[row["to"]] / sd[row["from"]]
        assert effect(simulation, row["to"])["change"] == pytest.approx(expected, rel=1e-12)


def test_changes_never_move_upstream(linear):
    doc, path, _ = linear
    simulation = simulate(from_document(doc, str(path)), [("Satisfaction", 3.0)])
    reached = {row["construct"] for row in simulation.effects}
    assert reached == {"Satisfaction", "Complaints", "Loyalty"}
    assert effect(simulation, "Satisfaction")["change"] == pytest.approx(3.0, rel=1e-13)


def test_item_changes_equal_construct_changes_through_the_weights(linear):
    doc, path, _ = linear
    fitted = from_document(doc, str(path))
    weight = next(r["normalized"] for r in doc["item_weights"] if r["indicator"] == "PERQ2")
    through_item = simulate(fitted, [("PERQ2", 1.0)])
    # the index is the weighted mean of the items on 0-100: one point of a 1..10 scale is
    # 100/9 index points of the item
    direct = simulate(fitted, [("Quality", weight * 100 / 9)])
    for row in direct.effects:
        assert effect(through_item, row["construct"])["change"] == pytest.approx(
            row["change"], rel=1e-12)
    assert effect(through_item, "Quality")["change"] == pytest.approx(weight * 100 / 9)


def test_construct_changes_are_capped_at_100_and_say_so(linear):
    doc, path, _ = linear
    simulation = simulate(from_document(doc, str(path)), [("Quality", 60.0)])
    quality = effect(simulation, "Quality")
    assert quality["after"] == 100.0 and quality["capped"]
    assert simulation.changes[0].applied == pytest.approx(100 - doc["index"]["Quality"]["score"])
    assert any("past its scale" in note for note in simulation.notes)
    assert simulation.to_dict()["changes"][0]["capped"] is True


def toy_document(level_a=45.0, level_b=60.0, low=0.8, high=0.0, knot=50.0):
    """A two-construct non-linear fit, A -> B, with a hand-made piecewise response."""
    return {
        "schema": "csi.fit/1", "source": "toy.csv",
        "model": {"name": "toy", "target": "B", "constructs": [
            {"name": "A", "label": "Alpha", "indicators": ["a1", "a2"]},
            {"name": "B", "label": "Beta", "indicators": ["b1"]}],
            "paths": [{"from": "A", "to": "B"}]},
        "settings": {"scale": {"min": 1, "max": 5}}, "data": {"item_scales": {}},
        "paths": [{"from": "A", "to": "B", "estimate": 0.5}],
        "index": {"A": {"score": level_a}, "B": {"score": level_b}},
        "score_sd": {"A": 10.0, "B": 10.0},
        "item_weights": [
            {"construct": "A", "indicator": "a1", "normalized": 0.25, "performance": 40.0},
            {"construct": "A", "indicator": "a2", "normalized": 0.75, "performance": 50.0},
            {"construct": "B", "indicator": "b1", "normalized": 1.0, "performance": level_b}],
        "priority_settings": {"target": "B", "model_used": "nonlinear"},
        "nonlinear": {"knots": {"A": knot, "B": 50.0}, "paths": [
            {"from": "A", "to": "B", "slope_low": low, "slope_high": high}]},
        "bootstrap": None,
    }


def test_nonlinear_simulate_follows_the_curve_and_saturates_above_the_knot():
    fitted = from_document(toy_document(), "toy.json")
    assert fitted.model == "nonlinear"
    # A from 45 to 55: 5 points below the knot at slope 0.8, 5 above at slope 0 -> B +4
    assert effect(simulate(fitted, [("A", 10.0)]), "B")["change"] == pytest.approx(4.0)
    assert effect(simulate(fitted, [("A", 30.0)]), "B")["change"] == pytest.approx(4.0)
    assert effect(simulate(fitted, [("A", -5.0)]), "B")["change"] == pytest.approx(-4.0)
    # an item: a2 +1 on 1..5 moves A by 0.75 x 100/4 = 18.75 -> 45..63.75 -> B +4
    assert effect(simulate(fitted, [("a2", 1.0)]), "A")["change"] == pytest.approx(18.75)
    # an excitement factor (reward slope 1.2) from 60 +10: B 98 + 12 is held at 100
    steep = from_document(toy_document(level_a=60.0, level_b=98.0, low=0.2, high=1.2), "t")
    simulation = simulate(steep, [("Alpha", 10.0)])
    row = effect(simulation, "B")
    assert row["after"] == 100.0 and row["capped"] and row["change"] == pytest.approx(2.0)
    assert any("held at 100" in note for note in simulation.notes)
    assert any("held at the end" in s for s in simulation.sentences())


def test_nonlinear_simulate_equals_the_fits_nonlinear_impacts(nonlinear):
    doc, path, draws = nonlinear
    fitted = from_document(doc, str(path), "nonlinear")
    boot = parameters(fitted, doc, draws)
    target = doc["nonlinear"]["comparison"]["target"]
    for row in doc["nonlinear"]["drivers"]:
        simulation = simulate(fitted, [(row["driver"], 5.0)], boot)
        got = effect(simulation, target)
        assert got["change"] == pytest.approx(row["impact_5pt"], rel=1e-10)
        assert got["ci_low"] == pytest.approx(row["impact_5pt_ci_low"], rel=1e-10)
        assert got["ci_high"] == pytest.approx(row["impact_5pt_ci_high"], rel=1e-10)


def test_the_draws_file_round_trips_and_gives_the_fits_intervals(linear):
    doc, path, draws = linear
    columns, metadata = read_draws(draws)
    assert metadata["seed"] == 7 and metadata["n_used"] == doc["bootstrap"]["n_used"]
    assert len(columns["index/Quality"]) == doc["bootstrap"]["n_used"]
    fitted = from_document(doc, str(path))
    boot = parameters(fitted, doc, draws)
    # the draws' indices are the resamples the fit's index interval came from
    index_draws = boot.level[:, fitted.constructs.index("Quality")]
    assert np.quantile(index_draws, 0.025) == doc["index"]["Quality"]["ci_low"]
    target = doc["priority_settings"]["target"]
    for row in doc["importance"]:
        got = effect(simulate(fitted, [(row["driver"], 5.0)], boot), target)
        assert got["ci_low"] == pytest.approx(row["impact_5pt_ci_low"], rel=1e-12)
        assert got["ci_high"] == pytest.approx(row["impact_5pt_ci_high"], rel=1e-12)


def test_simulate_command_json_and_table(linear, tmp_path):
    doc, path, draws = linear
    result = run("simulate", path, "--change", "Quality=+5", "--change", "PERQ2=+1",
                 "--draws", draws, "--format", "json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["schema"] == "csi.simulate/1"
    assert [c["name"] for c in out["changes"]] == ["Quality", "PERQ2"]
    assert set(out["effects"][0]) >= {"construct", "before", "after", "change", "ci_low",
                                      "ci_high"}
    assert all(row["ci_low"] <= row["change"] <= row["ci_high"] for row in out["effects"])
    table = run("simulate", path, "--change", "Perceived Quality=+5")
    assert table.exit_code == 0, table.output
    assert "Customer Satisfaction (ACSI) from" in table.stdout
    assert "no intervals" in table.stderr
    bad = run("simulate", path, "--change", "Nothing=+5")
    assert bad.exit_code == 4 and bad.stderr.count("\n") == 1
    assert "'Nothing' is neither a construct nor an item" in bad.stderr


def test_draws_of_another_fit_are_refused(linear, nonlinear):
    _, path, _ = linear
    _, _, other = nonlinear
    result = run("simulate", path, "--change", "Quality=+5", "--draws", other)
    assert result.exit_code == 3
    assert "not from the fit" in result.stderr


def test_plan_puts_a_linear_budget_on_the_best_effect_per_cost(linear, tmp_path):
    doc, path, draws = linear
    fitted = from_document(doc, str(path))
    unstd = {r["driver"]: r["total_effect_unstd"] for r in doc["importance"]}
    best = max(unstd, key=unstd.get)
    result = plan(fitted, 6.0)
    assert [(row["driver"], row["points"]) for row in result.allocation] == [(best, 6.0)]
    assert result.gain == pytest.approx(6 * unstd[best], rel=1e-12)
    # prices change the choice: the best effect per unit cost wins (fractional knapsack)
    costs = tmp_path / "costs.csv"
    prices = {d: (4.0 if d == best else 1.0) for d in unstd}
    costs.write_text("driver,cost_per_point,max_points\n"
                     + "".join(f"{d},{c},\n" for d, c in prices.items()))
    cli_result = run("plan", path, "--budget", 8, "--costs", costs, "--draws", draws,
                     "--format", "json")
    assert cli_result.exit_code == 0, cli_result.output
    out = json.loads(cli_result.stdout)
    winner = max(unstd, key=lambda d: unstd[d] / prices[d])
    assert out["schema"] == "csi.plan/1"
    assert out["allocation"][0]["driver"] == winner and out["allocation"][0]["points"] == 8
    gain = out["expected_gain"]
    assert gain["estimate"] == pytest.approx(8 * unstd[winner], rel=1e-12)
    assert gain["ci_low"] < gain["estimate"] < gain["ci_high"]
    assert sum(step["gain"] for step in out["steps"]) == pytest.approx(gain["estimate"])
    # a limit moves the rest of the budget to the next best driver
    limited = plan(fitted, 6.0, max_per_driver=4.0)
    second = sorted(unstd, key=unstd.get)[-2]
    assert [(r["driver"], r["points"]) for r in limited.allocation] == [(best, 4.0),
                                                                       (second, 2.0)]
    label = {c["name"]: c["label"] for c in doc["model"]["constructs"]}
    assert limited.sentence().startswith(
        f"Spend 4 points on {label[best]} and 2 on {label[second]}: "
        f"Customer Satisfaction (ACSI) +")


def test_plan_stops_where_a_basic_factor_saturates():
    fitted = from_document(toy_document(), "toy.json")
    result = plan(fitted, 20.0)  # A: 45 -> 50 earns 0.8 a point, nothing after
    assert [(r["driver"], r["points"]) for r in result.allocation] == [("A", 5.0)]
    assert result.gain == pytest.approx(4.0)


@pytest.mark.parametrize("text, message", [
    ("driver,cost\nQuality,1\n", "costs.csv: no column 'cost_per_point'"),
    ("driver,cost_per_point,max_points\nQuality,abc,\n",
     "costs.csv, row 1, column cost_per_point: 'abc' is not a number"),
    ("driver,cost_per_point,max_points\nQuality,1,\nLoyalty,1,\n",
     "costs.csv, row 2, column driver: 'Loyalty' does not drive"),
    ("driver,cost_per_point,max_points\nQuality,0,\n",
     "costs.csv, row 1, column cost_per_point: must be a positive number"),
])
def test_bad_costs_files_get_one_line_errors(linear, tmp_path, text, message):
    _, path, _ = linear
    costs = tmp_path / "costs.csv"
    costs.write_text(text)
    result = run("plan", path, "--budget", 5, "--costs", costs)
    assert result.exit_code == 3
    assert message in result.stderr and result.stderr.count("\n") == 1


def test_withheld_advice_qualifies_simulate_and_refuses_plan(linear, tmp_path):
    doc, _, _ = linear
    broken = copy.deepcopy(doc)
    broken["advice"] = {"status": "withheld", "reasons": ["heywood_case"],
                        "message": "Priorities are withheld: the solution is inadmissible"}
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    result = run("simulate", path, "--change", "Quality=+5", "--format", "json", "-q")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["advice"]["status"] == "withheld"
    assert out["sentences"] == [s for s in out["sentences"] if s.startswith("No conclusion")]
    assert result.stderr.startswith("Warning: ") and result.stderr.count("\n") == 1
    refused = run("plan", path, "--budget", 5)
    assert refused.exit_code == 4 and "advice is withheld" in refused.stderr


def member(name, scores, ses, model="acsi"):
    constructs = list(scores)
    return {"schema": "csi.fit/1", "source": name,
            "model": {"name": model, "constructs": [
                {"name": c, "label": c, "indicators": [c.lower()]} for c in constructs],
                "paths": [{"from": constructs[0], "to": constructs[1]}]},
            "index": {c: {"score": scores[c], "se": ses[c]} for c in constructs}}


def test_aggregate_equals_hand_computed_weighted_means_and_ses(tmp_path):
    docs = {"a.json": member("a", {"Q": 70.0, "S": 80.0}, {"Q": 1.0, "S": 0.5}),
            "b.json": member("b", {"Q": 60.0, "S": 70.0}, {"Q": 2.0, "S": 1.5}),
            "c.json": member("c", {"Q": 50.0, "S": 90.0}, {"Q": 1.0, "S": 1.0})}
    for name, doc in docs.items():
        (tmp_path / name).write_text(json.dumps(doc))
    (tmp_path / "sales.csv").write_text("result,weight,industry,sector\n"
                                        "a.json,3,banks,finance\nb.json,1,banks,finance\n"
                                        "c.json,4,insurers,finance\n")
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = run("aggregate", "a.json", "b.json", "c.json", "--weights", "sales.csv",
                     "--level-column", "industry", "--level-column", "sector", "--format",
                     "json")
    finally:
        os.chdir(here)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["schema"] == "csi.aggregate/1"
    # all: weights 3, 1, 4 of 8
    q = out["index"]["Q"]
    assert q["score"] == pytest.approx((3 * 70 + 60 + 4 * 50) / 8, rel=1e-14)
    se = math.sqrt((3 / 8) ** 2 * 1 + (1 / 8) ** 2 * 4 + (4 / 8) ** 2 * 1)
    assert q["se"] == pytest.approx(se, rel=1e-14)
    assert q["ci_low"] == pytest.approx(q["score"] - 1.959963984540054 * se, rel=1e-12)
    banks = next(g for g in out["levels"][0]["groups"] if g["name"] == "banks")
    assert banks["weight"] == 4 and banks["members"] == ["a.json", "b.json"]
    assert banks["index"]["S"]["score"] == pytest.approx((3 * 80 + 70) / 4, rel=1e-14)
    assert banks["index"]["S"]["se"] == pytest.approx(
        math.sqrt((3 / 4) ** 2 * 0.25 + (1 / 4) ** 2 * 2.25), rel=1e-14)
    finance = out["levels"][1]["groups"][0]
    assert finance["index"]["Q"]["score"] == pytest.approx(q["score"], rel=1e-14)
    assert [m["weight"] for m in out["members"]] == [3, 1, 4]


def test_aggregate_refuses_members_of_another_model(tmp_path):
    one = member("a", {"Q": 70.0, "S": 80.0}, {"Q": 1.0, "S": 0.5})
    other = member("b", {"Q": 60.0, "V": 70.0}, {"Q": 2.0, "V": 1.5}, model="ecsi")
    (tmp_path / "a.json").write_text(json.dumps(one))
    (tmp_path / "b.json").write_text(json.dumps(other))
    (tmp_path / "w.csv").write_text("result,weight\na.json,1\nb.json,1\n")
    documents = {"a.json": one, str(tmp_path / "b.json"): other}
    from csi.decisions.aggregate import read_weights
    from csi.errors import ModelError

    with pytest.raises(ModelError, match="b.json: its model"):
        aggregate(documents, read_weights(tmp_path / "w.csv"), "w.csv")
    result = run("aggregate", tmp_path / "a.json", tmp_path / "b.json", "--weights",
                 tmp_path / "w.csv")
    assert result.exit_code == 4 and "b.json: its model (ecsi) differs" in result.stderr


def test_a_fit_file_without_score_sd_is_refused_in_one_line(tmp_path):
    older = json.loads((ROOT / "tests" / "golden" / "acsi_synthetic.json").read_text())
    del older["score_sd"]  # as csi wrote it before the decisions issue
    path = tmp_path / "older.json"
    path.write_text(json.dumps(older))
    result = run("simulate", path, "--change", "Quality=+5")
    assert result.exit_code == 3
    assert "no 'score_sd' (made by an older csi?)" in result.stderr
    assert result.stderr.count("\n") == 1


def test_without_draws_there_are_no_intervals_and_a_note(linear):
    doc, path, _ = linear
    result = run("plan", path, "--budget", 3, "--format", "json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["expected_gain"]["ci_low"] is None
    assert "no interval" in result.stderr
    assert "CI" not in out["sentence"]
