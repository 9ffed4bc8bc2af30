"""The console script gives numpy's BLAS one thread unless the user chose a count (csi runs
jobs in parallel, never a matrix product; a spinning second BLAS thread only costs CPU)."""

import json
import os
import subprocess
import sys

from csi.cli.entry import one_blas_thread

PROBE = (
    "import json, sys\n"
    "if sys.argv[1] == 'csi':\n"
    "    from csi.cli.entry import one_blas_thread; one_blas_thread()\n"
    "import numpy; from threadpoolctl import threadpool_info\n"
    "print(json.dumps([p['num_threads'] for p in threadpool_info() if p['user_api'] == 'blas']))"
)


def blas_counts(env: dict, through_csi: bool) -> list[int]:
    done = subprocess.run([sys.executable, "-c", PROBE, "csi" if through_csi else "plain"],
                          capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout)


def environment(**chosen: str) -> dict:
    """This process's environment without any thread-count variable, plus `chosen`."""
    env = {key: value for key, value in os.environ.items()
           if "NUM_THREADS" not in key and key != "VECLIB_MAXIMUM_THREADS"}
    return env | chosen


def test_unset_variables_become_one_thread():
    environ = {"PATH": "/usr/bin"}
    one_blas_thread(environ)
    assert environ["OPENBLAS_NUM_THREADS"] == "1"
    assert environ["MKL_NUM_THREADS"] == "1"


def test_a_users_choice_is_kept():
    for chosen in ({"OMP_NUM_THREADS": "4"}, {"OPENBLAS_NUM_THREADS": "2"}):
        environ = dict(chosen)
        one_blas_thread(environ)
        assert environ == chosen


def test_numpys_blas_runs_one_thread():
    counts = blas_counts(environment(), through_csi=True)
    assert counts and set(counts) == {1}


def test_numpys_blas_keeps_the_users_count():
    env = environment(OPENBLAS_NUM_THREADS="2", MKL_NUM_THREADS="2")
    assert blas_counts(env, through_csi=True) == blas_counts(env, through_csi=False)
