"""csi.tables.table builds the DataFrame pandas' own constructor builds, and no two tables
(or a table and its caller's arrays) share what one of them may change; a Table writes the
JSON rows that DataFrame's records give, and a result holding Tables reads as DataFrames."""

import numpy as np
import pandas as pd
import pytest

from csi.jsonio import records
from csi.tables import Table, table

NAMES = ["Image", "Quality", "Value", "Image"]


COLUMNS = [
    {"construct": NAMES, "estimate": np.array([0.1, 0.2, 0.3, 0.4])},
    {"from": tuple(NAMES), "to": NAMES[::-1], "value": [1.5, 2.5, np.nan, 4.0]},
    {"a": NAMES, "count": np.array([1, 2, 3, 4]), "flag": [True, False, True, True]},
    {"construct": [], "estimate": np.array([])},  # empty: pandas' inference decides
    {"label": ["x", None, "z", "w"], "estimate": np.zeros(4)},  # missing name: general path
    {"name": np.array(NAMES), "estimate": np.ones(4)},
    {"driver": NAMES, "target": "Satisfaction", "p_top1": np.nan, "significant": None,
     "rank": np.array([2, 1, 4, 3]), "flag": True, "count": 3},
    {"only": "scalars", "value": 1.0},  # no length: pandas raises, as it does
    {"indicator": np.repeat(np.array(["a", "b"]), 2), "estimate": [1, 2.5, 3, 4]},
    {"a": NAMES, "n": [1, 2, 3, 4], "x": np.array([np.inf, -np.inf, np.nan, 0.0])},
]


@pytest.mark.parametrize("columns", COLUMNS)
def test_same_frame_as_pandas(columns):
    try:
        expected = pd.DataFrame(columns)
    except ValueError:
        with pytest.raises(ValueError):
            table(columns)
        return
    pd.testing.assert_frame_equal(table(columns), expected)


def test_unequal_lengths_fail_as_in_pandas():
    with pytest.raises(ValueError):
        table({"construct": NAMES, "estimate": np.zeros(3)})


def test_tables_share_nothing_that_changes():
    values = np.array([0.1, 0.2, 0.3, 0.4])
    first = table({"construct": NAMES, "estimate": values})
    second = table({"construct": NAMES, "estimate": values})
    first.loc[0, "construct"] = "Changed"
    first.loc[1, "estimate"] = 9.0
    first.index.name = "row"
    first.columns.name = "field"
    assert second.loc[0, "construct"] == "Image"
    assert values[1] == 0.2 and second.loc[1, "estimate"] == 0.2
    assert second.index.name is None and second.columns.name is None
    assert table({"construct": NAMES, "estimate": values}).loc[0, "construct"] == "Image"


@pytest.mark.parametrize("columns", COLUMNS)
def test_table_rows_are_the_frames_json_rows(columns):
    try:
        expected = records(pd.DataFrame(columns))
    except ValueError:
        return  # no frame, no rows (test_same_frame_as_pandas checks the error)
    rows = Table(columns).records()
    assert rows == expected
    assert [list(map(type, row.values())) for row in rows] == [
        list(map(type, row.values())) for row in expected]  # 1.0 stays a float, 1 an int


def test_assign_and_drop_as_in_pandas():
    columns = {"construct": NAMES, "estimate": np.array([0.1, 0.2, 0.3, 0.4])}
    made = Table(columns).assign(se=np.ones(4), estimate=np.zeros(4), rho_a=np.nan)
    expected = pd.DataFrame(columns).assign(se=np.ones(4), estimate=np.zeros(4), rho_a=np.nan)
    pd.testing.assert_frame_equal(made.frame(), expected)
    assert made.records() == records(expected)
    pd.testing.assert_frame_equal(made.drop("se").frame(), expected.drop(columns="se"))


def test_fit_result_reads_as_frames_and_writes_the_same_json_either_way():
    import csi
    from csi.result import FAMILIES

    result = csi.fit("surveys/mobi.csv", "ecsi", scale=(1, 10), bootstrap=200, seed=1)
    assert isinstance(result.table("paths"), Table)
    assert isinstance(result.paths, pd.DataFrame) and result.paths is result.paths
    assert isinstance(result.priorities.ranking, pd.DataFrame)
    names = [*FAMILIES, "cross_loadings", "item_weights", "reliability", "htmt",
             "fornell_larcker", "vif", "scores"]
    as_frames = result.replace(**{name: getattr(result, name) for name in names})
    assert all(isinstance(object.__getattribute__(as_frames, name), pd.DataFrame)
               for name in names)
    assert as_frames.to_json() == result.to_json()
    assert set(result.paths.columns) >= {"estimate", "se", "ci_low", "ci_high"}


def test_an_empty_table_writes_no_rows_without_pandas_and_a_series_aligns_as_in_pandas():
    empty = Table({"from": [], "to": [], "estimate": np.array([])})
    assert empty.records() == [] and len(empty) == 0 and empty.column("from") == ()
    assert empty._frame is None  # nothing built: a model without indirect effects
    pd.testing.assert_frame_equal(empty.frame(), pd.DataFrame(
        {"from": [], "to": [], "estimate": np.array([])}))
    columns = {"construct": NAMES[:2], "estimate": np.array([0.1, 0.2])}
    shifted = pd.Series([5.0, 6.0], index=[10, 11])
    pd.testing.assert_frame_equal(Table(columns).assign(se=shifted).frame(),
                                  pd.DataFrame(columns).assign(se=shifted))


def test_an_edit_to_a_result_table_reaches_its_json_as_before():
    import csi

    result = csi.fit("surveys/mobi.csv", "ecsi", scale=(1, 10), bootstrap=0)
    result.paths.loc[0, "estimate"] = 123.0
    assert result.to_dict()["paths"][0]["estimate"] == 123.0
