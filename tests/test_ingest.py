"""Reading surveys in every format and layout, the data options, and the data-quality report.

The fixtures in tests/data/ingest/ hold mobi's answers in other formats (see make_fixtures.py
there); each must give mobi's estimates. Tolerance 1e-9 everywhere: the semicolon fixture's
decimal-comma answers are mobi's halved, an exact binary scaling, so no rounding is involved.
"""

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from csi.cli.main import cli
from csi.errors import DataError, ModelError
from csi.pipeline import fit_items
from csi.ingest import (
    IngestOptions,
    assess,
    item_matrix,
    load_column_map,
    parse_codes,
    read_survey,
)
from csi.sample import Sample, moments
from csi.estimators.base import PlsSettings
from csi.model.spec import load_model
from tests.conftest import DATA, MOBI

FIXTURES = DATA / "ingest"
ECSI = load_model("ecsi")
ACSI = load_model("acsi")


def run(*args, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


def estimates(path, spec=ECSI, *, encoding=None, sheet=None, **options):
    survey = read_survey(path, encoding=encoding, sheet=sheet)
    items = item_matrix(survey, spec, options=IngestOptions(**options))
    return fit_items(items, spec, PlsSettings(), survey.source)


def assert_same(result, reference, tol=1e-9):
    for table, column in (("paths", "estimate"), ("weights", "estimate"),
                          ("loadings", "estimate"), ("index", "score"), ("r2", "estimate")):
        ours = getattr(result, table)[column].to_numpy(dtype=float)
        theirs = getattr(reference, table)[column].to_numpy(dtype=float)
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=tol, err_msg=table)


@pytest.fixture(scope="module")
def mobi_fit():
    return estimates(MOBI, scale=(1, 10))


@pytest.fixture
def write(tmp_path):
    """Write text (or bytes) to a file in tmp_path and return its path."""

    def save(content, name="survey.csv", encoding="utf-8"):
        path = tmp_path / name
        if isinstance(content, pd.DataFrame):
            content.to_csv(path, index=False)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode(encoding))
        return path

    return save


# Formats and export layouts: the same estimates as mobi.csv --------------------------------

@pytest.mark.parametrize("name, read, options", [
    ("qualtrics.csv", {}, {"scale": (1, 10)}),
    ("surveymonkey.csv", {}, {"scale": (1, 10),
                              "column_map": FIXTURES / "surveymonkey_map.csv"}),
    ("gb18030.csv", {}, {"scale": (1, 10), "column_map": FIXTURES / "gb18030_map.yaml"}),
    ("semicolon.csv", {}, {"scale": (0.5, 5)}),
    ("survey.xlsx", {"sheet": "Responses"}, {"scale": (1, 10)}),
    ("survey.parquet", {}, {"scale": (1, 10)}),
])
def test_every_format_gives_the_estimates_of_the_clean_csv(name, read, options, mobi_fit):
    assert_same(estimates(FIXTURES / name, **read, **options), mobi_fit)


def test_spss_user_missing_codes_give_the_estimates_of_the_clean_csv():
    coded = estimates(FIXTURES / "survey.sav", scale=(1, 10))
    clean = estimates(FIXTURES / "survey_sav_clean.csv", scale=(1, 10))
    assert_same(coded, clean)
    assert coded.n_obs == clean.n_obs == 221  # 30 coded answers in 29 respondents
    em_coded = estimates(FIXTURES / "survey.sav", scale=(1, 10), missing="em")
    em_clean = estimates(FIXTURES / "survey_sav_clean.csv", scale=(1, 10), missing="em")
    assert_same(em_coded, em_clean)


def test_na_codes_give_the_estimates_of_the_clean_csv(write):
    clean = pd.read_csv(FIXTURES / "survey_sav_clean.csv")
    coded = clean.copy()
    holes = coded.isna().to_numpy()
    coded = coded.mask(holes & (np.arange(coded.size).reshape(coded.shape) % 2 == 0), 98)
    coded = coded.fillna(99).astype(int)
    reference = estimates(FIXTURES / "survey_sav_clean.csv", scale=(1, 10))
    result = estimates(write(coded), scale=(1, 10), na_codes=(98, 99))
    assert_same(result, reference)
    survey = read_survey(write(coded))
    quality = assess(survey, ECSI, IngestOptions(scale=(1, 10), na_codes=parse_codes("98,99")))
    assert sum(item["na_coded"] for item in quality.to_dict()["items"]) == 30


