"""Frequency weights mean exactly what repeated rows mean, on every path that takes weights.

Each test fits a survey whose first rows carry weight 2 or 3 against the same survey with
those rows repeated (adjacently, so a weighted resample's units are the repeated rows' rows):
estimates, sample size, bootstrap draws and intervals must agree to rounding. Also the two
weighted bugs of issue 13: `csi compare --weights` reported p = 1.0 for a real change, and the
non-linear variant's point slopes ignored the weights its bootstrap used.
"""

import json

import numpy as np
import pandas as pd
import pytest

import csi
from csi.estimators.base import PlsSettings
from csi.inference.bootstrap import BootstrapSettings
from csi.ingest import IngestOptions, Survey, item_matrix
from csi.model.spec import load_model
from csi.multi.compare import compare_items
from csi.multi.segments import fit_segments
from tests.conftest import MOBI

FRAME = pd.read_csv(MOBI)
WEIGHTS = np.where(np.arange(len(FRAME)) < 40, 2, 1) + (np.arange(len(FRAME)) % 17 == 3)


def weighted_and_repeated(frame: pd.DataFrame = FRAME, weights: np.ndarray = WEIGHTS):
    weighted = frame.assign(w=weights)
    repeated = frame.loc[np.repeat(frame.index, weights)].reset_index(drop=True)
    return weighted, repeated


def numbers(doc, skip=("source", "data", "data_quality", "warnings", "csi_version")):
    """The document's numbers by path, leaving out what describes the input file."""
    out = {}

    def walk(value, path):
        if isinstance(value, dict):
            for key, item in value.items():
                if path or key not in skip:
                    walk(item, f"{path}.{key}")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{path}[{i}]")
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[path] = float(value)
    walk(doc, "")
    return out


def assert_same_numbers(a, b, tol=1e-9, skip=()):
    left, right = numbers(json.loads(a.to_json())), numbers(json.loads(b.to_json()))
    left = {k: v for k, v in left.items() if not any(part in k for part in skip)}
    right = {k: v for k, v in right.items() if not any(part in k for part in skip)}
    assert left.keys() == right.keys()
    # a t of an estimate that cannot vary (a single item's weight of 1: SE ~ 1e-16) is
    # rounding noise on both sides, and is left out
    bad = {k: (left[k], right[k]) for k in left
           if not np.isclose(left[k], right[k], rtol=tol, atol=tol)
           and not (k.endswith(".t") and abs(left[k]) > 1e12)}
    assert not bad, list(bad.items())[:5]


# a well-identified common-factor model of mobi (the full ECSI is near-singular for CB-SEM)
CBSEM_MODEL = csi.parse_model(
    "Image =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5\nSatisfaction =~ CUSA1 + CUSA2 + CUSA3\n"
    "Loyalty =~ CUSL1 + CUSL2 + CUSL3\nSatisfaction ~ Image\nLoyalty ~ Satisfaction + Image\n",
    name="mobi-sem", composite=False)


@pytest.mark.parametrize("estimator, model, resamples, tol", [
    ("pls", "ecsi", 300, 1e-9), ("plsc", "ecsi", 300, 1e-9),
    # CB-SEM stops at its optimiser's tolerance (discrepancy change < 1e-12), so two fits of
    # the same moments agree to about 1e-7, not to rounding
    ("cbsem", CBSEM_MODEL, 0, 1e-6), ("cbsem", CBSEM_MODEL, 30, 1e-6)])
def test_weights_equal_repeated_rows_for_every_estimator(estimator, model, resamples, tol):
    weighted, repeated = weighted_and_repeated()
    options = dict(model=model, scale=(1, 10), estimator=estimator, bootstrap=resamples,
                   seed=7)
    a = csi.fit(weighted, weights="w", **options)
    b = csi.fit(repeated, **options)
    assert a.n_obs == b.n_obs == int(WEIGHTS.sum())
    assert_same_numbers(a, b, tol=tol)


def test_weights_equal_repeated_rows_with_bca_intervals():
    weighted, repeated = weighted_and_repeated()
    settings = BootstrapSettings(resamples=200, seed=3, ci="bca")
    a = csi.fit(weighted, "ecsi", scale=(1, 10), weights="w", bootstrap=settings)
    b = csi.fit(repeated, "ecsi", scale=(1, 10), bootstrap=settings)
    assert_same_numbers(a, b)


