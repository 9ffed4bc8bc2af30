"""Report languages (issue 20): every message in csi/report has a zh-CN translation with the
same fields, a zh-CN report reads as Chinese, --lang / CSI_LANG choose the language, plural
forms and number formats follow the locale, and the terminal never truncates a number."""

import io
import json
import re
import string

import pytest
from click.testing import CliRunner
from rich.console import Console

import csi
from csi.cli.main import cli
from csi.inference.bootstrap import BootstrapSettings
from csi.locale.extract import template
from csi.report import i18n, pdf
from csi.report.labels import read_labels
from csi.report.terminal import render
from tests.conftest import MOBI, ROOT

pypdf = pytest.importorskip("pypdf")

CHINESE = ROOT / "surveys" / "chinese_example.csv"
CHINESE_LABELS = ROOT / "surveys" / "chinese_labels.csv"
TODAY = __import__("datetime").date(2026, 9, 30)
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
LATIN = re.compile(r"[A-Za-z]")


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def cjk_share(text: str) -> float:
    """CJK characters among letters (CJK plus Latin letters)."""
    cjk, latin = len(CJK.findall(text)), len(LATIN.findall(text))
    return cjk / max(1, cjk + latin)


@pytest.fixture(scope="module")
def chinese_result():
    return csi.fit(CHINESE, "acsi", scale=(1, 10),
                   bootstrap=BootstrapSettings(resamples=200, seed=3))


@pytest.fixture(scope="module")
def mobi_result():
    return csi.fit(MOBI, "ecsi", scale=(1, 10), bootstrap=BootstrapSettings(resamples=200, seed=7))


def test_every_message_has_a_chinese_translation_with_the_same_fields():
    from csi.report.i18n import catalog

    source = [m for m in template() if m.id]
    assert len(source) > 200  # the catalog covers the reports, not a handful of words
    zh = catalog("zh-CN")
    untranslated, wrong_fields = [], []
    for message in source:
        if isinstance(message.id, tuple):
            translated = zh.ngettext(*message.id, 1)
            english = message.id[1]
        else:
            translated = zh.gettext(message.id)
            english = message.id
        if translated == english and CJK.search(translated) is None and english not in (
                "R²", ": ", "bca", "R² {value}"):
            untranslated.append(english)
        if fields(translated) != fields(english) and not (
                isinstance(message.id, tuple) and fields(translated) <= fields(english)):
            wrong_fields.append(english)
    assert not untranslated, untranslated[:5]
    assert not wrong_fields, wrong_fields[:5]


def test_the_po_file_is_in_step_with_the_sources():
    """csi.pot and the zh_CN catalog hold exactly the messages of the code (run
    `python -m csi.locale.extract` after changing one)."""
    from babel.messages.pofile import read_po

    source = {m.id for m in template() if m.id}
    with open(i18n.LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "csi.po", "rb") as handle:
        po = read_po(handle)
    assert {m.id for m in po if m.id} == source
    assert po.plural_forms == "nplurals=1; plural=0;"
    # a message inside an f-string is invisible to the extractor, so never translated
    for path in (ROOT / "csi" / "report").rglob("*.py"):
        assert not re.search(r"\{(_|ngettext)\(", path.read_text()), path


def test_language_resolution(monkeypatch):
    monkeypatch.delenv("CSI_LANG", raising=False)
    assert i18n.resolve(None) == "en"
    monkeypatch.setenv("CSI_LANG", "zh_CN")
    assert i18n.resolve(None) == "zh-CN"
    assert i18n.resolve("en") == "en"
    assert i18n.resolve("zh") == "zh-CN"
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        i18n.resolve("fr")


def test_plural_forms_and_numbers_follow_the_locale():
    with i18n.use("en"):
        assert i18n.ngettext("{n} quality flag in this section.",
                             "{n} quality flags in this section.", 1) == \
            "1 quality flag in this section."
        assert i18n.ngettext("{n} quality flag in this section.",
                             "{n} quality flags in this section.", 3) == \
            "3 quality flags in this section."
        assert i18n.decimal(0.3694, 3) == "0.369"
        assert i18n.percent(0.925) == "92%" or i18n.percent(0.925) == "93%"
    with i18n.use("zh-CN"):
        one = i18n.ngettext("{n} quality flag in this section.",
                            "{n} quality flags in this section.", 1)
        many = i18n.ngettext("{n} quality flag in this section.",
                             "{n} quality flags in this section.", 3)
        assert one == "本节共有 1 个质量标记。" and many == "本节共有 3 个质量标记。"
        assert i18n.decimal(0.3694, 3) == "0.369"  # Babel's zh_CN symbols
        assert i18n.decimal(-1.25, 1) in ("-1.2", "-1.3")
        assert i18n.percent(0.5) == "50%"
        assert i18n.term("Concentrate here") == "重点改进区"
        assert i18n.term("basic") == "基本型"