def test_cli_fit_on_fixtures_matches_mobi(tmp_path):
    reference = json.loads(run("fit", MOBI, "--model", "ecsi", "--scale", "1:10",
                               "--bootstrap", "0", "--format", "json").stdout)
    for args in (["tests/data/ingest/qualtrics.csv"],
                 ["tests/data/ingest/survey.xlsx", "--sheet", "Responses"],
                 ["tests/data/ingest/gb18030.csv", "--map",
                  "tests/data/ingest/gb18030_map.yaml"]):
        result = run("fit", *args, "--model", "ecsi", "--scale", "1:10", "--bootstrap", "0",
                     "--format", "json")
        assert result.exit_code == 0, result.output
        doc = json.loads(result.stdout)
        for table in ("paths", "weights"):
            ours = [row["estimate"] for row in doc[table]]
            theirs = [row["estimate"] for row in reference[table]]
            np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-9)
        for construct, value in reference["index"].items():
            assert doc["index"][construct]["score"] == pytest.approx(value["score"], abs=1e-9)


def test_stdin_reads_every_format(mobi_fit):
    for name, extra in (("qualtrics.csv", []), ("survey.xlsx", ["--sheet", "Responses"]),
                        ("survey.sav", []), ("survey.parquet", [])):
        result = run("validate", "-", "--model", "ecsi", "--scale", "1:10", "--format", "json",
                     *extra, input=(FIXTURES / name).read_bytes())
        assert result.exit_code == 0, (name, result.output)
        doc = json.loads(result.stdout)
        assert doc["source"] == "<stdin>"
        assert doc["rows_read"] == 250


# How each file was read ---------------------------------------------------------------------

def test_qualtrics_export_layout_and_labels():
    survey = read_survey(FIXTURES / "qualtrics.csv")
    assert (survey.layout, survey.header_rows, survey.rows_read) == ("qualtrics", 3, 250)
    assert survey.labels["CUEX1"] == (
        "Expectations, on a scale of 1 to 10\n(1 = very poor) - Your expectations of the "
        "overall quality"
    )
    assert survey.frame["Q_comment"].iloc[2] == "Too expensive,\nbut reliable"
    items = item_matrix(survey, ECSI, (1, 10))
    assert items.labels["PERQ2"] == ("Quality, on a scale of 1 to 10 - Technical quality of "
                                     "the network")
    quality = items.data_quality()
    assert quality["duplicate_ids"]["column"] == "ResponseId"
    assert quality["duplicate_ids"]["how"] == "auto-detected"
    assert quality["row_numbering"] == (
        "rows are respondents, numbered from 1 after the 3 header rows; blank lines are not "
        "counted"
    )


def test_errors_in_an_export_number_rows_by_respondent(tmp_path):
    text = (FIXTURES / "qualtrics.csv").read_bytes().decode("utf-8-sig")
    records = text.split("\r\n")  # a line break inside quotes is a bare \n here
    # record 0 is the header, 1 the question text, 2 the ImportIds: respondent 5 is record 7
    fields = records[7].split(",")
    assert fields[8].startswith("R_0004")
    fields[12] = "Extremely satisfied"  # CUSA1
    records[7] = ",".join(fields)
    path = tmp_path / "export.csv"
    path.write_bytes("\r\n".join(records).encode("utf-8"))
    result = run("fit", path, "--model", "ecsi", "--bootstrap", "0")
    assert result.exit_code == 3
    assert result.stderr == (
        f"Error: {path}, column CUSA1, row 5: 'Extremely satisfied' is not a number; export "
        "numeric values (Qualtrics: Download Data, 'Use numeric values')\n"
    )


def test_surveymonkey_layout_names_and_labels():
    survey = read_survey(FIXTURES / "surveymonkey.csv")
    assert (survey.layout, survey.header_rows, survey.rows_read) == ("surveymonkey", 2, 250)
    assert "Respondent ID" in survey.frame.columns
    matrix = "How do you rate your provider on the following? - Technical quality of the network"
    assert matrix in survey.frame.columns
    assert survey.labels["Price given the quality"] == "Price given the quality"
    mapping = load_column_map(FIXTURES / "surveymonkey_map.csv")
    assert mapping.columns[matrix] == "PERQ2"


def test_gb18030_is_detected_and_an_undecodable_file_names_the_byte(write):
    survey = read_survey(FIXTURES / "gb18030.csv")
    assert survey.encoding == "gb18030"
    assert survey.notes[0] == "read as gb18030 text"
    assert survey.frame["城市"].iloc[:2].tolist() == ["北京", "上海"]
    items = item_matrix(survey, ECSI, (1, 10), IngestOptions(
        column_map=FIXTURES / "gb18030_map.yaml"))
    assert items.labels["IMAG1"] == "形象：值得信赖"
    assert items.columns["CUSCO"] == "投诉：投诉的处理情况"

    with pytest.raises(DataError) as error:
        read_survey(FIXTURES / "gb18030.csv", encoding="utf-8")
    assert str(error.value) == (
        f"{FIXTURES / 'gb18030.csv'}: not valid utf-8 at byte 0; check the file's encoding "
        "(e.g. --encoding utf-8, gb18030, cp1252 or latin-1)"
    )
    path = write(b"a,b\n1,\x81\n")  # 0x81: not UTF-8, not GB18030 here, undefined in cp1252
    result = run("validate", path)
    assert result.exit_code == 3
    assert result.stderr == (
        f"Error: {path}: cannot decode byte 6: the file is not UTF-8, GB18030 or cp1252; give "
        "its encoding, e.g. --encoding latin-1\n"
    )
    assert read_survey(path, encoding="latin-1").frame["b"].iloc[0] == "\x81"


