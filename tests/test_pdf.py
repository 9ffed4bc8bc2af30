"""PDF reports (csi report, csi fit --pdf): content read back from the PDF's text, Chinese
labels in text and charts, the section structure, charts that are not blank, the CLI."""

import copy
import io
import json
import re
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from rich.console import Console

import csi
from csi.inference.bootstrap import BootstrapSettings
from csi.cli.main import cli
from csi.errors import DataError
from csi.drivers.priorities import Priorities, sentences
from csi.report import charts, pdf
from csi.report.pdf import fonts
from csi.report.labels import Labels, read_labels, width, wrap, wrapped
from csi.report.terminal import render_priorities
from tests.conftest import MOBI, ROOT

pypdf = pytest.importorskip("pypdf")

CHINESE = ROOT / "surveys" / "chinese_example.csv"
CHINESE_LABELS = ROOT / "surveys" / "chinese_labels.csv"
TODAY = __import__("datetime").date(2026, 9, 30)
BASE_SECTIONS = ["Executive summary", "Structural model", "Drivers and priorities",
                 "Measurement model", "Data quality", "Methods"]


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def saved(result) -> dict:
    """The result as `csi fit --format json` saves it (what reports are rendered from)."""
    return json.loads(result.to_json())


def pages_text(payload: bytes) -> list[str]:
    return [page.extract_text() or "" for page in pypdf.PdfReader(io.BytesIO(payload)).pages]


def flat(text: str) -> str:
    """Text without whitespace: line wrapping and CJK spacing never break a comparison."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def mobi_doc() -> dict:
    result = csi.fit(MOBI, "ecsi", scale=(1, 10),
                     bootstrap=BootstrapSettings(resamples=200, seed=7))
    return saved(result)


@pytest.fixture(scope="module")
def mobi_pdf(mobi_doc) -> tuple[bytes, int, float]:
    """The mobi report, its page count and the CPU seconds its rendering took."""
    pdf.render(mobi_doc, today=TODAY)  # warm up: imports and font files are loaded once
    started = time.process_time()
    payload, pages = pdf.render(mobi_doc, title="Q3 2026 mobile customers", today=TODAY)
    return payload, pages, time.process_time() - started


@pytest.fixture(scope="module")
def chinese_doc() -> dict:
    result = csi.fit(CHINESE, "acsi", scale=(1, 10),
                     bootstrap=BootstrapSettings(resamples=100, seed=3))
    return saved(result)


@pytest.fixture(scope="module")
def chinese_pdf(chinese_doc) -> bytes:
    payload, _ = pdf.render(chinese_doc, title="2026年第三季度 顾客满意度",
                            labels=read_labels(CHINESE_LABELS), today=TODAY)
    return payload


def nonlinear_block(doc: dict) -> dict:
    """A synthetic `nonlinear` block in the shape of the non-linear variant's JSON."""
    target = doc["priority_settings"]["target"]
    drivers = [r["driver"] for r in doc["importance"]]
    classes = ["basic", "performance", "excitement", None]
    grid = np.linspace(20, 100, 9)
    paths = []
    for i, driver in enumerate(drivers):
        low, high = 0.5 - 0.1 * i, 0.2 + 0.1 * i
        curve = [[float(x), float(60 + (low if x < 50 else high) * (x - 50) / 4)] for x in grid]
        paths.append({"from": driver, "to": target, "slope_low": low, "slope_high": high,
                      "asymmetry": (low - high) / (low + high), "quadratic": -0.001 * i,
                      "turning_point": 55.0 + i, "curve": curve,
                      "slope_low_ci_low": low - 0.2, "slope_low_ci_high": low + 0.2,
                      "slope_high_ci_low": high - 0.1, "slope_high_ci_high": high + 0.1})
    return {
        "knot": "midpoint",
        "knots": {c["name"]: 50.0 for c in doc["model"]["constructs"]},
        "paths": paths,
        "drivers": [{"driver": d, "target": target, "direct": True,
                     "kano_class": classes[i % len(classes)], "p_basic": 0.61,
                     "p_performance": 0.3, "p_excitement": 0.09, "marginal_effect": 0.42,
                     "impact_5pt": 2.1, "impact_5pt_ci_low": 1.5, "impact_5pt_ci_high": 2.7}
                    for i, d in enumerate(drivers)],
        "comparison": {"r2_linear": 0.681, "r2_nonlinear": 0.702, "cv_r2_linear": 0.659,
                       "cv_r2_nonlinear": 0.671, "preferred": "nonlinear", "target": target,
                       "verdict": "The non-linear model predicts Customer Satisfaction better "
                                  "out of sample."},
        "notes": ["synthetic block for the report test"],
    }


