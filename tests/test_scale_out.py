"""Scale-out: segment fits, bootstrap chunks and permutations on a real Dask LocalCluster
(2 worker processes on 127.0.0.1, started here) give the same bytes as the in-process run;
the executors; and the messages when Dask is missing or the scheduler unreachable."""

import json
import sys
import threading
import time

import numpy as np
import pytest
from click.testing import CliRunner

from csi import scale_out
from csi.inference.bootstrap import BootstrapSettings, draw
from csi.cli.main import cli
from csi.errors import ExitCode
from csi.scale_out import LocalExecutor, ScaleOutError, blas_threads, executor_for
from tests.conftest import MOBI
from tests.test_bootstrap import mobi_problem
from tests.test_segments import stores_frame

distributed = pytest.importorskip("distributed")  # in the test extra: CI always has it


@pytest.fixture(scope="module")
def cluster():
    """Two single-threaded worker processes, bound to 127.0.0.1, no dashboard."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  protocol="tcp", host="127.0.0.1", dashboard_address=None,
                                  worker_dashboard_address=None) as local:
        yield local.scheduler_address


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scale_out")
    stores_frame({"A": 70, "B": 60, "C": 20, "D": 80}).to_csv(folder / "stores.csv",
                                                              index=False)
    waves = stores_frame({"q2": 120, "q3": 130}, seed=4).rename(columns={"store": "wave"})
    waves.to_csv(folder / "waves.csv", index=False)
    return folder


def run(*args, env=None):
    result = CliRunner().invoke(cli, [str(a) for a in args], env=env)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_segments_on_the_cluster_equal_the_in_process_run(cluster, files):
    args = ("fit", files / "stores.csv", "--model", "ecsi", "--by", "store", "--bootstrap",
            "600", "--seed", "3", "--format", "json")
    local = run(*args)
    remote = run(*args, "--scheduler", cluster)
    assert remote == local
    doc = json.loads(remote)
    assert [s["segment"]["value"] for s in doc["segments"]] == ["A", "B", "D"]
    assert [s["value"] for s in doc["skipped"]] == ["C"]


def test_bootstrap_chunks_on_the_cluster_equal_the_in_process_run(cluster):
    """A single fit sends its bootstrap chunks (here 4 of 500) to the cluster."""
    args = ("fit", MOBI, "--model", "ecsi", "--scale", "1:10", "--bootstrap", "2000",
            "--format", "json")
    assert run(*args, "--scheduler", cluster) == run(*args, "--workers", "1")


def test_comparison_on_the_cluster_equals_the_in_process_run(cluster, files):
    args = ("compare", files / "waves.csv", "--by", "wave", "--model", "acsi", "--bootstrap",
            "300", "--permutations", "999", "--format", "json")
    assert run(*args, "--scheduler", cluster) == run(*args)


def test_the_environment_variable_selects_the_cluster(cluster, files):
    args = ("fit", files / "stores.csv", "--model", "acsi", "--by", "store", "--bootstrap",
            "100", "--format", "json")
    assert run(*args, env={scale_out.ENVIRONMENT: cluster}) == run(*args)
    with executor_for(None) as executor:
        assert isinstance(executor, LocalExecutor)


def test_draw_gives_the_same_draws_on_any_executor(cluster):
    problem, _ = mobi_problem()
    settings = BootstrapSettings(resamples=1100, seed=8)
    reference = draw(problem, settings)
    with executor_for(cluster) as executor:
        assert executor.workers == 2 and executor.notes == ()
        seen = []
        remote = draw(problem, settings, progress=seen.append, executor=executor)
    threads = draw(problem, settings, executor=LocalExecutor(3))
    for family, values in reference.values.items():
        assert np.array_equal(remote.values[family], values, equal_nan=True), family
        assert np.array_equal(threads.values[family], values, equal_nan=True), family
    assert sorted(seen) == [100, 500, 500]


def test_local_executor_keeps_job_order_and_reports_each_job():
    def slow(shared, job):
        time.sleep(0.02 * (5 - job))
        return shared + job, threading.get_ident(), blas_threads()

    done = []
    results = LocalExecutor(3).map(slow, range(5), shared=10, on_done=done.append)
    assert [r[0] for r in results] == [10, 11, 12, 13, 14]
    assert sorted(done) == [0, 1, 2, 3, 4]
    assert len({r[1] for r in results}) > 1  # ran on several threads
    assert {r[2] for r in results} == {1}  # with one BLAS thread each


def test_a_failing_job_raises_in_the_caller():
    def fail(job):
        raise ValueError(f"job {job}")

    with pytest.raises(ValueError, match="job"):
        LocalExecutor(2).map(fail, [1, 2])


def test_without_dask_the_scheduler_option_says_how_to_install_it(monkeypatch, files):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    result = CliRunner().invoke(cli, ["fit", str(files / "stores.csv"), "--by", "store",
                                      "--scheduler", "tcp://127.0.0.1:8786"])
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr == ("Error: --scheduler needs Dask, which is not installed; install "
                             "it with `pip install csi[dask]` (or unset DASK_SCHEDULER_ADDRESS "
                             "to run in-process)\n")


def test_an_unreachable_scheduler_is_a_one_line_error(monkeypatch):
    monkeypatch.setattr(scale_out, "CONNECT_TIMEOUT", "0.5s")
    with pytest.raises(ScaleOutError, match="cannot reach the Dask scheduler at "
                                            "tcp://127.0.0.1:9"):
        with executor_for("tcp://127.0.0.1:9"):
            pass