def test_cp1252_text_is_not_taken_for_gb18030(write):
    # "Genève" in cp1252 is also valid GB18030 (0xE8 0x76 is one Chinese character)
    path = write("ville,CUSA1\nGenève,7\nZürich,8\n", encoding="cp1252")
    survey = read_survey(path)
    assert survey.encoding == "cp1252"
    assert survey.frame["ville"].tolist() == ["Genève", "Zürich"]


def test_semicolon_decimal_comma_and_weights():
    survey = read_survey(FIXTURES / "semicolon.csv")
    assert (survey.delimiter, survey.decimal, survey.encoding) == (";", ",", "cp1252")
    assert survey.frame["Région"].iloc[1] == "Provence-Alpes-Côte d'Azur"
    assert survey.frame["CUEX1"].iloc[0] == 3.5
    items = item_matrix(survey, ECSI, (0.5, 5), IngestOptions(weights="poids"))
    raw = survey.frame["poids"].to_numpy()
    # frequency weights are kept as given; csi.sample.Sample applies them (tests/test_weights.py)
    np.testing.assert_array_equal(items.weights, raw)


def test_bom_utf16_tab_and_whitespace(write, mobi_frame, mobi_fit):
    text = mobi_frame.to_csv(index=False, sep="\t")
    assert_same(estimates(write(b"\xff\xfe" + text.encode("utf-16-le"), "unicode.txt"),
                          scale=(1, 10)), mobi_fit)
    assert_same(estimates(write(b"\xef\xbb\xbf" + text.encode("utf-8"), "bom.tsv"),
                          scale=(1, 10)), mobi_fit)
    spaced = mobi_frame.to_csv(index=False).replace(",", " , ")
    assert_same(estimates(write(spaced, "spaced.csv"), scale=(1, 10)), mobi_fit)


def test_workbook_sheets(tmp_path):
    path = FIXTURES / "survey.xlsx"
    survey = read_survey(path)
    assert (survey.sheet, survey.sheets) == ("Notes", ("Notes", "Responses"))
    assert survey.notes[0] == ("read sheet 'Notes', the first of 2 ('Notes', 'Responses'); "
                               "choose another with --sheet")
    with pytest.raises(ModelError, match=r"that is sheet 'Notes' of the workbook: choose "
                                         r"another with --sheet \(Responses\)$"):
        item_matrix(survey, ECSI)
    assert read_survey(path, sheet="responses").sheet == "Responses"
    assert read_survey(path, sheet="2").sheet == "Responses"
    with pytest.raises(DataError, match=r"no sheet 'Answers' \(sheets: Notes, Responses\)"):
        read_survey(path, sheet="Answers")
    with pytest.raises(DataError, match="--sheet applies to Excel workbooks only"):
        read_survey(MOBI, sheet="Responses")


def test_spss_labels_and_codes():
    survey = read_survey(FIXTURES / "survey.sav")
    assert survey.format == "sav"
    assert survey.labels["PERQ2"] == "Quality: Technical quality of the network"
    assert survey.value_labels["PERQ2"] == {98.0: "Don't know", 99.0: "Refused"}
    assert survey.user_missing["PERQ2"] == ((98.0, 98.0), (99.0, 99.0))
    quality = assess(survey, ECSI, IngestOptions(scale=(1, 10)))
    assert sum(item["user_missing"] for item in quality.to_dict()["items"]) == 30
    assert "SPSS user-missing values: 30 answers treated as missing" in quality.notes


def test_spss_label_hints_when_codes_are_not_declared(tmp_path, mobi_frame):
    import pyreadstat

    frame = mobi_frame.astype(float)
    frame.loc[3, "CUSA2"] = 98
    path = tmp_path / "undeclared.sav"
    pyreadstat.write_sav(frame, str(path),
                         variable_value_labels={"CUSA2": {98.0: "Don't know"}})
    result = run("fit", path, "--model", "ecsi", "--scale", "1:10", "--bootstrap", "0")
    assert result.exit_code == 3
    assert result.stderr == (
        f"Error: {path}, column CUSA2, row 4: 98 is outside the scale 1:10 ('Don't know': if "
        "it means no answer, declare it with --na 98)\n"
    )
    quality = assess(read_survey(path), ECSI, IngestOptions(scale=(1, 10)))
    assert ("CUSA2: 98 is labelled 'Don't know' but is not declared missing; give --na 98 if "
            "it means no answer") in quality.warnings


def test_parquet_keeps_compact_columns():
    survey = read_survey(FIXTURES / "survey.parquet")
    assert survey.frame["PERQ1"].dtype == np.int8
    assert survey.frame["respondent"].iloc[0] == "P001"


