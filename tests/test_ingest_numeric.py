"""The pandas-free ingest path (issue 15, docs/speed.md plan items 1 and 3).

The truth is the pyarrow/pandas path it replaces, run on the same bytes: a plain numeric file
read by csi.ingest.numeric_csv must give the DataFrame pyarrow's reader gives (values and
dtypes), the same ItemData and data-quality report, the same errors, and a byte-identical
`csi fit` JSON; the matrix steps of csi.ingest.answers must give what the column-by-column
steps give. Files the numeric reader does not take must fall back to the old path.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from csi.cli.main import cli
from csi.errors import DataError
from csi.ingest import delimited
from csi.ingest.answers import read_answers
from csi.ingest.columnar import Columns
from csi.ingest.compact import CompactAnswers
from csi.ingest.items import assess, item_columns, item_matrix
from csi.ingest.messages import Messages
from csi.ingest.numeric_csv import ARROW_NULLS, read_numeric
from csi.ingest.options import IngestOptions
from csi.ingest.quality import duplicate_ids
from csi.ingest.readers import read_survey
from csi.ingest.survey import Survey
from csi.model.spec import load_model
from tests.conftest import MOBI, ROOT

ECSI = load_model("ecsi")
SURVEYS = sorted((ROOT / "surveys").glob("*.csv"))


def arrow_read(path, monkeypatch) -> Survey:
    """The survey as the pandas/pyarrow reader reads it (the numeric reader switched off)."""
    with monkeypatch.context() as patch:
        patch.setattr(delimited, "NUMERIC_BYTES", -1)
        return read_survey(path)


def assert_same_survey(numeric: Survey, arrow: Survey) -> None:
    assert isinstance(numeric.held, Columns)
    assert isinstance(arrow.held, pd.DataFrame)
    for name in ("source", "format", "encoding", "delimiter", "decimal", "layout",
                 "header_rows", "header_row", "notes", "labels", "duplicate_columns",
                 "sha256", "rows_read"):
        assert getattr(numeric, name) == getattr(arrow, name), name
    assert numeric.names == list(arrow.frame.columns)
    assert dict(numeric.frame.dtypes) == dict(arrow.frame.dtypes)
    pd.testing.assert_frame_equal(numeric.frame, arrow.frame, check_exact=True)


def write(tmp_path, name: str, text: str, encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def mobi_lines() -> tuple[str, list[list[str]]]:
    header, *rows = MOBI.read_text().splitlines()
    return header, [row.split(",") for row in rows]


def as_text(header: str, rows: list[list[str]], delimiter: str = ",", end: str = "\n") -> str:
    return end.join([header.replace(",", delimiter)] + [delimiter.join(r) for r in rows]) + end


# The reader: the same frame as pyarrow's --------------------------------------------------

@pytest.mark.parametrize("path", SURVEYS, ids=lambda p: p.name)
def test_every_bundled_survey_reads_as_before(path, monkeypatch):
    """Numeric surveys take the numeric path; the others (text IDs, store names) fall back,
    and either way the Survey equals the pyarrow reader's."""
    survey, arrow = read_survey(path), arrow_read(path, monkeypatch)
    if isinstance(survey.held, Columns):
        assert_same_survey(survey, arrow)
    else:
        pd.testing.assert_frame_equal(survey.frame, arrow.frame, check_exact=True)
    assert isinstance(read_survey(MOBI).held, Columns)  # the control: mobi is numeric


