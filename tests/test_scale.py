"""Scale (issue 21): the per-block products, the moments a model uses, the memory budget,
and a survey in partitions.

Each piece is checked against an independent truth: block products against their
definition sum_{j in block k} S_ij w_j, moments against numpy's covariance of the data with
rows repeated, a bootstrap against itself under other memory budgets and worker counts (the
result must not depend on how the work is cut), a partitioned fit against the fit of the
stacked file, in-process and on a Dask LocalCluster.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import csi
from csi.cli.main import cli
from csi.estimators.base import PlsSettings
from csi.estimators.pls import block_products, block_rows, used_pairs
from csi.inference import bootstrap as boot
from csi.ingest.partitions import is_partitioned, partition_files, read_partitions
from csi.model.spec import parse_model
from csi.model.structure import Layout, Structure
from csi.sample import (Sample, batch_moments, combine_sums, moment_sums, moments,
                        partitioned_moments, reduce_sums)
from tests.conftest import MOBI
from tests.test_bootstrap import mobi_problem

FRAME = pd.read_csv(MOBI)


def chain_text(constructs: int) -> str:
    lines = [f"C{k} =~ " + " + ".join(f"c{k}_{i}" for i in range(4)) for k in range(constructs)]
    return "\n".join(lines + [f"C{k} ~ C{k - 1}" for k in range(1, constructs)])


def chain_frame(constructs: int, n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    latent = np.empty((n, constructs))
    latent[:, 0] = rng.standard_normal(n)
    for k in range(1, constructs):
        latent[:, k] = 0.5 * latent[:, k - 1] + np.sqrt(0.75) * rng.standard_normal(n)
    return pd.DataFrame({f"c{k}_{i}": np.clip(np.round(5.5 + 1.5 * (
        0.8 * latent[:, k] + 0.6 * rng.standard_normal(n))), 1, 10)
        for k in range(constructs) for i in range(4)})


# ---- block products -------------------------------------------------------------------

def test_block_products_are_the_per_block_sums_even_for_interleaved_blocks():
    rng = np.random.default_rng(1)
    block_of = np.array([2, 0, 1, 0, 2, 2, 1])  # not contiguous: the sort path
    k, p = 3, block_of.size
    structure = Structure(indicators=tuple(f"x{i}" for i in range(p)),
                          constructs=("A", "B", "C"), block_of=block_of,
                          mode_b=np.zeros(k, bool), path_mask=np.zeros((k, k), bool),
                          predecessors=tuple(np.array([], int) for _ in range(k)))
    a = rng.standard_normal((5, p, p))
    cov = a @ np.swapaxes(a, 1, 2)
    w = rng.standard_normal((5, p))
    sw = block_products(cov, w, structure)
    rows = block_rows(sw, w, structure)
    for b in range(5):
        for i in range(p):
            for c in range(k):
                own = block_of == c
                assert sw[b, i, c] == pytest.approx(cov[b, i, own] @ w[b, own], abs=1e-12)
        for c in range(k):
            for d in range(k):
                truth = sum(cov[b, i, j] * w[b, i] * w[b, j] for i in range(p) for j in range(p)
                            if block_of[i] == c and block_of[j] == d)
                assert rows[b, c, d] == pytest.approx(truth, abs=1e-10)


def test_a_chain_needs_moments_linear_in_its_length():
    def count(constructs):
        structure = Structure.from_spec(parse_model(chain_text(constructs)))
        return used_pairs(structure)[0].size

    # 4 items: 10 pairs within a block, 16 between two joined blocks
    assert count(12) == 12 * 10 + 11 * 16
    assert count(48) == 48 * 10 + 47 * 16
    assert count(48) / count(12) < 4.2  # all pairs would be 16x


def test_co_predecessors_are_among_the_used_pairs():
    spec = parse_model("A =~ a1 + a2\nB =~ b1 + b2\nC =~ c1 + c2\nC ~ A + B")
    rows, columns = used_pairs(Structure.from_spec(spec))
    pairs = set(zip(rows.tolist(), columns.tolist()))
    assert (0, 2) in pairs and (1, 3) in pairs  # A-B: both predict C
    assert len(pairs) == 21  # every pair of the 6 items


# ---- moments ----------------------------------------------------------------------------

def test_batch_moments_of_some_pairs_equal_numpy_on_repeated_rows():
    rng = np.random.default_rng(2)
    values = rng.integers(1, 11, (300, 6)).astype(float)
    counts = rng.multinomial(300, np.full(300, 1 / 300), size=4)
    rows, columns = np.array([0, 0, 1, 2, 2, 3, 4, 5]), np.array([0, 1, 1, 2, 5, 3, 4, 5])
    for budget in (200, 10**8):  # rows in blocks of 64, or one block
        mean, sd, cov = batch_moments(values, counts.astype(np.uint8), (rows, columns), budget)
        for b in range(4):
            truth = np.cov(np.repeat(values, counts[b], axis=0), rowvar=False)
            assert np.allclose(cov[b, rows, columns], truth[rows, columns], atol=1e-12)
            assert np.allclose(cov[b, columns, rows], truth[rows, columns], atol=1e-12)
            assert np.allclose(sd[b], np.sqrt(np.diag(truth)), atol=1e-12)
            assert np.allclose(mean[b], np.repeat(values, counts[b], axis=0).mean(0))
            assert cov[b, 0, 2] == 0.0  # not asked for


def test_partitioned_moment_sums_reduce_to_the_moments_of_the_whole():
    rng = np.random.default_rng(3)
    values = rng.normal(5, 2, (1000, 5))
    weights = rng.integers(1, 4, 1000).astype(float)
    starts = np.array([0, 10, 11, 400, 999])
    sample = Sample(values, weights, partitions=starts)
    whole = partitioned_moments(sample)
    truth = np.cov(np.repeat(values, weights.astype(int), axis=0), rowvar=False)
    assert whole.n == int(weights.sum())
    assert np.allclose(whole.cov, truth, atol=1e-12, rtol=0)
    assert np.allclose(whole.mean, np.average(values, axis=0, weights=weights), atol=1e-12)
    pieces = [moment_sums(values[a:b]) for a, b in [(0, 10), (10, 600), (600, 1000)]]
    assert np.allclose(reduce_sums(pieces).to_moments().cov, moments(values).cov, atol=1e-12)
    merged = combine_sums(pieces[0], combine_sums(pieces[1], pieces[2]))
    assert np.allclose(merged.m2, reduce_sums(pieces).m2, atol=1e-9)


# ---- the bootstrap under memory budgets and workers ---------------------------------------

def chain_problem(constructs=8, n=300, estimator="pls", weights=None):
    spec = parse_model(chain_text(constructs))
    structure = Structure.from_spec(spec)
    layout = Layout.from_spec(spec, structure)
    values = chain_frame(constructs, n).to_numpy()
    settings = PlsSettings(estimator=estimator)
    stats = moments(values, weights)
    point = csi.estimators.get(estimator).point_fit(stats.cor, stats.n, structure, settings)
    return boot.Problem(sample=Sample(values, weights), layout=layout, pls=settings, low=1.0,
                        high=10.0, reference=point)


def assert_same_draws(a, b, tol=1e-10):
    assert a.n_used == b.n_used and a.n_failed == b.n_failed
    for family in a.values:
        assert np.allclose(a.values[family], b.values[family], atol=tol, rtol=0,
                           equal_nan=True), family


@pytest.mark.parametrize("estimator", ["pls", "plsc"])
def test_draws_do_not_depend_on_the_memory_budget_or_the_workers(estimator):
    problem = chain_problem(estimator=estimator)
    settings = boot.BootstrapSettings(resamples=230, seed=11)
    reference = boot.draw(problem, settings)
    for memory, workers in ((300_000, 1), (2_000_000, 2), (10**9, 2)):
        other = boot.draw(problem, boot.BootstrapSettings(resamples=230, seed=11,
                                                          memory=memory, workers=workers))
        assert_same_draws(reference, other)


def test_weighted_draws_and_redraws_do_not_depend_on_the_budget():
    weights = np.random.default_rng(5).integers(1, 4, 300).astype(float)
    problem = chain_problem(weights=weights)
    settings = dict(resamples=120, seed=2, on_failure="redraw")
    small = boot.draw(problem, boot.BootstrapSettings(memory=200_000, **settings))
    large = boot.draw(problem, boot.BootstrapSettings(memory=10**9, workers=2, **settings))
    assert_same_draws(small, large)


def test_the_used_pairs_give_the_estimates_of_the_full_moments():
    problem = chain_problem(constructs=6)
    counts = problem.sample.resample_counts(np.random.default_rng(0), 50)
    some, _, _ = boot.estimate_batch(problem, counts, "construct",
                                     boot.used_pairs(problem))
    every, _, _ = boot.estimate_batch(problem, counts.astype(float), "construct", None)
    assert boot.used_pairs(problem) is not None
    for family in some:
        assert np.allclose(some[family], every[family], atol=1e-10, rtol=0), family


def test_mobi_draws_equal_the_chunked_draws_of_before():
    """Seed blocks stay those of csi 0.x (chunk_size(n) resamples each), so a seed draws the
    same resamples as before; replaying them as given indices must give the same numbers."""
    problem, _ = mobi_problem()
    settings = boot.BootstrapSettings(resamples=700, seed=9)
    drawn = boot.draw(problem, settings)
    n = problem.sample.rows
    unit = boot.chunk_size(n)
    seeds = np.random.SeedSequence(9).spawn(-(-700 // unit))
    indices = []
    for position, seed in enumerate(seeds):
        size = min(unit, 700 - position * unit)
        indices.append(np.random.default_rng(seed).integers(0, n, size=(size, n)))
    replayed = boot.draw(problem, settings, indices=np.concatenate(indices))
    assert_same_draws(drawn, replayed, tol=1e-12)


def test_memory_sizes_parse_and_the_environment_sets_the_default(monkeypatch):
    assert boot.parse_memory("512M") == 512 * 2**20
    assert boot.parse_memory("1.5GB") == int(1.5 * 2**30)
    assert boot.parse_memory("800MiB") == 800 * 2**20
    assert boot.parse_memory("4096") == 4096
    with pytest.raises(ValueError):
        boot.parse_memory("lots")
    monkeypatch.setenv(boot.MEMORY_VARIABLE, "64M")
    assert boot.memory_budget() == 64 * 2**20
    monkeypatch.delenv(boot.MEMORY_VARIABLE)
    assert 16 * 2**20 <= boot.memory_budget() <= boot.DEFAULT_MEMORY_CAP


def test_the_memory_option_keeps_the_output(tmp_path):
    args = ["fit", str(MOBI), "--model", "ecsi", "--scale", "1:10", "--bootstrap", "200",
            "--format", "json", "--seed", "4"]
    runner = CliRunner()
    small = runner.invoke(cli, args + ["--memory", "1M"])
    large = runner.invoke(cli, args + ["--memory", "2G"])
    assert small.exit_code == 0, small.output
    assert large.exit_code == 0, large.output
    a, b = json.loads(small.stdout), json.loads(large.stdout)
    for table in ("paths", "loadings", "weights"):
        for x, y in zip(a[table], b[table]):
            for key in ("se", "ci_low", "ci_high"):
                assert x[key] == pytest.approx(y[key], abs=1e-10)
    bad = runner.invoke(cli, args + ["--memory", "lots"])
    assert bad.exit_code == 2 and "512M" in bad.output


# ---- a survey in partitions ----------------------------------------------------------------

def fit_numbers(result):
    return {name: getattr(result, name)[column].to_numpy()
            for name, column in (("paths", "estimate"), ("loadings", "estimate"),
                                 ("weights", "estimate"), ("r2", "estimate"),
                                 ("index", "score"))}


def test_a_directory_or_glob_of_partitions_fits_as_the_stacked_file(parts):
    whole = csi.fit(parts / "whole.csv", "ecsi", scale=(1, 10), weights="w", bootstrap=0)
    assert is_partitioned(parts / "survey") and is_partitioned(str(parts / "survey" / "*"))
    assert not is_partitioned(parts / "whole.csv")
    assert len(partition_files(parts / "survey")) == 5
    for source in (parts / "survey", str(parts / "survey" / "part-*")):
        split = csi.fit(source, "ecsi", scale=(1, 10), weights="w", bootstrap=0)
        assert split.n_obs == whole.n_obs
        for name, values in fit_numbers(whole).items():
            assert np.allclose(fit_numbers(split)[name], values, atol=1e-12, rtol=0), name
        report, expected = split.to_dict()["data"], whole.to_dict()["data"]
        for key in ("rows_read", "rows_used", "rows_dropped_missing", "missing_cells"):
            assert report[key] == expected[key], key


def test_partitions_with_other_columns_are_an_error_naming_the_file(parts, tmp_path):
    (tmp_path / "a.csv").write_text("x,y\n1,2\n")
    (tmp_path / "b.csv").write_text("x,z\n1,2\n")
    with pytest.raises(csi.errors.DataError, match="b.csv.*column"):
        read_partitions(tmp_path)
    with pytest.raises(csi.errors.DataError, match="no survey partitions"):
        read_partitions(tmp_path / "nothing-*.csv")


def test_partitions_on_a_dask_cluster_equal_the_in_process_fit(parts):
    distributed = pytest.importorskip("distributed")
    args = ["fit", str(parts / "survey"), "--model", "ecsi", "--scale", "1:10", "--weights",
            "w", "--bootstrap", "0", "--format", "json"]
    runner = CliRunner()
    local = runner.invoke(cli, args)
    assert local.exit_code == 0, local.output
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  protocol="tcp", host="127.0.0.1", dashboard_address=None,
                                  worker_dashboard_address=None) as cluster:
        remote = runner.invoke(cli, args + ["--scheduler", cluster.scheduler_address])
        assert remote.exit_code == 0, remote.output
        from csi import scale_out

        executor = scale_out.DaskExecutor(cluster.scheduler_address)
        try:
            parted = read_partitions(parts / "survey", executor=executor)
            sample = Sample(np.nan_to_num(parted.survey.frame[["CUEX1", "PERQ1"]].to_numpy()),
                            partitions=parted.starts)
            on_cluster = partitioned_moments(sample, executor)
        finally:
            executor.close()
    assert np.allclose(on_cluster.cov, moments(sample.values).cov, atol=1e-12, rtol=0)
    a, b = json.loads(local.stdout), json.loads(remote.stdout)
    whole = csi.fit(parts / "whole.csv", "ecsi", scale=(1, 10), weights="w", bootstrap=0)
    for row, truth in zip(b["paths"], whole.paths["estimate"]):
        assert row["estimate"] == pytest.approx(truth, abs=1e-12)
    for x, y in zip(a["loadings"], b["loadings"]):
        assert x["estimate"] == pytest.approx(y["estimate"], abs=1e-12)
    assert Path(parts / "survey").is_dir()
