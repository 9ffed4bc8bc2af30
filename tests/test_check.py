"""`csi check`: the comparison library, its renderers, the command and `csi fit --check`.

The golden baselines in tests/golden/ were made by the commands in tests/golden/README.md;
the tests re-run those commands and check the new results against them.
"""

import copy
import hashlib
import json
import math
import re
import shlex
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from csi.gate import CheckReport, Policy, PolicyError, check, compare, load_policy
from csi.cli.check import HELP
from csi.cli.main import cli
from csi.errors import DataError, ExitCode
from csi.report.check_render import github_annotations, to_junit, to_markdown
from tests.conftest import MOBI, ROOT

GOLDEN = ROOT / "tests" / "golden"
README = ROOT / "README.md"


def run(*args, env=None):
    return CliRunner().invoke(cli, [str(a) for a in args], env=env)


def golden_commands() -> dict[str, list[str]]:
    """The `csi fit ... -o tests/golden/NAME.json` commands of tests/golden/README.md."""
    commands = {}
    for line in (GOLDEN / "README.md").read_text().splitlines():
        if line.startswith("csi fit "):
            args = shlex.split(line)[1:]
            out = args.index("-o")
            name = Path(args[out + 1]).name
            del args[out:out + 2]
            commands[name] = args
    return commands


def golden(name: str) -> dict:
    return json.loads((GOLDEN / name).read_text())


@pytest.fixture(scope="module")
def mobi():
    return golden("mobi_ecsi.json")


def fit_golden(name: str, out: Path, *extra) -> Path:
    """Re-run the golden command of `name`, from the repository root, writing to `out`."""
    args = [ROOT / a if a.startswith("surveys/") else a for a in golden_commands()[name]]
    result = run(*args, "-o", out, *extra)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def refits(tmp_path_factory):
    """Each golden command re-run once for the module: {name: path of the new result}."""
    folder = tmp_path_factory.mktemp("refit")
    return {name: fit_golden(name, folder / name) for name in golden_commands()}


def write(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(doc, indent=2))
    return path


def names(metrics) -> set[str]:
    return {m.name for m in metrics}


def drop_construct(doc: dict, name: str) -> dict:
    """`doc` as if the model had no construct `name`: every row and key naming it removed."""
    doc = copy.deepcopy(doc)
    model = doc["model"]
    gone = {name}
    for construct in model["constructs"]:
        if construct["name"] == name:
            gone.update(construct["indicators"])
    model["constructs"] = [c for c in model["constructs"] if c["name"] != name]
    model["paths"] = [p for p in model["paths"] if name not in (p["from"], p["to"])]
    for key, value in doc.items():
        if key in ("model", "data", "settings", "bootstrap", "priority_settings"):
            continue
        if isinstance(value, list):
            doc[key] = [row for row in value if not (isinstance(row, dict) and
                                                     gone & set(map(str, row.values())))]
        elif isinstance(value, dict):
            for item in gone:
                value.pop(item, None)
    return doc


# --------------------------------------------------------------------------------------------
# The golden baselines: re-fit, check, perturb


def test_every_golden_file_has_its_command():
    files = {p.name for p in GOLDEN.glob("*.json")}
    assert files == set(golden_commands()) == {"mobi_ecsi.json", "acsi_synthetic.json"}


@pytest.mark.parametrize("name", sorted(golden_commands()))
def test_refit_matches_the_golden_baseline(refits, name):
    """Same data, seed and csi: every estimate within the default 1e-6 + 1e-6·|b|."""
    result = run("check", refits[name], "--baseline", GOLDEN / name)
    assert result.exit_code == ExitCode.OK, result.stderr
    assert "csi check PASS" in result.stderr
    report = compare(golden(name), json.loads(refits[name].read_text()))
    assert report.passed and report.summary()["metrics"] > 300
    assert {"paths", "weights", "loadings", "r2", "index", "reliability", "importance",
            "priorities"} <= {f.family for f in report.families}


@pytest.mark.parametrize("name", sorted(golden_commands()))
def test_a_perturbed_baseline_fails_naming_the_metric(refits, tmp_path, name):
    doc = golden(name)
    doc["index"]["Satisfaction"]["score"] += 0.01
    baseline = write(tmp_path / "perturbed.json", doc)
    result = run("check", refits[name], "--baseline", baseline)
    assert result.exit_code == ExitCode.REGRESSION == 1
    assert "index[Satisfaction].score" in result.stderr
    assert "csi check REGRESSION" in result.stderr
    report = compare(doc, json.loads(refits[name].read_text()))
    assert names(report.failures) == {"index[Satisfaction].score"}


def test_same_seed_gives_byte_identical_json(refits, tmp_path):
    """Two fits with the same data and seed write the same bytes, whatever the thread count,
    so a numeric tolerance of 0 passes on one machine."""
    again = fit_golden("mobi_ecsi.json", tmp_path / "again.json", "--workers", "1")
    assert again.read_bytes() == refits["mobi_ecsi.json"].read_bytes()
    zero = tmp_path / "zero.toml"
    zero.write_text("[defaults]\nabs = 0\nrel = 0\n")
    result = run("check", again, "--baseline", refits["mobi_ecsi.json"], "--policy", zero)
    assert result.exit_code == 0, result.stderr


# --------------------------------------------------------------------------------------------
# Metrics and tolerances (library)