EDGE_CASES = {
    # name: (text, numeric path taken)
    "empty cells": ("a,b,c\n1,,3\n4,5,\n,8,9\n", True),
    "decimal comma": ("a;b;c\n1,5;2;3\n-0,25;4;1e3\n;6;7\n", True),
    "semicolon whole numbers": ("a;b\n1;2\n3;4\n", True),
    "quoted numbers": ('a,b\n"1","2.5"\n3,"4"\n', True),
    "quoted header": ('"a","b"\n1,2\n3,4\n', True),
    "negative and scientific": ("a,b,c\n-1,1e3,-2.5E-2\n2,-3.5e+1,.5\n-0,5.,1\n", True),
    "BOM": ("\ufeffa,b\n1,2\n3,4\n", True),
    "CRLF": ("a,b\r\n1,2\r\n3,4\r\n", True),
    "CR alone": ("a,b\r1,2\r3,4\r", True),
    "blank lines": ("a,b\n1,2\n\n3,4\n\n\n5,6\n", True),
    "blank lines CRLF": ("a,b\r\n1,2\r\n\r\n3,4\r\n", True),
    "no final line break": ("a,b\n1,2\n3,4", True),
    "Arrow's null texts": ("a,b,c\n1,NA,nan\nNULL,2,#N/A\n3,n/a,4.5\n", True),
    "tab": ("a\tb\n1\t2.5\n3\t\n", True),
    "wide integers": ("a,b,c,d\n1,300,70000,123456789012345678\n-2,-300,-70000,5\n", True),
    "an empty column name": ("a,,c\n1,2,3\n4,5,6\n", True),
    "a text cell": ("a,b\n1,2\nx,4\n", True),  # held as text, its frame pyarrow's
    "an ID column of words": ("id,a,b\nR_1,1,2\nR_2,3,4\nstore A,5,6\n", True),
    "words and null texts": ("id,a\nR1,1\nNA,2\n,3\nnan,4\n", True),
    # the pyarrow/pandas path reads these
    "only words": ("a,b\nx,y\nz,w\n", False),
    "a boolean column": ("f,a\nTRUE,1\nfalse,2\n", False),
    "a date column": ("d,a\n2024-01-31,1\n2024-02-01,2\n", False),
    "a time column": ("t,a\n12:30,1\n13:00,2\n", False),
    "a padded word": ("id,a\n R1,1\nR2,2\n", False),
    "a non-ASCII digit": ("a,b\n1,2\n\u0663,4\n", False),
    "a non-ASCII digit with a gap": ("a,b\n1,\n\u0663.5,4\n", False),
    "a leading plus": ("a,b\n+1,2\n3,4\n", False),
    "a padded number": ("a,b\n 1,2\n3,4\n", False),
    "a 19-digit number": ("a,b\n1234567890123456789,2\n3,4\n", False),
    "a column without values": ("a,b\n1,\n3,\n", False),
    "duplicate column names": ("a,b,a\n1,2,3\n4,5,6\n", False),
    "a ragged row": ("a,b\n1,2\n3,4,5\n", False),
    "infinity": ("a,b\n1,inf\n3,4\n", False),
    "header only": ("a,b\n", False),
}


@pytest.mark.parametrize("name", list(EDGE_CASES))
def test_edge_cases_read_as_pyarrow_reads_them(name, tmp_path, monkeypatch):
    text, numeric = EDGE_CASES[name]
    path = write(tmp_path, "s.csv", text)
    try:
        arrow = arrow_read(path, monkeypatch)
    except DataError as error:  # the old path refuses it: so must the new one, alike
        with pytest.raises(DataError) as again:
            read_survey(path)
        assert str(again.value) == str(error)
        assert not numeric
        return
    survey = read_survey(path)
    assert isinstance(survey.held, Columns) == numeric
    if numeric:
        assert_same_survey(survey, arrow)
    else:
        pd.testing.assert_frame_equal(survey.frame, arrow.frame, check_exact=True)


