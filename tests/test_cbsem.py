"""CB-SEM through semopy (csi.cbsem) against lavaan, its error paths and its place in csi.

Reference numbers (tests/reference/README.md has their provenance): lavaan 0.6.21 for the CFA
and C3 models (`lavaan_mobi_C3_*`, models in tests/reference/models/), lavaan 0.6.14 for the
full ECSI model (`lavaan0.6.14_mobi_ecsi_*`, `lavaan_ml_*`), all `estimator = "ML"` on
surveys/mobi.csv (N = 250). The standardized solution (std.all) does not depend on the
identification (lavaan's files use std.lv, csi's semopy models a marker loading), so
standardized estimates and their delta-method SEs are compared, with the fit measures.
"""

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from csi.estimators import cbsem
from csi.inference.bootstrap import BootstrapSettings
from csi.cli.main import cli
from csi.errors import EstimationError, ModelError
from csi.pipeline import fit
from csi.estimators.base import PlsSettings
from csi.model.spec import load_model, parse_model
from tests.conftest import MOBI, REFERENCE, reference
from tests.simulate import Population

LAVAAN = 1e-3  # issue 9: estimates and fit indices equal lavaan's within 1e-3
MODELS = REFERENCE / "models"
FIT_KEYS = {"chisq": "chisq", "df": "df", "pvalue": "pvalue", "cfi": "cfi", "tli": "tli",
            "rmsea": "rmsea", "rmsea.ci.lower": "rmsea_ci_low",
            "rmsea.ci.upper": "rmsea_ci_high", "srmr": "srmr", "aic": "aic", "bic": "bic"}


def mobi_moments(spec):
    """lavaan's ML sample covariance (divisor N) of the model's items, and N."""
    values = pd.read_csv(MOBI)[list(spec.indicators)].to_numpy(float)
    return np.cov(values, rowvar=False, bias=True), values.shape[0]


def lavaan_fit(name: str) -> dict:
    frame = reference(name)
    return dict(zip(frame.iloc[:, 0], frame.iloc[:, 1]))


def fitted(model_file: str):
    spec = load_model(str(MODELS / model_file), composite=False)
    s, n = mobi_moments(spec)
    fitter, solution = cbsem.fit_model(spec, s, n)
    vcov = cbsem.vcov(fitter, solution.x, n)
    table, heywood = cbsem.parameter_table(fitter, solution.x, vcov)
    lam, beta, psi, theta = fitter.matrices(solution.x)
    sigma = cbsem.standardized(lam, beta, psi, theta)["sigma"]
    indices = cbsem.fit_indices(s, sigma, n, fitter.q, "ML")
    return fitter, solution, pd.DataFrame(table), heywood, indices


def std_differences(table: pd.DataFrame, lavaan_file: str) -> pd.DataFrame:
    """lavaan's standardizedSolution() beside csi's, matched by (lhs, op, rhs)."""
    ref = reference(lavaan_file)
    ours = {}
    for row in table.itertuples():
        ours[(row.lhs, row.op, row.rhs)] = (row.std_estimate, row.std_se)
        if row.op == "~~":
            ours[(row.rhs, row.op, row.lhs)] = (row.std_estimate, row.std_se)
    matched = [ours[(r.lhs, r.op, r.rhs)] for r in ref.itertuples()]
    return ref.assign(ours=[m[0] for m in matched], ours_se=[m[1] for m in matched],
                      diff=lambda f: (f["ours"] - f["est.std"]).abs(),
                      diff_se=lambda f: (f["ours_se"] - f["se"]).abs())


def assert_fit_equals(indices: dict, lavaan: dict, keys=FIT_KEYS) -> None:
    for theirs, mine in keys.items():
        assert indices[mine] == pytest.approx(lavaan[theirs], abs=LAVAAN), mine


# -- the clean reference: the CFA (semopy and lavaan agree to ~1e-8) ----------------------------
@pytest.fixture(scope="module")
def cfa():
    return fitted("mobi_cfa.lav")


