"""The PDF's "Scenarios" (issue 19) and "Hidden segments" (issue 18) sections: their text,
read back from the PDF, holds the numbers of the saved simulate / plan / latent JSON; the
withheld-advice banner comes first; a document made from another fit is refused (exit 4
naming it); the zh-CN sections read as Chinese; the pages render and none is near-empty.

The documents are made by the commands themselves (csi fit, simulate, plan, latent) on a
simulated 1-10 survey with two planted classes (one driven by quality, one by value)."""

from __future__ import annotations

import copy
import io
import json
import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from csi.cli.main import cli
from csi.errors import DataError, ModelError
from csi.report import pdf
from tests.test_i18n import cjk_share
from tests.test_pdf import body_fill, rasterize

pypdf = pytest.importorskip("pypdf")

TODAY = __import__("datetime").date(2026, 9, 30)
MODEL = """Quality =~ q1 + q2 + q3
Value =~ v1 + v2 + v3
Satisfaction =~ s1 + s2 + s3
Loyalty =~ l1 + l2 + l3
Value ~ Quality
Satisfaction ~ Quality + Value
Loyalty ~ Satisfaction
"""
CHINESE_LABELS = {"Quality": "感知质量", "Value": "感知价值", "Satisfaction": "顾客满意度",
                  "Loyalty": "顾客忠诚度"}
HEADINGS = ("Executive summary", "Structural model", "Drivers and priorities",
            "Hidden segments", "Scenarios", "Measurement model")


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def planted_survey(n: int, seed: int) -> pd.DataFrame:
    """A 1-10 survey whose first half's satisfaction follows quality (0.9) and drives loyalty
    (0.9), the second half's follows value (0.9) and hardly drives loyalty (0.1); `channel`
    is "web" for all of the first class and half of the second."""
    rng = np.random.default_rng(seed)
    quality = rng.standard_normal(n)
    value = 0.3 * quality + np.sqrt(0.91) * rng.standard_normal(n)
    first = rng.random(n) < 0.5
    bq, bv = np.where(first, 0.9, 0.0), np.where(first, 0.0, 0.9)
    bl = np.where(first, 0.9, 0.1)
    explained = bq ** 2 + bv ** 2 + 2 * 0.3 * bq * bv
    satisfaction = (bq * quality + bv * value
                    + np.sqrt(np.clip(1 - explained, 0.05, 1)) * rng.standard_normal(n))
    loyalty = bl * satisfaction + np.sqrt(1 - bl ** 2) * rng.standard_normal(n)
    columns = {}
    for name, eta in (("q", quality), ("v", value), ("s", satisfaction), ("l", loyalty)):
        for i in range(3):
            answer = 6.0 + 1.8 * (0.92 * eta + np.sqrt(1 - 0.92 ** 2) * rng.standard_normal(n))
            columns[f"{name}{i + 1}"] = np.clip(np.round(answer), 1, 10)
    frame = pd.DataFrame(columns)
    frame["channel"] = np.where(first | (rng.random(n) < 0.5), "web", "store")
    return frame


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The fit (200 resamples, draws), a simulation, a plan and the latent classes of the
    planted survey, as the commands write them; the latent run also writes its PDF."""
    folder = tmp_path_factory.mktemp("sections")
    survey, model = folder / "planted.csv", folder / "model.txt"
    planted_survey(600, 11).to_csv(survey, index=False)
    model.write_text(MODEL)
    paths = {name: folder / f"{name}.json" for name in ("fit", "sim", "plan", "latent")}
    draws = folder / "draws.parquet"
    steps = [
        ("fit", survey, "--model", model, "--scale", "1:10", "--bootstrap", 200, "--seed", 3,
         "--draws", draws, "--format", "json", "-o", paths["fit"], "-q"),
        ("simulate", paths["fit"], "--change", "Quality=+5", "--draws", draws, "--format",
         "json", "-o", paths["sim"], "--pdf", folder / "sim.pdf", "-q"),
        ("plan", paths["fit"], "--budget", 6, "--draws", draws, "--format", "json", "-o",
         paths["plan"], "--pdf", folder / "plan.pdf", "-q"),
        ("latent", survey, "--model", model, "--scale", "1:10", "--max-classes", 2,
         "--starts", 3, "--lrt-bootstrap", 39, "--explain", "channel", "--format", "json",
         "-o", paths["latent"], "--pdf", folder / "latent.pdf", "-q"),
    ]
    for args in steps:
        result = run(*args)
        assert result.exit_code == 0, (args[0], result.output)
    out = {name: (str(path), json.loads(path.read_text())) for name, path in paths.items()}
    out["folder"] = folder
    return out


def section(payload: bytes, heading: str) -> str:
    """The text of one numbered section, from its heading to the next section's (the
    title page, with the contents, left out)."""
    text = "\n".join(page.extract_text() or ""
                     for page in pypdf.PdfReader(io.BytesIO(payload)).pages[1:])
    start = re.search(rf"\n\d+\. {re.escape(heading)}\n", text)
    assert start, f"no section {heading!r}"
    rest = text[start.end():]
    end = re.search(r"\n\d+\. [A-Z\u3400-\u9fff][^\n]{2,40}\n", rest)
    return rest[:end.start()] if end else rest


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def render(files, lang="en", fit=None, scenarios=("sim", "plan"), latent=True, labels=None):
    fit = fit if fit is not None else files["fit"][1]
    payload, pages = pdf.render(fit, today=TODAY, lang=lang, labels=labels,
                                scenarios=[files[name] for name in scenarios],
                                latent=files["latent"] if latent else None)
    return payload, pages


@pytest.fixture(scope="module")
def english(files):
    return render(files)


def test_the_planted_classes_are_found(files):
    """The latent document the section shows has two actionable classes (the LRT chose
    them), so the section's per-class parts are exercised."""
    doc = files["latent"][1]
    assert doc["chosen_k"] == 2 and doc["actionable"]["actionable"]


