"""Properties every PLS estimate must have, whatever the data's order or units."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csi.pipeline import fit
from csi.ingest import Survey
from csi.estimators.base import PlsSettings
from csi.model.spec import load_model
from tests.conftest import MOBI

SPEC = load_model("ecsi")
BASE_FRAME = pd.read_csv(MOBI)
BASE = fit(Survey("mobi", BASE_FRAME), SPEC, scale=(1, 10), bootstrap=0)
TABLES = ("weights", "loadings", "paths", "total_effects", "indirect_effects")


def assert_same_estimates(result, base=BASE, with_index=True):
    for table in TABLES:
        np.testing.assert_allclose(
            getattr(result, table).estimate, getattr(base, table).estimate, atol=1e-9, err_msg=table
        )
    np.testing.assert_allclose(result.r2.estimate, base.r2.estimate, atol=1e-9)
    np.testing.assert_allclose(
        result.reliability.drop(columns="construct"), base.reliability.drop(columns="construct"),
        atol=1e-9,
    )
    np.testing.assert_allclose(result.htmt.value, base.htmt.value, atol=1e-9)
    if with_index:
        np.testing.assert_allclose(result.index.score, base.index.score, atol=1e-8)


@settings(max_examples=25, deadline=None)
@given(st.randoms(use_true_random=False))
def test_row_and_column_order_do_not_matter(random):
    rows = list(range(len(BASE_FRAME)))
    columns = list(BASE_FRAME.columns)
    random.shuffle(rows)
    random.shuffle(columns)
    frame = BASE_FRAME.iloc[rows][columns].reset_index(drop=True)
    assert_same_estimates(fit(Survey("shuffled", frame), SPEC, scale=(1, 10), bootstrap=0))


@settings(max_examples=25, deadline=None)
@given(
    column=st.sampled_from(list(SPEC.indicators)),
    factor=st.floats(min_value=0.01, max_value=100),
    shift=st.floats(min_value=-1000, max_value=1000),
)
def test_positive_affine_rescaling_of_an_item_changes_no_estimate(column, factor, shift):
    frame = BASE_FRAME.astype(float)
    frame[column] = frame[column] * factor + shift
    result = fit(Survey("rescaled", frame), SPEC, scale=None, bootstrap=0)
    # the index depends on the answer scale, which this item no longer shares; all else is equal
    assert_same_estimates(result, with_index=False)


@settings(max_examples=15, deadline=None)
@given(factor=st.floats(min_value=0.01, max_value=100), shift=st.floats(-1000, 1000))
def test_rescaling_every_item_and_the_scale_keeps_the_index(factor, shift):
    frame = BASE_FRAME.astype(float) * factor + shift
    result = fit(Survey("rescaled", frame), SPEC, scale=(1 * factor + shift, 10 * factor + shift), bootstrap=0)
    assert_same_estimates(result)


def test_reversed_item_flips_only_its_own_signs():
    """Reverse-coding one item negates its weight and loading and leaves the rest unchanged.

    The iterations start from a different point, so both fits run to the exact fixed point.
    """
    tight = PlsSettings(tol=1e-13)
    frame = BASE_FRAME.copy()
    frame["CUSL3"] = 11 - frame["CUSL3"]
    result = fit(Survey("reversed", frame), SPEC, scale=(1, 10), settings=tight, bootstrap=0)
    exact = fit(Survey("mobi", BASE_FRAME), SPEC, scale=(1, 10), settings=tight, bootstrap=0)
    weights = result.weights.set_index("indicator").estimate
    base = exact.weights.set_index("indicator").estimate
    assert weights["CUSL3"] == pytest.approx(-base["CUSL3"], abs=1e-9)
    np.testing.assert_allclose(weights.drop("CUSL3"), base.drop("CUSL3"), atol=1e-9)
    np.testing.assert_allclose(result.paths.estimate, exact.paths.estimate, atol=1e-9)
    assert any("CUSL3 has a non-positive weight" in w for w in result.warnings)