def test_cfa_standardized_solution_equals_lavaan(cfa):
    _, _, table, heywood, _ = cfa
    compared = std_differences(table, "lavaan_mobi_C3_cfa_doc_std_solution.csv")
    assert len(compared) == 39  # every row of lavaan's table, residual covariances included
    assert compared["diff"].max() < 1e-5  # achieved: 3e-7
    assert compared["diff_se"].max() < 1e-5  # delta-method SEs; achieved: 3e-8
    assert heywood == []


def test_cfa_fit_indices_equal_lavaan(cfa):
    _, solution, _, _, indices = cfa
    assert_fit_equals(indices, lavaan_fit("lavaan_mobi_C3_cfa_doc_fit_measures_ML.csv"))
    # lavaan's RMSEA uses N; semopy's (N - 1) would give 0.093521
    assert indices["rmsea"] == pytest.approx(0.093333239207, abs=1e-8)
    assert solution.discrepancy * 250 == pytest.approx(266.932964358, abs=1e-6)


# -- the full ECSI model: near-singular, compare fit statistics ---------------------------------
@pytest.fixture(scope="module")
def ecsi():
    return fit(MOBI, str(MODELS / "mobi_ecsi_cbsem.lav"), scale=(1, 10),
               settings=PlsSettings(estimator="cbsem"), bootstrap=0)


@pytest.mark.parametrize("name", ["lavaan0.6.14_mobi_ecsi_fit_ML.csv", "lavaan_ml_fit.csv"])
def test_ecsi_fit_indices_equal_lavaan(ecsi, name):
    # semopy's SLSQP alone stops at chi2 575.957 here; csi's refinement reaches lavaan's
    # 575.571 (achieved: within 1e-7 on every index)
    keys = {k: v for k, v in FIT_KEYS.items() if k in lavaan_fit(name)}
    assert_fit_equals(ecsi.fit_indices, lavaan_fit(name), keys)
    assert ecsi.to_dict()["fit"]["df"] == 241


def test_ecsi_estimates_equal_lavaan_where_the_data_determine_them(ecsi):
    # Latent correlations up to 0.995 leave a nearly flat likelihood along some paths (their
    # lavaan SEs exceed 1; two lavaan runs, lavaan_ml_* and lavaan0.6.14_*, differ there by
    # 5e-4): those 7 of 67 rows are compared to 1e-2, all others to 1e-3 (achieved: 5e-5).
    table = pd.DataFrame(ecsi.estimator_details["parameters"])
    compared = std_differences(table, "lavaan0.6.14_mobi_ecsi_std_solution.csv")
    flat = compared["se"] > 0.5
    assert flat.sum() == 7
    assert compared.loc[~flat, "diff"].max() < LAVAAN
    assert compared.loc[~flat, "diff_se"].max() < LAVAAN
    assert compared.loc[flat, "diff"].max() < 1e-2
    loadings = reference("lavaan_ml_loadings.csv").set_index("MV")["loading_std"]
    ours = ecsi.loadings.set_index("indicator")["estimate"]
    np.testing.assert_allclose(ours[loadings.index], loadings, atol=LAVAAN)
    # composite reliability (rho_C) and AVE from the standardized loadings (lavaan_ml_constructs
    # in the shared set: Image CR 0.702658, AVE 0.326213); rho_A is PLS's, so null here
    reliability = ecsi.reliability.set_index("construct")
    assert reliability.loc["Image", "rho_c"] == pytest.approx(0.702658140, abs=LAVAAN)
    assert reliability.loc["Image", "ave"] == pytest.approx(0.326212638, abs=LAVAAN)
    assert reliability["rho_a"].isna().all()
    paths = reference("lavaan_ml_paths.csv").set_index("path")
    ml_se = ecsi.paths.assign(name=lambda f: f["from"] + " -> " + f["to"]).set_index("name")
    well = paths["se_std"] < 0.5
    np.testing.assert_allclose(ml_se.loc[paths.index[well], "estimate"],
                               paths.loc[well, "estimate_std"], atol=LAVAAN)
    np.testing.assert_allclose(ml_se.loc[paths.index[well], "se"], paths.loc[well, "se_std"],
                               atol=LAVAAN)


