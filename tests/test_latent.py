"""FIMIX-PLS (csi.multi.fimix, csi.multi.latent): peers' log-likelihoods on the same scores,
the number of classes on simulated 1-10 surveys with known structure, and the CLI contract.

Reference: tests/reference/fimix_mobi.csv (make_fimix.py on the refs branch): seminrExtras
0.1.0 assess_fimix and openpls-engine 1.13.0 FIMIX on the seminr PLS scores of ECSI on mobi
(scores_mobi_ecsi_pls.csv), K = 1 in closed form.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csi.multi import fimix

REF = Path(__file__).parent / "reference"
MOBI_PATHS = {"Expectation": ["Image"], "Quality": ["Expectation"],
              "Value": ["Expectation", "Quality"],
              "Satisfaction": ["Image", "Expectation", "Quality", "Value"],
              "Complaints": ["Satisfaction"], "Loyalty": ["Image", "Satisfaction", "Complaints"]}

MODEL = """Quality =~ q1 + q2 + q3
Value =~ v1 + v2 + v3
Satisfaction =~ s1 + s2 + s3
Loyalty =~ l1 + l2 + l3
Value ~ Quality
Satisfaction ~ Quality + Value
Loyalty ~ Satisfaction
"""


def simulated_survey(n: int, seed: int, planted: bool) -> tuple[pd.DataFrame, np.ndarray]:
    """An ACSI-style 1-10 survey (answers rounded and clipped, piling up at the top).
    Planted: half the customers' satisfaction follows quality (0.8) and their loyalty
    satisfaction (0.85), the other half's value (0.8) and hardly satisfaction (0.15);
    homogeneous: one set of paths for everyone."""
    rng = np.random.default_rng(seed)
    quality = rng.standard_normal(n)
    value = 0.5 * quality + np.sqrt(0.75) * rng.standard_normal(n)
    first = rng.random(n) < 0.5
    if planted:
        bq, bv, bl = np.where(first, 0.8, 0.0), np.where(first, 0.0, 0.8), np.where(first, 0.85, 0.15)
        mean = 6.5
    else:
        bq, bv, bl = np.full(n, 0.4), np.full(n, 0.4), np.full(n, 0.6)
        mean = 7.6
    explained = bq ** 2 + bv ** 2 + bq * bv
    satisfaction = bq * quality + bv * value + np.sqrt(1 - explained) * rng.standard_normal(n)
    loyalty = bl * satisfaction + np.sqrt(1 - bl ** 2) * rng.standard_normal(n)
    columns = {}
    for name, eta in (("q", quality), ("v", value), ("s", satisfaction), ("l", loyalty)):
        for i in range(3):
            answer = mean + 1.7 * (0.85 * eta + np.sqrt(1 - 0.85 ** 2) * rng.standard_normal(n))
            columns[f"{name}{i + 1}"] = np.clip(np.round(answer), 1, 10)
    return pd.DataFrame(columns), first


def _analyse(frame: pd.DataFrame, **settings):
    from csi.ingest import Survey, item_matrix
    from csi.model.spec import parse_model
    from csi.multi.latent import LatentSettings, analyse

    survey = Survey(source="simulated", frame=frame, format="dataframe")
    spec = parse_model(MODEL, "simulated")
    items = item_matrix(survey, spec, (1, 10))
    return analyse(items, spec, survey, latent=LatentSettings(**settings))


@pytest.fixture(scope="module")
def mobi_scores():
    scores = pd.read_csv(REF / "scores_mobi_ecsi_pls.csv")
    names = list(scores.columns)
    equations = [fimix.Equation(names.index(t), tuple(names.index(p) for p in ps))
                 for t, ps in MOBI_PATHS.items()]
    return scores.to_numpy(), equations


def test_loglik_at_least_the_peers_at_the_same_k(mobi_scores):
    scores, equations = mobi_scores
    reference = pd.read_csv(REF / "fimix_mobi.csv")
    n = scores.shape[0]
    frequency = np.ones(n)
    for k in (1, 2, 3):
        rows = reference[reference["K"] == k]
        found = fimix.fit(scores, frequency, equations, k, 10, np.random.default_rng(k))
        loglik = float(found.loglik[0])
        q = fimix.n_parameters(equations, k)
        assert q == rows["n_parameters"].iloc[0]
        ten_starts = rows[rows["starts"] <= 10]["lnL"].max()
        assert loglik >= ten_starts - 1e-5, (k, loglik, ten_starts)
        if k == 1:  # closed form: OLS per equation, ML variance
            assert loglik == pytest.approx(ten_starts, abs=5e-7)  # the file has 10 digits
        if k == 2:  # every peer run reaches this optimum: same shares and entropy
            best = rows.iloc[0]
            assert loglik == pytest.approx(best["lnL"], abs=1e-5)
            shares = [float(s) for s in best["shares"].split()]
            np.testing.assert_allclose(found.share[0], shares, atol=1e-4)
            assert fimix.entropy(found.posterior[0], frequency) == pytest.approx(best["EN"],
                                                                                abs=1e-5)
            criteria = fimix.criteria(loglik, q, n)
            for name in ("AIC", "AIC3", "AIC4", "BIC", "CAIC", "HQ"):
                assert criteria[name] == pytest.approx(best[name], abs=1e-4)
            # MDL5 as in openpls and Sarstedt et al. (2011): -2 lnL + 5 q ln n
            assert criteria["MDL5"] == pytest.approx(
                reference[reference["K"] == 2]["MDL5_openpls"].dropna().iloc[0], abs=1e-4)


def test_binary_single_item_construct_is_a_predictor_only():
    from csi.ingest import Survey, item_matrix
    from csi.model.spec import load_model
    from csi.multi.latent import equations_of

    frame = pd.read_csv("surveys/mobi.csv")
    frame["CUSCO"] = np.where(frame["CUSCO"] >= 8, 10, 1)  # complained: yes / no
    spec = load_model("ecsi")
    items = item_matrix(Survey(source="mobi", frame=frame, format="dataframe"), spec, (1, 10))
    equations, described, excluded = equations_of(spec, items)
    assert [e["construct"] for e in excluded] == ["Complaints"]
    assert "predictor only" in excluded[0]["reason"]
    names = list(spec.constructs)
    assert names.index("Complaints") not in [e.target for e in equations]
    loyalty = next(e for e in equations if e.target == names.index("Loyalty"))
    assert names.index("Complaints") in loyalty.predictors
    # targets come after their predictors (data are regenerated in this order)
    seen = {i for i, c in enumerate(names) if not spec.predecessors(c)} | {
        names.index("Complaints")}
    for e in equations:
        assert set(e.predictors) <= seen | {x.target for x in equations[:equations.index(e)]}


@pytest.mark.slow
def test_homogeneous_survey_is_one_class():
    """n = 2,000 homogeneous 1-10 answers: the criteria find a second class (BIC, CAIC)
    that is not there; the bootstrap LRT does not."""
    frame, _ = simulated_survey(2000, 7, planted=False)
    result = _analyse(frame, max_classes=2, lrt_bootstrap=99)
    assert result.criteria_choice["BIC"] == 2  # the trap the issue describes
    assert result.chosen_k == 1
    assert not result.lrt[0]["significant"] and result.lrt[0]["p"] > 0.05
    assert result.actionable["actionable"] is False
    assert (result.membership["class"] == 1).all()


@pytest.mark.slow
def test_planted_two_classes_found():
    frame, first = simulated_survey(1500, 7, planted=True)
    result = _analyse(frame, max_classes=2, lrt_bootstrap=39)
    assert result.chosen_k == 2
    assert result.lrt[0]["p"] < 0.05
    assert result.actionable["actionable"]
    paths = {c["class"]: {(p["from"], p["to"]): p["estimate"] for p in c["fimix"]["paths"]}
             for c in result.classes}
    # the class driven by quality, and the class driven by value (attenuated composites)
    by_quality = max(paths, key=lambda c: paths[c][("Quality", "Satisfaction")])
    by_value = 3 - by_quality
    assert paths[by_quality][("Quality", "Satisfaction")] == pytest.approx(0.8, abs=0.15)
    assert abs(paths[by_quality][("Value", "Satisfaction")]) < 0.15
    assert paths[by_value][("Value", "Satisfaction")] == pytest.approx(0.8, abs=0.15)
    assert abs(paths[by_value][("Quality", "Satisfaction")]) < 0.15
    assert paths[by_quality][("Satisfaction", "Loyalty")] > paths[by_value][
        ("Satisfaction", "Loyalty")] + 0.4
    assigned = result.membership["class"].to_numpy() == by_quality
    assert (assigned == first).mean() > 0.65  # fuzzy by nature, but better than chance
    for entry in result.classes:  # re-estimated as segments: index and priorities
        fit = next(f.result for f in result.segments.fits if f.name == str(entry["class"]))
        assert fit.priorities is not None and len(fit.index) == 4


def test_cli_json_membership_explain_and_saved_classes(tmp_path):
    from click.testing import CliRunner

    from csi.cli.main import cli

    frame = pd.read_csv("surveys/mobi.csv")
    frame["region"] = np.where(np.arange(len(frame)) % 3 == 0, "north", "south")
    survey = tmp_path / "mobi_region.csv"
    frame.to_csv(survey, index=False)
    out, saved = tmp_path / "latent.json", tmp_path / "classes.csv"
    args = ["latent", str(survey), "--model", "ecsi", "--scale", "1:10", "--max-classes", "2",
            "--starts", "3", "--lrt-bootstrap", "19", "--explain", "region", "--format",
            "json", "-o", str(out), "--save-classes", str(saved), "--quiet"]
    run = CliRunner().invoke(cli, args)
    assert run.exit_code == 0, run.output
    doc = json.loads(out.read_text())
    assert doc["schema"] == "csi.latent/1"
    assert {"criteria", "chosen_k", "rule", "classes", "membership"} <= set(doc)
    assert [c["k"] for c in doc["criteria"]] == [1, 2]
    assert {"loglik", "AIC", "AIC3", "AIC4", "BIC", "CAIC", "HQ", "MDL5", "EN",
            "shares", "sizes"} <= set(doc["criteria"][1])
    assert "McLachlan" in doc["rule"]
    assert len(doc["membership"]) == len(frame)
    assert set(doc["membership"][0]) == {"row", "class", "probability"}
    assert len(doc["classes"]) == doc["chosen_k"]
    assert doc["classes"][0]["fit"]["schema"] == "csi.fit/1"
    assert doc["explain"][0]["column"] == "region" and doc["explain"][0]["test"] == "chi-square"
    membership = pd.read_csv(saved)
    assert list(membership.columns[:3]) == ["row", "class", "probability"]
    assert len(membership) == len(frame)
    again = tmp_path / "again.json"
    args[args.index(str(out))] = str(again)
    assert CliRunner().invoke(cli, args).exit_code == 0
    assert again.read_bytes() == out.read_bytes()  # same data + seed = identical JSON
