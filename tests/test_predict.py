"""PLSpredict and CVPAT (csi.multi.predict, `csi predict`) against the peers' numbers.

References (tests/reference/README.md, "Issue 17"): predict_pls.csv from an independent numpy
script (make_predict.py), equal to seminr 0.2.1 (Python) predict_pls and openpls-engine 1.13.0
PLSPredict to 1e-13 on the same folds: leave-one-out (deterministic) and the 10-fold split saved
in predict_folds_<data>_k10.csv. PLS all Mode A, path scheme, tolerance 1e-12.
"""

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from csi.cli.main import cli
from csi.estimators.base import PlsSettings
from csi.ingest import IngestOptions, item_matrix, read_survey
from csi.model.spec import load_model, parse_model
from csi.multi.predict import fold_assignment, predict_items
from tests.conftest import BANK_MODEL, DATA, MOBI, reference

BANK = DATA / "satisfaction_bank.csv"
REF = reference("predict_pls.csv")
TIGHT = PlsSettings(tol=1e-12, max_iter=10_000)
TECHNIQUE = {"EA": "earliest", "DA": "direct"}


def _items(data: str):
    if data == "mobi":
        spec = load_model("ecsi")
        path = MOBI
    else:
        spec = parse_model(BANK_MODEL, name="bank")
        path = BANK
    options = IngestOptions()
    return item_matrix(read_survey(path, options), spec, None, options), spec


@pytest.mark.parametrize("data", ["mobi", "satisfaction_bank"])
@pytest.mark.parametrize("folds", ["loo", "k10"])
@pytest.mark.parametrize("technique", ["EA", "DA"])
def test_plspredict_equals_peers(data, folds, technique):
    items, spec = _items(data)
    n = items.values.shape[0]
    if folds == "loo":
        labels = np.arange(n)[None, :]
    else:
        saved = reference(f"predict_folds_{data}_k10.csv").sort_values("row")
        labels = (saved["fold"].to_numpy() - 1)[None, :]
    result = predict_items(items, spec, TIGHT, labels=labels, technique=TECHNIQUE[technique])
    ours = pd.DataFrame(result.to_dict()["indicators"]).set_index("indicator")
    ref = REF[(REF.data == data) & (REF.folds == folds) & (REF.technique == technique)]
    ref = ref.set_index("indicator")
    assert list(ours.index) == list(ref.index)
    for column in ("rmse", "mae", "rmse_lm", "mae_lm", "q2_predict"):
        np.testing.assert_allclose(ours[column], ref[column], rtol=1e-9, atol=0,
                                   err_msg=column)


def test_folds_are_seeded_balanced_and_loo_is_deterministic():
    labels = fold_assignment(250, 10, 3, seed=4)
    assert np.array_equal(labels, fold_assignment(250, 10, 3, seed=4))
    assert not np.array_equal(labels, fold_assignment(250, 10, 3, seed=5))
    assert all(np.bincount(row).tolist() == [25] * 10 for row in labels)
    assert not np.array_equal(labels[0], labels[1])  # repetitions differ
    assert np.array_equal(fold_assignment(7, 7, 10, seed=1), np.arange(7)[None, :])


def test_frequency_weights_equal_repeated_rows():
    # a respondent with weight 2 counts as two identical respondents held out together
    items, spec = _items("satisfaction_bank")
    n = items.values.shape[0]
    weights = np.where(np.arange(n) % 5 == 0, 2.0, 1.0)
    labels = (np.arange(n) % 5)[None, :]
    from dataclasses import replace
    weighted = predict_items(replace(items, weights=weights), spec, TIGHT, labels=labels)
    repeat = np.repeat(np.arange(n), weights.astype(int))
    expanded = replace(items, values=items.values[repeat], weights=None)
    plain = predict_items(expanded, spec, TIGHT, labels=labels[:, repeat])
    for a, b in zip(weighted.indicators, plain.indicators):
        for key in ("rmse", "mae", "rmse_lm", "q2_predict"):
            assert a[key] == pytest.approx(b[key], rel=1e-10), (a["indicator"], key)


def test_cvpat_prefers_the_true_model_to_the_average():
    # mobi ECSI: PLS beats the indicator averages clearly (peers: Q2_predict > 0)
    items, spec = _items("mobi")
    result = predict_items(items, spec, PlsSettings(), folds=10, repeats=2, seed=3)
    rows = {row["benchmark"]: row for row in result.cvpat}
    assert rows["IA"]["difference"] > 0 and rows["IA"]["p"] < 0.01 and rows["IA"]["pls_better"]
    assert rows["IA"]["pls_loss"] < rows["IA"]["benchmark_loss"]
    assert 0 <= rows["LM"]["p"] <= 1


def test_cvpat_finds_no_advantage_without_structure():
    # indicators independent of each other: PLS cannot beat the averages
    rng = np.random.default_rng(8)
    frame = pd.DataFrame(rng.integers(1, 8, size=(300, 6)).astype(float),
                         columns=["a1", "a2", "a3", "b1", "b2", "b3"])
    spec = parse_model("A =~ a1 + a2 + a3\nB =~ b1 + b2 + b3\nB ~ A\n", name="null")
    options = IngestOptions()
    from csi.ingest import Survey
    survey = Survey(source="<frame>", frame=frame, format="dataframe")
    items = item_matrix(survey, spec, (1, 7), options)
    result = predict_items(items, spec, folds=10, repeats=3, seed=1)
    ia = next(r for r in result.cvpat if r["benchmark"] == "IA")
    assert ia["p"] > 0.05 and not ia["pls_better"]
    assert result.verdict == "none"


def test_cli_json_is_reproducible_and_has_the_contract(tmp_path):
    args = ["predict", str(MOBI), "--model", "ecsi", "--folds", "5", "--repeats", "2",
            "--seed", "9", "--format", "json"]
    first = CliRunner().invoke(cli, args)
    second = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert first.output == second.output
    document = json.loads(first.output)
    assert document["schema"] == "csi.predict/1"
    row = document["indicators"][0]
    assert {"indicator", "q2_predict", "rmse", "mae", "rmse_lm", "mae_lm"} <= set(row)
    assert document["verdict"] in ("none", "low", "medium", "high")
    assert {r["benchmark"] for r in document["cvpat"]} == {"IA", "LM"}
    table = CliRunner().invoke(cli, ["predict", str(MOBI), "--model", "ecsi", "--folds", "5",
                                     "--repeats", "1"])
    assert table.exit_code == 0, table.output
    assert "predictive power" in table.output


def test_cli_by_segments(tmp_path):
    frame = pd.read_csv(MOBI)
    frame["half"] = np.where(np.arange(len(frame)) % 2 == 0, "even", "odd")
    path = tmp_path / "halves.csv"
    frame.to_csv(path, index=False)
    run = CliRunner().invoke(cli, ["predict", str(path), "--model", "ecsi", "--by", "half",
                                   "--folds", "5", "--repeats", "1", "--format", "json"])
    assert run.exit_code == 0, run.output
    document = json.loads(run.output)
    assert [s["segment"] for s in document["segments"]] == ["even", "odd"]
    assert all(s["n_obs"] == 125 for s in document["segments"])
