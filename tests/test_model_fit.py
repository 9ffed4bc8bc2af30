"""Model fit of PLS and PLSc (SRMR, d_ULS, d_G; csi.measures.fit, csi.inference.model_fit)
against cSEM 0.6.1 / ADANCO 2.2.1 definitions, and the Bollen-Stine bootstrap replayed on the
peer script's own resamples.

References (tests/reference/README.md, "Issue 17"): fit_pls_cSEMdef.csv from an independent
numpy script (refpls.py) confirmed by ADANCO 2.2.1 (1e-7) and R cSEM 0.6.1 (1e-14);
fit_pls_bollen_stine_numpy.csv: its Bollen-Stine bootstrap, 2,000 resamples drawn by
numpy.random.default_rng(20260517).integers(0, n, n), one per resample.
"""

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from csi import estimators
from csi.cli.main import cli
from csi.estimators.base import PlsSettings
from csi.inference import model_fit
from csi.model.spec import parse_model
from csi.model.structure import Structure
from csi.pipeline import fit
from csi.sample import Sample
from tests.conftest import BANK_MODEL, DATA, MOBI, reference

BANK = DATA / "satisfaction_bank.csv"
ECSI = (MOBI.parent.parent / "models" / "ecsi.lav").read_text()
VARIANTS = {  # reference variant -> (block operator, estimator)
    "composite_modeA": ("=~", "pls"),
    "composite_modeB": ("<~", "pls"),
    "common_factor_plsc": ("=~", "plsc"),
}
DATASETS = {"satisfaction_bank": (BANK, BANK_MODEL), "mobi": (MOBI, ECSI)}


def _case(data: str, variant: str, scheme: str, tol: float = 1e-12):
    path, text = DATASETS[data]
    operator, name = VARIANTS[variant]
    spec = parse_model(text.replace("=~", operator), name=data)
    settings = PlsSettings(estimator=name, scheme=scheme, tol=tol, max_iter=10_000)
    return path, spec, settings


REF = reference("fit_pls_cSEMdef.csv")
CASES = sorted({(r.data, r.variant, r.scheme) for r in REF.itertuples() if r.variant in VARIANTS})


@pytest.mark.parametrize("data,variant,scheme", CASES)
def test_fit_statistics_equal_csem_definitions(data, variant, scheme):
    path, spec, settings = _case(data, variant, scheme)
    result = fit(path, spec, settings=settings, bootstrap=0)
    block = result.to_dict()["fit"]
    rows = REF[(REF.data == data) & (REF.variant == variant) & (REF.scheme == scheme)]
    for row in rows.itertuples():
        ours = block if row.model == "estimated" else block["saturated"]
        for stat in ("srmr", "d_uls", "d_g"):
            assert ours[stat] == pytest.approx(getattr(row, stat), rel=1e-8), (row.model, stat)
    assert block["implied"] == ("common factor" if variant.startswith("common") else "composite")


def _replay(data, variant, scheme, resamples=2000, seed=20260517):
    path, spec, settings = _case(data, variant, scheme, tol=1e-10)
    structure = Structure.from_spec(spec)
    values = pd.read_csv(path)[list(structure.indicators)].to_numpy(float)
    sample = Sample(values=values)
    point = estimators.get(settings.estimator).point_fit(sample.moments().cor, sample.size,
                                                         structure, settings)
    rng = np.random.default_rng(seed)  # the peer script's draws, one call per resample
    indices = np.array([rng.integers(0, sample.rows, sample.rows) for _ in range(resamples)])
    return model_fit.bollen_stine(sample, structure, settings, point, resamples, seed,
                                  indices={"estimated": indices, "saturated": indices})


BS = reference("fit_pls_bollen_stine_numpy.csv")
BS_EXACT = sorted({(r.data, r.variant, r.scheme) for r in BS.itertuples()
                   if r.variant.startswith("composite")})