def test_scenarios_section_holds_the_simulation_and_plan_numbers(files, english):
    text = section(english[0], "Scenarios")
    sim, plan = files["sim"][1], files["plan"][1]
    assert sim["level"] == pytest.approx(0.95) and plan["expected_gain"]["ci_low"] is not None
    assert "What if: Quality +5" in text
    for row in sim["effects"]:
        assert f"{row['before']:.1f}" in text and f"{row['after']:.1f}" in text
        assert f"{row['change']:+.2f}" in text
        assert f"{row['ci_low']:+.2f} to {row['ci_high']:+.2f}" in text
    assert sim["sentences"] and all(flat(s) in flat(text) for s in sim["sentences"])
    for step in plan["steps"]:
        assert f"{step['points']:.2f}" in text and f"{step['gain']:+.2f}" in text
    gain = plan["expected_gain"]
    assert (f"{gain['estimate']:+.2f} (95% CI {gain['ci_low']:+.2f} to "
            f"{gain['ci_high']:+.2f})") in text
    assert flat(plan["sentence"]) in flat(text)
    assert plan["sentence"].startswith("Spend ")
    # the simulation's levels before the change are the report's own indices
    index = files["fit"][1]["index"]
    assert all(row["before"] == index[row["construct"]]["score"] for row in sim["effects"])


def test_hidden_segments_section_holds_the_latent_numbers(files, english):
    text = section(english[0], "Hidden segments")
    doc = files["latent"][1]
    # the verdict first, then the chosen K and the rule that chose it
    assert flat(text).startswith(flat("The classes' structural paths differ: actionable "
                                      "segments."))
    assert flat(f"Chosen: 2 classes, by the {doc['rule']}.") in flat(text)
    for row in doc["criteria"]:
        for key in ("loglik", "AIC3", "BIC", "CAIC"):
            assert f"{row[key]:.1f}" in text, (row["k"], key)
    assert f"{doc['criteria'][1]['EN']:.3f}" in text
    assert f"{doc['lrt'][0]['p']:.3f}" in text
    target = doc["classes"][0]["fit"]["priority_settings"]["target"]
    for entry in doc["classes"]:
        assert f"Class {entry['class']}" in text
        assert f"{entry['share']:.0%}" in text and f"{entry['n_modal']:.0f}" in text
        assert f"{entry['fit']['index'][target]['score']:.1f}" in text
        first = min(entry["fit"]["priorities"], key=lambda p: p["rank"])
        assert f"{first['driver']} · {first['quadrant']}" in text
    for test in doc["actionable"]["tests"]:
        assert f"{test['statistic']:.2f}" in text
    explained = doc["explain"][0]
    assert "Who is in which class: channel" in text
    for row in explained["table"]:
        assert f"{row['value']}{row['1']}{row['2']}" in flat(text)
    assert f"Chi-square {explained['statistic']:.2f}, df {explained['df']}" in text
    # the two classes differ as planted: one driven by quality, one by value
    paths = [{(p["from"], p["to"]): p["estimate"] for p in c["fimix"]["paths"]}
             for c in doc["classes"]]
    by_quality = [p[("Quality", "Satisfaction")] > p[("Value", "Satisfaction")] for p in paths]
    assert sorted(by_quality) == [False, True]


