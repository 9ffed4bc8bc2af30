"""A survey in partitions fitted on a cluster without its rows (issue 21, csi.partition_sums).

The truth is the in-process fit of the stacked file (whole.csv): the partitioned fit on a
Dask LocalCluster must equal it to 1e-12 under listwise deletion, frequency weights and EM,
while the driver reads only the partitions' headers (each partition is read once, by a
worker thread, never by the thread that runs the fit).
"""

import io
import json
import threading

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import csi
from csi import scale_out
from csi.cli.main import cli
from csi.errors import DataError
from csi.partition_sums import PartitionsError
from tests.conftest import ROOT, survey_with_gaps

distributed = pytest.importorskip("distributed")

TABLES = {"paths": "estimate", "loadings": "estimate", "weights": "estimate", "r2": "estimate",
          "total_effects": "estimate", "index": "score", "item_weights": "normalized",
          "reliability": "rho_a", "htmt": "value", "vif": "value"}


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as running:
        yield running.scheduler_address


def on_cluster(address, source, **options):
    with scale_out.scheduled(address):
        return csi.fit(source, "ecsi", scale=(1, 10), bootstrap=0, **options)


@pytest.mark.parametrize("options", [{}, {"weights": "w"}, {"missing": "em"},
                                     {"missing": "em", "weights": "w"}],
                         ids=["listwise", "weights", "em", "em-weights"])
def test_the_fit_on_the_cluster_equals_the_in_process_fit_of_the_stacked_file(
        parts, cluster, options):
    whole = csi.fit(parts / "whole.csv", "ecsi", scale=(1, 10), bootstrap=0, **options)
    split = on_cluster(cluster, parts / "survey", **options)
    assert split.n_obs == whole.n_obs
    for table, column in TABLES.items():
        expected = getattr(whole, table)[column].to_numpy(dtype=float)
        found = getattr(split, table)[column].to_numpy(dtype=float)
        assert np.allclose(found, expected, atol=1e-12, rtol=0, equal_nan=True), table
    a, b = split.to_dict(), whole.to_dict()
    assert a["data_quality"]["missing"] == b["data_quality"]["missing"]  # EM's iterations too
    for key in ("rows_read", "rows_used", "rows_dropped_missing", "missing_cells",
                "cells_imputed"):
        assert a["data"][key] == b["data"][key], key
    for mine, truth in zip(a["data_quality"]["items"], b["data_quality"]["items"]):
        for key in ("missing", "distinct", "min", "max", "out_of_scale", "non_numeric"):
            assert mine[key] == truth[key], key
        assert mine["mean"] == pytest.approx(truth["mean"], abs=1e-12)
        assert mine["sd"] == pytest.approx(truth["sd"], abs=1e-12)
    if "weights" in options:
        assert a["data_quality"]["weights"]["effective_n"] == pytest.approx(
            b["data_quality"]["weights"]["effective_n"], rel=1e-12)
    assert split.scores.empty  # no per-respondent scores; the score formula is in the JSON
    assert a["data_quality"]["not_computed"] == ["straightliners", "duplicate_ids",
                                                 "careless_screen", "completion_time"]
    assert "quality_checks_not_run" in {d.code for d in split.diagnostics}
    assert a["data_quality"]["partitions"]["rows_read"] == [50] * 5


def test_the_driver_reads_no_rows(parts, cluster, monkeypatch):
    """Each partition is read once, by a worker; the thread that fits reads only headers
    (today's stacked path reads every partition on the driver: this fails there)."""
    from csi.ingest import partitions, readers

    original = readers.read_survey
    readers_calls = []

    def spy(path, *args, **kwargs):
        readers_calls.append((str(path), threading.get_ident()))
        return original(path, *args, **kwargs)

    def refuse(*args, **kwargs):
        raise AssertionError("the driver stacked the partitions")

    monkeypatch.setattr(readers, "read_survey", spy)
    monkeypatch.setattr(partitions, "read_partitions", refuse)
    result = on_cluster(cluster, parts / "survey", missing="em", weights="w")
    assert result.n_obs > 0
    driver = threading.get_ident()
    assert sorted(path for path, _ in readers_calls) == sorted(
        str(p) for p in (parts / "survey").iterdir())
    assert all(thread != driver for _, thread in readers_calls)