def test_ecsi_result_reports_the_near_singular_constructs(ecsi):
    assert ecsi.settings["estimator"] == "cbsem" and ecsi.settings["objective"] == "ML"
    note = next(w for w in ecsi.warnings if w.startswith("latent correlations near"))
    assert "Quality-Expectation 0.995" in note
    assert any(w.startswith("standard errors, p-values") for w in ecsi.warnings)
    document = json.loads(ecsi.to_json())
    assert set(document["fit"]) == set(FIT_KEYS.values())
    assert {"paths", "loadings", "index", "priorities"} <= set(document)


def test_builtin_ecsi_fixes_the_single_indicator_error_variance(ecsi):
    # `--model ecsi --estimator cbsem` is the lavaan model with 'CUSCO ~~ 0*CUSCO' added
    builtin = fit(MOBI, "ecsi", scale=(1, 10), settings=PlsSettings(estimator="cbsem"), bootstrap=0)
    assert builtin.fit_indices["chisq"] == pytest.approx(ecsi.fit_indices["chisq"], abs=1e-6)
    assert any("single indicator (CUSCO)" in w for w in builtin.warnings)
    assert not any("single indicator" in w for w in ecsi.warnings)


# -- C3: degenerate --------------------------------------------------------------------------
def _from_lavaan_std_lv(fitter) -> np.ndarray:
    """lavaan's stored C3 estimates (std.lv: latent variances 1, free markers) moved to
    semopy's parametrization (marker loadings 1): eta' = D eta with D the markers' loadings,
    so Lambda' = Lambda D^-1, B' = D B D^-1, Psi' = D Psi D."""
    est = reference("lavaan_mobi_C3_ecsi_estimates_stdlv.csv")
    inner, observed = fitter.inner, fitter.observed
    lam = np.zeros((len(observed), len(inner)))
    beta = np.zeros((len(inner), len(inner)))
    psi = np.zeros_like(beta)
    theta = np.zeros((len(observed), len(observed)))
    for r in est.itertuples():
        if r.op == "=~":
            lam[observed.index(r.rhs), inner.index(r.lhs)] = r.est
        elif r.op == "~":
            beta[inner.index(r.lhs), inner.index(r.rhs)] = r.est
        elif r.lhs in inner:
            psi[inner.index(r.lhs), inner.index(r.rhs)] = psi[inner.index(r.rhs),
                                                              inner.index(r.lhs)] = r.est
        else:
            a, b = observed.index(r.lhs), observed.index(r.rhs)
            theta[a, b] = theta[b, a] = r.est
    scale = np.array([lam[observed.index(fitter.model.first_manifs[c]), k]
                      for k, c in enumerate(inner)])
    matrices = (np.diag(scale) @ beta @ np.diag(1 / scale), lam @ np.diag(1 / scale),
                np.diag(scale) @ psi @ np.diag(scale), theta)
    return np.array([matrices[kind][row, col] for _, kind, row, col, active in fitter.table
                     if active])


def test_c3_lavaan_stopped_in_a_higher_local_minimum():
    """C3 is degenerate: semopy's SLSQP (and csi after it) reach chi2 482.157, below lavaan's
    stored 484.922, at an improper point (Satisfaction's disturbance variance < 0, a Heywood
    case csi reports). lavaan's solution is a separate, proper local minimum. What is tested:
    (1) csi's fit indices at lavaan's own estimates equal lavaan's fit measures -- the index
    code on a model whose fixed zero variance semopy's baseline gets wrong; (2) started at
    lavaan's estimates, csi's refinement stays there (a stationary point) and reproduces
    lavaan's standardized solution within 1e-3; (3) csi's own fit is lower and flags the
    Heywood case."""
    fitter, solution, table, heywood, indices = fitted("mobi_C3_ecsi.lav")
    lavaan = lavaan_fit("lavaan_mobi_C3_ecsi_fit_measures_ML.csv")
    s, n = mobi_moments(fitter.spec)
    assert fitter.q == lavaan["npar"] and fitter.df == lavaan["df"]

    start = _from_lavaan_std_lv(fitter)
    fitter.load(s, n)
    sigma, _, _ = fitter.sigma(start)
    assert_fit_equals(cbsem.fit_indices(fitter.s, sigma, n, fitter.q, "ML"), lavaan)

    local = fitter._score(start.copy(), 200, 0)
    assert local.decrement < 1e-10
    assert local.discrepancy * n == pytest.approx(lavaan["chisq"], abs=LAVAAN)
    at_lavaan, _ = cbsem.parameter_table(fitter, local.x, cbsem.vcov(fitter, local.x, n))
    compared = std_differences(pd.DataFrame(at_lavaan), "lavaan_mobi_C3_ecsi_std_solution.csv")
    assert compared["diff"].max() < LAVAAN

    assert indices["chisq"] < lavaan["chisq"] - 2  # 482.157
    assert any("disturbance variance of Satisfaction is negative" in w for w in heywood)


