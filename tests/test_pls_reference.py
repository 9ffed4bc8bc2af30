"""csi's PLS estimates against the peers' numbers (tests/reference/README.md says where each is from)."""

import numpy as np
import pandas as pd
import pytest

import csi
from csi.estimators.base import PlsSettings
from csi.model.spec import parse_model
from tests.conftest import BANK_MODEL, DATA, MOBI, reference

TIGHT = 1e-5  # issue 2: estimates equal the tight peer solutions within 1e-5


@pytest.fixture(scope="module")
def ecsi():
    return csi.fit(MOBI, "ecsi", scale=(1, 10), bootstrap=0)


def _paths(result) -> pd.Series:
    return pd.Series(
        result.paths.estimate.to_numpy(),
        index=[f"{a} -> {b}" for a, b in zip(result.paths["from"], result.paths["to"])],
    )


@pytest.mark.parametrize("peer", ["seminr", "cSEM"])
def test_outer_model_equals_peer(ecsi, peer):
    ref = reference(f"{peer}_pls_tight_outer.csv").set_index("MV")
    ours = ecsi.weights.set_index("indicator")
    np.testing.assert_allclose(ours.loc[ref.index, "estimate"], ref.weight, atol=TIGHT, rtol=0)
    ours = ecsi.loadings.set_index("indicator")
    np.testing.assert_allclose(ours.loc[ref.index, "estimate"], ref.loading, atol=TIGHT, rtol=0)


@pytest.mark.parametrize("peer", ["seminr", "cSEM"])
def test_paths_and_total_effects_equal_peer(ecsi, peer):
    ref = reference(f"{peer}_pls_tight_paths.csv").set_index("path").estimate
    ours = _paths(ecsi)
    assert sorted(ours.index) == sorted(ref.index)
    np.testing.assert_allclose(ours[ref.index], ref, atol=TIGHT, rtol=0)

    ref_total = reference(f"{peer}_pls_tight_total_effects.csv")
    ours_total = ecsi.total_effects.set_index(["from", "to"]).estimate
    assert len(ours_total) == len(ref_total)
    for row in ref_total.itertuples():
        assert ours_total[(row._1, row.to)] == pytest.approx(row.total, abs=TIGHT)


def test_r2_reliability_htmt_equal_seminr(ecsi):
    ref = reference("seminr_pls_tight_constructs.csv").set_index("LV")
    r2 = ecsi.r2.set_index("construct")
    np.testing.assert_allclose(r2.estimate, ref.loc[r2.index, "R2"], atol=TIGHT, rtol=0)
    np.testing.assert_allclose(r2.adjusted, ref.loc[r2.index, "R2adj"], atol=TIGHT, rtol=0)
    rel = ecsi.reliability.set_index("construct").loc[ref.index]
    for ours, theirs in [("alpha", "alpha"), ("rho_a", "rhoA"), ("rho_c", "rhoC"), ("ave", "AVE")]:
        np.testing.assert_allclose(rel[ours], ref[theirs], atol=1e-4, rtol=0, err_msg=ours)

    ref_htmt = reference("seminr_pls_tight_htmt.csv", index_col=0)
    checked = 0
    for row in ecsi.htmt.itertuples():
        theirs = ref_htmt.loc[row.a, row.b]
        if np.isnan(theirs):
            theirs = ref_htmt.loc[row.b, row.a]
        assert row.value == pytest.approx(theirs, abs=1e-4), (row.a, row.b)
        checked += 1
    assert checked == 21


@pytest.mark.parametrize("scheme", ["path", "centroid", "factorial"])
def test_schemes_equal_r_plspm(scheme):
    ref = reference("rpeers_mobi_ecsi_paths_plspm0.5.1_seminr2.3.4_cSEM0.6.1.csv", index_col=0)
    result = csi.fit(MOBI, "ecsi", settings=PlsSettings(scheme=scheme), bootstrap=0)
    ours = _paths(result)
    np.testing.assert_allclose(ours[ref.index], ref[f"plspm_{scheme}_scaled"], atol=TIGHT, rtol=0)


def test_unstandardized_centroid_equals_r_plspm_unscaled():
    ref = reference("rpeers_mobi_ecsi_paths_plspm0.5.1_seminr2.3.4_cSEM0.6.1.csv", index_col=0)
    settings = PlsSettings(scheme="centroid", standardize=False)
    ours = _paths(csi.fit(MOBI, "ecsi", settings=settings, bootstrap=0))
    np.testing.assert_allclose(ours[ref.index], ref["plspm_centroid_unscaled"], atol=TIGHT, rtol=0)