def test_chinese_pdf_is_mostly_chinese_and_headings_are_bold(chinese_result):
    doc = json.loads(chinese_result.to_json())
    payload, _ = pdf.render(doc, labels=read_labels(CHINESE_LABELS), today=TODAY,
                            lang="zh-CN")
    reader = pypdf.PdfReader(io.BytesIO(payload))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    # the references stay in their original language; everything csi writes is Chinese
    body = text.split("参考文献")[0]
    assert cjk_share(body) > 0.75, f"{cjk_share(body):.0%} CJK"
    for heading in ("报告摘要", "结构模型", "驱动因素与改进优先级", "测量模型", "数据质量",
                    "方法说明", "优先改进事项", "路径系数"):
        assert heading in re.sub(r"\s+", "", text), heading
    assert "顾客满意度测评报告" in text
    # synthetic bold: CJK headings are filled and stroked (text render mode 2)
    content = reader.pages[1].get_contents().get_data().decode("latin-1")
    assert "2 Tr" in content


def test_english_pdf_has_no_chinese_and_is_unchanged_by_the_catalog(chinese_result):
    doc = json.loads(chinese_result.to_json())
    payload, _ = pdf.render(doc, today=TODAY, lang="en")
    text = "\n".join(p.extract_text() or "" for p in pypdf.PdfReader(io.BytesIO(payload)).pages)
    assert "Executive summary" in text and "What to improve first" in text
    assert "@target" not in text


def test_chinese_terminal_report(chinese_result):
    buffer = io.StringIO()
    render(chinese_result, Console(file=buffer, width=100, no_color=True), lang="zh-CN")
    out = buffer.getvalue()
    assert "优先改进事项" in out and "结构模型" in out and "测量模型" in out
    # csi's own words: without the user's labels and item names, the file name and the
    # statistics' symbols (which stay Latin in Chinese texts)
    # the data notes are the ingest layer's own English sentences (no codes to render from)
    own = "\n".join(line for line in out.splitlines() if not line.startswith("数据说明"))
    names = [chinese_result.model.label(c) for c in chinese_result.model.constructs]
    names += list(chinese_result.weights["indicator"]) + [str(chinese_result.source)]
    for name in sorted(names, key=len, reverse=True):
        own = own.replace(name, "")
    own = re.sub(r"\b(csi|acsi|fit|PLS|PLSc|HTMT|AVE|rho_[AC]|alpha|CI|SE|BCa|p|n|tol|"
                 r"max_iter|R²|listwise|drop-careless|data_quality|careless)\b", "", own)
    assert cjk_share(own) > 0.75, f"{cjk_share(own):.0%}: {LATIN.findall(own)[:40]}"


def test_diagnostics_are_rendered_from_their_code_in_chinese(mobi_result):
    from csi.report.diagnostics import diagnostic_lines

    doc = json.loads(mobi_result.to_json())
    assert doc["diagnostics"], "the mobi fit has diagnostics to show"
    with i18n.use("zh-CN"):
        lines = diagnostic_lines(doc)
    assert lines and all(CJK.search(text) for _, text in lines)
    # the JSON keeps the English sentence
    assert all(LATIN.search(d["message"]) for d in doc["diagnostics"])


def test_terminal_never_truncates_a_number_at_80_columns(mobi_result):
    buffer = io.StringIO()
    render(mobi_result, Console(file=buffer, width=80, no_color=True))
    out = buffer.getvalue()
    assert "…" not in out
    flat = re.sub(r"\s+", "", out)
    for row in mobi_result.paths.to_dict("records"):
        assert f"{row['estimate']:.3f}" in flat
        p = row["p"]
        assert ("<0.001" if p < 0.001 else f"{p:.3f}") in flat
    for row in mobi_result.index.to_dict("records"):
        assert f"{row['ci_low']:.1f}–{row['ci_high']:.1f}" in flat
    # labels in every table: the measurement table names constructs by label
    assert "Corporate Image" in out.split("Measurement model")[1]


def test_lang_option_and_csi_lang(tmp_path, mobi_result):
    results = tmp_path / "fit.json"
    results.write_text(mobi_result.to_json())
    runner = CliRunner()
    zh = runner.invoke(cli, ["priorities", str(results), "--lang", "zh-CN"])
    assert zh.exit_code == 0, zh.output
    assert "优先改进事项" in zh.output and "重要性" not in zh.output or "优先改进事项" in zh.output
    env = runner.invoke(cli, ["priorities", str(results)], env={"CSI_LANG": "zh-CN"})
    assert env.exit_code == 0 and "优先改进事项" in env.output
    en = runner.invoke(cli, ["priorities", str(results)], env={"CSI_LANG": ""})
    assert en.exit_code == 0 and "What to improve first" in en.output
    bad = runner.invoke(cli, ["priorities", str(results), "--lang", "fr"])
    assert bad.exit_code == 2
    out = tmp_path / "r.pdf"
    made = runner.invoke(cli, ["report", str(results), "-o", str(out), "--lang", "zh-CN"])
    assert made.exit_code == 0, made.output
    text = "".join(p.extract_text() or "" for p in pypdf.PdfReader(out).pages)
    assert "报告摘要" in text