def test_in_process_threads_run_the_same_path(parts):
    """Without a cluster, `scale_out.use(LocalExecutor)` runs the map-reduce on threads."""
    whole = csi.fit(parts / "whole.csv", "ecsi", scale=(1, 10), bootstrap=0, missing="em")
    with scale_out.use(scale_out.LocalExecutor(2)):
        split = csi.fit(parts / "survey", "ecsi", scale=(1, 10), bootstrap=0, missing="em")
    assert np.allclose(split.paths["estimate"], whole.paths["estimate"], atol=1e-12, rtol=0)
    assert split.scores.empty


def test_the_command_line_on_a_cluster(parts, cluster):
    runner = CliRunner()
    args = ["fit", str(parts / "survey"), "--model", "ecsi", "--scheduler", cluster,
            "--format", "json", "-q"]
    done = runner.invoke(cli, args + ["--scale", "1:10", "--weights", "w"])
    assert done.exit_code == 0, done.output
    doc = json.loads(done.stdout)
    assert doc["bootstrap"] is None  # the default bootstrap is not run at this scale
    assert any(w.startswith("no bootstrap for a survey in partitions") for w in doc["warnings"])
    assert "quality_checks_not_run" in {d["code"] for d in doc["diagnostics"]}
    whole = csi.fit(parts / "whole.csv", "ecsi", scale=(1, 10), weights="w", bootstrap=0)
    for row, truth in zip(doc["paths"], whole.paths["estimate"]):
        assert row["estimate"] == pytest.approx(truth, abs=1e-12)
    table = runner.invoke(cli, args[:-3] + ["--scale", "1:10"])
    assert table.exit_code == 0, table.output
    assert "straight-liners: not computed; duplicate IDs: not computed" in " ".join(
        table.stdout.split())
    pypdf = pytest.importorskip("pypdf")
    from csi.report import pdf

    pages = pypdf.PdfReader(io.BytesIO(pdf.render(doc)[0])).pages
    report = " ".join(" ".join(page.extract_text() or "" for page in pages).split())
    assert "Straight-liners not computed" in report  # not a count of 0
    assert "Duplicate respondent IDs not computed" in report
    em = runner.invoke(cli, args + ["--scale", "1:10", "--missing", "em"])
    assert em.exit_code == 0, em.output
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "csi" / "schemas" / "fit.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(json.loads(em.stdout))  # keys added
    unscaled = runner.invoke(cli, args)
    assert unscaled.exit_code == 2 and "--scale" in unscaled.output
    assert len(unscaled.output.strip().splitlines()) == 1
    resampled = runner.invoke(cli, args + ["--scale", "1:10", "--bootstrap", "200"])
    assert resampled.exit_code == 2 and "docs/scale.md" in resampled.output
    for extra in (["--by", "w"], ["--missing", "mean"], ["--drop-careless"],
                  ["--variant", "nonlinear"], ["--necessity"]):
        refused = runner.invoke(cli, args + ["--scale", "1:10"] + extra)
        assert refused.exit_code == 2, (extra, refused.output)
        assert extra[0] in refused.output and "Traceback" not in refused.output


def test_the_library_refuses_a_bootstrap_at_that_scale(parts, cluster):
    with scale_out.scheduled(cluster), pytest.raises(PartitionsError, match="scale.md"):
        csi.fit(parts / "survey", "ecsi", scale=(1, 10), bootstrap=100)


def bad_copy(parts, tmp_path, change) -> str:
    folder = tmp_path / "bad"
    folder.mkdir()
    for path in sorted((parts / "survey").iterdir()):
        frame = (pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path))
        frame = change(path.name, frame)
        (frame.to_parquet if path.suffix == ".parquet" else frame.to_csv)(
            folder / path.name, index=False)
    return str(folder)


def test_a_partition_with_other_columns_names_the_file_and_column(parts, cluster, tmp_path):
    folder = bad_copy(parts, tmp_path, lambda name, frame: frame.rename(
        columns={"PERQ2": "PERQ2x"}) if name == "part-3.parquet" else frame)
    with pytest.raises(DataError, match=r"part-3\.parquet: its columns differ .*PERQ2"):
        on_cluster(cluster, folder)