def test_index_equals_csem_ipma_performance(ecsi):
    ref = reference("cSEM_ipma_rescaled_0to100_constructs.csv").set_index("LV").performance
    ours = ecsi.index.set_index("construct").score
    np.testing.assert_allclose(ours[ref.index], ref, atol=1e-6, rtol=0)
    items = reference("cSEM_ipma_rescaled_0to100_indicators.csv").set_index("MV").performance
    ours_items = ecsi.item_weights.set_index("indicator").performance
    np.testing.assert_allclose(ours_items[items.index], items, atol=1e-9, rtol=0)


BANK_FILES = {
    "centroid": "pyplspm_tests_satisfaction.outer-model.csv",
    "path": "pyplspm_tests_satisfaction.outer-model-path.csv",
    "factorial": "pyplspm_tests_satisfaction.outer-model-factorial.csv",
}


@pytest.mark.parametrize("scheme", sorted(BANK_FILES))
def test_bank_outer_model_equals_r_plspm(scheme):
    spec = parse_model(BANK_MODEL, name="bank")
    settings = PlsSettings(scheme=scheme, standardize=False)
    result = csi.fit(DATA / "satisfaction_bank.csv", spec, settings=settings, bootstrap=0)
    ref = reference(BANK_FILES[scheme]).set_index("name")
    n = result.n_obs
    sd = pd.read_csv(DATA / "satisfaction_bank.csv")[list(ref.index)].std()
    # csi reports standardized weights; plspm's are raw-scale with unit score variance (divisor n)
    raw = result.weights.set_index("indicator").estimate[ref.index] / sd * np.sqrt(n / (n - 1))
    np.testing.assert_allclose(raw, ref.weight, atol=TIGHT, rtol=0)
    loadings = result.loadings.set_index("indicator").estimate[ref.index]
    np.testing.assert_allclose(loadings, ref.loading, atol=TIGHT, rtol=0)


def test_bank_inner_model_and_effects_equal_r_plspm():
    spec = parse_model(BANK_MODEL, name="bank")
    settings = PlsSettings(scheme="centroid", standardize=False)
    result = csi.fit(DATA / "satisfaction_bank.csv", spec, settings=settings, bootstrap=0)
    summary = reference("pyplspm_tests_satisfaction.inner-summary.csv", index_col=0)
    r2 = result.r2.set_index("construct").estimate
    np.testing.assert_allclose(r2, summary.loc[r2.index, "r_squared"], atol=TIGHT, rtol=0)
    np.testing.assert_allclose(
        result.reliability.set_index("construct").ave[summary.index], summary.ave, atol=TIGHT
    )
    effects = reference("pyplspm_tests_satisfaction.effects.csv")
    total = result.total_effects.set_index(["from", "to"]).estimate
    indirect = result.indirect_effects.set_index(["from", "to"]).estimate
    for row in effects.itertuples():
        assert total[(row._2, row.to)] == pytest.approx(row.total, abs=TIGHT)
        # csi lists indirect effects only where a path of two or more steps exists
        assert indirect.get((row._2, row.to), 0.0) == pytest.approx(row.indirect, abs=TIGHT)
    cross = reference("pyplspm_tests_satisfaction.crossloadings.csv").set_index("name")
    ours = result.cross_loadings.pivot(index="indicator", columns="construct", values="estimate")
    np.testing.assert_allclose(
        ours.loc[cross.index, list(r2.index.insert(0, "IMAG"))],
        cross[list(r2.index.insert(0, "IMAG"))], atol=TIGHT,
    )
    scores = reference("pyplspm_tests_satisfaction.scores.csv")
    n = result.n_obs
    # plspm scales scores to unit variance with divisor n
    np.testing.assert_allclose(
        result.scores[scores.columns] * np.sqrt(n / (n - 1)), scores, atol=1e-4
    )


def test_bank_mode_b_equals_r_plspm():
    text = BANK_MODEL.replace("=~", "<~")
    result = csi.fit(DATA / "satisfaction_bank.csv", parse_model(text, name="bank-b"),
                     settings=PlsSettings(scheme="centroid", standardize=False), bootstrap=0)
    summary = reference("pyplspm_tests_satisfaction.modeb.inner-summary.csv", index_col=0)
    r2 = result.r2.set_index("construct").estimate
    np.testing.assert_allclose(r2, summary.loc[r2.index, "r_squared"], atol=TIGHT, rtol=0)
