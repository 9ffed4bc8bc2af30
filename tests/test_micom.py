"""MICOM (csi.multi.micom) by simulation: planted invariance is found, planted
non-invariance (different loadings: compositional; shifted means: step 3) is detected."""

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from csi.cli.main import cli
from csi.model.spec import parse_model
from csi.model.structure import Structure
from csi.multi.micom import micom
from csi.sample import Sample
from tests.simulate import Population

BASE = Population(
    constructs=("A", "B", "C"),
    loadings={"A": (0.85, 0.8, 0.75), "B": (0.8, 0.8, 0.7), "C": (0.85, 0.75, 0.8)},
    paths={"B": {"A": 0.5}, "C": {"A": 0.3, "B": 0.4}},
)


def _run(a: Population, b: Population, seed: int, n: int = 400, permutations: int = 499):
    rng = np.random.default_rng(seed)
    frames = [a.sample(rng, n), b.sample(rng, n)]
    structure = Structure.from_spec(parse_model(BASE.model_text(), name="sim"))
    values = pd.concat(frames)[list(structure.indicators)].to_numpy(float)
    return micom(Sample(values=values), n, structure, permutations=permutations, seed=seed)


def _rows(result):
    return {row["construct"]: row for row in result.constructs}


def test_invariant_groups_are_found_invariant():
    result = _run(BASE, BASE, 1)
    rows = _rows(result)
    assert all(row["compositional_invariance"] for row in rows.values())
    assert all(row["c"] > 0.99 for row in rows.values())
    assert result.verdict == "full"
    assert result.n_used == 499


def test_tests_hold_their_size_when_nothing_differs():
    # 40 pairs of groups from one population, 3 constructs: 120 tests per step at 5%
    # (expected 6 rejections, SD 2.4); a broken test (e.g. c compared with the wrong tail)
    # rejects far more or never varies
    found = [_run(BASE, BASE, 100 + seed, n=200, permutations=99) for seed in range(40)]
    rows = [row for result in found for row in result.constructs]
    compositional = sum(not row["compositional_invariance"] for row in rows)
    means = sum(row["p_mean"] <= 0.05 for row in rows)
    variances = sum(row["p_variance"] <= 0.05 for row in rows)
    assert compositional <= 14 and means <= 14 and variances <= 14
    assert max(row["p_c"] for row in rows) > 0.5 and min(row["p_mean"] for row in rows) < 0.5


def test_different_weights_break_compositional_invariance():
    # group b forms A from other items: its first item barely loads, its last dominates
    other = replace(BASE, loadings=BASE.loadings | {"A": (0.2, 0.6, 0.95)})
    result = _run(BASE, other, 3)
    rows = _rows(result)
    assert not rows["A"]["compositional_invariance"]
    assert rows["A"]["c"] < rows["A"]["c_quantile_5"] and rows["A"]["p_c"] < 0.01
    assert rows["B"]["compositional_invariance"]
    assert result.verdict == "none"
    assert "no compositional invariance for A" in result.sentence()


def test_shifted_composite_mean_is_partial_invariance():
    shifted = replace(BASE, item_mean={"C": 7.6})  # +0.6 answer points: 0.4 item SD
    result = _run(BASE, shifted, 4)
    rows = _rows(result)
    assert all(row["compositional_invariance"] for row in rows.values())
    assert rows["C"]["p_mean"] < 0.01 and rows["C"]["mean_difference"] > 0.2
    assert not rows["C"]["full_invariance"]
    assert result.verdict == "partial"


def test_compare_reports_micom_and_warns(tmp_path):
    rng = np.random.default_rng(5)
    other = replace(BASE, loadings=BASE.loadings | {"A": (0.2, 0.6, 0.95)})
    paths = []
    for name, population in (("a.csv", BASE), ("b.csv", other)):
        frame = population.sample(rng, 300).clip(1, 10)
        frame.to_csv(tmp_path / name, index=False)
        paths.append(str(tmp_path / name))
    model = tmp_path / "sim.lav"
    model.write_text(BASE.model_text() + "\n")
    args = ["compare", *paths, "--model", str(model), "--scale", "1:10", "--bootstrap", "0",
            "--permutations", "199"]
    run = CliRunner().invoke(cli, args + ["--format", "json", "--quiet"])
    assert run.exit_code == 0, run.output
    document = json.loads(run.output)
    block = document["micom"]
    assert block["verdict"] == "none"
    row = next(r for r in block["constructs"] if r["construct"] == "A")
    assert set(row) == {"construct", "c", "c_quantile_5", "p_c", "compositional_invariance",
                        "mean_difference", "p_mean", "log_variance_ratio", "p_variance",
                        "full_invariance"}
    assert any("lacks compositional invariance" in w for w in document["warnings"])
    table = CliRunner().invoke(cli, args + ["--micom"])
    assert table.exit_code == 0, table.output
    assert "MICOM: no compositional invariance for A" in table.output
