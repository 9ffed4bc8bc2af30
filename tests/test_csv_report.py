"""`csi fit --format csv`: a `table` column naming each family, importance and priorities
included, and no test of a 0-100 index against zero (issue 15)."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from click.testing import CliRunner

from csi.cli.main import cli
from tests.conftest import MOBI

ARGS = (str(MOBI), "--model", "ecsi", "--scale", "1:10", "--bootstrap", "200", "-q")


@pytest.fixture(scope="module")
def outputs():
    runner = CliRunner()
    csv = runner.invoke(cli, ["fit", *ARGS, "--format", "csv"])
    doc = runner.invoke(cli, ["fit", *ARGS, "--format", "json"])
    assert csv.exit_code == 0 and doc.exit_code == 0
    return pd.read_csv(io.StringIO(csv.stdout), keep_default_na=False, na_values=[""]), \
        json.loads(doc.stdout)


def test_every_family_is_named_in_the_table_column(outputs):
    table, _ = outputs
    assert list(table.columns) == ["table", "from", "to", "estimate", "se", "t", "p", "ci_low",
                                   "ci_high"]
    assert {"path", "weight", "loading", "r2", "index", "htmt", "vif", "ave",
            "importance.impact_5pt", "importance.importance", "importance.performance",
            "priority.score", "priority.rank", "priority.p_top1"} <= set(table["table"])


def test_importance_and_priorities_equal_the_json(outputs):
    table, doc = outputs
    for row in doc["importance"]:
        got = table[(table["table"] == "importance.impact_5pt") & (table["from"] == row["driver"])
                    & (table["to"] == row["target"])].iloc[0]
        assert got["estimate"] == pytest.approx(row["impact_5pt"], rel=1e-9)
        assert got["se"] == pytest.approx(row["impact_5pt_se"], rel=1e-9)
        assert got["ci_low"] == pytest.approx(row["impact_5pt_ci_low"], rel=1e-9)
    ranks = table[table["table"] == "priority.rank"].set_index("from")["estimate"]
    assert {r["driver"]: r["rank"] for r in doc["priorities"]} == ranks.astype(int).to_dict()


def test_index_rows_carry_no_test_against_zero(outputs):
    table, doc = outputs
    index = table[table["table"] == "index"].set_index("from")
    assert index["t"].isna().all() and index["p"].isna().all()
    assert index["se"].notna().all()
    assert index.loc["Satisfaction", "ci_low"] == pytest.approx(
        doc["index"]["Satisfaction"]["ci_low"], rel=1e-9)
    paths = table[table["table"] == "path"]
    assert paths["t"].notna().all() and paths["p"].notna().all()