# -- error paths -------------------------------------------------------------------------------
def test_a_model_semopy_cannot_identify():
    # CUSCO is Complaints' only indicator: freeing its error variance leaves it and
    # Complaints' disturbance variance inseparable (the information matrix is singular)
    text = (MODELS / "mobi_ecsi_cbsem.lav").read_text().replace("CUSCO ~~ 0*CUSCO",
                                                               "CUSCO ~~ CUSCO")
    spec = parse_model(text, name="free.lav", composite=False)
    s, n = mobi_moments(spec)
    with pytest.raises(ModelError, match=r"free.lav: the model is not identified: the data "
                                         r"cannot separate .*CUSCO ~~ CUSCO.*Complaints ~~ "
                                         r"Complaints|Complaints ~~ Complaints.*CUSCO ~~ CUSCO"):
        cbsem.fit_model(spec, s, n)
    # more free parameters than moments is refused before fitting
    spec = parse_model("F =~ IMAG1 + IMAG2", name="two.lav", composite=False)
    with pytest.raises(ModelError, match=r"two.lav: the model is not identified: 4 free "
                                         r"parameters but only 3 variances and covariances"):
        cbsem.fit_model(spec, *mobi_moments(spec))


def test_non_convergence_is_an_error():
    spec = load_model(str(MODELS / "mobi_ecsi_cbsem.lav"), composite=False)
    with pytest.raises(EstimationError, match=r"CB-SEM did not converge \(ML, 2 scoring steps "
                                              r"after semopy's SLSQP"):
        cbsem.fit_model(spec, *mobi_moments(spec), max_iter=2)


def exact_sample(cov: np.ndarray, n: int, seed: int = 1) -> np.ndarray:
    """n rows whose sample correlation matrix is exactly `cov`, on a 0-10-like scale."""
    z = np.random.default_rng(seed).standard_normal((n, cov.shape[0]))
    z -= z.mean(axis=0)
    q, _ = np.linalg.qr(z)
    return 5 + 1.5 * (q * np.sqrt(n - 1)) @ np.linalg.cholesky(cov).T


def test_heywood_case_is_reported_naming_the_parameter(tmp_path):
    # x1's correlations with x2, x3 (0.85, 0.85) against r(x2, x3) = 0.6 need a loading of
    # about sqrt(0.85 * 0.85 / 0.6) = 1.10 > 1: its error variance is negative
    items = ["x1", "x2", "x3", "y1", "y2", "y3"]
    cor = np.full((6, 6), 0.3)
    cor[:3, :3] = [[1, 0.85, 0.85], [0.85, 1, 0.6], [0.85, 0.6, 1]]
    cor[3:, 3:] = 0.5
    np.fill_diagonal(cor, 1)
    path = tmp_path / "heywood.csv"
    pd.DataFrame(exact_sample(cor, 300), columns=items).to_csv(path, index=False)
    model = tmp_path / "m.lav"
    model.write_text("F =~ x1 + x2 + x3\nG =~ y1 + y2 + y3\nG ~ F\n")
    result = fit(path, str(model), settings=PlsSettings(estimator="cbsem"), bootstrap=0)
    notes = [w for w in result.warnings if w.startswith("Heywood case")]
    assert any("error variance of indicator x1 is negative" in w for w in notes)
    assert any("standardized loading of x1 on F is 1.0699, above 1" in w for w in notes)