def test_plain_csv_reads_compactly(write, mobi_frame):
    survey = read_survey(MOBI)
    assert all(dtype == np.int8 for dtype in survey.frame.dtypes)
    # a value that does not fit the first block's types: parsed again, still exact
    frame = pd.concat([mobi_frame] * 200, ignore_index=True)
    frame.loc[len(frame) - 1, "CUSL2"] = 40000  # beyond int16
    survey = read_survey(write(frame))
    assert survey.frame["CUSL2"].iloc[-1] == 40000
    assert survey.frame["CUSL1"].dtype == np.int8


# Data options -----------------------------------------------------------------------------

def test_reverse_coding(write, mobi_frame, mobi_fit):
    flipped = mobi_frame.assign(PERQ3=11 - mobi_frame["PERQ3"], CUSL2=11 - mobi_frame["CUSL2"])
    path = write(flipped)
    assert_same(estimates(path, scale=(1, 10), reverse=("PERQ3", "CUSL2")), mobi_fit)
    result = run("fit", path, "--model", "ecsi", "--reverse", "PERQ3", "--bootstrap", "0")
    assert result.exit_code == 3
    assert result.stderr == (
        "Error: --reverse PERQ3: reversing needs the item's scale; give --scale MIN:MAX (or a "
        "scale for PERQ3 in the map file)\n"
    )
    result = run("fit", path, "--model", "ecsi", "--scale", "1:10", "--reverse", "PERQ33",
                 "--bootstrap", "0")
    assert result.exit_code == 3
    assert result.stderr == (
        "Error: --reverse PERQ33: not an indicator of ecsi or the column of one (closest: "
        "'PERQ3')\n"
    )
    quality = assess(read_survey(path), ECSI,
                     IngestOptions(scale=(1, 10), reverse=("PERQ3",)))
    perq3 = next(item for item in quality.to_dict()["items"] if item["indicator"] == "PERQ3")
    assert perq3["reversed"] is True
    assert perq3["mean"] == pytest.approx(mobi_frame["PERQ3"].mean(), abs=1e-12)


def test_column_map_csv_and_yaml(tmp_path, mobi_frame, mobi_fit):
    renamed = mobi_frame.rename(columns={"PERQ3": "q7_3", "CUSA1": "sat overall"})
    data = tmp_path / "renamed.csv"
    renamed.assign(q7_3=11 - renamed["q7_3"]).to_csv(data, index=False)
    csv_map = tmp_path / "map.csv"
    csv_map.write_text("column,indicator,scale,reverse,label\n"
                       "q7_3,PERQ3,1:10,yes,Customer service\n"
                       "sat overall,CUSA1,,,\n")
    assert_same(estimates(data, scale=(1, 10), column_map=csv_map), mobi_fit)
    yaml_map = tmp_path / "map.yaml"
    yaml_map.write_text('q7_3: {indicator: PERQ3, reverse: true}\n"sat overall": CUSA1\n')
    items = item_matrix(read_survey(data), ECSI, (1, 10), IngestOptions(column_map=yaml_map))
    assert items.columns["PERQ3"] == "q7_3"
    assert items.to_dict()["columns"] == {"PERQ3": "q7_3", "CUSA1": "sat overall"}
    headerless = tmp_path / "plain.csv"
    headerless.write_text("q7_3,PERQ3\nsat overall,CUSA1\n")
    assert load_column_map(headerless).columns == {"q7_3": "PERQ3", "sat overall": "CUSA1"}
    # the reversal by survey column name works too
    items = item_matrix(read_survey(data), ECSI, (1, 10),
                        IngestOptions(column_map=headerless, reverse=("q7_3",)))
    np.testing.assert_array_equal(items.values[:, ECSI.indicators.index("PERQ3")],
                                  mobi_frame["PERQ3"].to_numpy())