# Content ------------------------------------------------------------------------------------

def test_mobi_report_pages_headings_and_page_numbers(mobi_pdf):
    payload, pages, _ = mobi_pdf
    texts = pages_text(payload)
    assert len(texts) == pages
    assert 8 <= pages <= 16
    # title page: title, survey, n, date, model, estimator and variant, and the contents
    first = texts[0]
    for expected in ("Q3 2026 mobile customers", "surveys/mobi.csv", "250 of 250 rows read",
                     "2026-09-30", "ecsi: 7 constructs, 12 paths", "PLS path modeling",
                     "path weighting scheme", "linear structural model", "seed 7"):
        assert expected in first, expected
    for number, name in enumerate(BASE_SECTIONS, start=1):
        assert f"{number}. {name}" in first
    # each section starts a page, in this order, with its number
    starts = [next(i for i, t in enumerate(texts) if i > 0 and f"{number}. {name}" in t)
              for number, name in enumerate(BASE_SECTIONS, start=1)]
    assert starts[0] == 1 and starts == sorted(set(starts))
    # "Page n of N" on every page but the title page
    for n, text in enumerate(texts[1:], start=2):
        assert f"Page {n} of {pages}" in text
    assert "Page 1 of" not in texts[0]


def test_mobi_report_has_indices_constructs_and_paths(mobi_doc, mobi_pdf):
    text = "\n".join(pages_text(mobi_pdf[0]))
    for construct in mobi_doc["model"]["constructs"]:
        assert construct["label"] in text
    for name, row in mobi_doc["index"].items():
        assert f"{row['score']:.1f}" in text
        assert f"{row['ci_low']:.1f}–{row['ci_high']:.1f}" in text
    satisfaction = mobi_doc["index"]["Satisfaction"]
    assert (f"Customer Satisfaction: {satisfaction['score']:.1f} (95% CI "
            f"{satisfaction['ci_low']:.1f}–{satisfaction['ci_high']:.1f})") in text
    for path in mobi_doc["paths"]:
        assert f"{path['estimate']:.3f}" in text
    assert f"R² {mobi_doc['r2']['Satisfaction']:.2f}" in text
    for heading in ("Loadings and weights", "Reliability and convergent validity",
                    "Discriminant validity (HTMT)", "Importance–performance map",
                    "Questions of the top drivers", "References"):
        assert heading in text
    assert "quality flags in this section" in text and "✗" in text  # mobi has low AVEs


def test_priorities_use_the_terminal_wording(mobi_doc, mobi_pdf):
    text = flat("\n".join(pages_text(mobi_pdf[0])))
    labels = {c["name"]: c["label"] for c in mobi_doc["model"]["constructs"]}
    label = lambda name: labels.get(name, name)  # noqa: E731 - the terminal's labels
    expected = sentences(Priorities.from_dict(mobi_doc), label)
    assert len(expected) == 3
    for sentence in expected:
        assert flat(sentence) in text
    # ... and that is what `csi priorities` prints
    buffer = io.StringIO()
    render_priorities(Priorities.from_dict(mobi_doc), label, Console(file=buffer, width=2000))
    printed = [line.split(". ", 1)[1] for line in buffer.getvalue().splitlines()
               if re.match(r"^\d\. ", line)]
    assert printed == expected
    top = mobi_doc["priorities"][0]
    assert flat(f"1. Raise {labels[top['driver']]}") in text


