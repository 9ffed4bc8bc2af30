"""Fuzzing: malformed survey files either fit or fail with one csi error line and exit code 3,
never another exception and never a partial output file.

Files are a small valid survey (mobi's first 40 respondents, ACSI's items, an ID and a weight
column) damaged by 1-3 random mutations of its body: ragged rows, binary junk, truncation, header
only, an all-missing column, huge numbers, NaN/inf strings, text in number cells, stray
quotes, other delimiters, blank lines. Pure random bytes are fuzzed separately: they may also
form a text file that lacks the model's columns, which is the model-vs-data error (exit 4,
as tests/test_cli.py::test_missing_column).
"""

import json
import os
import tempfile
from pathlib import Path

import pandas as pd
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csi.cli.main import cli
from tests.conftest import MOBI

ITEMS = ["CUEX1", "CUEX2", "CUEX3", "PERQ1", "PERQ2", "PERQ3", "PERV1", "PERV2", "CUSA1",
         "CUSA2", "CUSA3", "CUSCO", "CUSL1", "CUSL2"]
_frame = pd.read_csv(MOBI).head(40)[ITEMS]
_frame.insert(0, "id", [f"R{k}" for k in range(len(_frame))])
_frame["wt"] = [0.5, 1.25, 1.0, 2.0] * 10
BASE = _frame.to_csv(index=False)
HEADER, *ROWS = BASE.splitlines()
ODD_NUMBERS = ["1e308", "1e400", "-1e20", "99999999999999999999999", "NaN", "nan", "inf",
               "-inf", "Infinity", "NA", "", " ", "-0", "+7", "7.5", "0x1A", "1,5", "١٢"]
OPTIONS = [[], ["--scale", "1:10"], ["--missing", "em"], ["--missing", "mean", "--scale", "1:10"],
           ["--scale", "1:10", "--clip", "--drop-straightliners"], ["--na", "9,10"],
           ["--weights", "wt", "--missing", "em"], ["--weights", "wt", "--missing", "mean"]]


@st.composite
def damaged(draw) -> bytes:
    rows = [row.split(",") for row in ROWS]
    kinds = draw(st.lists(st.sampled_from(
        ["ragged", "junk", "truncate", "header_only", "all_missing", "odd_number", "text",
         "quote", "delimiter", "blank_lines", "empty"]), min_size=1, max_size=3))
    tail = b""
    for kind in kinds:
        if kind == "header_only":
            rows = []
        elif kind == "empty":
            return b""
        elif kind == "ragged" and rows:
            row = rows[draw(st.integers(0, len(rows) - 1))]
            if draw(st.booleans()):
                row.append("5")
            elif len(row) > 1:
                row.pop()
        elif kind == "all_missing":
            column = draw(st.integers(1, len(ITEMS) + 1))
            for row in rows:
                if column < len(row):
                    row[column] = ""
        elif kind in ("odd_number", "text", "quote") and rows:
            row = rows[draw(st.integers(0, len(rows) - 1))]
            column = draw(st.integers(0, len(row) - 1))
            if kind == "odd_number":
                row[column] = draw(st.sampled_from(ODD_NUMBERS))
            elif kind == "text":
                row[column] = draw(st.text(max_size=8))
            else:
                row[column] = row[column] + '"'
        elif kind == "delimiter" and rows:
            row = rows[draw(st.integers(0, len(rows) - 1))]
            row[:] = ";".join(row).split(",")
        elif kind == "blank_lines" and rows:
            rows.insert(draw(st.integers(0, len(rows))), [draw(st.sampled_from(["", " ", "\t"]))])
        elif kind == "junk":
            tail = draw(st.binary(min_size=1, max_size=40))
        elif kind == "truncate":
            rows = rows[: draw(st.integers(0, len(rows)))]
    body = "\n".join(",".join(str(cell) for cell in row) for row in rows)
    data = (HEADER + "\n" + body + ("\n" if rows else "")).encode("utf-8")
    if tail:
        at = draw(st.integers(len(HEADER) + 1, len(data)))
        data = data[:at] + tail + data[at:]
    return data


def fit_file(data: bytes, options: list[str]):
    with tempfile.TemporaryDirectory() as folder:
        survey = Path(folder) / "survey.csv"
        survey.write_bytes(data)
        out = Path(folder) / "out.json"
        result = CliRunner().invoke(cli, ["fit", str(survey), "--model", "acsi", "--bootstrap",
                                          "0", "--format", "json", "-o", str(out), *options])
        written = out.read_text() if out.exists() else None
        leftovers = sorted(set(os.listdir(folder)) - {"survey.csv", "out.json"})
    return result, written, leftovers


def check(result, written, leftovers, allowed=(0, 3)):
    assert leftovers == []
    assert result.exit_code in allowed, (result.exit_code, result.output, result.exception)
    if result.exit_code == 0:
        assert "paths" in json.loads(written)
        return
    assert written is None
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.output


@settings(max_examples=80, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=damaged(), options=st.sampled_from(OPTIONS))
def test_damaged_files_fit_or_fail_cleanly(data, options):
    check(*fit_file(data, options))


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(min_size=0, max_size=300))
def test_random_bytes_fail_cleanly(data):
    result, written, leftovers = fit_file(data, [])
    check(result, written, leftovers, allowed=(3, 4))
    if result.exit_code == 4:
        assert "is not a column of" in result.stderr


def test_the_undamaged_file_fits():
    result, written, leftovers = fit_file(BASE.encode("utf-8"), ["--scale", "1:10"])
    check(result, written, leftovers, allowed=(0,))