def test_no_actionable_segments_is_stated_first(files):
    """A solution whose classes do not differ in their paths, and a single class: the
    verdict opens the section; a single class has no per-class parts."""
    fit = files["fit"][1]
    path, doc = files["latent"]
    flat_classes = copy.deepcopy(doc)
    flat_classes["actionable"] = {"actionable": False, "tests": [], "verdict": (
        "no actionable segments: the classes do not differ significantly in their "
        "structural paths")}
    one = copy.deepcopy(doc)
    one.update(chosen_k=1, classes=one["classes"][:1], explain=[],
               actionable={"actionable": False, "tests": [],
                           "verdict": "one class: no segments whose drivers differ"})
    for variant, verdict in ((flat_classes, "No actionable segments: the classes do not "
                                            "differ significantly"),
                             (one, "One class: no segments whose drivers differ.")):
        payload, _ = pdf.render(fit, today=TODAY, latent=(path, variant))
        text = section(payload, "Hidden segments")
        assert flat(text).startswith(flat(verdict))
    assert "Priorities per class" not in text and "Paths per class" not in text
    payload, _ = pdf.render(fit, today=TODAY, latent=(path, one), lang="zh-CN")
    assert flat(section(payload, "隐藏细分群体")).startswith("只有一个类别")


def test_withheld_advice_puts_a_red_banner_first(files, tmp_path):
    fit = copy.deepcopy(files["fit"][1])
    fit["advice"] = {"status": "withheld", "reasons": ["inadmissible"],
                     "message": "Priorities are withheld: the solution is inadmissible"}
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(fit))
    sim, plan = tmp_path / "sim.json", tmp_path / "plan.json"
    assert run("simulate", broken, "--change", "Quality=+5", "--format", "json", "-o", sim,
               "-q").exit_code == 0
    assert run("plan", broken, "--budget", 4, "--force", "--format", "json", "-o", plan,
               "-q").exit_code == 0
    docs = [(str(sim), json.loads(sim.read_text())), (str(plan), json.loads(plan.read_text()))]
    payload, _ = pdf.render(fit, today=TODAY, scenarios=docs)
    text = flat(section(payload, "Scenarios"))
    assert text.startswith(flat("Advice withheld Priorities are withheld: the solution is "
                                "inadmissible"))
    assert text.index("Advicewithheld") < text.index("Whatif:")
    assert flat("No conclusion is drawn") in text and flat("No plan is recommended") in text
    # the banner is red: its border is stroked in the flag colour (#b03a2e)
    content = b"".join(page.get_contents().get_data()
                       for page in pypdf.PdfReader(io.BytesIO(payload)).pages)
    assert b".690196 .227451 .180392 RG" in content  # FLAG #b03a2e as the stroke colour


def test_qualified_advice_has_a_banner_and_unqualified_none(files):
    fit = files["fit"][1]
    assert fit["advice"]["status"] == "ok" and fit["advice"]["reasons"]  # 200 resamples: few
    text = flat(section(render(files, latent=False)[0], "Scenarios"))
    assert text.startswith(flat("Advice qualified The fit's advice stands, but these "
                                "findings weaken it"))
    clean = copy.deepcopy(fit)
    clean["advice"]["reasons"] = []
    for _name, doc in (files["sim"], files["plan"]):
        assert doc["advice"]["status"] == "ok"
    sims = [(files["sim"][0], dict(files["sim"][1], advice={"status": "ok", "reasons": []}))]
    payload, _ = pdf.render(clean, today=TODAY, scenarios=sims)
    assert "Advice" not in section(payload, "Scenarios")