def test_metric_names_are_stable_and_cover_every_family(mobi):
    report = compare(mobi, copy.deepcopy(mobi))
    found = names(report.metrics)
    for name in ("paths[Image->Expectation].estimate", "index[Satisfaction].score",
                 "reliability[Quality].ave", "importance[Quality->Satisfaction].impact_5pt",
                 "weights[Quality,PERQ1].estimate", "loadings[Image,IMAG1].estimate",
                 "r2[Satisfaction]", "r2_adj[Loyalty]", "htmt[Quality,Image].value",
                 "total_effects[Image->Satisfaction].estimate",
                 "item_weights[Quality,PERQ1].normalized", "priorities[Quality].quadrant",
                 "priorities.order"):
        assert name in found, name
    # uncertainty fields describe an estimate; they are not estimates themselves, and
    # what depends on the resamples is compared only with inference = true
    assert not any(n.endswith((".se", ".ci_low", "_ci_high", ".t", ".p", ".p_top1",
                               ".p_top3", ".significant")) for n in found)
    # descriptives of the data are not metrics unless a policy names them
    assert not any(n.startswith("data_quality") for n in found)
    assert "priorities[Quality].rank" not in found  # the priority rule checks ranks
    assert report.passed and report.exit_code == ExitCode.OK


PERTURB = [
    ("paths[Quality->Satisfaction].estimate",
     lambda d: next(r for r in d["paths"] if (r["from"], r["to"]) == ("Quality", "Satisfaction"))),
    ("weights[Quality,PERQ1].estimate",
     lambda d: next(r for r in d["weights"] if r["indicator"] == "PERQ1")),
    ("loadings[Value,PERV2].estimate",
     lambda d: next(r for r in d["loadings"] if r["indicator"] == "PERV2")),
    ("index[Loyalty].score", lambda d: d["index"]["Loyalty"]),
    ("reliability[Quality].ave", lambda d: d["reliability"]["Quality"]),
    ("importance[Value->Satisfaction].impact_5pt",
     lambda d: next(r for r in d["importance"] if r["driver"] == "Value")),
    ("htmt[Quality,Image].value",
     lambda d: next(r for r in d["htmt"] if (r["a"], r["b"]) == ("Quality", "Image"))),
]


@pytest.mark.parametrize("metric,row", PERTURB, ids=[p[0] for p in PERTURB])
def test_a_change_beyond_tolerance_fails_that_metric_only(mobi, metric, row):
    field = metric.rsplit(".", 1)[1]
    current = copy.deepcopy(mobi)
    row(current)[field] += 1e-3
    report = compare(mobi, current)
    assert names(report.failures) == {metric}
    assert report.exit_code == ExitCode.REGRESSION
    failure = report.failures[0]
    assert failure.change == pytest.approx(1e-3)
    assert failure.rule == "abs+rel"
    assert failure.tolerance == pytest.approx(1e-6 + 1e-6 * abs(failure.baseline))

    within = copy.deepcopy(mobi)
    row(within)[field] += 5e-7  # inside 1e-6 + 1e-6·|baseline|
    assert compare(mobi, within).passed


def test_r2_without_a_field_name(mobi):
    current = copy.deepcopy(mobi)
    current["r2"]["Satisfaction"] += 0.01
    assert names(compare(mobi, current).failures) == {"r2[Satisfaction]"}


def test_every_failing_metric_is_reported(mobi):
    current = copy.deepcopy(mobi)
    current["index"]["Image"]["score"] += 1
    current["paths"][0]["estimate"] -= 0.1
    current["reliability"]["Value"]["alpha"] = None
    report = compare(mobi, current)
    assert names(report.failures) == {"index[Image].score", "paths[Image->Expectation].estimate",
                                      "reliability[Value].alpha"}
    assert {f.family for f in report.families if f.failed} == {"index", "paths", "reliability"}


def test_null_equals_null_only(mobi):
    base, current = copy.deepcopy(mobi), copy.deepcopy(mobi)
    base["reliability"]["Complaints"]["alpha"] = None
    current["reliability"]["Complaints"]["alpha"] = None
    assert compare(base, current).passed
    current["reliability"]["Complaints"]["alpha"] = 1.0
    assert names(compare(base, current).failures) == {"reliability[Complaints].alpha"}


def test_ci_rule_uses_the_combined_bootstrap_uncertainty(mobi):
    """Fail only when |c - b| > z·sqrt(se_b² + se_c²), z = 1.96 for level 0.95."""
    policy = Policy.from_dict({"families": {"index": {"rule": "ci"}}})
    assert policy.z == pytest.approx(1.959964, abs=1e-6)
    entry = mobi["index"]["Satisfaction"]
    limit = policy.z * math.sqrt(2) * entry["se"]  # the same SE in both files
    for factor, passed in ((0.9, True), (1.1, False)):
        current = copy.deepcopy(mobi)
        current["index"]["Satisfaction"]["score"] += factor * limit
        report = compare(mobi, current, policy)
        check = next(m for m in report.metrics if m.name == "index[Satisfaction].score")
        assert check.rule == "ci"
        assert check.tolerance == pytest.approx(limit)
        assert report.passed is passed
    # the level sets z
    strict_level = Policy.from_dict({"level": 0.5, "families": {"index": {"rule": "ci"}}})
    assert strict_level.z == pytest.approx(0.6744898, abs=1e-6)


def test_ci_rule_falls_back_to_numeric_without_standard_errors(mobi):
    policy = Policy.from_dict({"defaults": {"rule": "ci"}})
    report = compare(mobi, copy.deepcopy(mobi), policy)
    rules = {m.name: m.rule for m in report.metrics}
    assert rules["index[Satisfaction].score"] == "ci"
    assert rules["r2[Satisfaction]"] == "ci"  # its SE is listed under r2_inference
    assert rules["importance[Quality->Satisfaction].impact_5pt"] == "ci"  # impact_5pt_se
    assert rules["reliability[Quality].ave"] == "abs+rel (no SE)"
    assert rules["htmt[Quality,Image].value"] == "abs+rel (no SE)"

    no_bootstrap = _strip_inference(mobi)
    report = compare(no_bootstrap, copy.deepcopy(mobi), policy)
    valued = [m for m in report.metrics if m.kind == "numeric" and m.baseline is not None]
    assert {m.rule for m in valued} == {"abs+rel (no SE)"}  # null == null is not a rule
    assert any(f.subject == "bootstrap" for f in report.findings)  # none vs 500 resamples