def test_many_random_numeric_files_read_as_pyarrow_reads_them(tmp_path, monkeypatch):
    """Random cells from every numeric form (whole, negative, decimal, exponent, empty,
    null texts, quoted) in random dialects: the same frames as pyarrow's."""
    rng = np.random.default_rng(15)
    forms = ["{i}", "-{i}", "{i}.{j}", "-{i}.{j}", "{i}e{k}", "{i}.{j}E-{k}", ".{j}", "",
             "NA", '"{i}"', "0{i}"]
    taken = 0
    for trial in range(60):
        delimiter, decimal = [(",", "."), (";", ","), ("\t", "."), (";", ".")][trial % 4]
        p, n = int(rng.integers(2, 6)), int(rng.integers(1, 40))
        usable = rng.choice(len(forms), size=(p, int(rng.integers(1, 4))))
        rows = []
        for _ in range(n):
            row = []
            for col in range(p):
                form = forms[int(rng.choice(usable[col]))]
                cell = form.format(i=int(rng.integers(0, 2000)), j=int(rng.integers(0, 99)),
                                   k=int(rng.integers(0, 30)))
                row.append(cell.replace(".", decimal))
            rows.append(delimiter.join(row))
        header = delimiter.join(f"q{c}" for c in range(p))
        path = write(tmp_path, f"r{trial}.csv", "\n".join([header] + rows) + "\n")
        arrow = arrow_read(path, monkeypatch)
        survey = read_survey(path)
        if isinstance(survey.held, Columns):
            taken += 1
            assert_same_survey(survey, arrow)
        else:
            pd.testing.assert_frame_equal(survey.frame, arrow.frame, check_exact=True)
    assert taken >= 30  # most random files take the numeric path


def test_the_null_texts_are_arrows():
    import pyarrow.csv as pa_csv

    assert set(ARROW_NULLS) == set(pa_csv.ConvertOptions().null_values)


def test_large_files_are_left_to_pyarrow(tmp_path):
    header, rows = mobi_lines()
    path = write(tmp_path, "big.csv", as_text(header, rows * 60))  # ~360 KB
    assert path.stat().st_size > delimited.HEAD_BYTES
    assert isinstance(read_survey(path).held, pd.DataFrame)


def test_the_frame_is_built_once_on_first_access_and_replace_keeps_the_columns():
    survey = read_survey(MOBI)
    assert "_built" not in survey.__dict__
    assert survey.column("CUEX1").dtype == np.int8 and survey.rows_read == 250
    moved = replace(survey, frame=survey.held, source="elsewhere")
    assert isinstance(moved.held, Columns) and "_built" not in moved.__dict__
    frame = survey.frame
    assert survey.frame is frame and frame.shape == (250, 24)
    given = Survey("given", frame)  # a DataFrame stays as given
    assert given.frame is frame and given.column("CUEX1") is not None
    text = Survey("text", pd.DataFrame({"a": ["x", "y"], "b": [1.5, 2.0]}))
    assert text.column("a") is None and text.column("b").dtype == float
    with pytest.raises(Exception):
        survey.frame = frame  # still a frozen dataclass


# Items: the same ItemData and report ------------------------------------------------------

def assert_same_items(numeric: Survey, arrow: Survey, options: IngestOptions) -> None:
    a, b = assess(numeric, ECSI, options), assess(arrow, ECSI, options)
    assert a.to_dict() == b.to_dict()
    if a.errors:
        with pytest.raises(DataError) as first:
            item_matrix(numeric, ECSI, options=options)
        assert str(first.value) == a.errors[0]
        return
    x, y = item_matrix(numeric, ECSI, options=options), item_matrix(arrow, ECSI, options=options)
    assert x.to_dict() == y.to_dict()
    assert x.data_quality() == y.data_quality()
    np.testing.assert_array_equal(np.asarray(x.values), np.asarray(y.values))
    assert x.values.codes.dtype == y.values.codes.dtype
    np.testing.assert_array_equal(x.rows, y.rows)
    assert (x.weights is None) == (y.weights is None)
    if x.weights is not None:
        np.testing.assert_array_equal(x.weights, y.weights)


def gappy_mobi(tmp_path, seed: int = 3, share: float = 0.05, extra=None):
    header, rows = mobi_lines()
    rng = np.random.default_rng(seed)
    for row in rows:
        for k in range(len(row)):
            if rng.random() < share:
                row[k] = ""
    if extra:
        extra(header, rows, rng)
    return write(tmp_path, "g.csv", as_text(header, rows))