def test_formative_blocks_and_unusable_covariances_are_model_errors():
    with pytest.raises(ModelError, match=r"m.lav, line 1: construct 'A' is formative"):
        parse_model("A <~ a1 + a2\nB =~ b1 + b2\nB ~ A", name="m.lav", composite=False)
    with pytest.raises(ModelError, match=r"m.lav, line 4: 'A ~~ b1' joins a construct and an "
                                         r"indicator"):
        parse_model("A =~ a1 + a2\nB =~ b1 + b2\nB ~ A\nA ~~ b1", name="m.lav",
                    composite=False)
    with pytest.raises(ModelError, match=r"m.lav, line 4: labels and modifiers \('a\*b1'\)"):
        parse_model("A =~ a1 + a2\nB =~ b1 + b2\nB ~ A\nA =~ a*b1", name="m.lav",
                    composite=False)


def test_collinear_items_are_an_estimation_error(tmp_path):
    frame = pd.read_csv(MOBI)
    frame["COPY"] = frame["IMAG1"]
    path = tmp_path / "copy.csv"
    frame.to_csv(path, index=False)
    model = tmp_path / "m.lav"
    model.write_text("Image =~ IMAG1 + IMAG2 + COPY\nSat =~ CUSA1 + CUSA2 + CUSA3\n"
                     "Sat ~ Image\n")
    with pytest.raises(EstimationError, match="covariance matrix is not positive definite"):
        fit(path, str(model), scale=(1, 10), settings=PlsSettings(estimator="cbsem"), bootstrap=0)


# -- syntax, interface, bootstrap, CLI -----------------------------------------------------------
def test_spec_keeps_covariances_and_fixed_values_with_their_lines():
    spec = parse_model("F =~ 1*x1 + x2 + x3\nG =~ y1 + y2\nG ~ 0.5*F\nx1 ~~ x2 + 0*y1\n"
                       "G ~~ 1*G\n", name="m", composite=False)
    assert [(c.left, c.right, c.value, c.line) for c in spec.covariances] == [
        ("x1", "x2", None, 4), ("x1", "y1", 0.0, 4), ("G", "G", 1.0, 5)]
    assert [(f.op, f.left, f.right, f.value, f.line) for f in spec.fixed] == [
        ("=~", "F", "x1", 1.0, 1), ("~", "G", "F", 0.5, 3)]
    assert spec.fixed_value("=~", "F", "x1") == 1.0
    text, notes = cbsem.semopy_syntax(spec)
    assert "F =~ 1.0*x1 + x2 + x3" in text and "G ~ 0.5*F" in text and notes == []
    # a CFA (no structural paths) is a CB-SEM model
    assert parse_model("F =~ a + b + c\nG =~ d + e + f", name="cfa", composite=False)


def test_population_is_recovered_and_bootstrap_is_deterministic(tmp_path):
    population = Population(
        constructs=("A", "B", "C"),
        loadings={"A": (0.8, 0.7, 0.6), "B": (0.75, 0.7, 0.65), "C": (0.85, 0.7, 0.7)},
        paths={"B": {"A": 0.5}, "C": {"A": 0.3, "B": 0.4}},
    )
    path = tmp_path / "pop.csv"
    pd.DataFrame(exact_sample(population.item_cov(), 400), columns=population.items).to_csv(
        path, index=False)
    model = tmp_path / "pop.lav"
    model.write_text(population.model_text())
    settings = PlsSettings(estimator="cbsem")
    point = fit(path, str(model), scale=(-2, 12), settings=settings, bootstrap=0)
    paths = point.paths.set_index(["from", "to"])["estimate"]
    assert paths[("A", "B")] == pytest.approx(0.5, abs=1e-6)  # exact moments: exact fit
    assert point.fit_indices["chisq"] == pytest.approx(0, abs=1e-6)
    assert point.fit_indices["cfi"] == 1.0 and point.fit_indices["rmsea"] == 0.0
    # 200 resamples: the fewest for which csi reports intervals (issue 14)
    one, two = (fit(path, str(model), scale=(-2, 12), settings=settings,
                    bootstrap=BootstrapSettings(resamples=200, workers=w)) for w in (1, 2))
    np.testing.assert_array_equal(one.draws.values["paths"], two.draws.values["paths"])
    assert one.bootstrap["n_used"] == 200
    # the bootstrap SEs replace the ML ones and agree with them roughly
    ml = point.paths["se"].to_numpy()
    np.testing.assert_allclose(one.paths["se"].to_numpy(), ml, rtol=0.5)
    assert "ci_low" in one.index  # the index gets intervals only from the bootstrap