def test_a_non_numeric_answer_names_the_file_column_and_row(parts, cluster, tmp_path):
    def change(name, frame):
        if name == "part-2.csv":
            frame["PERQ1"] = frame["PERQ1"].astype(object)
            frame.loc[frame.index[4], "PERQ1"] = "very good"
        return frame

    folder = bad_copy(parts, tmp_path, change)
    result = CliRunner().invoke(cli, ["fit", folder, "--model", "ecsi", "--scale", "1:10",
                                      "--scheduler", cluster, "-q"])
    assert result.exit_code == 3, result.output
    line = result.output.strip()
    assert len(line.splitlines()) == 1
    assert "part-2.csv" in line and "PERQ1" in line and "row 5" in line


def test_an_answer_outside_the_scale_names_the_file_column_and_row(parts, cluster, tmp_path):
    def change(name, frame):
        if name == "part-1.parquet":
            frame.loc[frame.index[2], "CUSA2"] = 11
        return frame

    folder = bad_copy(parts, tmp_path, change)
    with pytest.raises(DataError, match=r"part-1\.parquet, column CUSA2, row 3"):
        on_cluster(cluster, folder)


def test_a_worker_returns_a_few_kilobytes_whatever_its_rows(parts):
    """The map step's result is sums and counts: its size does not grow with the rows."""
    import pickle

    from csi.ingest.options import IngestOptions
    from csi.model.spec import load_model
    from csi.partition_sums import _read_and_summarize

    spec = load_model("ecsi")
    options = IngestOptions(scale=(1, 10), weights="w")
    small = _read_and_summarize((spec, options), str(parts / "survey" / "part-0.csv"))
    big_file = parts / "big.csv"
    pd.concat([survey_with_gaps()] * 40).to_csv(big_file, index=False)  # 10,000 rows
    big = _read_and_summarize((spec, options), str(big_file))
    assert big.rows_read == 10_000 and not hasattr(big, "values")
    assert len(pickle.dumps(big)) < 32_000
    assert len(pickle.dumps(big)) < 1.1 * len(pickle.dumps(small))


def test_a_partition_whose_rows_all_drop_adds_nothing(parts, tmp_path):
    """Listwise deletion can empty a partition: the reduce skips it exactly."""
    def change(name, frame):
        if name == "part-4.csv":
            frame["CUSA1"] = np.nan
        return frame

    folder = bad_copy(parts, tmp_path, change)
    stacked = csi.fit(folder, "ecsi", scale=(1, 10), bootstrap=0)  # no cluster: stacked
    with scale_out.use(scale_out.LocalExecutor(2)):
        split = csi.fit(folder, "ecsi", scale=(1, 10), bootstrap=0)
    first = survey_with_gaps().iloc[:200]  # parts 0-3; part 4 loses every row
    complete = int(first[["CUEX1", "PERQ3", "CUSL2"]].notna().all(axis=1).sum())
    assert split.n_obs == stacked.n_obs == complete
    assert np.allclose(split.paths["estimate"], stacked.paths["estimate"], atol=1e-12, rtol=0)
    assert split.to_dict()["data_quality"]["partitions"]["rows_used"][4] == 0


def test_reverse_coding_and_na_codes_are_applied_by_each_worker(parts, tmp_path):
    """--reverse and --na are row-local: the sums path equals the stacked fit with them."""
    def change(name, frame):
        frame.loc[frame.index[:3], "PERV1"] = 99  # "don't know"
        return frame

    folder = bad_copy(parts, tmp_path, change)
    options = {"reverse": ["CUSCO"], "na": [99], "missing": "em"}
    stacked = csi.fit(folder, "ecsi", scale=(1, 10), bootstrap=0, **options)
    with scale_out.use(scale_out.LocalExecutor(2)):
        split = csi.fit(folder, "ecsi", scale=(1, 10), bootstrap=0, **options)
    for table, column in TABLES.items():
        assert np.allclose(getattr(split, table)[column].to_numpy(dtype=float),
                           getattr(stacked, table)[column].to_numpy(dtype=float),
                           atol=1e-12, rtol=0, equal_nan=True), table
    mine = {i["indicator"]: i for i in split.to_dict()["data_quality"]["items"]}
    truth = {i["indicator"]: i for i in stacked.to_dict()["data_quality"]["items"]}
    assert mine["PERV1"]["na_coded"] == truth["PERV1"]["na_coded"] == 15
    assert mine["CUSCO"]["reversed"] and mine["CUSCO"]["mean"] == pytest.approx(
        truth["CUSCO"]["mean"], abs=1e-12)