OPTION_SETS = {
    "scale": IngestOptions(scale=(1, 10)),
    "observed scale": IngestOptions(),
    "na and em": IngestOptions(scale=(1, 10), na_codes=(9,), missing="em"),
    "mean": IngestOptions(missing="mean", na_codes=(1, 10)),
    "clip": IngestOptions(scale=(2, 9), clip=True),
    "outside": IngestOptions(scale=(2, 9)),
    "reverse": IngestOptions(scale=(1, 10), reverse=("CUSCO",), drop_careless=True),
    "straightliners": IngestOptions(scale=(1, 10), drop_straightliners=True),
}


@pytest.mark.parametrize("name", list(OPTION_SETS))
def test_item_matrix_is_the_same_as_from_pyarrow(name, tmp_path, monkeypatch):
    for path in (MOBI, gappy_mobi(tmp_path)):
        assert_same_items(read_survey(path), arrow_read(path, monkeypatch), OPTION_SETS[name])


def test_weights_ids_and_problems_are_reported_as_before(tmp_path, monkeypatch):
    """A weight column, a numeric ID column with a repeat, a huge value, an infinite one and
    values outside the scale in several columns: the same counts, rows and messages."""
    def extra(header, rows, rng):
        rows[40][3], rows[12][5], rows[12][2], rows[5][9] = "1e13", "12", "0", "-3"
        rows[77][6] = "1e400"
        for k, row in enumerate(rows):
            row.insert(0, str(1000 + (k if k != 9 else 3)))
            row.append(f"{rng.uniform(0.2, 3):.3f}")

    header, rows = mobi_lines()
    rng = np.random.default_rng(5)
    extra(header, rows, rng)
    path = write(tmp_path, "w.csv", as_text("id," + header + ",w", rows))
    numeric, arrow = read_survey(path), arrow_read(path, monkeypatch)
    assert_same_survey(numeric, arrow)
    for options in (IngestOptions(scale=(1, 10), weights="w"), IngestOptions(weights="w"),
                    IngestOptions(scale=(1, 10), clip=True, weights="w", id_column="id"),
                    IngestOptions(missing="em")):
        assert_same_items(numeric, arrow, options)
    report = assess(numeric, ECSI, IngestOptions(scale=(1, 10), weights="w"))
    assert any("not finite" in e for e in report.errors)  # the checks above can fail
    assert report.duplicate_ids["count"] == 1


def test_a_text_cell_gives_the_same_one_line_error(tmp_path, monkeypatch):
    header, rows = mobi_lines()
    rows[90][2], rows[41][3] = "x", "seven"
    path = write(tmp_path, "t.csv", as_text(header, rows))
    assert isinstance(read_survey(path).held, Columns)  # words: held as text
    with pytest.raises(DataError) as error:
        item_matrix(read_survey(path), ECSI, (1, 10))
    assert str(error.value) == f"{path}, column CUEX3, row 91: 'x' is not a number"
    with pytest.raises(DataError) as again:
        item_matrix(arrow_read(path, monkeypatch), ECSI, (1, 10))
    assert str(again.value) == str(error.value)


# The matrix steps against the column steps ------------------------------------------------

def column_steps_only(monkeypatch):
    """Survey.column answering None sends read_answers down the column-by-column steps."""
    monkeypatch.setattr(Survey, "column", lambda self, name: None)


def answers_of(survey: Survey, options: IngestOptions):
    report = Messages()
    _, columns, shown, _, low, high = item_columns(survey, ECSI, options, Messages())
    answers = read_answers(survey, ECSI.indicators, columns, shown, options, low, high, report)
    return answers, report