def test_cli_fit_cbsem_defaults_to_ml_standard_errors(tmp_path):
    out = tmp_path / "fit.json"
    result = CliRunner().invoke(cli, ["fit", str(MOBI), "--model", "ecsi", "--scale", "1:10",
                                      "--estimator", "cbsem", "--format", "json", "-o",
                                      str(out), "-q"])
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert document["settings"]["estimator"] == "cbsem"
    assert document["bootstrap"] is None
    assert document["fit"]["df"] == 241
    assert document["paths"][0]["se"] == pytest.approx(0.0276, abs=1e-3)  # lavaan: 0.0276
    result = CliRunner().invoke(cli, ["fit", str(MOBI), "--model",
                                      str(MODELS / "mobi_cfa.lav"), "--estimator", "plsc"])
    assert result.exit_code == 4
    assert "line 6: covariances ('~~') are not supported by the PLS estimators" in result.output


def test_cli_compare_estimators():
    result = CliRunner().invoke(cli, ["compare-estimators", str(MOBI), "--model", "ecsi",
                                      "--scale", "1:10", "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    first = document["paths"][0]
    assert first["from"] == "Image" and first["to"] == "Expectation"
    assert first["pls"] == pytest.approx(0.504914, abs=1e-5)
    assert first["plsc"] == pytest.approx(0.863293, abs=1e-5)
    assert first["cbsem"] == pytest.approx(0.987934, abs=1e-5)
    assert document["fit"]["chisq"] == pytest.approx(575.571282, abs=1e-3)
    assert "PLSc is inadmissible" in document["reading"]
    assert "CB-SEM flags latent correlations near 1" in document["reading"]


@pytest.mark.parametrize("objective", ["GLS", "ULS"])
def test_other_semopy_objectives(objective):
    # GLS has a chi-square test (N F_GLS, Browne 1974) but no likelihood (no AIC, BIC); ULS
    # has neither: only df and SRMR, as its discrepancy is not a test statistic
    spec = load_model(str(MODELS / "mobi_cfa.lav"), composite=False)
    s, n = mobi_moments(spec)
    fitter, solution = cbsem.fit_model(spec, s, n, objective)
    lam, beta, psi, theta = fitter.matrices(solution.x)
    indices = cbsem.fit_indices(s, cbsem.standardized(lam, beta, psi, theta)["sigma"], n,
                                fitter.q, objective)
    assert indices["df"] == 84 and 0 < indices["srmr"] < 0.1
    assert indices["aic"] is None and indices["bic"] is None
    assert (indices["chisq"] is None) == (objective == "ULS")
    if objective == "GLS":
        assert indices["chisq"] == pytest.approx(n * solution.discrepancy / 2, rel=1e-9)


def test_same_data_give_the_same_digits_whatever_the_hash_seed():
    """semopy names some parameters while iterating over sets; csi orders them by their place in
    the matrices, so the degenerate C3 fit (where SLSQP's path decides the last digits) is
    byte-identical across PYTHONHASHSEED values (0 and 4 differed by 4e-5 before)."""
    import os
    import subprocess
    import sys

    outputs = set()
    for seed in ("0", "4"):
        done = subprocess.run(
            [sys.executable, "-c", "from csi.cli.entry import main; main()", "fit", str(MOBI), "--model",
             str(MODELS / "mobi_C3_ecsi.lav"), "--scale", "1:10", "--estimator", "cbsem",
             "--bootstrap", "0", "--format", "json", "-q"],
            capture_output=True, env={**os.environ, "PYTHONHASHSEED": seed}, check=True)
        outputs.add(done.stdout)
    assert len(outputs) == 1
