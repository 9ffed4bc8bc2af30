"""Survey-platform exports as analysts get them (issue 16): question-text rows, merged header
cells, text "don't know" answers, ID and completion-time columns, --skip-rows, --header-row.

The fixtures in tests/data/ingest/ hold mobi's answers (see make_fixtures.py there). The
Chinese platforms' exports answer "don't know" as text in 24 cells; chinese_clean.csv is mobi
with those cells blank. Each export must give exactly the estimates of its clean equivalent
(tolerance 1e-9: the same numbers reach the estimator, only their wrapping differs).
"""

import json

import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner

from csi.cli.main import cli
from csi.errors import DataError
from csi.pipeline import fit_items
from csi.ingest import IngestOptions, assess, item_matrix, read_survey
from csi.estimators.base import PlsSettings
from csi.model.spec import load_model
from tests.conftest import DATA, MOBI

FIXTURES = DATA / "ingest"
CHINESE_MAP = FIXTURES / "chinese_map.csv"
CLEAN = FIXTURES / "chinese_clean.csv"
ECSI = load_model("ecsi")
SPEEDERS = [12, 77, 201]  # make_fixtures.SPEEDERS

EXPORTS = {  # fixture: (options, clean equivalent)
    "wenjuanxing.csv": ({"na_codes": ("不知道",), "column_map": CHINESE_MAP}, CLEAN),
    "tencent.xlsx": ({"na_codes": ("不知道",), "column_map": CHINESE_MAP}, CLEAN),
    "credamo.csv": ({"na_codes": ("不知道", "拒绝回答"), "column_map": CHINESE_MAP}, CLEAN),
    "merged.xlsx": ({"column_map": FIXTURES / "merged_map.csv"}, MOBI),
    "qualtrics.csv": ({}, MOBI),
    "surveymonkey.csv": ({"column_map": FIXTURES / "surveymonkey_map.csv"}, MOBI),
}


