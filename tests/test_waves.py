"""Reports over survey waves (issue 20): `csi report Q1.json Q2.json Q3.json` puts a trend
section first (indices per wave, changes tested with the waves' bootstrap SEs and
Holm-adjusted, priorities per wave), then the latest wave's full report."""

import copy
import io
import json
import math

import numpy as np
import pytest
from click.testing import CliRunner

import csi
from csi.cli.main import cli
from csi.inference.bootstrap import BootstrapSettings
from csi.report import pdf
from csi.multi.waves import WaveChanges, changes
from csi.multi.differences import holm
from tests.conftest import MOBI

pypdf = pytest.importorskip("pypdf")
TODAY = __import__("datetime").date(2026, 9, 30)


def test_holm_matches_r_p_adjust():
    # R 4.3: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") -> 0.03 0.06 0.06 0.02
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])
    # R 4.3: p.adjust(c(0.5, 0.001, 0.2), "holm") -> 0.500 0.003 0.400
    np.testing.assert_allclose(holm([0.5, 0.001, 0.2]), [0.5, 0.003, 0.4])
    assert holm([]).size == 0


def wave(scores: dict[str, tuple[float, float]]) -> dict:
    return {"index": {name: {"score": s, "se": se} for name, (s, se) in scores.items()}}


def test_changes_use_independent_sample_standard_errors():
    waves = [("Q1", wave({"A": (70.0, 1.0), "B": (60.0, 2.0)})),
             ("Q2", wave({"A": (73.0, 1.0), "B": (60.5, 2.0)}))]
    rows = {r.construct: r.to_dict() for r in changes(waves)}
    # z = 3 / sqrt(1 + 1) = 2.1213, two-sided p = 0.0339 (normal table)
    assert rows["A"]["se"] == pytest.approx(math.sqrt(2))
    assert rows["A"]["z"] == pytest.approx(3 / math.sqrt(2))
    assert rows["A"]["p"] == pytest.approx(0.033895, abs=1e-6)
    # z = 0.5 / sqrt(8) = 0.1768, p = 0.8597; Holm over the two tests
    assert rows["B"]["p"] == pytest.approx(0.859684, abs=1e-6)
    assert rows["A"]["p_holm"] == pytest.approx(2 * 0.033895, abs=1e-6)
    assert rows["B"]["p_holm"] == pytest.approx(0.859684, abs=1e-6)
    assert not rows["A"]["significant"] and not rows["B"]["significant"]
    strong = changes([("Q1", wave({"A": (70.0, 0.5)})), ("Q2", wave({"A": (73.0, 0.5)}))])
    assert strong.rows[0].significant and strong.rows[0].p_holm < 0.001


def test_changes_skip_constructs_without_standard_errors():
    waves = [("Q1", {"index": {"A": {"score": 70.0}}}), ("Q2", {"index": {"A": {"score": 72.0}}})]
    assert changes(waves) == WaveChanges(()) and len(changes(waves)) == 0


@pytest.fixture(scope="module")
def wave_files(tmp_path_factory):
    """Three waves: the mobi fit, then the same with every index shifted 0, +1.5, +7 points
    (a shift moves score and interval; SEs stay those of the bootstrap)."""
    result = csi.fit(MOBI, "ecsi", scale=(1, 10), bootstrap=BootstrapSettings(resamples=200, seed=7))
    base = json.loads(result.to_json())
    folder = tmp_path_factory.mktemp("waves")
    paths = []
    for name, shift in (("Q1", 0.0), ("Q2", 1.5), ("Q3", 7.0)):
        doc = copy.deepcopy(base)
        for row in doc["index"].values():
            for key in ("score", "ci_low", "ci_high"):
                row[key] += shift
        path = folder / f"{name}.json"
        path.write_text(json.dumps(doc))
        paths.append(path)
    return paths