@pytest.mark.parametrize("name", list(OPTION_SETS))
def test_the_matrix_steps_equal_the_column_steps(name, monkeypatch):
    rng = np.random.default_rng(21)
    frame = pd.read_csv(MOBI).astype(float)
    frame[rng.random(frame.shape) < 0.04] = np.nan
    frame.iloc[3, 4], frame.iloc[8, 2], frame.iloc[8, 7] = np.inf, 0.0, 11.0
    frame.iloc[30, 5], frame.iloc[20, 1] = 2e12, -np.inf
    frame["CUSCO"] = frame["CUSCO"].round() + 0.5 * (rng.random(len(frame)) < 0.1)
    survey = Survey("s", frame, value_labels={"CUEX1": {9.0: "don't know"}},
                    user_missing={"CUEX2": ((8.0, 8.0),)})
    options = OPTION_SETS[name]
    fast, fast_report = answers_of(survey, options)
    with monkeypatch.context() as patch:
        column_steps_only(patch)
        slow, slow_report = answers_of(survey, options)
    assert fast_report == slow_report and fast_report.errors + fast_report.warnings
    for key in fast.counts:
        np.testing.assert_array_equal(fast.counts[key], slow.counts[key], err_msg=key)
    assert fast.stats == slow.stats
    np.testing.assert_array_equal(fast.missing_per_row, slow.missing_per_row)
    np.testing.assert_array_equal(fast.missing_per_item, slow.missing_per_item)
    np.testing.assert_array_equal(fast.raw.dense(), slow.raw.dense())
    assert fast.raw.codes.dtype == slow.raw.codes.dtype


def test_compact_answers_from_the_matrix_equal_those_put_column_by_column():
    rng = np.random.default_rng(8)
    base = np.round(rng.normal(5, 3, (400, 6)).clip(1, 10))
    base[rng.random(base.shape) < 0.05] = np.nan
    cases = {"bytes": base, "negative": base - 7, "empty column": base.copy(),
             "two bytes": base * 100, "shifted": base + 250, "not whole": base + 0.5,
             "too wide": base * 1e6, "no rows": base[:0], "complete": np.nan_to_num(base, nan=3)}
    cases["empty column"][:, 2] = np.nan
    for name, values in cases.items():
        a, b = CompactAnswers.from_matrix(values.copy()), CompactAnswers.of(values)
        np.testing.assert_array_equal(a.dense(), values, err_msg=name)
        np.testing.assert_array_equal(a.dense(), b.dense(), err_msg=name)
        assert a.codes.dtype == b.codes.dtype and a.compact == b.compact, name
        assert a.gaps == b.gaps, name


def test_duplicate_ids_of_a_numeric_column_without_pandas():
    for values in (np.arange(50, dtype=np.int16), np.array([1.0, np.nan, 2.0, np.nan]),
                   np.array([3, 1, 2, 3, 1, 1], dtype=np.int8), np.array([0.0, -0.0, 1.5]),
                   np.array([1.5, 2.5, 1.5])):
        assert duplicate_ids(values) == duplicate_ids(pd.Series(values)), values


# Whole runs ------------------------------------------------------------------------------

PANDAS_FREE = """
import sys
from csi.ingest.readers import read_survey
from csi.ingest.items import item_matrix
from csi.ingest.options import IngestOptions
from csi.model.spec import load_model
survey = read_survey(sys.argv[1])
items = item_matrix(survey, load_model("ecsi"), (1, 10), IngestOptions(missing="em"))
assert items.rows_used > 200
print(sorted({m.split(".")[0] for m in sys.modules} & {"pandas", "pyarrow", "scipy"}))
"""