def test_per_item_scales_from_the_map(tmp_path, mobi_frame):
    frame = mobi_frame.assign(CUSCO=(mobi_frame["CUSCO"] + 1) // 2)  # a 1-5 item
    data = tmp_path / "mixed.csv"
    frame.to_csv(data, index=False)
    map_file = tmp_path / "scales.yaml"
    map_file.write_text("CUSCO: {indicator: CUSCO, scale: '1:5'}\n")
    items = item_matrix(read_survey(data), ECSI, (1, 10), IngestOptions(column_map=map_file))
    position = ECSI.indicators.index("CUSCO")
    assert (items.item_low[position], items.item_high[position]) == (1.0, 5.0)
    assert (items.item_low[0], items.item_high[0]) == (1.0, 10.0)
    assert items.to_dict()["item_scales"] == {"CUSCO": [1.0, 5.0]}
    frame.loc[7, "CUSCO"] = 6
    frame.to_csv(data, index=False)
    with pytest.raises(DataError) as error:
        item_matrix(read_survey(data), ECSI, (1, 10), IngestOptions(column_map=map_file))
    assert str(error.value) == f"{data}, column CUSCO, row 8: 6 is outside the scale 1:5"


@pytest.mark.parametrize("content, suffix, message", [
    ("column,indicator\nQ1\n", ".csv", "{path}, line 2: write 'column,indicator' (found 'Q1')"),
    ("column,indicator\nQ1,PERQ1\nQ2,PERQ1\n", ".csv",
     "{path}, line 3: columns 'Q1' and 'Q2' both map to indicator 'PERQ1'"),
    ("column,target_name\nQ1,PERQ1\n", ".csv", "{path}, line 1: the header needs both a "
     "'column' and an 'indicator' field"),
    ("Q1: {indicator: PERQ1, scale: '5:1'}\n", ".yaml",
     "{path}, key 'Q1': scale '5:1': write it as MIN:MAX with MIN < MAX, e.g. 1:5"),
    ("Q1: [PERQ1\n", ".yaml", "{path}, line 2: expected ',' or ']', but got '<stream end>'"),
    ("- Q1\n", ".yaml", "{path}: a YAML map must be a mapping 'column: indicator' (one per "
     "line)"),
    ("Q1: {indicator: PERQ1, colour: red}\n", ".yaml",
     "{path}, key 'Q1': unknown field 'colour' (fields: indicator, scale, reverse, label)"),
])
def test_map_file_errors_name_the_line(tmp_path, content, suffix, message):
    path = tmp_path / f"map{suffix}"
    path.write_text(content)
    with pytest.raises(DataError) as error:
        load_column_map(path)
    assert str(error.value) == message.format(path=path)


def test_map_column_missing_from_the_survey(tmp_path):
    path = tmp_path / "map.csv"
    path.write_text("column,indicator\nPERQ33,PERQ3\n")
    result = run("fit", MOBI, "--model", "ecsi", "--map", path, "--bootstrap", "0")
    assert result.exit_code == 3
    assert result.stderr == (
        f"Error: {path}, line 2: 'PERQ33' is not a column of {MOBI} (closest: 'PERQ3')\n"
    )


def test_values_outside_the_scale_and_clip(write, mobi_frame, tmp_path):
    frame = mobi_frame.copy()
    frame.loc[4, "CUSA2"] = 11
    frame.loc[9, "PERQ1"] = 0
    frame.loc[2, "CUSL1"] = 99
    path = write(frame)
    result = run("fit", path, "--model", "ecsi", "--scale", "1:10", "--bootstrap", "0")
    assert result.exit_code == 3
    assert result.stderr == (
        f"Error: {path}, column CUSL1, row 3: 99 is outside the scale 1:10; if 99 codes "
        "\"don't know\" or a refusal, declare it with --na 99\n"
    )
    items = item_matrix(read_survey(path), ECSI, (1, 10), IngestOptions(clip=True))
    assert items.data_quality()["items"][ECSI.indicators.index("CUSA2")]["clipped"] == 1
    assert items.values[4, ECSI.indicators.index("CUSA2")] == 10
    assert items.values[9, ECSI.indicators.index("PERQ1")] == 1
    assert "--clip: 3 values outside the scale moved to its bounds" in items.notes
    result = run("fit", path, "--model", "ecsi", "--clip", "--bootstrap", "0")
    assert result.exit_code == 3
    assert result.stderr == ("Error: --clip needs the answer scale: give --scale MIN:MAX (or a "
                             "scale for each item in the map file)\n")


def test_implausible_numbers_without_a_scale(write, mobi_frame):
    frame = mobi_frame.astype(float)
    frame.loc[6, "IMAG2"] = 1e300
    path = write(frame)
    with pytest.raises(DataError) as error:
        item_matrix(read_survey(path), ECSI)
    assert str(error.value) == (f"{path}, column IMAG2, row 7: 1e+300 is no plausible survey "
                                "answer; give the answer scale with --scale MIN:MAX")


def test_weights(write, mobi_frame):
    rng = np.random.default_rng(5)
    weights = rng.uniform(0.2, 3.0, len(mobi_frame)).round(4)
    frame = mobi_frame.astype(float).assign(wt=weights)
    frame.loc[[3, 10], "PERV1"] = np.nan
    path = write(frame)
    items = item_matrix(read_survey(path), ECSI, (1, 10), IngestOptions(weights="wt"))
    kept = np.delete(weights, [3, 10])
    np.testing.assert_array_equal(items.weights, kept)
    np.testing.assert_array_equal(items.rows, np.delete(np.arange(250), [3, 10]))
    summary = items.data_quality()["weights"]
    assert summary["effective_n"] == pytest.approx(kept.sum() ** 2 / (kept ** 2).sum(),
                                                   rel=1e-12)
    bad = frame.copy()
    bad.loc[5, "wt"] = -1
    result = run("fit", write(bad, "negative.csv"), "--model", "ecsi", "--weights", "wt",
                 "--bootstrap", "0")
    assert result.exit_code == 3
    assert result.stderr.endswith("negative.csv, column wt, row 6: the weight -1 is negative\n")
    bad = frame.copy()
    bad.loc[8, "wt"] = np.nan
    result = run("validate", write(bad, "missing.csv"), "--model", "ecsi", "--weights", "wt")
    assert result.exit_code == 3
    assert result.stderr.endswith("missing.csv, column wt, row 9: the weight is missing\n")
    result = run("fit", path, "--model", "ecsi", "--weights", "wgt", "--bootstrap", "0")
    assert result.exit_code == 3
    assert result.stderr == f"Error: --weights wgt: not a column of {path} (closest: 'wt')\n"


def test_duplicate_ids_and_straightliners(write, mobi_frame):
    frame = mobi_frame.copy()
    frame.insert(0, "Respondent_ID", [f"R{k:03d}" for k in range(250)])
    frame.loc[[17, 42], "Respondent_ID"] = "R003"
    path = write(frame)
    quality = assess(read_survey(path), ECSI, IngestOptions(scale=(1, 10))).to_dict()
    assert quality["duplicate_ids"] == {"column": "Respondent_ID", "how": "auto-detected",
                                        "count": 1, "ids": [{"id": "R003", "rows": [4, 18, 43]}]}
    assert ("1 respondent IDs appear more than once in column Respondent_ID (e.g. R003 in rows "
            "4, 18, 43)") in quality["warnings"]
    # mobi's respondent 137 answered 10 to everything
    assert quality["straightliners"] == {"count": 1, "rows": [137], "dropped": False}
    items = item_matrix(read_survey(path), ECSI, (1, 10),
                        IngestOptions(drop_straightliners=True, id_column="Respondent_ID"))
    assert items.rows_used == 249 and 136 not in items.rows
    assert items.to_dict()["rows_dropped_straightliners"] == 1
    assert items.data_quality()["duplicate_ids"]["how"] == "--id"
    with pytest.raises(DataError, match=r"--id respondent: not a column of .* \(closest: "
                                        r"'Respondent_ID'\)"):
        item_matrix(read_survey(path), ECSI, options=IngestOptions(id_column="respondent"))


def test_missing_data_methods(write, mobi_frame):
    frame = mobi_frame.astype(float)
    rng = np.random.default_rng(11)
    holes = rng.random(frame.shape) < 0.03
    holes[:, frame.columns.get_loc("PERQ5")] = rng.random(250) < 0.08
    frame = frame.mask(holes)
    path = write(frame)
    survey = read_survey(path)
    listwise = item_matrix(survey, ECSI, (1, 10))
    incomplete = int(holes.any(axis=1).sum())
    assert listwise.rows_used == 250 - incomplete
    assert listwise.rows_dropped_missing == incomplete
    assert listwise.missing_cells["PERQ5"] == int(holes[:, frame.columns.get_loc("PERQ5")].sum())
    assert any(w.startswith("PERQ5: ") and "% of answers missing" in w
               for w in listwise.warnings)
    assert listwise.notes[-1].startswith("missing answers (listwise, the default): dropped "
                                         f"{incomplete} of 250 respondents")
    mean = item_matrix(survey, ECSI, (1, 10), IngestOptions(missing="mean"))
    assert mean.rows_used == 250 and not np.isnan(Sample.of(mean).values).any()
    observed = frame["PERQ5"].dropna()
    column = Sample.of(mean).values[:, ECSI.indicators.index("PERQ5")]
    assert np.allclose(column[frame["PERQ5"].isna().to_numpy()], observed.mean())
    assert mean.cells_imputed == int(holes.sum())
    em = item_matrix(survey, ECSI, (1, 10), IngestOptions(missing="em"))
    assert em.rows_used == 250 and np.isnan(em.values).sum() == int(holes.sum())
    filled = Sample.of(em)  # the Sample fills the gaps, with the frequency weights
    assert not np.isnan(filled.values).any()
    assert filled.em_mean.shape == (24,) and filled.em_cov.shape == (24, 24)
    order = [frame.columns.get_loc(c) for c in ECSI.indicators]
    answered = ~holes[:, order]
    np.testing.assert_array_equal(filled.values[answered], frame.to_numpy()[:, order][answered])
    assert em.to_dict()["missing"] == "em"
    assert filled.em_iterations > 1
    fitted = fit_items(em, ECSI, PlsSettings(), survey.source)
    assert fitted.data_quality["missing"]["em_iterations"] == filled.em_iterations


def test_em_without_missing_answers_equals_the_sample_moments():
    items = item_matrix(read_survey(MOBI), ECSI, (1, 10), IngestOptions(missing="em"))
    stats = moments(items.values)
    sample = Sample.of(items)  # complete data: nothing to fill, no EM needed
    np.testing.assert_allclose(sample.moments().mean, stats.mean, rtol=0, atol=1e-12)
    np.testing.assert_allclose(sample.moments().cov, stats.cov, rtol=0, atol=1e-12)


def test_em_refuses_items_never_answered_together(write, mobi_frame):
    frame = mobi_frame.astype(float)
    frame.loc[:124, "PERV1"] = np.nan
    frame.loc[125:, "PERV2"] = np.nan
    path = write(frame)
    with pytest.raises(DataError) as error:
        item_matrix(read_survey(path), ECSI, (1, 10), IngestOptions(missing="em"))
    assert str(error.value) == (
        f"{path}: --missing em: items PERV1 and PERV2 are never answered together, so their "
        "covariance cannot be estimated; use --missing listwise or mean"
    )


def test_every_answer_missing_and_few_distinct(write, mobi_frame):
    frame = mobi_frame.astype(float).assign(CUSCO=np.nan)
    path = write(frame)
    result = run("validate", path, "--model", "ecsi", "--missing", "mean")
    assert result.exit_code == 3
    assert result.stderr == (f"Error: {path}, column CUSCO: every answer is missing; check the "
                             "column, the --na codes, or drop the item from the model\n")
    two = mobi_frame.assign(CUSCO=np.where(mobi_frame["CUSCO"] > 6, 2, 1))
    quality = assess(read_survey(write(two, "two.csv")), ECSI)
    assert quality.usable
    assert quality.few_distinct_items == ("CUSCO",)


def test_duplicate_header_names(write, mobi_frame):
    path = write(mobi_frame.to_csv(index=False).replace("PERQ4,", "PERQ2,", 1))
    survey = read_survey(path)
    assert list(survey.frame.columns).count("PERQ2.1") == 1
    with pytest.raises(DataError) as error:
        item_matrix(survey, ACSI)
    assert str(error.value) == (
        f"{path}: column 'PERQ2' appears 2 times in the header; rename the copies (csi reads "
        "them as PERQ2, PERQ2.1, ...) or map one with --map"
    )
    path = write(mobi_frame.to_csv(index=False).replace("PERQ4,", "PERQ5,", 1), "unused.csv")
    assert item_matrix(read_survey(path), ACSI, (1, 10)).rows_used == 250  # no PERQ4/5 in ACSI


# Malformed files: one line naming file, row and line ----------------------------------------

def test_ragged_rows_name_row_and_line(write, mobi_frame):
    lines = mobi_frame.to_csv(index=False).splitlines()
    lines.insert(3, "")  # a blank line is skipped and not counted
    lines[6] = lines[6] + ",7"
    path = write("\n".join(lines) + "\n")
    result = run("fit", path, "--model", "ecsi", "--bootstrap", "0")
    assert result.exit_code == 3
    assert result.stderr == (
        f"Error: {path}, row 5 (line 7): 25 fields where the header has 24; check for an "
        "unquoted comma or line break in a cell, or a missing field\n"
    )
    lines[6] = lines[6][:-2].rsplit(",", 1)[0]
    path = write("\n".join(lines) + "\n", "short.csv")
    result = run("validate", path, "--model", "ecsi")
    assert result.exit_code == 3
    assert result.stderr.endswith("short.csv, row 5 (line 7): 23 fields where the header has 24; "
                                  "check for an unquoted comma or line break in a cell, or a "
                                  "missing field\n")


def test_binary_empty_and_header_only(write, mobi_frame):
    path = write(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "picture.csv")
    result = run("validate", path)
    assert result.exit_code == 3
    assert result.stderr == (f"Error: {path}: byte 8 is a NUL byte: this is a binary file, not "
                             "a text survey (csi reads CSV or other delimited text, .xlsx, SPSS "
                             ".sav or .parquet)\n")
    path = write(b"   \n\n", "blank.csv")
    assert run("validate", path).stderr == f"Error: {path}: the file is empty\n"
    path = write(",".join(mobi_frame.columns) + "\n", "header.csv")
    result = run("fit", path, "--model", "ecsi", "--bootstrap", "0")
    assert result.exit_code == 3
    assert result.stderr == (f"Error: {path}: only 0 complete rows for the model's items; PLS "
                             "needs at least 10\n")
    for name, content, message in (
            ("fake.xlsx", b"a,b\n1,2\n", "not an .xlsx workbook (it is not a zip file); is it "
                                          "CSV?"),
            ("fake.sav", b"a,b\n", "not an SPSS .sav file (it does not start with $FL2)"),
            ("broken.parquet", b"PAR1" + b"\x00" * 20, "not a readable Parquet file"),
            ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 50,
             "an old Excel .xls workbook (or another OLE file); save it as .xlsx or CSV"),
            ("broken.xlsx", b"PK\x03\x04" + b"\x00" * 50, "not a readable .xlsx workbook")):
        path = write(content, name)
        result = run("validate", path)
        assert result.exit_code == 3, name
        assert result.stderr.startswith(f"Error: {path}: {message}"), result.stderr