def test_weights_equal_repeated_rows_in_the_nonlinear_variant():
    """Everything but what k-fold cross-validation picks: its folds split respondents, and a
    repeated row may fall in two folds, so the CV statistics (and the CV-chosen spline
    curves) are the weighted analogue, not equal."""
    weighted, repeated = weighted_and_repeated()
    a = csi.fit(weighted, "ecsi", scale=(1, 10), weights="w", variant="nonlinear",
                bootstrap=200, seed=11)
    b = csi.fit(repeated, "ecsi", scale=(1, 10), variant="nonlinear", bootstrap=200, seed=11)
    cv = ("cv_r2_linear", "cv_r2_nonlinear", "comparison.t", "comparison.p", "spline_curve[",
          "spline_knots")
    assert_same_numbers(a, b, skip=cv)
    assert a.nonlinear.comparison["r2_linear"] == pytest.approx(
        b.nonlinear.comparison["r2_linear"], abs=1e-10)


def test_nonlinear_point_slopes_are_weighted():
    """The bug: weights moved the bootstrap but not the point slopes."""
    weighted, _ = weighted_and_repeated()
    plain = csi.fit(FRAME, "ecsi", scale=(1, 10), variant="nonlinear", bootstrap=0)
    heavy = csi.fit(weighted, "ecsi", scale=(1, 10), weights="w", variant="nonlinear",
                    bootstrap=0)
    assert not np.allclose(plain.nonlinear.paths["slope_low"], heavy.nonlinear.paths["slope_low"])


def test_weights_equal_repeated_rows_in_segments():
    frame = FRAME.assign(store=np.where(np.arange(len(FRAME)) % 2, "north", "south"))
    weighted, repeated = weighted_and_repeated(frame)
    spec = load_model("ecsi")
    settings = BootstrapSettings(resamples=100, seed=5)
    a = fit_segments(Survey("w", weighted), spec, "store", bootstrap=settings,
                     options=IngestOptions(scale=(1, 10), weights="w"))
    b = fit_segments(Survey("r", repeated), spec, "store", bootstrap=settings,
                     options=IngestOptions(scale=(1, 10)))
    for left, right in zip(a.fits, b.fits):
        assert left.name == right.name
        assert_same_numbers(left.result, right.result)


def two_waves(shift: float):
    """Two waves of mobi respondents; the second wave's satisfaction items raised."""
    rng = np.random.default_rng(4)
    rows = rng.permutation(len(FRAME))
    a, b = FRAME.iloc[rows[:125]].copy(), FRAME.iloc[rows[125:]].copy()
    for item in ("CUSA1", "CUSA2", "CUSA3"):
        b[item] = np.clip(b[item] + shift, 1, 10)
    return a.reset_index(drop=True), b.reset_index(drop=True)


def test_compare_with_weights_equals_repeated_rows_and_tests_what_it_reports():
    spec = load_model("ecsi")
    a, b = two_waves(1.0)
    wa, ra = weighted_and_repeated(a, np.where(np.arange(len(a)) < 30, 2, 1))
    wb, rb = weighted_and_repeated(b, np.where(np.arange(len(b)) < 20, 3, 1))
    weighted = compare_items(
        item_matrix(Survey("a", wa), spec, (1, 10), IngestOptions(weights="w")),
        item_matrix(Survey("b", wb), spec, (1, 10), IngestOptions(weights="w")),
        spec, permutations=199)
    repeated = compare_items(item_matrix(Survey("a", ra), spec, (1, 10)),
                             item_matrix(Survey("b", rb), spec, (1, 10)), spec,
                             permutations=199)
    np.testing.assert_allclose(weighted.differences["difference"],
                               repeated.differences["difference"], rtol=1e-9, atol=1e-9)
    # the permutation test measures the reported (weighted) differences: a real rise of the
    # satisfaction index is significant, as it is on the repeated rows
    rows = weighted.differences
    rise = rows[(rows["family"] == "index") & (rows["construct"] == "Satisfaction")]
    assert rise["difference"].iloc[0] > 3
    assert rise["p"].iloc[0] < 0.05
    np.testing.assert_allclose(weighted.permutation.observed,
                               weighted.differences["difference"], rtol=0, atol=1e-12)


def test_weighted_index_is_the_weighted_mean_of_item_scores():
    """A closed form: with one-item constructs the index is the weighted mean answer on 0-100."""
    frame = pd.DataFrame({"x": [1, 5, 10, 7, 3, 8, 2, 9, 6, 4, 5, 7],
                          "y": [2, 4, 9, 8, 3, 7, 1, 10, 6, 5, 4, 6]})
    weights = np.array([1, 3, 2, 1, 1, 2, 1, 1, 4, 1, 2, 1])
    spec = csi.parse_model("X =~ x\nY =~ y\nY ~ X", name="one-item")
    result = csi.fit(frame.assign(w=weights), spec, scale=(1, 10), weights="w", bootstrap=0)
    index = dict(zip(result.index["construct"], result.index["score"]))
    for column, construct in (("x", "X"), ("y", "Y")):
        expected = (np.average(frame[column], weights=weights) - 1) / 9 * 100
        assert index[construct] == pytest.approx(expected, abs=1e-10)