def test_documents_of_another_fit_are_refused(files, tmp_path):
    other = tmp_path / "other.json"
    assert run("fit", "surveys/acsi_synthetic.csv", "--model", "acsi", "--scale", "1:10",
               "--format", "json", "-o", other, "-q").exit_code == 0
    out = tmp_path / "r.pdf"
    for option, name, message in (
            ("--simulate", "sim", "made from another fit: Quality starts at"),
            ("--plan", "plan", "made from another fit: Satisfaction starts at"),
            ("--latent", "latent", "made from another model")):
        result = run("report", other, option, files[name][0], "-o", out)
        assert result.exit_code == 4, result.output
        assert result.stderr.startswith(f"Error: {files[name][0]}: ")
        assert message in result.stderr and result.stderr.count("\n") == 1
        assert not out.exists()
    # a plan naming a driver the report's model does not have
    foreign = copy.deepcopy(files["plan"][1])
    foreign["candidates"].append({"driver": "Image", "kind": "construct", "cost_per_point": 1,
                                  "max_points": 10})
    with pytest.raises(ModelError, match="made from another model: Image is not in the "
                                         "report's model"):
        pdf.render(files["fit"][1], scenarios=[("foreign.json", foreign)])
    # a simulation of the same model but another survey: its levels are not the report's
    shifted = copy.deepcopy(files["sim"][1])
    shifted["effects"][0]["before"] += 0.5
    with pytest.raises(ModelError, match="made from another fit"):
        pdf.render(files["fit"][1], scenarios=[("shifted.json", shifted)])
    latent = dict(files["latent"][1], source="another.csv")
    with pytest.raises(ModelError, match="made from another survey"):
        pdf.render(files["fit"][1], latent=("l.json", latent))
    # a plan given as a simulation is not read (exit 3), a fit is not a plan
    wrong = run("report", files["fit"][0], "--simulate", files["plan"][0], "-o", out)
    assert wrong.exit_code == 3 and "not a csi" in wrong.stderr
    with pytest.raises(DataError, match="not a result of csi simulate or csi plan"):
        pdf.render(files["fit"][1], scenarios=[("fit.json", files["fit"][1])])


def test_chinese_sections_are_mostly_chinese(files):
    payload, _ = render(files, lang="zh-CN", labels=CHINESE_LABELS)
    scenarios = section(payload, "情景分析")
    hidden = section(payload, "隐藏细分群体").split("Hahn, C.")[0]  # references stay English
    for text in (scenarios, hidden):
        assert cjk_share(text) > 0.75, f"{cjk_share(text):.0%} CJK"
    sim, plan = files["sim"][1], files["plan"][1]
    effect = next(row for row in sim["effects"] if not row["changed"])
    assert flat(f"{CHINESE_LABELS[effect['construct']]}将从{effect['before']:.1f}变为"
                f"{effect['after']:.1f}") in flat(scenarios)
    gain = plan["expected_gain"]
    assert flat(f"{gain['estimate']:+.1f}（95%置信区间{gain['ci_low']:.1f}–"
                f"{gain['ci_high']:.1f}）") in flat(scenarios)
    assert "各类别的结构路径存在差异" in hidden and "选定：2个类别" in flat(hidden)
    assert "建议" in scenarios and "假设：感知质量 +5" in scenarios


def test_pages_render_inked_and_none_near_empty(files, english):
    for payload, pages in (english, render(files, lang="zh-CN", labels=CHINESE_LABELS)):
        images = rasterize(payload, None, dpi=30)
        assert len(images) == pages
        for number, image in enumerate(images, start=1):
            assert (image < 240).mean() > 0.005, f"page {number} is blank"
        fills = [body_fill(image) for image in images[1:-1]]
        assert min(fills) > 0.5, [f"{f:.2f}" for f in fills]
    contents = [line for line in "\n".join(
        p.extract_text() or "" for p in pypdf.PdfReader(io.BytesIO(english[0])).pages)
        .splitlines() if re.match(r"\d+\. ", line)]
    found = [h for h in HEADINGS if any(line.endswith(h) for line in contents)]
    assert found == list(HEADINGS)  # the contents and the sections in order


def test_the_commands_pdfs_carry_their_sections(files):
    folder = files["folder"]
    for name, heading, other in (("sim.pdf", "Scenarios", "Hidden segments"),
                                 ("plan.pdf", "Scenarios", "Hidden segments"),
                                 ("latent.pdf", "Hidden segments", "Scenarios")):
        payload = (folder / name).read_bytes()
        assert section(payload, heading)
        with pytest.raises(AssertionError):
            section(payload, other)
    latent = section((folder / "latent.pdf").read_bytes(), "Hidden segments")
    assert flat(files["latent"][1]["rule"]) in flat(latent)