@pytest.mark.parametrize("data,variant,scheme", BS_EXACT)
def test_bollen_stine_equals_peer_on_its_resamples(data, variant, scheme):
    found = _replay(data, variant, scheme)
    rows = BS[(BS.data == data) & (BS.variant == variant) & (BS.scheme == scheme)
              & (BS.inadmissibles == "drop")]
    assert len(rows) == 6
    for row in rows.itertuples():
        ours = found[row.model]
        assert ours["n_used"] == row.used
        assert ours["hi95"][row.statistic] == pytest.approx(row.hi95, rel=1e-6)
        assert ours["hi99"][row.statistic] == pytest.approx(row.hi99, rel=1e-6)
        assert ours["p"][row.statistic] == pytest.approx(row.p, abs=1e-12)


def test_bollen_stine_quantiles_near_adanco():
    # ADANCO 2.2.1's own bootstrap (B and seed unknown): a Monte Carlo agreement only, for
    # the composite Mode B model, whose resamples are all usable
    found = _replay("satisfaction_bank", "composite_modeB", "centroid")
    adanco = reference("fit_pls_bollen_stine_adanco.csv")
    for row in adanco[adanco.variant == "composite_modeB"].itertuples():
        assert found[row.model]["hi95"][row.statistic] == pytest.approx(row.hi95, rel=0.06)
        assert found[row.model]["hi99"][row.statistic] == pytest.approx(row.hi99, rel=0.12)


def test_exact_fit_not_rejected_when_the_model_holds():
    # a sample drawn from a population whose correlation matrix is the composite model's own
    # implied matrix: the estimated model's p value is not small
    path, spec, settings = _case("mobi", "composite_modeA", "path", tol=1e-10)
    structure = Structure.from_spec(spec)
    values = pd.read_csv(path)[list(structure.indicators)].to_numpy(float)
    sample = Sample(values=values)
    cor = sample.moments().cor
    point = estimators.get("pls").point_fit(cor, sample.size, structure, settings)
    sigma = model_fit._implied(point.estimates, cor[None], structure,
                               model_fit.composite_blocks(structure, "pls")).estimated[0]
    rng = np.random.default_rng(7)
    drawn = rng.multivariate_normal(np.zeros(len(sigma)), sigma, size=1000)
    sample = Sample(values=drawn)
    point = estimators.get("pls").point_fit(sample.moments().cor, sample.size, structure,
                                            settings)
    found = model_fit.bollen_stine(sample, structure, settings, point, 400, 11)
    assert found["estimated"]["p"]["srmr"] > 0.05
    # and on the real data, whose misfit the peers agree on, it is rejected
    real = Sample(values=values)
    point = estimators.get("pls").point_fit(cor, real.size, structure, settings)
    assert model_fit.bollen_stine(real, structure, settings, point, 400, 11)[
        "estimated"]["p"]["srmr"] < 0.01


def test_fit_json_with_bootstrap_is_reproducible_and_cbsem_unchanged():
    args = ["fit", str(MOBI), "--model", "ecsi", "--scale", "1:10", "--bootstrap", "200",
            "--seed", "5", "--format", "json", "--quiet", "--fit-test"]
    first = CliRunner().invoke(cli, args)
    second = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert first.output == second.output
    block = json.loads(first.output)["fit"]
    assert set(block) >= {"srmr", "d_uls", "d_g", "saturated", "hi95", "hi99", "p"}
    assert set(block["saturated"]) >= {"srmr", "d_uls", "d_g", "hi95", "hi99", "p"}
    assert block["hi95"]["srmr"] < block["hi99"]["srmr"]
    assert block["srmr"] > block["hi99"]["srmr"]  # mobi's composite model misfits (p = 0)
    plsc = CliRunner().invoke(cli, ["fit", str(MOBI), "--model", "ecsi", "--estimator", "plsc",
                                    "--bootstrap", "0", "--format", "json", "--quiet"])
    assert json.loads(plsc.output)["fit"]["implied"] == "common factor"


def test_the_fit_test_runs_only_when_asked():
    """The Bollen-Stine bootstrap costs two more bootstraps, so csi fit runs it with
    --fit-test only; the point measures are always there."""
    args = ["fit", str(MOBI), "--model", "ecsi", "--scale", "1:10", "--bootstrap", "200",
            "--format", "json", "--quiet"]
    block = json.loads(CliRunner().invoke(cli, args).output)["fit"]
    assert {"srmr", "d_uls", "d_g", "saturated"} <= set(block)
    assert "hi95" not in block and "hi95" not in block["saturated"]
