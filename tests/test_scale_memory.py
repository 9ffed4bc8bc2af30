"""Memory of a point fit (issue 21): the item matrix is held once, its temporaries are a
fixed size, and the numbers do not depend on how the rows are cut into blocks.

The peak is measured in a child process (VmHWM above the resident size of an
interpreter that has already run one small fit, so the libraries' code is not counted),
as bench/bench_scale.py measures it at n = 1e6.
"""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

import csi
from csi.ingest import careless
from csi import sample as sample_mod
from csi.sample import Sample
from tests.conftest import MOBI

ROWS = 400_000
# peak RSS above the warm interpreter / the numeric matrix (n p 8 bytes) at ROWS rows: 1.83
# to 1.97 with the float item matrix (main before the compact answers), 0.98 to 1.10 with
# them (issue 21's goal: 1.5 at 1e6, where bench/bench_scale.py measures 0.95-0.97). At
# 200,000 rows the peak is the CSV reader's own (pyarrow's parse buffers: 1.3x so small a
# matrix, 0.7x at 1e6), 1.31 to 1.43 in repeated runs: too close to the goal for a test that
# must not flicker, hence 400,000 rows.
PEAK_RATIO = 1.5

# VmHWM, not ru_maxrss: a child's ru_maxrss starts at its parent's peak (Linux keeps it
# across fork and exec), which in a long pytest session is far above the child's own
CHILD = textwrap.dedent("""
    import json, sys
    import csi

    def kib(field):
        with open("/proc/self/status") as handle:
            line = next(line for line in handle if line.startswith(field + ":"))
        return int(line.split()[1]) * 1024

    survey, warm = sys.argv[1], sys.argv[2]
    csi.fit(warm, "ecsi", scale=(1, 10), bootstrap=0)
    import pandas, pyarrow.compute, pyarrow.csv  # the big file's reader (mobi needs neither)
    baseline = kib("VmRSS")
    result = csi.fit(survey, "ecsi", scale=(1, 10), bootstrap=0)
    print(json.dumps({"above": kib("VmHWM") - baseline, "n": result.n_obs,
                      "paths": result.paths["estimate"].tolist()}))
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc (Linux)")
def test_a_point_fit_of_a_big_survey_peaks_near_its_numeric_matrix(tmp_path):
    frame = pd.read_csv(MOBI)
    picks = np.random.default_rng(0).integers(0, len(frame), ROWS)
    path = tmp_path / "big.csv"
    frame.iloc[picks].to_csv(path, index=False)
    done = subprocess.run([sys.executable, "-c", CHILD, str(path), str(MOBI)],
                          capture_output=True, text=True, check=True)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    numeric = found["n"] * 24 * 8
    assert found["n"] == ROWS
    assert found["above"] / numeric <= PEAK_RATIO
    # the same estimates as the fit of the repeated rows' moments (frequency weights):
    # the big survey is mobi's rows repeated, so its estimates are those of mobi weighted
    counts = np.bincount(picks, minlength=len(frame))
    weighted = csi.fit(frame.assign(w=counts), "ecsi", scale=(1, 10), bootstrap=0,
                       weights="w")
    np.testing.assert_allclose(found["paths"], weighted.paths["estimate"], atol=1e-10)


def _answers(n: int, p: int, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = np.round(rng.normal(5.5, 2, (n, p)).clip(1, 10))
    values[rng.random((n, p)) < 0.05] = np.nan
    values[: n // 20] = 7.0  # straight-liners
    return values


def test_the_careless_screen_does_not_depend_on_the_row_blocks(monkeypatch):
    values = _answers(3000, 12)
    whole = careless.screen(values)
    monkeypatch.setattr(careless, "row_blocks", lambda n, p=1: [  # 7-row blocks
        (start, min(start + 7, n)) for start in range(0, n, 7)])
    cut = careless.screen(values)
    for name in ("answered", "longstring", "irv", "person_total", "straightliners"):
        np.testing.assert_array_equal(getattr(cut, name), getattr(whole, name), err_msg=name)
    np.testing.assert_allclose(cut.mahalanobis, whole.mahalanobis, rtol=1e-12)
    for reason in careless.REASONS:
        np.testing.assert_array_equal(cut.reasons[reason], whole.reasons[reason])


def test_person_total_and_irv_match_their_definitions_with_missing_answers():
    values = _answers(200, 6, seed=5)
    found = careless.person_total(values)
    spread = careless.irv(values)
    for i in range(0, 200, 17):
        seen = ~np.isnan(values[i])
        others = np.delete(values, i, axis=0)
        means = np.nanmean(others, axis=0)[seen]
        x = values[i, seen]
        expected = (np.nan if x.std() == 0 or means.std() == 0
                    else np.corrcoef(x, means)[0, 1])
        np.testing.assert_allclose(found[i], expected, rtol=1e-10, equal_nan=True)
        np.testing.assert_allclose(spread[i], x.std(), rtol=1e-12)


def test_moments_do_not_depend_on_the_row_block(monkeypatch):
    rng = np.random.default_rng(7)
    data = rng.normal(size=(5000, 9)) + 3
    weights = rng.integers(0, 4, 5000).astype(float)
    truth = np.cov(np.repeat(data, weights.astype(int), axis=0), rowvar=False)
    for block in (65536, 1024):
        monkeypatch.setattr(sample_mod, "row_block", lambda p, b=block: b)
        plain = sample_mod.moments(data)
        np.testing.assert_allclose(plain.cov, np.cov(data, rowvar=False), rtol=1e-12)
        weighted = sample_mod.moments(data, weights)
        np.testing.assert_allclose(weighted.cov, truth, rtol=1e-12)


def test_a_sample_computes_its_moments_once_and_nobody_changes_them():
    values = np.random.default_rng(2).normal(size=(50, 4))
    sample = Sample(values=values)
    first = sample.moments()
    assert sample.moments() is first
    with pytest.raises(ValueError):
        first.cov[0, 0] = 1.0
    np.testing.assert_allclose(first.cov, np.cov(values, rowvar=False), rtol=1e-13)