def _strip_inference(doc: dict) -> dict:
    """`doc` as written by a fit with --bootstrap 0."""
    suffixes = ("se", "t", "p", "ci_low", "ci_high")

    def clean(row):
        return {k: v for k, v in row.items()
                if k not in suffixes and not k.endswith(tuple(f"_{s}" for s in suffixes))}

    out = copy.deepcopy(doc)
    for key, value in out.items():
        if key in ("model", "priorities"):
            continue
        if isinstance(value, list) and value and isinstance(value[0], dict):
            out[key] = [clean(row) for row in value]
        elif key in ("index",):
            out[key] = {k: clean(v) for k, v in value.items()}
    out["bootstrap"] = None
    return out


def test_inference_true_also_compares_standard_errors(mobi):
    current = copy.deepcopy(mobi)
    current["index"]["Value"]["se"] *= 1.5
    assert compare(mobi, current).passed
    report = compare(mobi, current, Policy.from_dict({"inference": True}))
    assert names(report.failures) == {"index[Value].se"}


def test_policy_layers_most_specific_last():
    policy = Policy.from_dict({
        "defaults": {"abs": 0.1},
        "families": {"nonlinear": {"rule": "ci"}, "index": {"rule": "ci", "abs": 0.2}},
        "metrics": {"index[*].score": {"rel": 0.3},
                    "index[Satisfaction].score": {"rule": "numeric", "abs": 0.5}},
    })
    assert policy.tolerance("paths", "paths[A->B].estimate").abs == 0.1
    t = policy.tolerance("index", "index[Loyalty].score")
    assert (t.rule, t.abs, t.rel) == ("ci", 0.2, 0.3)
    t = policy.tolerance("index", "index[Satisfaction].score")
    assert (t.rule, t.abs, t.rel) == ("numeric", 0.5, 0.3)
    assert policy.tolerance("nonlinear.drivers", "nonlinear.drivers[Q].slope").rule == "ci"
    # brackets in a pattern are literal, not character classes
    assert policy.tolerance("index", "index[S].score").rel == 0.3
    assert policy.tolerance("index", "indexS.score").rel == 1e-6