def test_reading_and_preparing_a_numeric_file_imports_no_pandas(tmp_path):
    for path in (MOBI, gappy_mobi(tmp_path)):
        result = subprocess.run([sys.executable, "-c", PANDAS_FREE, str(path)],
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stderr[-800:]
        assert result.stdout.strip() == "[]"
    # the control: a file with a text cell does need them
    header, rows = mobi_lines()
    rows[4][4] = "x"
    text = write(tmp_path, "text.csv", as_text(header, rows))
    result = subprocess.run([sys.executable, "-c", PANDAS_FREE.replace(
        "items = item_matrix", "survey.frame\nitems = None and item_matrix").replace(
        "assert items.rows_used > 200", ""), str(text)], capture_output=True, text=True)
    assert "pandas" in result.stdout


def numeric_acsi(tmp_path):
    frame = pd.read_csv(ROOT / "surveys" / "acsi_synthetic.csv")
    numbers = frame.drop(columns=["respondent_id", "store"])
    numbers.iloc[::13, 4] = 99
    numbers.iloc[::7, 6] = np.nan
    path = tmp_path / "acsi_numeric.csv"
    numbers.to_csv(path, index=False)
    return path


def repeated_text_ids(tmp_path):
    """acsi_synthetic with two text IDs repeated, one only after stripping a space."""
    lines = (ROOT / "surveys" / "acsi_synthetic.csv").read_text().splitlines()
    lines[5] = lines[2].split(",")[0] + "," + lines[5].split(",", 1)[1]
    lines[9] = lines[3].split(",")[0] + " ," + lines[9].split(",", 1)[1]
    path = tmp_path / "repeated_ids.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_text_ids_are_checked_without_pandas_and_listed_as_before(tmp_path, monkeypatch):
    """A text ID column without repeats needs no pandas; with repeats (one found only
    after stripping) the listing equals the pyarrow path's."""
    clean = ROOT / "surveys" / "acsi_synthetic.csv"
    assert read_survey(clean).text("respondent_id")[:2] == ("R0001", "R0002")
    options = IngestOptions(scale=(1, 10))
    acsi = load_model("acsi")
    for path, repeats in ((clean, 0), (repeated_text_ids(tmp_path), 2)):
        numeric, arrow = read_survey(path), arrow_read(path, monkeypatch)
        assert isinstance(numeric.held, Columns)
        found = assess(numeric, acsi, options).duplicate_ids
        assert found == assess(arrow, acsi, options).duplicate_ids
        assert found["count"] == repeats


def fit_json(args, tmp_path, name, numeric: bool, monkeypatch) -> bytes:
    output = tmp_path / f"{name}-{numeric}.json"
    with monkeypatch.context() as patch:
        if not numeric:
            patch.setattr(delimited, "NUMERIC_BYTES", -1)
        result = CliRunner().invoke(cli, ["fit", *map(str, args), "--format", "json", "-q",
                                          "-o", str(output)])
    assert result.exit_code == 0, result.output
    return output.read_bytes()


def test_csi_fit_json_is_byte_identical_to_the_pyarrow_path(tmp_path, monkeypatch):
    runs = {
        "mobi": [MOBI, "--model", "ecsi", "--scale", "1:10"],
        "mobi-boot": [MOBI, "--model", "ecsi", "--scale", "1:10", "--bootstrap", "60",
                      "--seed", "1"],
        "gaps-em": [gappy_mobi(tmp_path), "--model", "ecsi", "--scale", "1:10", "--missing",
                    "em"],
        "acsi": [numeric_acsi(tmp_path), "--model", "acsi", "--na", "99", "--weights", "wt",
                 "--missing", "mean"],
        "acsi-text-ids": [ROOT / "surveys" / "acsi_synthetic.csv", "--model", "acsi",
                          "--scale", "1:10", "--weights", "wt", "--bootstrap", "60"],
        "text-ids-repeated": [repeated_text_ids(tmp_path), "--model", "acsi", "--scale",
                              "1:10"],
    }
    for name, args in runs.items():
        assert isinstance(read_survey(args[0]).held, Columns), name
        new = fit_json(args, tmp_path, name, True, monkeypatch)
        old = fit_json(args, tmp_path, name, False, monkeypatch)
        assert new == old, name
        assert json.loads(new)["data"]["rows_read"] >= 250, name


def test_matrix_item_stats_equal_item_stats_column_by_column():
    """The matrix summary (one bincount) gives item_stats' values to the bit: whole numbers
    with and without gaps, a wide range, fractions, an empty column."""
    from csi.ingest.quality import item_stats, matrix_item_stats

    rng = np.random.default_rng(5)
    x = rng.integers(1, 11, size=(300, 6)).astype(float)
    x[rng.random(x.shape) < 0.1] = np.nan
    x[:, 2] = rng.integers(0, 5_000, size=300)  # wider than the shared histogram
    x[:, 3] = rng.normal(size=300)  # not whole numbers
    x[:, 4] = np.nan  # nothing observed
    x[:5, 5] = -3.0  # negative whole numbers
    assert matrix_item_stats(x) == [item_stats(x[:, j]) for j in range(x.shape[1])]
    assert matrix_item_stats(x[:0]) == [(0, None, None, None, None)] * 6  # no respondents