def test_csi_report_with_waves_puts_the_trend_first(wave_files, tmp_path):
    out = tmp_path / "trend.pdf"
    run = CliRunner().invoke(cli, ["report", *map(str, wave_files), "-o", str(out)])
    assert run.exit_code == 0, run.output
    reader = pypdf.PdfReader(out)
    outline = [item.title for item in reader.outline if not isinstance(item, list)]
    assert outline[0] == "1. Trend across waves"
    assert outline[1] == "2. Executive summary"
    text = "".join(page.extract_text() or "" for page in reader.pages)
    _title, trend, rest = text.split("2. Executive summary")  # the contents, then the heading
    for heading in ("Indices per wave", "Changes between consecutive waves",
                    "Priorities per wave", "Q1", "Q2", "Q3"):
        assert heading in trend, heading
    # +5.5 points from Q2 to Q3 with SEs near 1 is significant after Holm; +1.5 is not
    assert "significant change" in trend
    assert "+5.5" in trend and "+1.5" in trend
    # the latest wave's full report follows, with its own index
    assert "Customer Satisfaction" in rest and "What to improve first" in rest


def test_trend_changes_are_significant_where_they_should_be(wave_files):
    docs = [(p.stem, json.loads(p.read_text())) for p in wave_files]
    rows = changes(docs).to_dict()["changes"]
    assert len(rows) == 2 * len(docs[0][1]["index"])
    for row in rows:
        se = math.hypot(docs[0][1]["index"][row["construct"]]["se"],
                        docs[0][1]["index"][row["construct"]]["se"])
        assert row["se"] == pytest.approx(se)
        assert row["difference"] == pytest.approx(1.5 if row["to"] == "Q2" else 5.5)
    assert any(r["significant"] for r in rows if r["to"] == "Q3")
    assert not any(r["significant"] for r in rows if r["to"] == "Q2")


def test_wave_labels_option(wave_files, tmp_path):
    out = tmp_path / "trend.pdf"
    run = CliRunner().invoke(cli, ["report", *map(str, wave_files), "-o", str(out),
                                   "--wave-labels", "Spring,Summer,Autumn"])
    assert run.exit_code == 0, run.output
    text = "".join(page.extract_text() or "" for page in pypdf.PdfReader(out).pages)
    assert "Spring" in text and "Autumn" in text
    bad = CliRunner().invoke(cli, ["report", *map(str, wave_files), "-o", str(out),
                                   "--wave-labels", "A,B"])
    assert bad.exit_code == 2 and "3 results files" in bad.output


def test_chinese_trend_section(wave_files):
    docs = [(p.stem, json.loads(p.read_text())) for p in wave_files]
    payload, _ = pdf.render(docs[-1][1], waves=docs, today=TODAY, lang="zh-CN")
    text = "".join(p.extract_text() or "" for p in pypdf.PdfReader(io.BytesIO(payload)).pages)
    assert "各期趋势" in text and "相邻两期之间的变化" in text


def test_wave_changes_match_an_independent_computation(wave_files):
    """The typed result of csi.multi.waves holds the numbers the trend section printed when
    the renderer computed them: z from sqrt(se_a² + se_b²), two-sided normal p, and Holm over
    all tests as statsmodels' multipletests(method="holm") adjusts them."""
    from scipy.stats import norm
    from statsmodels.stats.multitest import multipletests

    docs = [(p.stem, json.loads(p.read_text())) for p in wave_files]
    found = changes(docs)
    expected = []
    for (a_name, a_doc), (b_name, b_doc) in zip(docs, docs[1:]):
        for construct, b_row in b_doc["index"].items():
            a_row = a_doc["index"][construct]
            se = math.sqrt(a_row["se"] ** 2 + b_row["se"] ** 2)
            z = (b_row["score"] - a_row["score"]) / se
            expected.append((a_name, b_name, construct, z, 2 * norm.sf(abs(z))))
    reject, adjusted, _s, _b = multipletests([e[4] for e in expected], alpha=0.05,
                                             method="holm")
    assert [(r.from_wave, r.to_wave, r.construct) for r in found] == [e[:3] for e in expected]
    np.testing.assert_allclose([r.z for r in found], [e[3] for e in expected], rtol=1e-12)
    np.testing.assert_allclose([r.p for r in found], [e[4] for e in expected], rtol=1e-12)
    np.testing.assert_allclose([r.p_holm for r in found], adjusted, rtol=1e-12)
    assert [r.significant for r in found] == list(reject)
    assert found.to_dict()["alpha"] == 0.05
