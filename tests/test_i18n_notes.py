"""Issue 20: every sentence csi writes is in the report's language, including the notes and
warnings the analysis stores in English (ingest, EM, weights, careless screen, estimators,
non-linear effects, the priorities' model). `csi fit`, `csi report` and `csi priorities` in
zh-CN on a survey that triggers them leave no English sentence; the JSON stays English."""

import json
import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from csi.cli.main import cli
from csi.report import i18n
from csi.report.notes import TEMPLATES, note
from tests.conftest import ROOT

pypdf = pytest.importorskip("pypdf")

CHINESE = ROOT / "surveys" / "chinese_example.csv"
# three or more English words in a row (option names, codes and file names excepted)
ENGLISH_RUN = re.compile(r"(?<![\w./-])[A-Za-z]{2,}(?:[ \t\n]+[A-Za-z]{2,}){2,}(?![\w-])")
MODEL_LABELS = ("Customer Expectations", "Perceived Quality", "Perceived Value",
                "Customer Satisfaction (ACSI)", "Customer Complaints", "Customer Loyalty")


def english_runs(text: str) -> list[str]:
    """English word runs in `text`, after the user's labels (the model's English construct
    names), which a report shows as given, are taken out."""
    for name in MODEL_LABELS:
        text = re.sub(r"\s+".join(map(re.escape, name.split())), "", text)
    return ENGLISH_RUN.findall(text)


@pytest.fixture(scope="module")
def warned(tmp_path_factory):
    """The Chinese example with what draws notes: missing answers (EM), a straight-liner, a
    duplicate ID, a --na code, frequency weights summing far above n."""
    frame = pd.read_csv(CHINESE)
    rng = np.random.default_rng(1)
    items = [c for c in frame.columns if c not in ("respondent_id", "city")]
    for column in items[:3]:
        frame.loc[rng.choice(len(frame), size=len(frame) // 12, replace=False), column] = np.nan
    frame.loc[5, items] = 7
    frame.loc[7, "respondent_id"] = frame.loc[6, "respondent_id"]
    frame["w"] = rng.uniform(2, 6, len(frame))
    frame.loc[9, items[4]] = 99
    path = tmp_path_factory.mktemp("notes") / "warned.csv"
    frame.to_csv(path, index=False)
    return path


ARGS = ["--model", "acsi", "--scale", "1:10", "--missing", "em", "--weights", "w",
        "--bootstrap", "120", "--na", "99", "--variant", "nonlinear", "--seed", "5"]


@pytest.fixture(scope="module")
def fitted(warned, tmp_path_factory):
    """`csi fit` in zh-CN (terminal and stderr), and its JSON."""
    out = tmp_path_factory.mktemp("fit") / "fit.json"
    runner = CliRunner()
    terminal = runner.invoke(cli, ["fit", str(warned), *ARGS, "--lang", "zh-CN"],
                             env={"COLUMNS": "120"})
    assert terminal.exit_code == 0, terminal.output
    saved = runner.invoke(cli, ["fit", str(warned), *ARGS, "--format", "json", "-o", str(out)])
    assert saved.exit_code == 0, saved.output
    return terminal, out


def test_the_fixture_triggers_the_notes(fitted):
    _terminal, out = fitted
    doc = json.loads(out.read_text())
    english = " ".join(doc["warnings"] + doc["data_quality"]["notes"]
                       + doc["nonlinear"]["notes"])
    for fragment in ("straight-liner", "possibly careless", "respondent IDs appear",
                     "of answers missing", "--missing em", "frequency weights",
                     "answers recoded as missing", "Kano classes need", "expectation-max"):
        assert fragment in english, fragment  # the JSON (a public contract) stays English


def test_csi_fit_in_chinese_has_no_english_sentence(fitted):
    terminal, _out = fitted
    assert "提示" in terminal.stderr and "数据说明" in terminal.stdout
    for stream in (terminal.stdout, terminal.stderr):
        assert english_runs(stream) == []


def test_csi_priorities_in_chinese_has_no_english_sentence(fitted):
    _terminal, out = fitted
    run = CliRunner().invoke(cli, ["priorities", str(out)], env={"CSI_LANG": "zh-CN",
                                                                 "COLUMNS": "120"})
    assert run.exit_code == 0, run.output
    assert "优先改进事项" in run.stdout
    assert english_runs(run.output) == []


def test_csi_report_in_chinese_has_no_english_sentence(fitted, tmp_path):
    _terminal, out = fitted
    pdf = tmp_path / "r.pdf"
    run = CliRunner().invoke(cli, ["report", str(out), "-o", str(pdf), "--lang", "zh-CN"])
    assert run.exit_code == 0, run.output
    text = "\n".join(p.extract_text() or "" for p in pypdf.PdfReader(pdf).pages)
    body = text.split("参考文献")[0]  # the references keep their own language
    assert "作答缺失" in body and "直线作答者" in body  # the notes are there, translated
    assert english_runs(body) == []
    assert english_runs(run.stderr) == []  # "Wrote ..." too


def test_a_note_is_rendered_from_its_template_with_its_fields():
    with i18n.use("zh-CN"):
        assert note("CUEX1: 8.3% of answers missing (25 of 300)") == \
            "CUEX1：8.3% 的作答缺失（300 个中缺失 25 个）"
        # a field that is itself a sentence or a list of reasons is translated too
        assert note("completion time: columns start to end (median 4.2 minutes, 280 "
                    "respondents)") == "作答用时：列 start 至 end（中位数 4.2 分钟，280 名受访者）"
        assert "长串相同作答 2、随机作答 1" in note(
            "3 respondents flagged as possibly careless (longstring 2, random 1); kept: review "
            "them (data_quality.careless, or csi validate), or drop them with --drop-careless")
        unknown = "a sentence a newer csi wrote"
        assert note(unknown) == unknown  # shown as written, never lost
    with i18n.use("en"):
        assert note("CUEX1: 8.3% of answers missing (25 of 300)") == \
            "CUEX1: 8.3% of answers missing (25 of 300)"


def test_every_template_keeps_its_fields_in_chinese():
    import string

    def fields(text):
        return {name for _l, name, _s, _c in string.Formatter().parse(text) if name}

    zh = i18n.catalog("zh-CN")
    for template in TEMPLATES:
        translated = zh.gettext(template)
        assert translated != template, template
        assert fields(translated) == fields(template), template
