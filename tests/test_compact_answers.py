"""Compact answers (issue 21): the item matrix kept one or two bytes a cell reads as exactly
the float64 matrix it stands for, and every statistic computed from it is the float matrix's.

The truth here is the plain float64 matrix and numpy's own reductions of it (np.cov,
ndarray @, np.nanmin), never the compact code itself.
"""

import numpy as np
import pandas as pd
import pytest

import csi
from csi.ingest import careless
from csi.ingest.compact import CompactAnswers
from csi.ingest.items import item_matrix
from csi.ingest.readers import read_survey
from csi.model.spec import load_model
from csi.sample import Sample, moments
from tests.conftest import MOBI


def _answers(n: int = 3000, p: int = 7, seed: int = 4) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = np.round(rng.normal(5.5, 2.5, (n, p)).clip(1, 10))
    values[rng.random((n, p)) < 0.04] = np.nan
    values[:, 2] -= 4  # a -3..6 scale: an offset below 0
    values[: n // 25] = 7.0  # straight-liners
    return values


def test_every_kind_of_index_reads_the_float_matrix():
    values = _answers()
    stored = CompactAnswers.of(values)
    assert stored.codes.dtype == np.uint8 and stored.nbytes < values.nbytes / 7
    rows, columns = np.array([5, 0, 2999, 17]), np.array([3, 0])
    for key in (slice(None), slice(10, 700), 42, rows, values[:, 0] > 5, (slice(None), 2),
                (slice(3, 9), columns), np.ix_(rows, columns), (7, 2)):
        np.testing.assert_array_equal(stored[key], values[key], err_msg=str(key))
    np.testing.assert_array_equal(np.asarray(stored), values)
    np.testing.assert_array_equal(stored.rows(values[:, 1] > 3).dense(),
                                  values[values[:, 1] > 3])
    complete = ~np.isnan(values).any(axis=1)
    assert stored.gaps and not stored.rows(complete).gaps  # listwise: no mask to decode
    np.testing.assert_array_equal(stored.rows(complete)[::7], values[complete][::7])
    values[:, 4] = np.nan  # a column nobody answered
    np.testing.assert_array_equal(CompactAnswers.of(values).dense(), values)


def test_answers_that_do_not_fit_a_byte_widen_or_stay_float():
    values = _answers(500, 4)
    wide = values.copy()
    wide[:, 1] = wide[:, 1] * 100  # 100 ... 1000: two bytes
    stored = CompactAnswers.of(wide)
    assert stored.codes.dtype == np.uint16
    np.testing.assert_array_equal(stored.dense(), wide)
    halves = values.copy()
    halves[3, 3] = 4.5  # not a whole number: the matrix stays float64
    stored = CompactAnswers.of(halves)
    assert stored.codes.dtype == np.float64 and not stored.compact
    np.testing.assert_array_equal(stored.dense(), halves)


def test_reductions_equal_numpy_on_the_float_matrix():
    values = _answers()
    stored = CompactAnswers.of(values)
    lowest, highest = stored.column_range()
    np.testing.assert_array_equal(lowest, np.nanmin(values, axis=0))
    np.testing.assert_array_equal(highest, np.nanmax(values, axis=0))
    complete = values[~np.isnan(values).any(axis=1)]
    stored = CompactAnswers.of(complete)
    weights = np.random.default_rng(1).normal(size=(7, 3))
    np.testing.assert_array_equal(stored @ weights, complete @ weights)  # row by row
    assert stored.min() == complete.min() and stored.max() == complete.max()
    np.testing.assert_array_equal(stored.max(axis=0), complete.max(axis=0))
    np.testing.assert_array_equal(stored.min(axis=0), complete.min(axis=0))
    np.testing.assert_array_equal(stored.min(axis=1), complete.min(axis=1))
    with_gaps = CompactAnswers.of(values)
    np.testing.assert_array_equal(with_gaps.max(axis=0), values.max(axis=0))  # NaN
    assert np.isnan(with_gaps.min())


def test_moments_of_compact_answers_are_those_of_the_float_matrix():
    values = _answers()
    complete = values[~np.isnan(values).any(axis=1)]
    stored = CompactAnswers.of(complete)
    dense, compact = moments(complete), moments(stored)
    for name in ("mean", "sd", "cov"):  # same blocks, same float64 sums: equal bit for bit
        np.testing.assert_array_equal(getattr(compact, name), getattr(dense, name))
    np.testing.assert_allclose(dense.cov, np.cov(complete, rowvar=False), rtol=1e-13)
    weights = np.random.default_rng(3).integers(0, 4, len(complete)).astype(float)
    truth = np.cov(np.repeat(complete, weights.astype(int), axis=0), rowvar=False)
    weighted = moments(stored, weights)  # the weighted mean summed by blocks: ~1e-16
    np.testing.assert_allclose(weighted.cov, truth, rtol=1e-12)
    np.testing.assert_allclose(weighted.mean, moments(complete, weights).mean, rtol=1e-14)


def test_the_careless_screen_of_compact_answers_is_the_float_matrix_screen():
    values = _answers()
    dense, compact = careless.screen(values), careless.screen(CompactAnswers.of(values))
    for name in ("answered", "longstring", "irv", "person_total", "mahalanobis",
                 "straightliners"):
        np.testing.assert_array_equal(getattr(compact, name), getattr(dense, name),
                                      err_msg=name)
    for reason in careless.REASONS:
        np.testing.assert_array_equal(compact.reasons[reason], dense.reasons[reason])


def test_a_point_fit_keeps_the_answers_compact_and_a_bootstrap_gets_floats():
    spec = load_model("ecsi")
    items = item_matrix(read_survey(MOBI), spec, (1, 10))
    assert isinstance(items.values, CompactAnswers) and items.values.codes.dtype == np.uint8
    point = Sample.of(items, compact=True)
    assert point.values is items.values
    resampled = Sample.of(items)
    assert isinstance(resampled.values, np.ndarray)
    np.testing.assert_array_equal(resampled.values, pd.read_csv(MOBI)[list(spec.indicators)])
    for name in ("mean", "sd", "cov"):
        np.testing.assert_array_equal(getattr(point.moments(), name),
                                      getattr(resampled.moments(), name))


def test_point_estimates_do_not_depend_on_the_bootstrap():
    """The point fit runs on the compact answers, a bootstrapped fit on the float matrix:
    the estimates and scores are the same numbers."""
    point = csi.fit(MOBI, "ecsi", scale=(1, 10), bootstrap=0)
    boot = csi.fit(MOBI, "ecsi", scale=(1, 10), bootstrap=20)
    for table in ("paths", "weights", "loadings"):
        np.testing.assert_array_equal(getattr(point, table)["estimate"],
                                      getattr(boot, table)["estimate"], err_msg=table)
    np.testing.assert_array_equal(point.index["score"], boot.index["score"])
    np.testing.assert_array_equal(point.scores.to_numpy(), boot.scores.to_numpy())


@pytest.mark.parametrize("missing", ["mean", "em"])
def test_gaps_are_filled_on_the_float_matrix(missing):
    frame = pd.read_csv(MOBI)
    frame.iloc[::9, 3] = np.nan
    compact = csi.fit(frame, "ecsi", scale=(1, 10), bootstrap=0, missing=missing)
    assert compact.data["cells_imputed"] > 0
    assert np.isfinite(compact.paths["estimate"]).all()