def test_unknown_encoding_option(write):
    result = run("validate", MOBI, "--encoding", "klingon")
    assert result.exit_code == 3
    assert result.stderr == ("Error: --encoding 'klingon': unknown encoding; try utf-8, "
                             "gb18030, cp1252 or latin-1\n")


# csi validate -------------------------------------------------------------------------------

def test_validate_report_and_exit_codes(tmp_path, write, mobi_frame):
    result = run("validate", MOBI, "--model", "ecsi", "--scale", "1:10")
    assert result.exit_code == 0
    assert "usable ✓" in result.stdout
    assert "1 straight-liner (the same answer to every item; row 137)" in result.stdout
    assert result.stderr == ""
    frame = mobi_frame.copy()
    frame.loc[4, "CUSA2"] = 11
    frame.loc[[1, 2], "PERQ1"] = None
    path = write(frame)
    out = tmp_path / "report.json"
    result = run("validate", path, "--model", "ecsi", "--scale", "1:10", "--format", "json",
                 "-o", out)
    assert result.exit_code == 3
    assert result.stderr == f"Error: {path}, column CUSA2, row 5: 11 is outside the scale 1:10\n"
    doc = json.loads(out.read_text())
    assert doc["schema"] == "csi.data_quality/1" and doc["model"] == "ecsi"
    assert doc["usable"] is False
    assert doc["errors"] == [f"{path}, column CUSA2, row 5: 11 is outside the scale 1:10"]
    cusa2 = next(item for item in doc["items"] if item["indicator"] == "CUSA2")
    assert cusa2["out_of_scale"] == 1
    perq1 = next(item for item in doc["items"] if item["indicator"] == "PERQ1")
    assert perq1["missing"] == 2 and perq1["missing_pct"] == pytest.approx(0.8)
    for key in ("source", "format", "encoding", "layout", "rows_read", "rows_used", "missing",
                "straightliners", "duplicate_ids", "constant_items", "few_distinct_items",
                "weights", "notes", "warnings", "errors", "row_numbering"):
        assert key in doc
    table = run("validate", path, "--model", "ecsi", "--scale", "1:10", "-o",
                tmp_path / "report.txt")
    assert table.exit_code == 3
    text = (tmp_path / "report.txt").read_text()
    assert "not usable ✗" in text and "Errors" in text


