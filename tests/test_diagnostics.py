"""Structured diagnostics and the advice status (issue 14): each code fires on a fixture made
to provoke it and stays silent on a clean survey; an inadmissible solution withholds the
priorities; a measurement-only model fits with advice not applicable."""

import json

import numpy as np
import pandas as pd
import pytest

import csi
from csi.inference.bootstrap import BootstrapSettings
from csi.ingest import Survey
from tests.conftest import MOBI, ROOT
from tests.simulate import Population

CLEAN = Population(
    constructs=("Quality", "Value", "Satisfaction"),
    loadings={"Quality": (0.85, 0.8, 0.8), "Value": (0.85, 0.8), "Satisfaction": (0.9, 0.85, 0.8)},
    paths={"Value": {"Quality": 0.5}, "Satisfaction": {"Quality": 0.45, "Value": 0.3}},
    item_mean={"Quality": 6.5, "Value": 5.5, "Satisfaction": 6.0},
    item_sd=1.8,
)
CLEAN_MODEL = CLEAN.model_text() + "\n# @target Satisfaction"


def population_survey(population, n, seed, low=1, high=10):
    frame = population.sample(np.random.default_rng(seed), n)
    return frame.clip(low, high).round()


def codes(result):
    return [d.code for d in result.diagnostics]


def test_a_clean_survey_has_no_diagnostics_and_advice_ok():
    frame = population_survey(CLEAN, 600, 1)
    for resamples in (0, 1000):
        result = csi.fit(frame, csi.parse_model(CLEAN_MODEL, "clean"), scale=(1, 10),
                         bootstrap=resamples)
        assert codes(result) == []
        doc = json.loads(result.to_json())
        assert doc["diagnostics"] == []
        assert doc["advice"] == {"status": "ok", "reasons": [], "message": None}
        assert len(doc["priorities"]) == 2


def test_inadmissible_cbsem_withholds_priorities_but_reports_estimates():
    result = csi.fit(MOBI, "ecsi", scale=(1, 10), estimator="cbsem", bootstrap=0)
    assert "inadmissible" in codes(result)
    assert all(d.severity == "error" for d in result.diagnostics if d.code == "inadmissible")
    doc = json.loads(result.to_json())
    assert doc["advice"]["status"] == "withheld"
    assert doc["advice"]["reasons"] == ["inadmissible"]
    assert "--estimator pls" in doc["advice"]["message"]
    assert doc["priorities"] == []
    assert len(doc["paths"]) == 12 and doc["index"]["Satisfaction"]["score"] > 0


def test_plsc_common_factor_model_with_paths_beyond_one_is_withheld():
    """Two drivers whose factors correlate 0.97: PLSc disattenuates their composites'
    correlation to near 1, and the paths that split the effect between them blow up."""
    population = Population(
        constructs=("A", "B", "Y"),
        loadings={"A": (0.75, 0.7, 0.65), "B": (0.75, 0.7, 0.65), "Y": (0.85, 0.8, 0.75)},
        paths={"Y": {"A": 0.6, "B": 0.3}}, exogenous_cor=0.97, item_sd=1.8,
        item_mean={"A": 6.0, "B": 6.0, "Y": 6.0})
    frame = population_survey(population, 300, 8)
    spec = csi.parse_model(population.model_text(), "collinear")
    result = csi.fit(frame, spec, scale=(1, 10), estimator="plsc", bootstrap=0)
    paths = result.paths.set_index(["from", "to"])["estimate"]
    assert (paths.abs() > 1).any() or "inadmissible" in codes(result)
    assert result.advice.status == "withheld"
    assert json.loads(result.to_json())["priorities"] == []
    pls = csi.fit(frame, spec, scale=(1, 10), estimator="pls", bootstrap=0)
    assert "inadmissible" not in codes(pls) and pls.advice.status == "ok"


