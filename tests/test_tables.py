"""csi.tables.table builds the DataFrame pandas' own constructor builds, and no two tables
(or a table and its caller's arrays) share what one of them may change."""

import numpy as np
import pandas as pd
import pytest

from csi.tables import table

NAMES = ["Image", "Quality", "Value", "Image"]


@pytest.mark.parametrize("columns", [
    {"construct": NAMES, "estimate": np.array([0.1, 0.2, 0.3, 0.4])},
    {"from": tuple(NAMES), "to": NAMES[::-1], "value": [1.5, 2.5, np.nan, 4.0]},
    {"a": NAMES, "count": np.array([1, 2, 3, 4]), "flag": [True, False, True, True]},
    {"construct": [], "estimate": np.array([])},  # empty: pandas' inference decides
    {"label": ["x", None, "z", "w"], "estimate": np.zeros(4)},  # missing name: general path
    {"name": np.array(NAMES), "estimate": np.ones(4)},
    {"driver": NAMES, "target": "Satisfaction", "p_top1": np.nan, "significant": None,
     "rank": np.array([2, 1, 4, 3]), "flag": True, "count": 3},
    {"only": "scalars", "value": 1.0},  # no length: pandas raises, as it does
])
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