def test_unquoted_dotted_family_names_nest_in_toml_and_still_work(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('[families.nonlinear.drivers]\ncategorical = "warn"\n')
    policy = load_policy(path)
    assert policy.tolerance("nonlinear.drivers", "x").categorical == "warn"
    assert policy.tolerance("nonlinear.paths", "x").categorical == "fail"


@pytest.mark.parametrize("text,message", [
    ("tolerance = 1", "unknown key 'tolerance'"),
    ('[families.index]\nrule = "loose"', "rule = 'loose' in [families.\"index\"] is not one of"),
    ("[defaults]\nabs = -1", "abs in [defaults] must be a number >= 0"),
    ('priority = "top2"', "priority = 'top2' is not one of top1, top3, order, ignore"),
    ("level = 1.5", "level must be a number between 0 and 1"),
    ("[defaults\nabs = 1", "not valid TOML"),
    ('[families]\nindex = 1', "families.index must be a table"),
])
def test_invalid_policies_are_usage_errors(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(PolicyError, match=re.escape(message)):
        load_policy(path)
    assert PolicyError.exit_code == ExitCode.USAGE


def _toml_blocks(markdown: str) -> list[str]:
    return re.findall(r"```toml\n(.*?)```", markdown, flags=re.S)


def test_the_documented_policy_examples_parse(tmp_path):
    blocks = _toml_blocks(README.read_text())
    assert blocks, "README has a ```toml policy example"
    start = HELP.index("Policy file (TOML)")
    help_example = textwrap.dedent(HELP[start:].split("\n", 1)[1].split("\n\n")[0])
    for text in (*blocks, help_example):
        path = tmp_path / "example.toml"
        path.write_text(text)
        policy = load_policy(path)
        assert policy.tolerance("index", "index[Quality].score").rule == "ci"


def test_unmatched_policy_entries_are_noted(mobi):
    policy = Policy.from_dict({"families": {"indx": {"rule": "ci"}}})
    report = compare(mobi, copy.deepcopy(mobi), policy)
    assert report.passed
    assert any("[families.\"indx\"] matched no metric" in f.message for f in report.findings)


def test_ignore_rule_skips_a_family(mobi):
    current = copy.deepcopy(mobi)
    current["htmt"][0]["value"] += 1
    assert not compare(mobi, current).passed
    report = compare(mobi, current, Policy.from_dict({"families": {"htmt": {"rule": "ignore"}}}))
    assert report.passed
    htmt = next(f for f in report.families if f.family == "htmt")
    assert htmt.compared == 0 and htmt.ignored == len(mobi["htmt"])


# --------------------------------------------------------------------------------------------
# Priority order


def _swap_ranks(doc: dict, first: int, second: int) -> dict:
    doc = copy.deepcopy(doc)
    rows = {row["rank"]: row for row in doc["priorities"]}
    rows[first]["rank"], rows[second]["rank"] = second, first
    return doc


@pytest.mark.parametrize("swap,rule,passed", [
    ((1, 2), "top1", False), ((1, 2), "top3", True), ((1, 2), "order", False),
    ((1, 2), "ignore", True), ((3, 4), "top1", True), ((3, 4), "top3", False),
    ((3, 4), "order", False), ((2, 3), "top3", True),
])
def test_priority_rules(mobi, swap, rule, passed):
    current = _swap_ranks(mobi, *swap)
    report = compare(mobi, current, Policy.from_dict({"priority": rule}))
    assert report.passed is passed
    order = [m for m in report.metrics if m.name == "priorities.order"]
    assert len(order) == (0 if rule == "ignore" else 1)
    if not passed:
        assert order[0].baseline.startswith("Quality > Expectation")


# --------------------------------------------------------------------------------------------
# Structure, schema, model and settings


def test_construct_in_one_file_only(mobi):
    current = drop_construct(mobi, "Complaints")
    report = compare(mobi, current)
    assert not report.passed
    structure = [f for f in report.findings if f.category == "structure"]
    assert [f.message for f in structure] == [
        "construct Complaints only in the baseline",
        "path Satisfaction->Complaints only in the baseline",
        "path Complaints->Loyalty only in the baseline",
    ]
    assert all(f.severity == "fail" for f in structure)
    gone = [m for m in report.metrics if m.presence == "baseline"]
    assert "index[Complaints].score" in names(gone)
    assert all(m.verdict == "fail" and m.rule == "presence" for m in gone)
    # and the other way round
    report = compare(current, mobi)
    assert "construct Complaints only in the current file" in [f.message for f in report.findings]
    # structure = "warn" makes structural changes warnings
    report = compare(mobi, current, Policy.from_dict({"structure": "warn"}))
    assert report.passed and report.warnings


def test_indicator_in_one_file_only(mobi):
    current = json.loads(json.dumps(mobi).replace('"PERQ7"', '"PERQ8"'))
    report = compare(mobi, current)
    messages = [f.message for f in report.findings if f.category == "structure"]
    assert messages == ["indicator PERQ7 of Quality only in the baseline",
                        "indicator PERQ8 of Quality only in the current file"]
    assert "loadings[Quality,PERQ7].estimate" in names(report.failures)
    assert report.exit_code == ExitCode.REGRESSION


def test_path_in_one_file_only(mobi):
    current = copy.deepcopy(mobi)
    current["model"]["paths"] = [p for p in current["model"]["paths"]
                                 if (p["from"], p["to"]) != ("Image", "Loyalty")]
    current["paths"] = [p for p in current["paths"] if (p["from"], p["to"]) != ("Image", "Loyalty")]
    report = compare(mobi, current)
    assert [f.message for f in report.findings if f.severity == "fail"] == [
        "path Image->Loyalty only in the baseline"]
    assert [m.name for m in report.failures] == ["paths[Image->Loyalty].estimate"]


@pytest.mark.parametrize("change,subject", [
    (lambda d: d.update(schema="csi.fit/2"), "schema"),
    (lambda d: d["model"].update(name="ecsi_v2"), "model.name"),
    (lambda d: d["model"].update(target="Loyalty"), "model.target"),
    (lambda d: d["model"]["constructs"][0].update(mode="B"), "model.constructs[Image].mode"),
    (lambda d: d["settings"].update(scheme="centroid"), "settings.scheme"),
    (lambda d: d["settings"]["scale"].update(max=7.0), "settings.scale.max"),
    (lambda d: d["priority_settings"].update(target="Loyalty"), "priority_settings.target"),
    (lambda d: d.update(converged=False), "converged"),
])
def test_schema_model_and_settings_differences_warn_or_fail_with_strict(mobi, change, subject):
    current = copy.deepcopy(mobi)
    change(current)
    report = compare(mobi, current)
    finding = next(f for f in report.findings if f.subject == subject)
    assert finding.severity == "warn"
    assert report.passed
    strict = compare(mobi, current, Policy(strict=True))
    assert next(f for f in strict.findings if f.subject == subject).severity == "fail"
    assert strict.exit_code == ExitCode.REGRESSION


def test_another_seed_is_a_note_unless_inference_is_compared(mobi):
    current = copy.deepcopy(mobi)
    current["bootstrap"]["seed"] = 1
    finding = next(f for f in compare(mobi, current).findings if f.subject == "bootstrap.seed")
    assert finding.severity == "info"
    exact = compare(mobi, current, load_policy("exact"))
    assert next(f for f in exact.findings if f.subject == "bootstrap.seed").severity == "fail"
    assert not exact.passed


def test_run_details_are_notes_only(mobi):
    current = copy.deepcopy(mobi)
    current.update(csi_version="0.2.0", source="wave2.csv", n_obs=251)
    current["bootstrap"]["n_failed"] = 3
    current["warnings"] = ["something new"]
    report = compare(mobi, current, Policy(strict=True))
    assert report.passed
    assert {f.subject for f in report.findings} == {"csi_version", "source", "n_obs",
                                                   "bootstrap.n_failed", "warnings"}
    assert {f.severity for f in report.findings} == {"info"}


NONLINEAR = {
    "knot": "midpoint",
    "paths": [{"from": "Quality", "to": "Satisfaction", "slope_low": 0.4, "slope_high": 0.2,
               "asymmetry": -0.2, "quadratic": -0.01, "turning_point": None,
               "curve": "concave", "slope_low_se": 0.05, "slope_low_ci_low": 0.3,
               "slope_low_ci_high": 0.5}],
    "drivers": [{"driver": "Quality", "target": "Satisfaction", "kano_class": "basic",
                 "p_basic": 0.8, "p_performance": 0.15, "p_excitement": 0.05,
                 "marginal_effect": 0.3, "impact_5pt": 1.5},
                {"driver": "Value", "target": "Satisfaction", "kano_class": "performance",
                 "p_basic": 0.1, "p_performance": 0.8, "p_excitement": 0.1,
                 "marginal_effect": 0.2, "impact_5pt": 1.0}],
    "comparison": {"r2_linear": 0.68, "r2_nonlinear": 0.69, "cv_r2_linear": 0.66,
                   "cv_r2_nonlinear": 0.665, "preferred": "linear", "verdict": "linear"},
}


def test_future_families_are_compared_generically(mobi):
    """`nonlinear` and CB-SEM `fit`, added by later issues, are compared when in both files."""
    base = copy.deepcopy(mobi)
    base["nonlinear"] = copy.deepcopy(NONLINEAR)
    base["fit"] = {"chi2": 250.1, "df": 231, "p": 0.18, "cfi": 0.95, "rmsea": 0.04,
                   "rmsea_ci_low": 0.02, "rmsea_ci_high": 0.06}
    report = compare(base, copy.deepcopy(base))
    assert report.passed
    found = names(report.metrics)
    assert {"nonlinear.knot", "nonlinear.paths[Quality->Satisfaction].slope_low",
            "nonlinear.paths[Quality->Satisfaction].curve",
            "nonlinear.drivers[Value].impact_5pt",
            "fit.cfi", "fit.p", "fit.rmsea"} <= found
    assert "fit.rmsea_ci_low" not in found
    # Kano classes and the cross-validated comparison depend on the resamples and the seed
    resampled = {"nonlinear.drivers[Quality].kano_class", "nonlinear.comparison.preferred",
                 "nonlinear.comparison.cv_r2_nonlinear"}
    assert not resampled & found
    assert resampled <= names(compare(base, copy.deepcopy(base),
                                      Policy(inference=True)).metrics)

    current = copy.deepcopy(base)
    current["nonlinear"]["drivers"][0]["kano_class"] = "performance"
    current["nonlinear"]["paths"][0]["slope_low"] += 0.01
    current["fit"]["cfi"] = 0.90
    assert names(compare(base, current).failures) == {
        "nonlinear.paths[Quality->Satisfaction].slope_low", "fit.cfi"}
    report = compare(base, current, Policy(inference=True))
    assert names(report.failures) == {"nonlinear.drivers[Quality].kano_class",
                                      "nonlinear.paths[Quality->Satisfaction].slope_low",
                                      "fit.cfi"}
    kano = next(m for m in report.failures if m.kind == "categorical")
    assert (kano.baseline, kano.current) == ("basic", "performance")

    policy = Policy.from_dict({"inference": True,
                               "families": {"nonlinear.drivers": {"categorical": "warn"}}})
    report = compare(base, current, policy)
    assert "nonlinear.drivers[Quality].kano_class" in names(report.warnings)
    assert "nonlinear.drivers[Quality].kano_class" not in names(report.failures)

    # the ci rule reads slope_low_se
    policy = Policy.from_dict({"families": {"nonlinear": {"rule": "ci"}}})
    slope = next(m for m in compare(base, current, policy).metrics
                 if m.name == "nonlinear.paths[Quality->Satisfaction].slope_low")
    assert slope.rule == "ci" and slope.verdict == "pass"


def test_a_family_in_one_file_only_is_not_compared(mobi):
    current = copy.deepcopy(mobi)
    current["nonlinear"] = copy.deepcopy(NONLINEAR)
    report = compare(mobi, current, Policy(strict=True))
    assert report.passed
    finding = next(f for f in report.findings if f.subject == "nonlinear.drivers")
    assert finding.severity == "info"
    # missing from the current file: a warning (a failure with --strict)
    report = compare(current, mobi)
    assert report.passed
    assert next(f for f in report.findings if f.subject == "nonlinear.drivers").severity == "warn"
    assert not compare(current, mobi, Policy(strict=True)).passed


def test_a_field_added_by_a_newer_csi_is_a_note(mobi):
    current = copy.deepcopy(mobi)
    for row in current["paths"]:
        row["f2"] = 0.1
    report = compare(mobi, current)
    assert report.passed
    assert any(f.subject == "paths.f2" and f.severity == "info" for f in report.findings)


def test_documents_that_are_not_fit_results_are_data_errors(mobi):
    with pytest.raises(DataError, match="new.json: not a complete csi fit result"):
        compare(mobi, {"schema": "csi.fit/1"}, current_label="new.json")
    with pytest.raises(DataError, match="old.json: not a csi fit result"):
        compare({"paths": []}, mobi, baseline_label="old.json")


def test_nothing_in_common_fails(mobi):
    current = {"schema": "csi.fit/1", "model": {"constructs": [], "paths": []}}
    report = compare(mobi, current)
    assert not report.passed
    assert any("nothing was compared" in f.message for f in report.failed_findings)


def test_report_to_dict_is_json_and_deterministic(mobi):
    current = copy.deepcopy(mobi)
    current["index"]["Image"]["score"] += 1
    first = compare(mobi, current).to_json()
    assert first == compare(mobi, current).to_json()
    doc = json.loads(first)
    assert doc["schema"] == "csi.check/1"
    assert doc["passed"] is False and doc["exit_code"] == 1
    assert doc["summary"]["failed"] == 1
    assert doc["policy"]["defaults"] == {"rule": "numeric", "abs": 1e-6, "rel": 1e-6,
                                         "categorical": "fail"}
    failed = [m for m in doc["metrics"] if m["verdict"] == "fail"]
    assert failed == [{"name": "index[Image].score", "family": "index", "kind": "numeric",
                       "presence": "both", "baseline": mobi["index"]["Image"]["score"],
                       "current": current["index"]["Image"]["score"],
                       "change": pytest.approx(1.0), "tolerance": pytest.approx(1e-6 + 1e-6 *
                       mobi["index"]["Image"]["score"]), "rule": "abs+rel", "verdict": "fail",
                       "p_value": None}]


# --------------------------------------------------------------------------------------------
# Renderers


def _failing_report(mobi) -> CheckReport:
    current = drop_construct(mobi, "Complaints")
    current["index"]["Image"]["score"] += 1
    current["paths"][0]["estimate"] += 1
    current["settings"]["scheme"] = "centroid"
    return compare(mobi, current, baseline_label="base.json", current_label="new.json")


def test_junit_has_one_case_per_family_and_counts_right(mobi):
    report = _failing_report(mobi)
    root = ET.fromstring(to_junit(report))
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [f.family for f in report.families] + [
        "structure", "context"]
    failing = {c.get("name") for c in cases if c.find("failure") is not None}
    assert failing == {f.family for f in report.families if f.failed} | {"structure"}
    assert {"index", "paths", "reliability"} <= failing
    for element in (root, suite):
        assert int(element.get("tests")) == len(cases)
        assert int(element.get("failures")) == len(failing)
        assert element.get("errors") == "0"
    index = next(c for c in cases if c.get("name") == "index").find("failure")
    assert index.get("message") == "index: 2 of 7 metrics beyond tolerance"
    assert index.text.splitlines()[0].startswith("index[Image].score: baseline 73.528")
    assert "index[Complaints].score: only in baseline" in index.text
    context = next(c for c in cases if c.get("name") == "context")
    assert context.find("failure") is None
    assert "settings.scheme: path → centroid" in context.find("system-out").text

    passing = ET.fromstring(to_junit(compare(mobi, copy.deepcopy(mobi))))
    assert passing.get("failures") == "0"
    assert int(passing.get("tests")) == len(passing.find("testsuite").findall("testcase"))


def test_markdown_lists_failures_and_families(mobi):
    text = to_markdown(_failing_report(mobi))
    assert text.startswith("### ❌ csi check REGRESSION: new.json against base.json")
    assert "| `index[Image].score` | 73.528 | 74.528 | +1 | ±7.45e-05 abs+rel | FAIL |" in text
    assert "| ❌ | construct Complaints only in the baseline |" in text
    assert "| ⚠️ | settings.scheme: path → centroid |" in text
    assert "| Family | Compared | Failed | Warned | Max \\|change\\| |" in text


def test_github_annotations_escape_and_group_by_family(mobi):
    lines = github_annotations(_failing_report(mobi))
    assert all(line.startswith(("::error ", "::warning ")) for line in lines)
    assert all("\n" not in line for line in lines)
    index = next(line for line in lines if "title=csi check%3A index::" in line)
    assert index.startswith("::error title=csi check%3A index::index: 2 metrics beyond "
                            "tolerance%0Aindex[Image].score: baseline 73.528")
    assert "::warning title=csi check%3A settings::settings.scheme: path → centroid" in lines


# --------------------------------------------------------------------------------------------
# The command


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """A fit without bootstrap (fast): the baseline of the CLI tests."""
    path = tmp_path_factory.mktemp("quick") / "quick.json"
    result = run("fit", MOBI, "--model", "ecsi", "--scale", "1:10", "--bootstrap", "0",
                 "--format", "json", "-o", path)
    assert result.exit_code == 0, result.output
    return path


def test_check_pass_prints_on_stderr_only(quick):
    result = run("check", quick, "--baseline", quick)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr.startswith(f"csi check PASS: {quick} against {quick}")
    assert "Families" in result.stderr


def test_check_json_goes_to_stdout(quick, tmp_path):
    doc = json.loads(quick.read_text())
    doc["paths"][2]["estimate"] += 0.5
    baseline = write(tmp_path / "b.json", doc)
    result = run("check", quick, "--baseline", baseline, "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["passed"] is False
    assert [m["name"] for m in report["metrics"] if m["verdict"] == "fail"] == [
        "paths[Expectation->Value].estimate"]
    assert result.stderr.startswith("csi check REGRESSION")
    assert len(result.stderr.splitlines()) == 1


def test_check_writes_junit_and_markdown_files(quick, tmp_path):
    doc = json.loads(quick.read_text())
    doc["reliability"]["Quality"]["ave"] += 0.5
    baseline = write(tmp_path / "b.json", doc)
    junit, markdown = tmp_path / "check.xml", tmp_path / "summary.md"
    result = run("check", quick, "--baseline", baseline, "--junit", junit, "--markdown", markdown,
                 "--quiet")
    assert result.exit_code == 1
    assert result.stderr == ""
    root = ET.fromstring(junit.read_text())
    assert root.get("failures") == "1"
    failure = root.find("testsuite/testcase[@name='reliability']/failure")
    assert "reliability[Quality].ave" in failure.text
    assert "`reliability[Quality].ave`" in markdown.read_text()


def test_github_annotations_only_under_github_actions(quick, tmp_path):
    doc = json.loads(quick.read_text())
    doc["index"]["Value"]["score"] += 1
    baseline = write(tmp_path / "b.json", doc)
    plain = run("check", quick, "--baseline", baseline, "--format", "json",
                env={"GITHUB_ACTIONS": None})
    assert "::error" not in plain.stderr
    actions = run("check", quick, "--baseline", baseline, "--format", "json",
                  env={"GITHUB_ACTIONS": "true"})
    assert actions.exit_code == 1
    assert "::error title=csi check%3A index::index: 1 metric beyond tolerance%0A" \
           "index[Value].score" in actions.stderr
    json.loads(actions.stdout)  # standard output stays pure JSON


def test_structural_change_from_a_real_fit(quick, tmp_path):
    original = (ROOT / "models" / "ecsi.lav").read_text()
    model = original.replace("Loyalty      ~ Image + Satisfaction + Complaints",
                             "Loyalty      ~ Satisfaction + Complaints")
    assert model != original
    (tmp_path / "no_image_loyalty.lav").write_text(model)
    current = tmp_path / "current.json"
    fitted = run("fit", MOBI, "--model", tmp_path / "no_image_loyalty.lav", "--scale", "1:10",
                 "--bootstrap", "0", "--format", "json", "-o", current)
    assert fitted.exit_code == 0, fitted.output
    result = run("check", current, "--baseline", quick, "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert {"category": "structure", "subject": "path Image->Loyalty", "baseline": "present",
            "current": "absent", "severity": "fail",
            "message": "path Image->Loyalty only in the baseline"} in report["findings"]
    model_name = next(f for f in report["findings"] if f["subject"] == "model.name")
    assert model_name["severity"] == "warn"
    assert "paths[Satisfaction->Loyalty].estimate" in [
        m["name"] for m in report["metrics"] if m["verdict"] == "fail"]


def test_schema_mismatch_warns_and_fails_with_strict(quick, tmp_path):
    doc = json.loads(quick.read_text())
    doc["schema"] = "csi.fit/2"
    current = write(tmp_path / "c.json", doc)
    result = run("check", current, "--baseline", quick)
    assert result.exit_code == 0
    assert "schema" in result.stderr and "warning" in result.stderr
    strict = run("check", current, "--baseline", quick, "--strict")
    assert strict.exit_code == 1
    assert "FAIL" in strict.stderr


@pytest.mark.parametrize("args,code,message", [
    (["check", "{q}"], 2, "Missing option '-b' / '--baseline'"),
    (["check", "{q}", "--baseline", "{q}", "--format", "xml"], 2, "Invalid value for '--format'"),
    (["check", "{q}", "--baseline", "{q}", "--policy", "{tmp}/none.toml"], 2,
     "Error: {tmp}/none.toml: no such policy file (built-in policies: exact, seed, waves)\n"),
    (["check", "{q}", "--baseline", "{tmp}/bad.toml", ], 3,
     "Error: {tmp}/bad.toml, line 1: not valid JSON"),
    (["check", "{q}", "--baseline", "{q}", "--policy", "{tmp}/bad.toml"], 2,
     "Error: {tmp}/bad.toml: unknown key 'tolerance' (expected one of level, priority, strict, "
     "inference, structure, correction, descriptives, same_data, diagnostics, defaults, "
     "families, metrics, extends)\n"),
    (["check", "{tmp}/missing.json", "--baseline", "{q}"], 3,
     "Error: {tmp}/missing.json: no such file\n"),
    (["check", "{q}", "--baseline", "{tmp}/other.json"], 3,
     "Error: {tmp}/other.json: not a csi fit result (no 'schema': 'csi.fit/…' key)\n"),
    (["check", "{q}", "--baseline", "{tmp}/partial.json"], 3,
     "Error: {tmp}/partial.json: not a complete csi fit result (no 'model' with 'constructs')\n"),
    (["fit", MOBI, "--policy", "{tmp}/bad.toml"], 2, "--policy, --strict, --junit and --markdown need --check"),
    (["fit", MOBI, "--check", "{tmp}/missing.json"], 3,
     "Error: {tmp}/missing.json: no such file\n"),
])
def test_exit_codes_and_messages(quick, tmp_path, args, code, message):
    (tmp_path / "bad.toml").write_text("tolerance = 1\n")
    (tmp_path / "other.json").write_text('{"rows": []}')
    (tmp_path / "partial.json").write_text('{"schema": "csi.fit/1"}')

    def fill(text):
        return str(text).replace("{q}", str(quick)).replace("{tmp}", str(tmp_path))

    result = run(*[fill(a) for a in args])
    assert result.exit_code == code, result.output
    assert fill(message) in result.stderr


def test_help_documents_the_policy_format():
    result = run("check", "--help")
    assert result.exit_code == 0
    for text in ("[families.index]", 'rule = "ci"', "z = 1.96", "top1 | top3", "--junit",
                 "Exit codes: 0 pass; 1 regression"):
        assert text in result.stdout


# --------------------------------------------------------------------------------------------
# csi fit --check


FIT = ["fit", MOBI, "--model", "ecsi", "--scale", "1:10", "--bootstrap", "0"]


def test_fit_check_shows_only_the_check(quick):
    result = run(*FIT, "--check", quick)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    # the fit's notes (mobi has a straight-liner) may come first, then the verdict
    assert f"csi check PASS: fit of {MOBI} against {quick}" in result.stderr


def test_fit_check_exit_code_comes_from_the_check(quick, tmp_path):
    doc = json.loads(quick.read_text())
    doc["loadings"][3]["estimate"] += 0.01
    baseline = write(tmp_path / "b.json", doc)
    result = run(*FIT, "--check", baseline)
    assert result.exit_code == 1
    assert "loadings[Image,IMAG4].estimate" in result.stderr
    policy = tmp_path / "loose.toml"
    policy.write_text("[families.loadings]\nabs = 0.02\n")
    assert run(*FIT, "--check", baseline, "--policy", policy).exit_code == 0

    doc = json.loads(quick.read_text())
    doc["settings"]["scheme"] = "factorial"
    baseline = write(tmp_path / "settings.json", doc)
    assert run(*FIT, "--check", baseline).exit_code == 0
    assert run(*FIT, "--check", baseline, "--strict").exit_code == 1


def test_fit_check_writes_the_fit_output_when_asked(quick, tmp_path):
    result = run(*FIT, "--check", quick, "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["schema"] == "csi.fit/1"
    assert "csi check PASS" in result.stderr
    out = tmp_path / "fit.json"
    result = run(*FIT, "--check", quick, "--format", "json", "-o", out)
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(out.read_text())["n_obs"] == 250
    table = tmp_path / "fit.txt"
    assert run(*FIT, "--check", quick, "-o", table).exit_code == 0
    assert "Customer Satisfaction" in table.read_text()


# --------------------------------------------------------------------------------------------
# Built-in policies, the data hash and error diagnostics (issue 15)


@pytest.fixture(scope="module")
def mobi_fits(tmp_path_factory):
    """mobi fitted from two places of the same bytes with one seed, and with another seed."""
    folder = tmp_path_factory.mktemp("places")
    elsewhere = folder / "ci" / "run-123" / "survey.csv"
    elsewhere.parent.mkdir(parents=True)
    elsewhere.write_bytes(MOBI.read_bytes())
    common = ["--model", "ecsi", "--scale", "1:10", "--bootstrap", "200", "--format", "json",
              "-q"]
    out = {}
    for name, survey, seed in (("base", MOBI, 1), ("moved", elsewhere, 1),
                               ("reseeded", MOBI, 2)):
        result = run("fit", survey, *common, "--seed", seed, "-o", folder / f"{name}.json")
        assert result.exit_code == 0, result.output
        out[name] = folder / f"{name}.json"
    return out


def test_the_same_file_elsewhere_passes_even_the_exact_policy(mobi_fits):
    base, moved = (json.loads(mobi_fits[k].read_text()) for k in ("base", "moved"))
    assert base["source"] != moved["source"]
    assert base["data_quality"]["source"] != moved["data_quality"]["source"]
    assert base["data"]["sha256"] == moved["data"]["sha256"] == hashlib.sha256(
        MOBI.read_bytes()).hexdigest()
    for policy in ("seed", "exact"):
        report = compare(base, moved, load_policy(policy))
        assert report.passed, [m.name for m in report.failures]
    assert not any(m.name.endswith(".source") for m in report.metrics)
    assert any(m.name.startswith("data_quality.items[") for m in report.metrics)  # exact


def test_another_seed_passes_seed_and_fails_exact(mobi_fits):
    result = run("check", mobi_fits["reseeded"], "--baseline", mobi_fits["base"])
    assert result.exit_code == 0, result.output
    result = run("check", mobi_fits["reseeded"], "--baseline", mobi_fits["base"],
                 "--policy", "exact", "--format", "json")
    assert result.exit_code == 1
    failed = {m["name"] for m in json.loads(result.stdout)["metrics"] if m["verdict"] == "fail"}
    assert "index[Satisfaction].se" in failed and "priorities[Quality].p_top1" in failed
    assert not any(name.endswith((".estimate", ".score")) for name in failed)


def test_other_data_warn_and_fail_under_strict(mobi):
    base, current = copy.deepcopy(mobi), copy.deepcopy(mobi)
    base["data"]["sha256"], current["data"]["sha256"] = "a" * 64, "b" * 64
    finding = next(f for f in compare(base, current).findings if f.subject == "data.sha256")
    assert finding.severity == "warn" and compare(base, current).passed
    assert not compare(base, current, Policy(strict=True)).passed
    waves = compare(base, current, load_policy("waves"))  # new data are the point of waves
    assert next(f for f in waves.findings if f.subject == "data.sha256").severity == "info"


def test_an_error_diagnostic_fails_unless_the_policy_allows_it(mobi):
    current = copy.deepcopy(mobi)
    current["diagnostics"] = [{"code": "inadmissible", "severity": "error", "subject": "Value",
                               "message": "a loading above 1"}]
    report = compare(mobi, current)
    assert not report.passed
    assert [f.subject for f in report.failed_findings] == ["diagnostics[inadmissible]"]
    assert compare(mobi, current, Policy.from_dict({"diagnostics": "warn"})).passed
    current["diagnostics"][0]["severity"] = "warning"
    assert compare(mobi, current).passed


def test_a_toml_policy_extends_a_builtin_one():
    policy = Policy.from_dict({"extends": "waves", "families": {"index": {"abs": 0.5}},
                               "metrics": {"r2[*]": {"rule": "ci"}}})
    assert (policy.correction, policy.priority, policy.name) == ("holm", "ignore", "waves")
    index = policy.tolerance("index", "index[Quality].score")
    assert (index.rule, index.abs) == ("ci", 0.5)
    assert policy.tolerance("r2", "r2[Loyalty]").rule == "ci"
    assert policy.tolerance("loadings", "loadings[A,a1].estimate").rule == "ignore"
    assert Policy.from_dict({}) == Policy(source="policy")
    with pytest.raises(PolicyError, match="extends = 'wave' is not one of exact, seed, waves"):
        Policy.from_dict({"extends": "wave"})


WAVE_POPULATION = ("Quality", "Value", "Satisfaction", "Loyalty")


def _wave(model: Path, seed: int, quality_shift: float = 0.0):
    """A new sample (n = 300, 200 resamples) of one population with known parameters;
    `quality_shift` moves every Quality answer (a real change of that index only)."""
    import csi
    from tests.simulate import Population

    population = Population(
        constructs=WAVE_POPULATION, loadings={c: (0.85, 0.8, 0.75) for c in WAVE_POPULATION},
        paths={"Value": {"Quality": 0.5}, "Satisfaction": {"Quality": 0.5, "Value": 0.3},
               "Loyalty": {"Satisfaction": 0.6}})
    if not model.exists():
        model.write_text(population.model_text())
    frame = population.sample(np.random.default_rng(seed), 300)
    quality = [c for c in frame if c.startswith("Quality")]
    frame[quality] += quality_shift
    return csi.fit(frame.clip(1, 10), model, scale=(1, 10), bootstrap=200, seed=seed)


def test_waves_of_one_population_pass_about_95_percent_and_a_shift_is_named(tmp_path):
    """40 pairs of independent waves: Holm's correction keeps the family-wise error at most
    5% (expected <= 2 failures; more than 5 has probability < 2% under a correct test)."""
    policy = load_policy("waves")
    model = tmp_path / "waves.lav"
    failures = sum(not check(_wave(model, 1000 + 2 * i), _wave(model, 1001 + 2 * i),
                             policy).passed for i in range(40))
    assert failures <= 5
    shifted = check(_wave(model, 5), _wave(model, 6, quality_shift=0.8), policy)
    assert not shifted.passed
    failed = names(shifted.failures)
    assert "index[Quality].score" in failed
    assert not any(n.startswith("index[") and n != "index[Quality].score" for n in failed)
    metric = next(m for m in shifted.failures if m.name == "index[Quality].score")
    assert metric.rule.startswith("ci holm") and metric.p_value < 0.05 / 18


def test_fit_check_writes_junit_and_markdown(tmp_path):
    golden_args = golden_commands()["mobi_ecsi.json"]
    args = [ROOT / a if a.startswith("surveys/") else a for a in golden_args]
    junit, markdown = tmp_path / "check.xml", tmp_path / "summary.md"
    result = run(*args, "--check", GOLDEN / "mobi_ecsi.json", "--junit", junit,
                 "--markdown", markdown, "-q")
    assert result.exit_code == 0, result.output
    suite = ET.parse(junit).getroot()
    assert suite.find(".//testcase[@name='index']") is not None
    assert not suite.findall(".//failure")
    assert "csi check" in markdown.read_text()
    missing = run(*args, "--check", GOLDEN / "mobi_ecsi.json", "--junit",
                  tmp_path / "no" / "such" / "check.xml")
    assert missing.exit_code == 2  # before any fitting