def test_few_resamples_warns_and_below_200_reports_no_intervals():
    frame = population_survey(CLEAN, 300, 2)
    spec = csi.parse_model(CLEAN_MODEL, "clean")
    rough = csi.fit(frame, spec, scale=(1, 10), bootstrap=300)
    assert codes(rough) == ["few_resamples"]
    assert rough.advice.reasons == ("few_resamples",)
    assert np.isfinite(rough.index["ci_low"]).all()
    none = csi.fit(frame, spec, scale=(1, 10), bootstrap=3)
    assert codes(none) == ["few_resamples"]
    assert "not reported below 200" in none.diagnostics[0].message
    assert "ci_low" not in none.index.columns
    doc = json.loads(none.to_json())
    assert all(row["p_top1"] is None for row in doc["priorities"])
    assert doc["bootstrap"]["n_requested"] == 3


def test_resample_failures_warns_when_more_than_5_percent_fail():
    frame = pd.read_csv(MOBI).head(40).copy()
    frame["CUSCO"] = 5
    frame.loc[[3, 17], "CUSCO"] = [9, 8]  # a resample that misses both rows has a constant item
    result = csi.fit(Survey("thin", frame), "ecsi", scale=(1, 10),
                     bootstrap=BootstrapSettings(resamples=1000, seed=5))
    assert "resample_failures" in codes(result)
    redrawn = csi.fit(Survey("thin", frame), "ecsi", scale=(1, 10),
                      bootstrap=BootstrapSettings(resamples=1000, seed=5, on_failure="redraw"))
    assert "resample_failures" in codes(redrawn)  # redrawn, but still a sign of thin data


def test_scale_unused_when_a_five_point_survey_is_declared_one_to_ten():
    frame = population_survey(CLEAN, 400, 3, low=1, high=5)
    spec = csi.parse_model(CLEAN_MODEL, "clean")
    wrong = csi.fit(frame, spec, scale=(1, 10), bootstrap=0)
    assert codes(wrong) == ["scale_unused"]
    assert "1..10" in wrong.diagnostics[0].message
    right = csi.fit(frame, spec, scale=(1, 5), bootstrap=0)
    assert codes(right) == []


def test_listwise_loss_above_ten_percent():
    frame = population_survey(CLEAN, 400, 4).astype(float)
    rows = np.random.default_rng(4).choice(400, 120, replace=False)
    frame.loc[rows, "Value1"] = np.nan
    spec = csi.parse_model(CLEAN_MODEL, "clean")
    lossy = csi.fit(frame, spec, scale=(1, 10), bootstrap=0)
    assert codes(lossy) == ["listwise_loss"]
    assert "--missing em" in lossy.diagnostics[0].message
    imputed = csi.fit(frame, spec, scale=(1, 10), bootstrap=0, missing="em")
    assert codes(imputed) == []


def test_small_sample_by_the_ten_times_rule():
    frame = population_survey(CLEAN, 18, 5)
    result = csi.fit(frame, csi.parse_model(CLEAN_MODEL, "clean"), scale=(1, 10), bootstrap=0)
    small = [d for d in result.diagnostics if d.code == "small_sample"]
    assert small and small[0].subject == "Satisfaction"  # 2 arrows: needs 20 respondents


def test_discriminant_validity_on_mobi():
    result = csi.fit(MOBI, "ecsi", scale=(1, 10), bootstrap=0)
    flagged = {d.subject for d in result.diagnostics if d.code == "discriminant_validity"}
    assert flagged == {"Image -> Satisfaction", "Quality -> Satisfaction",
                       "Satisfaction -> Loyalty"}
    assert result.advice.status == "ok"
    assert result.advice.reasons == ("discriminant_validity",)


def test_a_cfa_fits_through_csi_fit_with_advice_not_applicable():
    model = ROOT / "tests" / "reference" / "models" / "mobi_cfa.lav"
    result = csi.fit(MOBI, str(model), scale=(1, 10), estimator="cbsem", bootstrap=0)
    doc = json.loads(result.to_json())
    assert doc["advice"]["status"] == "not_applicable"
    assert doc["priorities"] == []
    assert doc["fit"]["cfi"] is not None and len(doc["loadings"]) > 0
    assert set(doc["reliability"]) == {"Image", "Expectation", "Quality"}
