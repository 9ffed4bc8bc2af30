"""Issue 20: --lang (and CSI_LANG) for every command that writes for people: csi fit --by,
compare, check (terminal, Markdown; JUnit stays English), latent, predict, simulate, plan and
aggregate. In zh-CN their output is Chinese (no English sentence outside names, codes and
statistics' symbols); in English it is what it was."""

import copy
import json

import pandas as pd
import pytest
from click.testing import CliRunner

from csi.cli.main import cli
from tests.conftest import MOBI, ROOT
from tests.test_i18n_notes import CHINESE, english_runs

ZH = {"CSI_LANG": "zh-CN", "COLUMNS": "120"}
MOBI_LABELS = ("Corporate Image", "Customer Expectations", "Perceived Quality",
               "Perceived Value", "Customer Satisfaction", "Complaint Handling",
               "Customer Loyalty")


def own_words(text: str) -> list[str]:
    """English runs left once the mobi model's labels are taken out."""
    for name in MOBI_LABELS:
        text = text.replace(name, "")
    return english_runs(text)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A mobi fit with its bootstrap draws, and a second 'wave' moved by 5 points."""
    folder = tmp_path_factory.mktemp("commands")
    fit, draws = folder / "fit.json", folder / "draws.parquet"
    run = CliRunner().invoke(cli, ["fit", str(MOBI), "--model", "ecsi", "--scale", "1:10",
                                   "--bootstrap", "200", "--seed", "3", "--format", "json",
                                   "-o", str(fit), "--draws", str(draws), "-q"])
    assert run.exit_code == 0, run.output
    moved = json.loads(fit.read_text())
    moved = copy.deepcopy(moved)
    moved["index"]["Satisfaction"]["score"] += 5
    wave = folder / "wave.json"
    wave.write_text(json.dumps(moved))
    return fit, draws, wave, folder


def test_simulate_and_plan_in_chinese(saved):
    fit, draws, _wave, _folder = saved
    runner = CliRunner()
    simulated = runner.invoke(cli, ["simulate", str(fit), "--change", "Quality=+5"], env=ZH)
    assert simulated.exit_code == 0, simulated.output
    assert "假设分析" in simulated.stdout and "变化前" in simulated.stdout
    assert "将Perceived Quality提高 5 分" in simulated.stdout
    assert "无置信区间" in simulated.stderr  # the note, translated
    assert own_words(simulated.output) == []
    planned = runner.invoke(cli, ["plan", str(fit), "--budget", "10", "--draws", str(draws),
                                  "--lang", "zh-CN"], env={"COLUMNS": "120"})
    assert planned.exit_code == 0, planned.output
    assert "改进方案" in planned.stdout and "投入方案" in planned.stdout
    assert own_words(planned.output) == []
    english = runner.invoke(cli, ["plan", str(fit), "--budget", "10", "--draws", str(draws)],
                            env={"CSI_LANG": "", "COLUMNS": "120"})
    assert "Spend 10 points on Perceived Quality" in english.stdout


def test_aggregate_in_chinese(saved):
    fit, _draws, wave, folder = saved
    weights = folder / "weights.csv"
    pd.DataFrame({"result": [str(fit), str(wave)], "weight": [2, 1]}).to_csv(weights,
                                                                             index=False)
    run = CliRunner().invoke(cli, ["aggregate", str(fit), str(wave), "--weights",
                                   str(weights)], env=ZH)
    assert run.exit_code == 0, run.output
    assert "全部 2 个成员" in run.stdout and "置信区间" in run.stdout
    assert own_words(run.output) == []


def test_check_in_chinese_markdown_and_terminal_junit_stays_english(saved):
    fit, _draws, wave, folder = saved
    markdown, junit = folder / "check.md", folder / "check.xml"
    run = CliRunner().invoke(cli, ["check", str(wave), "-b", str(fit), "--markdown",
                                   str(markdown), "--junit", str(junit)], env=ZH)
    assert run.exit_code == 1, run.output
    assert "退化" in run.stderr and "超出容差的差异" in run.stderr
    assert "退化" in markdown.read_text() and "判定" in markdown.read_text()
    assert "beyond tolerance" in junit.read_text() and "退化" not in junit.read_text()
    for text in (run.stderr, markdown.read_text()):
        assert own_words(text) == []
    english = CliRunner().invoke(cli, ["check", str(wave), "-b", str(fit)],
                                 env={"CSI_LANG": "", "COLUMNS": "120"})
    assert "csi check REGRESSION" in english.stderr


def test_fit_by_segments_and_compare_in_chinese(tmp_path):
    runner = CliRunner()
    segments = runner.invoke(cli, ["fit", str(CHINESE), "--model", "acsi", "--scale", "1:10",
                                   "--by", "city", "--bootstrap", "0", "--lang", "zh-CN"],
                             env={"COLUMNS": "120"})
    assert segments.exit_code == 0, segments.output
    assert "拟合了 4 个细分群体" in segments.stdout and "按 city 划分的指数" in segments.stdout
    # the table's columns are the constructs' names (codes), as in the JSON and CSV
    header = segments.output.replace("Customer Satisfaction (ACSI)", "")
    for code in ("Satisfaction", "Expectation", "Quality", "Value", "Complaints", "Loyalty"):
        header = header.replace(code, "")
    assert own_words(header) == []
    frame = pd.read_csv(CHINESE)
    two = tmp_path / "two.csv"
    frame[frame["city"].isin(["上海", "北京"])].to_csv(two, index=False)
    compared = runner.invoke(cli, ["compare", str(two), "--by", "city", "--model", "acsi",
                                   "--scale", "1:10", "--bootstrap", "50",
                                   "--permutations", "50"], env=ZH)
    assert compared.exit_code == 0, compared.output
    assert "置换检验" in compared.stdout and "MICOM" in compared.stdout
    text = compared.output
    for name in ("Customer Satisfaction (ACSI)", "Customer Expectations", "Perceived Quality",
                 "Perceived Value", "Customer Complaints", "Customer Loyalty"):
        text = text.replace(name, "")
    assert english_runs(text) == []


def test_predict_and_latent_in_chinese():
    runner = CliRunner()
    predicted = runner.invoke(cli, ["predict", str(CHINESE), "--model", "acsi", "--scale",
                                    "1:10", "--folds", "5", "--repeats", "1"], env=ZH)
    assert predicted.exit_code == 0, predicted.output
    assert "结论" in predicted.stdout and "预测能力" in predicted.stdout
    assert english_runs(predicted.output) == []
    latent = runner.invoke(cli, ["latent", str(CHINESE), "--model", "acsi", "--scale", "1:10",
                                 "--max-classes", "2", "--lrt-bootstrap", "19", "--starts", "2",
                                 "--bootstrap", "0"], env=ZH)
    assert latent.exit_code == 0, latent.output
    assert "自助法似然比检验" in latent.stdout and "类别 1" in latent.stdout
    text = latent.output
    for name in ("Customer Satisfaction (ACSI)", "Customer Expectations", "Perceived Quality",
                 "Perceived Value", "Customer Complaints", "Customer Loyalty"):
        text = text.replace(name, "")
    assert english_runs(text) == []