def test_report_is_rendered_from_json_not_refitted(mobi_doc, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the report must not refit")

    monkeypatch.setattr(sys.modules["csi.pipeline"], "fit_items", refuse)
    monkeypatch.setattr(sys.modules["csi.pipeline"], "fit", refuse)
    monkeypatch.setattr(csi, "fit", refuse)
    changed = copy.deepcopy(mobi_doc)
    changed["index"]["Satisfaction"]["score"] = 12.345  # only the document knows this value
    text = "\n".join(pages_text(pdf.render(changed, today=TODAY)[0]))
    assert "Customer Satisfaction: 12.3" in text


# Chinese --------------------------------------------------------------------------------------

def test_chinese_labels_in_text_and_fonts_embedded(chinese_doc, chinese_pdf):
    texts = pages_text(chinese_pdf)
    text = flat("\n".join(texts))
    assert "2026年第三季度顾客满意度" in flat(texts[0])
    for name, label in read_labels(CHINESE_LABELS).items():
        assert flat(label) in text, name
    score = chinese_doc["index"]["Satisfaction"]["score"]
    assert flat(f"顾客满意度: {score:.1f}") in text
    # the Chinese sentences are those of csi.priorities.sentences with the same labels
    label = Labels(chinese_doc, read_labels(CHINESE_LABELS))
    for sentence in sentences(Priorities.from_dict(chinese_doc), label):
        assert flat(sentence) in text
    # the glyphs travel with the PDF: subsets of the shipped CJK font are embedded
    reader = pypdf.PdfReader(io.BytesIO(chinese_pdf))
    embedded = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is not None and "/FontFile2" in descriptor.get_object():
                embedded.add(str(font["/BaseFont"]))
    assert any("WenQuanYi" in name for name in embedded), embedded
    assert any("DejaVu" in name for name in embedded), embedded


def test_chart_text_is_text_with_the_same_chinese_labels(chinese_doc):
    label = Labels(chinese_doc, read_labels(CHINESE_LABELS))
    figure = charts.path_diagram(chinese_doc, label)
    text = flat(pages_text(pdf.figure_pdf(figure))[0])
    for name in ("Expectation", "Quality", "Value", "Satisfaction", "Loyalty"):
        assert flat(label(name)) in text
    assert f"{chinese_doc['paths'][0]['estimate']:.2f}" in text


def test_cjk_runs_fall_back_to_the_cjk_font():
    runs = fonts.runs("Raise 感知质量 (Perceived Quality) 고객 ĳ Ω")
    assert runs == [("Raise ", False), ("感知质量", True), (" (Perceived Quality) ", False),
                    ("고객", True), (" ĳ Ω", False)]
    assert fonts.markup("a < b & 满意") == f'a &lt; b &amp; <font name="{pdf.CJK}">满意</font>'


# Structure ------------------------------------------------------------------------------------

def test_nonlinear_section_when_the_block_is_present(mobi_doc):
    doc = copy.deepcopy(mobi_doc)
    doc["nonlinear"] = nonlinear_block(doc)
    payload, _ = pdf.render(doc, today=TODAY)
    texts = pages_text(payload)
    text = "\n".join(texts)
    sections = BASE_SECTIONS[:3] + ["Non-linear effects"] + BASE_SECTIONS[3:]
    for number, name in enumerate(sections, start=1):
        assert f"{number}. {name}" in texts[0]
        assert f"{number}. {name}" in text
    for expected in ("Kano classes of the drivers of Customer Satisfaction", "basic",
                     "excitement", "Slopes below and above the knot", "Linear or non-linear?",
                     "Cross-validated R²", "0.671", "predicts Customer Satisfaction better",
                     "synthetic block for the report test", "knot: midpoint"):
        assert expected in text, expected
    assert "driver index (0–100)" in text  # the curves' axes


def test_report_without_bootstrap_priorities_or_question_texts(mobi_doc):
    doc = copy.deepcopy(mobi_doc)
    doc["bootstrap"] = None
    for key in list(doc):
        if key in ("priority_settings", "importance", "indicator_importance", "priorities"):
            del doc[key]
    for family in ("paths", "weights", "loadings"):
        for row in doc[family]:
            for key in ("se", "t", "p", "ci_low", "ci_high"):
                row.pop(key, None)
    for row in doc["index"].values():
        for key in ("se", "t", "p", "ci_low", "ci_high"):
            row.pop(key, None)
    payload, pages = pdf.render(doc, today=TODAY)
    text = "\n".join(pages_text(payload))
    assert "Drivers and priorities" not in text
    assert "No bootstrap was run" in text
    assert flat("Without a bootstrap, significance is not known") in flat(text)
    assert re.search(r"(?m)^Customer Satisfaction: 72\.5$", text)  # no interval
    assert "95% CI" not in text


def test_question_texts_from_ingest_and_labels_file_override(mobi_doc, tmp_path):
    doc = copy.deepcopy(mobi_doc)
    doc["data_quality"] = {
        "rows_read": 250, "rows_used": 250, "usable": True,
        "missing": {"method": "listwise", "rows_dropped": 0},
        "items": [{"indicator": "PERQ2", "label": "Network quality (coverage and signal)",
                   "missing": 3, "missing_pct": 1.2, "mean": 6.2, "sd": 1.9, "distinct": 10}],
        "straightliners": {"count": 4, "rows": [3, 9, 10, 77], "dropped": False},
        "duplicate_ids": {}, "constant_items": [], "few_distinct_items": ["CUSCO"],
        "warnings": ["4 straight-liners (rows 3, 9, 10, 77)"], "notes": ["read as utf-8"],
    }
    labels = {"Quality": "Service quality (network and care)", "IMAG1": "Trustworthy"}
    text = "\n".join(pages_text(pdf.render(doc, labels=labels, today=TODAY)[0]))
    assert "Service quality (network and care)" in text
    assert "PERQ2: Network quality (coverage and signal)" in text
    assert "IMAG1: Trustworthy" in text
    for expected in ("Straight-liners", "4 straight-liners (rows 3, 9, 10, 77)",
                     "Questions with few distinct answers", "CUSCO", "read as utf-8", "1.2%"):
        assert flat(expected) in flat(text), expected


def test_mobi_report_is_small_and_fast(mobi_pdf):
    payload, _, cpu = mobi_pdf
    assert len(payload) < 1_000_000
    assert cpu < 3.0, f"rendering took {cpu:.2f} s of CPU"


# Visual check -------------------------------------------------------------------------------

def rasterize(payload: bytes, tmp_path: Path, dpi: int = 60) -> list[np.ndarray]:
    """The PDF's pages as grey-level arrays, through pypdfium2 (PDFium, from the test extra;
    no system package needed), so the image checks always run."""
    import pypdfium2

    document = pypdfium2.PdfDocument(payload)
    try:
        return [np.asarray(page.render(scale=dpi / 72).to_pil().convert("L"), dtype=float)
                for page in document]
    finally:
        document.close()


def body_fill(image: np.ndarray) -> float:
    """How far down the text area (between header and footer) a page is drawn, 0 to 1."""
    height = len(image)
    top, bottom = int(0.075 * height), int(0.925 * height)
    rows = np.flatnonzero((image[top:bottom] < 240).any(axis=1))
    return 0.0 if not len(rows) else (rows[-1] + 1) / (bottom - top)


def test_charts_are_not_blank(mobi_doc, tmp_path):
    doc = copy.deepcopy(mobi_doc)
    doc["nonlinear"] = nonlinear_block(doc)
    label = Labels(doc)
    figures = {
        "index": charts.index_chart(doc, label),
        "path diagram": charts.path_diagram(doc, label),
        "importance bars": charts.importance_bars(doc, label),
        "ipma": charts.ipma_map(doc, label),
        "indicator ipma": charts.indicator_ipma(doc, label, charts.top_drivers(doc)),
        "non-linear": charts.nonlinear_curves(doc, label),
    }
    for name, figure in figures.items():
        folder = tmp_path / name.replace(" ", "_")
        folder.mkdir()
        (image,) = rasterize(pdf.figure_pdf(figure), folder)
        inked = (image < 200).mean()
        assert image.std() > 15, f"{name}: blank chart (pixel sd {image.std():.1f})"
        assert inked > 0.02, f"{name}: only {inked:.1%} of the pixels are drawn"


def test_report_pages_with_charts_are_inked(mobi_pdf, tmp_path):
    images = rasterize(mobi_pdf[0], tmp_path, dpi=40)
    assert len(images) == mobi_pdf[1]
    for number, image in enumerate(images, start=1):
        assert (image < 240).mean() > 0.005, f"page {number} is blank"
    chart_pages = sum((image < 200).mean() > 0.05 for image in images)
    assert chart_pages >= 3  # the pages with the path diagram and the charts


def test_no_body_page_is_near_empty(mobi_pdf, chinese_pdf):
    """Sections flow on: every body page but the last is at least half filled."""
    for payload in (mobi_pdf[0], chinese_pdf):
        images = rasterize(payload, None, dpi=30)
        fills = [body_fill(image) for image in images[1:-1]]
        assert min(fills) > 0.5, [f"{f:.2f}" for f in fills]


def test_chinese_glyphs_render_as_glyphs_not_boxes(chinese_doc, tmp_path):
    """Two different Chinese labels must rasterize differently: missing glyphs would all be
    the same empty box. And the CJK characters must be drawn, not left blank."""
    from matplotlib.figure import Figure

    def text_image(text: str, folder: str) -> np.ndarray:
        with charts.style():
            figure = Figure(figsize=(3, 0.6), dpi=72)
            figure.text(0.02, 0.3, text, fontsize=20)
        (tmp_path / folder).mkdir()
        return rasterize(pdf.figure_pdf(figure), tmp_path / folder, dpi=72)[0]

    first, second = text_image("顾客满意度", "a"), text_image("感知价值很好", "b")
    blank = text_image("", "c")
    assert (first < 128).mean() > 0.03 and (second < 128).mean() > 0.03
    assert np.abs(first - second).mean() > 5
    assert (blank < 128).mean() == 0
    (tmp_path / "report").mkdir()
    pages = rasterize(pdf.render(chinese_doc, labels=read_labels(CHINESE_LABELS),
                                 today=TODAY)[0], tmp_path / "report", dpi=30)
    assert all((page < 240).mean() > 0.005 for page in pages)
    assert sum((page < 200).mean() > 0.05 for page in pages) >= 3  # pages with charts


# Layout and labels --------------------------------------------------------------------------

@pytest.mark.parametrize("model", ["ecsi", "acsi"])
def test_path_diagram_layout_flows_left_to_right_without_hidden_arrows(model):
    constructs, paths = _model(model)
    cells = charts.layout(constructs, paths)
    assert len(set(cells.values())) == len(constructs)
    half_w = (charts.BOX_W / 2 + 0.08) / charts.STEP_X
    half_h = (charts.BOX_H / 2 + 0.08) / charts.STEP_X
    objective = charts._LayoutCost(paths, half_w, half_h)
    for a, b in paths:
        assert cells[b][0] >= cells[a][0], (a, b)  # arrows never point left
        assert objective.hits(cells[a], cells[b], list(cells.values())) == 0, (a, b)
    assert charts.layout(constructs, paths) == cells  # deterministic


def _model(model: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Constructs and structural paths of a built-in model file."""
    constructs, paths = [], []
    for line in (ROOT / "models" / f"{model}.lav").read_text().splitlines():
        line = line.split("#")[0]
        if "=~" in line:
            constructs.append(line.split("=~")[0].strip())
        elif "~" in line:
            target, sources = line.split("~")
            paths += [(source.strip(), target.strip()) for source in sources.split("+")]
    return constructs, paths


def test_wrap_counts_wide_characters_and_keeps_words():
    assert wrap("Customer Satisfaction Index", 12) == ["Customer", "Satisfaction", "Index"]
    assert width("顾客满意度") == 10
    assert wrap("顾客满意度指数", 6) == ["顾客满", "意度指", "数"]
    assert wrap("相对于质量，价格是否合理", 10) == ["相对于质量，", "价格是否合", "理"]
    assert wrapped("Supercalifragilistic", 8) == "Supercal\nifragili\nstic"
    assert wrapped("one two three four five", 9, 2) == "one two\nthree…"


def test_read_labels_csv_yaml_and_errors(tmp_path):
    csv_file = tmp_path / "labels.csv"
    csv_file.write_bytes("\ufeffname,label\nSatisfaction,顾客满意度\n\n# note\nPERQ1,"
                         "\"Overall quality, all services\"\n".encode())
    assert read_labels(csv_file) == {"Satisfaction": "顾客满意度",
                                     "PERQ1": "Overall quality, all services"}
    bare = tmp_path / "bare.csv"
    bare.write_text("Quality,Service quality\n", encoding="utf-8")
    assert read_labels(bare) == {"Quality": "Service quality"}
    yaml_file = tmp_path / "labels.yaml"
    yaml_file.write_text("Satisfaction: 顾客满意度\nCUSA1: 总体满意度\n", encoding="utf-8")
    assert read_labels(yaml_file) == {"Satisfaction": "顾客满意度", "CUSA1": "总体满意度"}
    assert read_labels(CHINESE_LABELS)["Satisfaction"] == "顾客满意度"

    duplicate = tmp_path / "dup.csv"
    duplicate.write_text("a,one\nb,two\na,three\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"dup.csv, line 3: 'a' is labelled twice \(first on "
                                        r"line 1\)"):
        read_labels(duplicate)
    short = tmp_path / "short.csv"
    short.write_text("a,one\nb\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"short.csv, line 2: expected name,label"):
        read_labels(short)
    nested = tmp_path / "nested.yml"
    nested.write_text("Satisfaction:\n  - a\n", encoding="utf-8")
    with pytest.raises(DataError, match="must be text"):
        read_labels(nested)
    with pytest.raises(DataError, match="no such labels file"):
        read_labels(tmp_path / "missing.csv")
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("a,caf\xe9\n".encode("latin-1"))
    with pytest.raises(DataError, match="not UTF-8"):
        read_labels(latin1)


# CLI ----------------------------------------------------------------------------------------

def test_csi_report_command(mobi_doc, tmp_path):
    results = tmp_path / "results.json"
    results.write_text(json.dumps(mobi_doc, ensure_ascii=False), encoding="utf-8")
    labels = tmp_path / "labels.csv"
    labels.write_text("name,label\nSatisfaction,顾客满意度\nNotAConstruct,x\n",
                      encoding="utf-8")
    out = tmp_path / "report.pdf"
    result = run("report", results, "-o", out, "--title", "Q3 2026 mobile customers",
                 "--labels", labels)
    assert result.exit_code == 0, result.output
    assert re.search(rf"Wrote {re.escape(str(out))} \(\d+ pages, \d+ KB\)", result.stderr)
    assert "1 name not in the model, ignored: NotAConstruct" in result.stderr
    assert out.read_bytes().startswith(b"%PDF-")
    text = "\n".join(pages_text(out.read_bytes()))
    assert "Q3 2026 mobile customers" in text and "顾客满意度" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labels.csv", "report.pdf",
                                                          "results.json"]  # no temp files


def test_csi_report_errors(tmp_path, mobi_doc):
    missing = run("report", tmp_path / "nope.json", "-o", tmp_path / "r.pdf")
    assert missing.exit_code == 3
    assert missing.stderr == f"Error: {tmp_path / 'nope.json'}: no such file\n"
    other = tmp_path / "other.json"
    other.write_text('{"a": 1}')
    assert run("report", other, "-o", tmp_path / "r.pdf").exit_code == 3
    results = tmp_path / "results.json"
    results.write_text(json.dumps(mobi_doc))
    bad = tmp_path / "bad.csv"
    bad.write_text("Satisfaction\n")
    result = run("report", results, "-o", tmp_path / "r.pdf", "--labels", bad)
    assert result.exit_code == 3
    assert result.stderr == f"Error: {bad}, line 1: expected name,label, got 'Satisfaction'\n"
    assert run("report", results).exit_code == 2  # -o is required
    assert not (tmp_path / "r.pdf").exists()


def test_csi_fit_pdf_option(tmp_path):
    out = tmp_path / "fit.pdf"
    result = run("fit", MOBI, "--model", "ecsi", "--scale", "1:10", "--bootstrap", "0",
                 "--format", "json", "-o", tmp_path / "fit.json", "--pdf", out)
    assert result.exit_code == 0, result.output
    assert f"Wrote {out}" in result.stderr
    doc = json.loads((tmp_path / "fit.json").read_text())
    text = "\n".join(pages_text(out.read_bytes()))
    assert f"Customer Satisfaction: {doc['index']['Satisfaction']['score']:.1f}" in text
    assert "No bootstrap was run" in text


def test_headers_never_break_inside_a_word(mobi_doc):
    """Every column header of the non-linear tables reads whole in the text (issue 20:
    'Asymmetr/y')."""
    doc = copy.deepcopy(mobi_doc)
    doc["nonlinear"] = nonlinear_block(doc)
    text = "\n".join(pages_text(pdf.render(doc, today=TODAY)[0]))
    words = set(re.findall(r"[\w()]+", text))
    for header in ("Asymmetry", "Turning point", "P(performance)", "P(excitement)",
                   "Marginal effect"):  # may wrap between its words, never inside one
        for word in header.split():
            assert word in words, word
    assert "@target" not in text


def test_piecewise_curve_band_and_spline_are_drawn(mobi_doc):
    """With the piecewise `curve`, its `curve_ci_low/high` band and a `spline_curve`, the
    panel has the band (a filled polygon) and two lines, the spline labelled."""
    from matplotlib.collections import PolyCollection

    doc = copy.deepcopy(mobi_doc)
    block = nonlinear_block(doc)
    for path in block["paths"]:
        path["curve_ci_low"] = [y - 2 for _, y in path["curve"]]
        path["curve_ci_high"] = [y + 2 for _, y in path["curve"]]
        path["spline_curve"] = [[x, y + 0.5] for x, y in path["curve"]]
    doc["nonlinear"] = block
    figure = charts.nonlinear_curves(doc, Labels(doc))
    ax = figure.axes[0]
    assert any(isinstance(c, PolyCollection) for c in ax.collections)
    assert len(ax.lines) >= 2
    assert "spline" in [t.get_text() for t in ax.get_legend().get_texts()]