def run(*args, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


def prepared(path, **options):
    return item_matrix(read_survey(path), ECSI, options=IngestOptions(scale=(1, 10), **options))


def estimates(items):
    return fit_items(items, ECSI, PlsSettings(), "survey")


def assert_same(result, reference, tol=1e-9):
    for table, column in (("paths", "estimate"), ("weights", "estimate"),
                          ("loadings", "estimate"), ("index", "score"), ("r2", "estimate")):
        np.testing.assert_allclose(getattr(result, table)[column].to_numpy(dtype=float),
                                   getattr(reference, table)[column].to_numpy(dtype=float),
                                   rtol=0, atol=tol, err_msg=table)


@pytest.mark.parametrize("missing", ["listwise", "em"])
@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_each_export_fits_to_the_estimates_of_its_clean_equivalent(name, missing):
    options, clean = EXPORTS[name]
    export = prepared(FIXTURES / name, missing=missing, **options)
    reference = prepared(clean, missing=missing)
    assert export.rows_used == reference.rows_used == (227 if clean == CLEAN and
                                                       missing == "listwise" else 250)
    np.testing.assert_array_equal(export.rows, reference.rows)
    assert_same(estimates(export), estimates(reference))


@pytest.mark.parametrize("name", ["wenjuanxing.csv", "tencent.xlsx", "credamo.csv"])
def test_text_non_answers_equal_blank_cells(name):
    options, _ = EXPORTS[name]
    export = prepared(FIXTURES / name, missing="em", **options)
    clean = prepared(CLEAN, missing="em")
    np.testing.assert_array_equal(export.values, clean.values)  # the same EM imputations
    assert export.missing_cells == clean.missing_cells
    items = export.data_quality()["items"]
    assert sum(item["na_coded"] for item in items) == 24
    assert sum(item["non_numeric"] for item in items) == 0


def test_text_codes_match_trimmed_case_folded_and_full_width(tmp_path, mobi_frame):
    frame = mobi_frame.astype(object)
    frame.loc[3, "CUSA1"] = " Don't Know "
    frame.loc[5, "CUSA2"] = "don't know"
    frame.loc[7, "CUSL1"] = "Ｎ/Ａ"  # full-width
    frame.loc[9, "CUSL2"] = "n/a"  # a null text anyway
    path = tmp_path / "codes.csv"
    frame.to_csv(path, index=False)
    options = IngestOptions.from_text(scale="1:10", na="Don't know, N/A")
    items = item_matrix(read_survey(path), ECSI, options=options)
    assert items.rows_dropped_missing == 4
    assert "--na Don't know,N/A: 3 answers recoded as missing" in items.notes


def test_an_unrecognised_text_answer_names_value_column_row_and_suggests_na():
    result = run("fit", FIXTURES / "wenjuanxing.csv", "--model", "ecsi", "--map", CHINESE_MAP,
                 "--bootstrap", "0")
    assert result.exit_code == 3
    assert result.stderr == (
        f"Error: {FIXTURES / 'wenjuanxing.csv'}, column 形象1 (IMAG1), row 157: '不知道' is not "
        "a number; if it means no answer (don't know, refused), declare it: --na 不知道\n"
    )
    result = run("fit", FIXTURES / "credamo.csv", "--model", "ecsi", "--map", CHINESE_MAP,
                 "--na", "不知道", "--bootstrap", "0")
    assert result.exit_code == 3
    assert result.stderr.endswith("row 157: '拒绝回答' is not a number; if it means no answer "
                                  "(don't know, refused), declare it: --na 拒绝回答\n")


def test_a_recurring_text_answer_suggests_na_with_quotes(tmp_path, mobi_frame):
    frame = mobi_frame.astype(object)
    frame.loc[[4, 8], "PERQ2"] = "Keine Angabe"
    path = tmp_path / "de.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(DataError) as error:
        item_matrix(read_survey(path), ECSI)
    assert str(error.value) == (
        f"{path}, column PERQ2, row 5: 'Keine Angabe' is not a number (2 cells of the "
        "column); if it means no answer (don't know, refused), declare it: --na \"Keine Angabe\""
    )


# Layouts -------------------------------------------------------------------------------------

def test_question_text_rows_are_skipped_and_kept_as_labels():
    survey = read_survey(FIXTURES / "wenjuanxing.csv")
    assert (survey.layout, survey.header_rows, survey.rows_read) == ("question_text", 2, 250)
    assert survey.encoding == "gb18030"
    assert survey.labels["形象1"] == "形象：值得信赖"
    assert survey.notes[1] == (
        "skipped 1 question-text row under the header (the numbers start below it; kept as "
        "the questions' labels); if it is a respondent's answers, give --skip-rows 0")
    items = prepared(FIXTURES / "wenjuanxing.csv", **EXPORTS["wenjuanxing.csv"][0])
    assert items.labels["IMAG1"] == "形象：值得信赖"
    quality = items.data_quality()
    assert quality["layout"] == "question_text"
    assert quality["row_numbering"] == ("rows are respondents, numbered from 1 after the 2 "
                                        "header rows; blank lines are not counted")

    two = read_survey(FIXTURES / "credamo.csv")
    assert (two.layout, two.header_rows, two.encoding) == ("question_text", 3, "utf-8")
    assert two.labels["期望1"] == "期望：对整体质量的期望 - Q1"
    sheet = read_survey(FIXTURES / "tencent.xlsx")
    assert (sheet.layout, sheet.header_rows, sheet.sheet) == ("question_text", 2, "答卷数据")


def test_skip_rows_zero_keeps_the_text_row_and_errors_name_the_file_row():
    result = run("fit", FIXTURES / "wenjuanxing.csv", "--model", "ecsi", "--map", CHINESE_MAP,
                 "--na", "不知道", "--skip-rows", "0", "--bootstrap", "0")
    assert result.exit_code == 3
    assert result.stderr == (f"Error: {FIXTURES / 'wenjuanxing.csv'}, column 形象1 (IMAG1), row "
                             "1: '形象：值得信赖' is not a number\n")
    survey = read_survey(FIXTURES / "credamo.csv", skip_rows=2)
    assert (survey.layout, survey.header_rows, survey.rows_read) == ("skip_rows", 3, 250)
    assert survey.labels["期望1"] == "期望：对整体质量的期望"


def test_merged_header_cells():
    survey = read_survey(FIXTURES / "merged.xlsx")
    assert (survey.layout, survey.header_rows, survey.rows_read) == ("merged_header", 2, 250)
    columns = list(survey.frame.columns)
    assert columns[:3] == ["ID", "Expectations - Your expectations of the overall quality",
                           "Expectations - How well it would meet your personal needs"]
    assert "Complaints" in columns  # a single column merged down two rows
    assert survey.frame["ID"].iloc[0] == "M001"


def test_a_respondent_who_answered_dont_know_everywhere_is_no_question_text(tmp_path,
                                                                             mobi_frame):
    frame = mobi_frame.astype(object)
    frame.loc[0, :] = "不知道"
    path = tmp_path / "first.csv"
    frame.to_csv(path, index=False)
    survey = read_survey(path)
    assert (survey.layout, survey.rows_read) == ("plain", 250)
    with pytest.raises(DataError, match=r"column IMAG1, row 1: '不知道' is not a number; if it "
                                        r"means no answer"):
        item_matrix(survey, ECSI)
    items = item_matrix(survey, ECSI, (1, 10), IngestOptions(na_texts=("不知道",)))
    assert items.rows_used == 249


def test_header_row_skips_a_title_in_text_files_and_workbooks(tmp_path):
    title = "问卷标题：移动运营商满意度调查\r\n导出时间：2024-03-31\r\n".encode("gb18030")
    path = tmp_path / "titled.csv"
    path.write_bytes(title + (FIXTURES / "wenjuanxing.csv").read_bytes())
    result = run("validate", path, "--model", "ecsi", "--map", CHINESE_MAP, "--na", "不知道")
    assert result.exit_code == 3
    assert result.stderr == (
        f"Error: {path}, row 2 (line 3): 30 fields where the header has 1; check for an "
        "unquoted comma or line break in a cell, or a missing field; if the column names are "
        "on line 3 (a title above them), give --header-row 3\n")
    options = dict(EXPORTS["wenjuanxing.csv"][0])
    survey = read_survey(path, header_row=3)
    assert (survey.header_row, survey.header_rows, survey.rows_read) == (3, 2, 250)
    assert survey.reading()["row_numbering"] == (
        "rows are respondents, numbered from 1 after the 2 header rows (from row 3 of the "
        "file); blank lines are not counted")
    titled = item_matrix(survey, ECSI, (1, 10), IngestOptions(**options))
    assert_same(estimates(titled), estimates(prepared(CLEAN)))

    book = openpyxl.load_workbook(FIXTURES / "tencent.xlsx")
    book.active.insert_rows(1, 2)
    book.active["A1"] = "腾讯问卷 导出"
    workbook = tmp_path / "titled.xlsx"
    book.save(workbook)
    survey = read_survey(workbook, IngestOptions(header_row=3))
    assert (survey.header_row, survey.layout, survey.rows_read) == (3, "question_text", 250)
    assert_same(estimates(item_matrix(survey, ECSI, (1, 10), IngestOptions(**options))),
                estimates(prepared(CLEAN)))
    with pytest.raises(DataError, match=r"--header-row 9: the file has only 3 lines"):
        read_survey(_three_lines(tmp_path), header_row=9)
    with pytest.raises(DataError, match=r"--skip-rows applies to text files and Excel "
                                        r"workbooks only"):
        read_survey(FIXTURES / "survey.sav", skip_rows=1)


def _three_lines(tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("a,b\n1,2\n3,4\n")
    return path


def test_reading_options_reach_every_command(tmp_path):
    for command in ("fit", "validate", "compare", "compare-estimators"):
        text = run(command, "--help").stdout
        for option in ("--skip-rows", "--header-row", "--drop-careless", "--na"):
            assert option in text, (command, option)
    path = tmp_path / "titled.csv"
    path.write_bytes("Export 2024\n".encode() + MOBI.read_bytes())
    reference = json.loads(run("fit", MOBI, "--model", "ecsi", "--scale", "1:10", "--bootstrap",
                               "0", "--format", "json").stdout)
    result = run("fit", path, "--model", "ecsi", "--scale", "1:10", "--bootstrap", "0",
                 "--header-row", "2", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [p["estimate"] for p in doc["paths"]] == [p["estimate"] for p in reference["paths"]]
    assert doc["data_quality"]["header_row"] == 2
    result = run("fit", path, "--model", "ecsi", "--skip-rows", "-1")
    assert result.exit_code == 3
    assert result.stderr == "Error: --skip-rows -1: give a whole number of at least 0\n"


# IDs and completion times ---------------------------------------------------------------------

@pytest.mark.parametrize("name, id_column, how, columns", [
    ("wenjuanxing.csv", "序号", "duration", ["所用时间"]),
    ("tencent.xlsx", "编号", "duration", ["答题时长"]),
    ("credamo.csv", "答卷编号", "duration", ["作答时长(秒)"]),
    ("qualtrics.csv", "ResponseId", "duration", ["Duration (in seconds)"]),
    ("surveymonkey.csv", "Respondent ID", "submit - start", ["Start Date", "End Date"]),
])
def test_ids_completion_times_and_speeders(name, id_column, how, columns):
    options, _ = EXPORTS[name]
    quality = assess(read_survey(FIXTURES / name), ECSI,
                     IngestOptions(scale=(1, 10), **options)).to_dict()
    assert quality["duplicate_ids"]["column"] == id_column
    timing = quality["completion_time"]
    assert (timing["how"], timing["columns"], timing["rows_with_time"]) == (how, columns, 250)
    speeders = [entry for entry in quality["careless"] if "speeder" in entry["reasons"]]
    if name == "surveymonkey.csv":  # everybody took 12 minutes
        assert timing["median_seconds"] == 720 and speeders == []
        return
    assert [entry["row"] for entry in speeders] == SPEEDERS
    survey = read_survey(FIXTURES / name)
    ids = survey.frame[id_column].astype(str).tolist()
    assert [entry["id"] for entry in speeders] == [ids[row - 1] for row in SPEEDERS]
    assert all(entry["indices"]["seconds"] < quality["careless_screen"]["thresholds"][
        "speeder_seconds"] for entry in speeders)


def test_submit_time_alone_is_reported(tmp_path, mobi_frame):
    frame = mobi_frame.assign(提交时间="2024/3/1 9:05:12")
    path = tmp_path / "submit.csv"
    frame.to_csv(path, index=False)
    quality = assess(read_survey(path), ECSI, IngestOptions(scale=(1, 10))).to_dict()
    assert quality["completion_time"] == {"how": None, "columns": [], "submitted": "提交时间",
                                          "rows_with_time": None, "median_seconds": None}
    assert quality["careless_screen"]["by_reason"]["speeder"] == 0