def test_validate_is_listed_with_help():
    result = run("--help")
    assert "validate" in result.stdout
    result = run("validate", "--help")
    for option in ("--na", "--reverse", "--clip", "--missing", "--weights", "--map", "--id",
                   "--drop-straightliners", "--encoding", "--sheet", "--scale"):
        assert option in result.stdout
    assert "--map" in run("fit", "--help").stdout


# The interface the rest of csi relies on -------------------------------------------------------

def test_item_data_interface(mobi_frame):
    survey = read_survey(MOBI)
    items = item_matrix(survey, ECSI, (1, 10))  # positional scale, as before
    assert items.values.shape == (250, 24) and items.values.dtype == np.float64
    assert items.values.flags["C_CONTIGUOUS"]
    assert items.items == ECSI.indicators
    assert (items.rows_read, items.rows_used, items.rows_dropped_missing) == (250, 250, 0)
    assert items.scale.to_dict() == {"min": 1.0, "max": 10.0, "from_data": False}
    assert items.weights is None
    np.testing.assert_array_equal(items.item_low, np.ones(24))
    data = items.to_dict()
    for key in ("rows_read", "rows_used", "rows_dropped_missing", "missing", "missing_cells"):
        assert key in data
    assert data["missing"] == "listwise"
    assert json.dumps(items.data_quality())  # JSON-safe
    np.testing.assert_array_equal(
        items.values, mobi_frame[list(ECSI.indicators)].to_numpy(dtype=float))
    # an ItemData built by hand (as other modules may) fills its per-item bounds
    from csi.ingest import ItemData, Scale

    built = ItemData(values=items.values, items=items.items, rows_read=250,
                     rows_dropped_missing=0, missing_cells={}, scale=Scale(1, 10, False))
    assert built.item_high.tolist() == [10.0] * 24 and built.data_quality()["usable"]
    no_scale = item_matrix(survey, ECSI)
    assert no_scale.scale.from_data and (no_scale.scale.low, no_scale.scale.high) == (1, 10)


def test_ingest_options_validate_themselves():
    with pytest.raises(DataError, match="--missing 'pairwise': choose one of listwise, mean, em"):
        IngestOptions(missing="pairwise")
    # text codes are accepted since issue 16; parse_codes (numbers only) still refuses them
    text = IngestOptions.from_text(na="98, dk ,不知道")
    assert (text.na_codes, text.na_texts) == ((98.0,), ("dk", "不知道"))
    with pytest.raises(DataError, match="--na 'dk': give the numeric codes"):
        parse_codes("98,dk")
    options = IngestOptions.from_text(scale="1:7", na=["98", "99,97"], reverse="A, B")
    assert options.scale == (1.0, 7.0)
    assert options.na_codes == (98.0, 99.0, 97.0)
    assert options.reverse == ("A", "B")
    with pytest.raises(DataError, match="--scale '7:1'"):
        IngestOptions.from_text(scale="7:1")
