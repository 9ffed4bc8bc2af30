"""Interaction (moderation) and quadratic terms: parsing, the three estimation methods against
seminr 0.2.1 and an independent numpy fit (tests/reference/make_interaction.py), planted and
absent moderation in simulations, simple slopes, floodlight and the JSON contract."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import csi
from csi.errors import ModelError
from csi.estimators.base import PlsSettings
from csi.model.spec import parse_model

ROOT = Path(__file__).resolve().parents[1]
MOBI = ROOT / "surveys" / "mobi.csv"
REFERENCE = ROOT / "tests" / "reference" / "interaction_mobi.csv"
ECSI = (ROOT / "models" / "ecsi.lav").read_text(encoding="utf-8")
TERMS = {"interaction": "Quality:Value", "quadratic": "Quality:Quality"}
METHODS = ("two-stage", "orthogonal", "product-indicator")


def moderated_ecsi(term: str) -> str:
    return ECSI + f"\nSatisfaction ~ {term}\n"


def tight_fit(term: str, method: str, **options):
    spec = parse_model(moderated_ecsi(term), name="ecsi+")
    return csi.fit(MOBI, spec, scale=(1, 10), bootstrap=options.pop("bootstrap", 0),
                   settings=PlsSettings(tol=1e-13, max_iter=1000), interaction=method,
                   **options)


@pytest.mark.parametrize("model", sorted(TERMS))
@pytest.mark.parametrize("method", METHODS)
def test_equals_seminr_and_numpy_on_mobi(model, method):
    reference = pd.read_csv(REFERENCE, comment="#")
    reference = reference[(reference["model"] == model) & (reference["method"] == method)]
    result = tight_fit(TERMS[model], method)
    paths = {(r["from"], r["to"]): r["estimate"] for r in result.paths.to_dict("records")}
    expected = reference[reference["kind"] == "path"]
    assert len(paths) == len(expected)
    for row in expected.itertuples():
        assert paths[(row._4, row.to)] == pytest.approx(row.value, abs=1e-9), (row._4, row.to)
    for kind, table in (("weight", result.weights), ("loading", result.loadings)):
        ours = {(r["construct"], r["indicator"]): r["estimate"]
                for r in table.to_dict("records")}
        for row in reference[reference["kind"] == kind].itertuples():
            assert ours[(row._4, row.to)] == pytest.approx(row.value, abs=1e-9)


PARSE_ERRORS = {
    "unknown construct": (
        "A =~ a1 + a2\nB =~ b1\nC =~ c1\nC ~ A + B + A:D",
        "m.lav, line 4: interaction 'A:D' names undeclared construct 'D' "
        "(declare it with 'D =~ ...')"),
    "three-way": (
        "A =~ a1\nB =~ b1\nC =~ c1\nC ~ A + B + A:B:C",
        "m.lav, line 4: 'A:B:C': csi estimates two-way interactions ('A:B') and quadratic "
        "terms ('A:A') only"),
    "cycle through a term": (
        "A =~ a1\nB =~ b1\nC =~ c1\nC ~ A + B + A:B\nB ~ C",
        "m.lav, line 4: the structural model has a cycle: C -> B -> C"),
}


@pytest.mark.parametrize("case", sorted(PARSE_ERRORS))
def test_parse_errors_name_the_line(case):
    text, message = PARSE_ERRORS[case]
    with pytest.raises(ModelError) as raised:
        parse_model(text, name="m.lav")
    assert str(raised.value) == message


def test_parses_interaction_and_quadratic_terms():
    spec = parse_model("A =~ a1 + a2\nB =~ b1\nC =~ c1\nC ~ A + B + A:B + A:A")
    assert [(t.name, t.target, t.focal, t.moderator) for t in spec.interactions] == [
        ("A:B", "C", "A", "B"), ("A:A", "C", "A", "A")]
    assert [(p.source, p.target) for p in spec.paths] == [("A", "C"), ("B", "C")]


def test_cbsem_and_plsc_reject_interactions():
    text = "A =~ a1 + a2\nB =~ b1 + b2\nC =~ c1 + c2\nC ~ A + B + A:B"
    with pytest.raises(ModelError, match="line 4: interaction term 'A:B' is estimated by the "
                                         "PLS estimators only"):
        parse_model(text, composite=False)
    with pytest.raises(ModelError, match="line 31: interaction term 'Quality:Value' needs "
                                         "--estimator pls"):
        csi.fit(MOBI, parse_model(moderated_ecsi("Quality:Value"), name="ecsi+"),
                scale=(1, 10), bootstrap=0, estimator="plsc")


def test_frequency_weights_equal_repeated_rows():
    frame = pd.read_csv(MOBI).iloc[:120].reset_index(drop=True)
    frame["w"] = np.tile([1, 2, 3], 40)
    repeated = frame.loc[frame.index.repeat(frame["w"])].reset_index(drop=True)
    spec = parse_model(moderated_ecsi("Quality:Value"), name="ecsi+")
    for method in METHODS:
        weighted = csi.fit(frame, spec, scale=(1, 10), bootstrap=0, weights="w",
                           interaction=method)
        plain = csi.fit(repeated, spec, scale=(1, 10), bootstrap=0, interaction=method)
        assert weighted.paths["estimate"].to_numpy() == pytest.approx(
            plain.paths["estimate"].to_numpy(), abs=1e-12)


def test_cli_unknown_construct_exit_4(tmp_path):
    from click.testing import CliRunner

    from csi.cli.main import cli

    model = tmp_path / "m.lav"
    model.write_text(moderated_ecsi("Quality:Valeu"), encoding="utf-8")
    run = CliRunner().invoke(cli, ["fit", str(MOBI), "--model", str(model), "--scale", "1:10",
                                   "--bootstrap", "0"])
    assert run.exit_code == 4
    assert run.output.strip().endswith(
        "interaction 'Quality:Valeu' names undeclared construct 'Valeu' (declare it with "
        "'Valeu =~ ...')")


def simulate(n: int, b3: float, rng: np.random.Generator, r: float = 0.4) -> pd.DataFrame:
    """Single-item constructs (scores are the items: no measurement error), X, M standard
    normal with correlation r, y = 0.4 x + 0.3 m + b3 x m + e."""
    x = rng.standard_normal(n)
    m = r * x + np.sqrt(1 - r**2) * rng.standard_normal(n)
    y = 0.4 * x + 0.3 * m + b3 * x * m + rng.standard_normal(n)
    return pd.DataFrame({"x1": x, "m1": m, "y1": y})


SIM_MODEL = "X =~ x1\nM =~ m1\nY =~ y1\nY ~ X + M + X:M\n"


def truth(b3: float, r: float = 0.4) -> dict:
    """Population values in SD units of y: the slope of X at M = k is (0.4 + b3 k) / sd(y),
    sd(y)^2 = var(0.4 x + 0.3 m) + b3^2 var(x m) + 1, var(x m) = 1 + r^2 (Gaussian)."""
    sd_y = np.sqrt(0.16 + 0.09 + 2 * 0.12 * r + b3**2 * (1 + r**2) + 1)
    return {k: (0.4 + b3 * k) / sd_y for k in (-1.0, 0.0, 1.0)}


@pytest.mark.parametrize("method", METHODS)
def test_planted_moderation_is_recovered_within_its_interval(method):
    data = simulate(2000, 0.25, np.random.default_rng(17))
    result = csi.fit(data, parse_model(SIM_MODEL), bootstrap=500, seed=3, interaction=method)
    block = result.moderation.to_list()[0]
    expected = truth(0.25)
    for row in block["simple_slopes"]:
        assert row["ci_low"] < expected[row["moderator_sd"]] < row["ci_high"]
    path = result.paths.set_index(["from", "to"]).loc[("X:M", "Y")]
    sd_y = np.sqrt(0.16 + 0.09 + 0.096 + 0.0625 * 1.16 + 1)
    assert path["ci_low"] < 0.25 / sd_y < path["ci_high"]
    assert path["ci_low"] > 0  # found
    assert block["floodlight"]["significant"]  # the focal effect is significant somewhere


@pytest.mark.parametrize("method", METHODS)
def test_no_moderation_is_not_found(method):
    data = simulate(2000, 0.0, np.random.default_rng(23))
    result = csi.fit(data, parse_model(SIM_MODEL), bootstrap=500, seed=3, interaction=method)
    path = result.paths.set_index(["from", "to"]).loc[("X:M", "Y")]
    assert path["ci_low"] < 0 < path["ci_high"]
    slopes = result.moderation.to_list()[0]["simple_slopes"]
    flat = truth(0.0)
    for row in slopes:  # every slope covers the unmoderated effect
        assert row["ci_low"] < flat[row["moderator_sd"]] < row["ci_high"]


def test_simple_slopes_are_b1_plus_b3_k_and_quadratic_doubles():
    result = tight_fit("Quality:Value", "two-stage")
    paths = result.paths.set_index(["from", "to"])["estimate"]
    b1, b3 = paths[("Quality", "Satisfaction")], paths[("Quality:Value", "Satisfaction")]
    block = result.moderation.to_list()[0]
    assert [r["slope"] for r in block["simple_slopes"]] == pytest.approx(
        [b1 - b3, b1, b1 + b3], abs=1e-15)
    assert block["floodlight"] is None  # no bootstrap, no floodlight
    quad = tight_fit("Quality:Quality", "two-stage")
    paths = quad.paths.set_index(["from", "to"])["estimate"]
    b1, b3 = paths[("Quality", "Satisfaction")], paths[("Quality:Quality", "Satisfaction")]
    assert [r["slope"] for r in quad.moderation.to_list()[0]["simple_slopes"]] == pytest.approx(
        [b1 - 2 * b3, b1, b1 + 2 * b3], abs=1e-15)


def test_bootstrap_redoes_stage_one_per_resample():
    """A resample's interaction path equals a fresh fit of the resampled rows (which runs
    stage 1 on them), for each method."""
    from csi.sample import counts_from_indices

    rng = np.random.default_rng(5)
    frame = pd.read_csv(MOBI)
    picks = rng.integers(0, len(frame), size=(1, len(frame)))
    spec = parse_model(moderated_ecsi("Quality:Value"), name="ecsi+")
    for method in METHODS:
        resampled = csi.fit(frame.iloc[picks[0]].reset_index(drop=True), spec, scale=(1, 10),
                            bootstrap=0, interaction=method)
        replay = _replayed_paths(frame, spec, method, picks)
        assert replay == pytest.approx(resampled.paths["estimate"].to_numpy(), abs=1e-10)
    assert counts_from_indices(picks, len(frame)).sum() == len(frame)


def _replayed_paths(frame, spec, method, picks):
    from csi.inference import bootstrap as boot
    from csi.pipeline import fit_items, sample_of  # noqa: F401
    from csi.estimators import interaction as terms
    from csi.ingest import IngestOptions
    from csi.ingest import item_matrix
    from csi.pipeline import _survey

    survey, _ = _survey(frame, IngestOptions(scale=(1, 10)))
    items = item_matrix(survey, spec, (1, 10), IngestOptions(scale=(1, 10)))
    result = fit_items(items, spec, PlsSettings(), source="x",
                       bootstrap=boot.BootstrapSettings(resamples=0), interaction=method)
    del result
    settings = PlsSettings()
    sample = terms.InteractionSample(sample_of(items), spec, method, settings)
    stage2 = terms.augment(spec, method)
    from csi.model.structure import Layout, Structure

    structure = Structure.from_spec(stage2)
    problem = boot.Problem(sample=sample, layout=Layout.from_spec(stage2, structure),
                           pls=settings, low=np.nan, high=np.nan,
                           reference=_point(sample, structure, settings, stage2, spec),
                           extension=terms.Adjustment.of(structure, spec))
    from csi.sample import counts_from_indices

    vectors, failed, _ = boot.estimate_batch(problem, counts_from_indices(picks, len(frame)),
                                             "construct")
    assert not failed.any()
    return vectors["paths"][0]


def _point(sample, structure, settings, stage2, spec):
    from csi import estimators

    stats = sample.moments()
    return estimators.get("pls").point_fit(stats.cor, stats.n, structure, settings)


def test_json_has_moderation_and_the_interaction_path(tmp_path):
    result = csi.fit(MOBI, parse_model(moderated_ecsi("Quality:Value"), name="ecsi+"),
                     scale=(1, 10), bootstrap=200, seed=1)
    doc = json.loads(result.to_json())
    assert {"from": "Quality:Value", "to": "Satisfaction"}.items() <= next(
        p for p in doc["paths"] if p["from"] == "Quality:Value").items()
    block = doc["moderation"][0]
    assert block["interaction"] == "Quality:Value" and block["method"] == "two-stage"
    assert [s["moderator_sd"] for s in block["simple_slopes"]] == [-1, 0, 1]
    assert {"se", "p", "ci_low", "ci_high"} <= set(block["simple_slopes"][0])
    assert "Quality:Value" not in [d["driver"] for d in doc["importance"]]
    assert doc["settings"]["interaction"] == "two-stage"
    from tests.test_schemas import errors

    assert errors("fit", doc) == []
    again = csi.fit(MOBI, parse_model(moderated_ecsi("Quality:Value"), name="ecsi+"),
                    scale=(1, 10), bootstrap=200, seed=1)
    assert again.to_json() == result.to_json()


def test_planted_quadratic_effect_is_recovered():
    """y = 0.4 x + 0.2 x^2 + e, x standard normal: the slope at x = k is (0.4 + 0.4 k) /
    sd(y), sd(y)^2 = 0.16 + 0.04 var(x^2) + 1 = 1.24."""
    rng = np.random.default_rng(29)
    x = rng.standard_normal(3000)
    frame = pd.DataFrame({"x1": x, "y1": 0.4 * x + 0.2 * x**2 + rng.standard_normal(3000)})
    result = csi.fit(frame, parse_model("X =~ x1\nY =~ y1\nY ~ X + X:X\n"), bootstrap=500,
                     seed=4)
    block = result.moderation.to_list()[0]
    assert block["quadratic"] and block["moderator"] == "X"
    for row in block["simple_slopes"]:
        expected = (0.4 + 0.4 * row["moderator_sd"]) / np.sqrt(1.24)
        assert row["ci_low"] < expected < row["ci_high"]
    ranges = block["floodlight"]["significant"]  # the slope is zero at x = -1 SD, negative
    assert len(ranges) == 2 and ranges[0][1] < -1 < ranges[1][0]  # below it, positive above


def test_cli_interaction_option_reaches_the_json(tmp_path):
    from click.testing import CliRunner

    from csi.cli.main import cli

    model = tmp_path / "m.lav"
    model.write_text(moderated_ecsi("Quality:Value"), encoding="utf-8")
    out = tmp_path / "fit.json"
    run = CliRunner().invoke(cli, ["fit", str(MOBI), "--model", str(model), "--scale", "1:10",
                                   "--bootstrap", "0", "--interaction", "orthogonal",
                                   "--format", "json", "-o", str(out), "-q"])
    assert run.exit_code == 0, run.output
    doc = json.loads(out.read_text())
    reference = pd.read_csv(REFERENCE, comment="#").query(
        "model == 'interaction' and method == 'orthogonal' and kind == 'path'")
    expected = reference.set_index(["from", "to"])["value"][("Quality:Value", "Satisfaction")]
    path = next(p for p in doc["paths"] if p["from"] == "Quality:Value")
    assert path["estimate"] == pytest.approx(expected, abs=1e-6)  # default tolerance 1e-7
    assert doc["settings"]["interaction"] == "orthogonal"
    assert doc["moderation"][0]["floodlight"] is None


def test_segments_use_the_chosen_interaction_method(tmp_path):
    """`csi fit --by` passes --interaction on: each segment's interaction path equals a fit of
    that segment alone with the same method (it used two-stage whatever was asked)."""
    from click.testing import CliRunner

    from csi.cli.main import cli

    survey = ROOT / "surveys" / "acsi_synthetic.csv"
    acsi = (ROOT / "models" / "acsi.lav").read_text(encoding="utf-8")
    model = tmp_path / "m.lav"
    model.write_text(acsi + "\nSatisfaction ~ Quality:Value\n", encoding="utf-8")
    out = tmp_path / "segments.json"
    run = CliRunner().invoke(cli, ["fit", str(survey), "--model", str(model), "--scale", "1:10",
                                   "--by", "store", "--bootstrap", "0", "--interaction",
                                   "orthogonal", "--format", "json", "-o", str(out), "-q"])
    assert run.exit_code == 0, run.output
    segment = json.loads(out.read_text())["segments"][0]
    rows = pd.read_csv(survey)
    alone = csi.fit(rows[rows["store"] == segment["segment"]["value"]],
                    parse_model(model.read_text(), name="m"), scale=(1, 10), bootstrap=0,
                    interaction="orthogonal")
    ours = next(p for p in segment["paths"] if p["from"] == "Quality:Value")
    theirs = alone.paths.set_index(["from", "to"])["estimate"][("Quality:Value", "Satisfaction")]
    assert ours["estimate"] == pytest.approx(theirs, abs=1e-12)
    assert segment["settings"]["interaction"] == "orthogonal"


def test_the_target_reason_counts_constructs_not_the_product_term(tmp_path):
    """Without @target the target is the construct with the most predecessors; the product
    term is not one of them (Satisfaction has 2 here, not 3)."""
    text = ("Quality =~ PERQ1 + PERQ2\nValue =~ PERV1 + PERV2\nSatisfaction =~ CUSA1 + CUSA2\n"
            "Satisfaction ~ Quality + Value + Quality:Value\n")
    result = csi.fit(MOBI, parse_model(text, name="m"), scale=(1, 10), bootstrap=0)
    settings = result.to_dict()["priority_settings"]
    assert settings["target"] == "Satisfaction"
    assert "the construct with the most predecessors (2)" in json.dumps(settings)
