"""The published JSON Schemas (`csi schema`, csi/schemas/) validate every kind of document csi
writes: fits by every estimator and variant (the non-linear block, diagnostics and advice
included), CFA, segments, compare and check reports; JUnit XML is read by junitparser."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator
from junitparser import JUnitXml
from referencing import Registry, Resource

from csi import schemas
from csi.cli.main import cli
from tests.conftest import MOBI, ROOT

SURVEYS = ROOT / "surveys"
SCALE = ("--scale", "1:10")
CFA = "Image =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5\nExpectation =~ CUEX1 + CUEX2 + CUEX3\n"


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result


def validator(name: str) -> Draft202012Validator:
    published = {n: schemas.load(n) for n in schemas.NAMES}
    registry = Registry().with_resources(
        [(doc["$id"], Resource.from_contents(doc)) for doc in published.values()])
    return Draft202012Validator(published[name], registry=registry)


def errors(name: str, doc: dict) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator(name).iter_errors(doc)]


@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> dict[str, tuple[str, Path]]:
    """One document of each kind, written by the CLI: {label: (schema name, path)}."""
    folder = tmp_path_factory.mktemp("documents")
    (folder / "cfa.lav").write_text(CFA)
    mobi = (MOBI, "--model", "ecsi", *SCALE)
    runs = {
        "pls": ("fit", (*mobi, "--bootstrap", "200")),
        "pls-point": ("fit", (*mobi, "--bootstrap", "0")),
        "nonlinear": ("fit", (*mobi, "--bootstrap", "200", "--variant", "nonlinear")),
        "necessity-fit-test": ("fit", (*mobi, "--bootstrap", "200", "--necessity",
                                       "--necessity-permutations", "200", "--fit-test")),
        "plsc": ("fit", (*mobi, "--estimator", "plsc", "--bootstrap", "0")),
        "cbsem": ("fit", (*mobi, "--estimator", "cbsem")),
        "cfa": ("fit", (MOBI, "--model", folder / "cfa.lav", *SCALE, "--estimator", "cbsem")),
        "segments": ("segments", (SURVEYS / "acsi_synthetic.csv", "--model", "acsi", *SCALE,
                                  "--by", "store", "--bootstrap", "0")),
        "weighted": ("fit", (SURVEYS / "acsi_synthetic.csv", "--model", "acsi", *SCALE,
                             "--weights", "wt", "--bootstrap", "0")),
    }
    out = {}
    for label, (kind, args) in runs.items():
        path = folder / f"{label}.json"
        result = run("fit", *args, "--format", "json", "-o", path, "-q")
        assert result.exit_code == 0, (label, result.output)
        out[label] = (kind, path)
    two = folder / "two_stores.csv"
    lines = (SURVEYS / "acsi_synthetic.csv").read_text().splitlines()
    two.write_text("\n".join([lines[0]] + [line for line in lines[1:]
                                           if ",Airport," in line or ",Downtown," in line]))
    path = folder / "compare.json"
    result = run("compare", two, "--by", "store", "--model", "acsi", *SCALE, "--bootstrap",
                 "200", "--format", "json", "-o", path, "-q")
    assert result.exit_code == 0, result.output
    out["compare"] = ("compare", path)
    decisions = folder / "pls-draws.json"
    draws = folder / "draws.parquet"
    assert run("fit", *mobi, "--bootstrap", "200", "--format", "json", "-o", decisions,
               "--draws", draws, "-q").exit_code == 0
    weights = folder / "weights.csv"
    weights.write_text(f"result,weight\n{out['pls'][1]},3\n{decisions},1\n")
    commands = {
        "simulate": ("simulate", decisions, "--change", "Quality=+5", "--draws", draws),
        "plan": ("plan", decisions, "--budget", "6", "--draws", draws),
        "aggregate": ("aggregate", out["pls"][1], decisions, "--weights", weights),
        "predict": ("predict", *mobi, "--folds", "5", "--repeats", "1", "--seed", "1"),
        "latent": ("latent", *mobi, "--max-classes", "2", "--starts", "3", "--lrt-bootstrap",
                   "19", "--bootstrap", "0", "--seed", "1"),
    }
    for label, args in commands.items():
        path = folder / f"{label}.json"
        result = run(*args, "--format", "json", "-o", path, "-q")
        assert result.exit_code == 0, (label, result.output)
        out[label] = (label, path)
    for label, baseline in (("check-pass", "pls"), ("check-fail", "plsc")):
        path = folder / f"{label}.json"
        result = run("check", out["pls"][1], "--baseline", out[baseline][1], "--format",
                     "json", "--junit", folder / f"{label}.xml")
        assert result.exit_code == (0 if label == "check-pass" else 1), result.output
        path.write_text(result.stdout)
        out[label] = ("check", path)
    return out


@pytest.mark.parametrize("name", schemas.NAMES)
def test_each_schema_is_valid_draft_2020_12_and_printed_by_csi_schema(name):
    Draft202012Validator.check_schema(schemas.load(name))
    result = run("schema", name)
    assert result.exit_code == 0
    assert json.loads(result.stdout) == schemas.load(name)
    assert schemas.load(name)["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_csi_schema_defaults_to_fit_and_rejects_unknown_documents():
    assert json.loads(run("schema").stdout)["title"] == "csi.fit/1"
    assert run("schema", "report").exit_code == 2


LABELS = ["pls", "pls-point", "nonlinear", "necessity-fit-test", "plsc", "cbsem", "cfa",
          "segments", "weighted", "compare", "check-pass", "check-fail", "simulate", "plan", "aggregate",
          "predict", "latent"]


@pytest.mark.parametrize("label", LABELS)
def test_every_document_validates(documents, label):
    kind, path = documents[label]
    doc = json.loads(path.read_text())
    assert errors(kind, doc) == []


def test_the_schemas_cover_the_nonlinear_block_diagnostics_and_advice(documents):
    doc = json.loads(documents["nonlinear"][1].read_text())
    assert doc["nonlinear"]["drivers"] and doc["diagnostics"]
    broken = json.loads(json.dumps(doc))
    broken["nonlinear"]["drivers"][0]["driver"] = 3
    broken["diagnostics"][0]["severity"] = "fatal"
    del broken["advice"]["status"]
    found = errors("fit", broken)
    assert len(found) == 3, found  # each problem named once
    assert any("nonlinear" in e for e in found) and any("'fatal'" in e for e in found)
    assert any("'status' is a required property" in e for e in found)


def undescribed(schema: dict, doc, path: str = "") -> set[str]:
    """Keys of `doc` that `schema` (its own $defs resolved) does not name, as dotted paths."""
    defs = schema.get("$defs", {})

    def walk(node, value, at):
        while isinstance(node, dict) and "$ref" in node and node["$ref"].startswith("#/$defs/"):
            node = defs[node["$ref"].split("/")[-1]]
        if isinstance(value, dict) and isinstance(node, dict) and "properties" in node:
            for key, item in value.items():
                if key not in node["properties"]:
                    yield f"{at}.{key}"
                else:
                    yield from walk(node["properties"][key], item, f"{at}.{key}")
        elif isinstance(value, list) and isinstance(node, dict) and "items" in node:
            for item in value:
                yield from walk(node["items"], item, f"{at}[]")

    return set(walk(schema, doc, path))


@pytest.mark.parametrize("label", ["pls", "nonlinear", "necessity-fit-test", "plsc", "cbsem",
                                   "weighted"])
def test_every_key_of_a_fit_is_described_by_the_schema(documents, label):
    """The schema allows keys it does not name (documents only gain keys), so validation alone
    would not notice an undocumented one: every key a fit writes is named in csi.fit/1."""
    doc = json.loads(documents[label][1].read_text())
    assert undescribed(schemas.load("fit"), doc) == set()


@pytest.mark.parametrize("label", ["simulate", "plan", "aggregate", "predict", "latent"])
def test_every_key_of_the_other_documents_is_described(documents, label):
    kind, path = documents[label]
    assert undescribed(schemas.load(kind), json.loads(path.read_text())) == set()


def test_the_committed_golden_baselines_validate():
    for path in sorted((ROOT / "tests" / "golden").glob("*.json")):
        assert errors("fit", json.loads(path.read_text())) == [], path.name


def test_a_document_missing_a_table_or_with_a_bad_hash_is_invalid(documents):
    doc = json.loads(documents["pls"][1].read_text())
    assert len(doc["data"]["sha256"]) == 64
    del doc["paths"]
    doc["data"]["sha256"] = "not a hash"
    assert len(errors("fit", doc)) == 2


@pytest.mark.parametrize("label", ["check-pass", "check-fail"])
def test_junit_is_read_by_junitparser(documents, label):
    xml = documents[label][1].with_suffix(".xml")
    report = json.loads(documents[label][1].read_text())
    suites = JUnitXml.fromfile(str(xml))
    cases = [case for suite in (suites if hasattr(suites, "__iter__") else [suites])
             for case in suite]
    names = {case.name for case in cases}
    assert {f["family"] for f in report["families"]} | {"structure", "context"} == names
    failing = {case.name for case in cases if any(r._tag == "failure" for r in case.result)}
    assert failing == ({f["family"] for f in report["families"] if f["verdict"] == "fail"}
                       | ({"context"} if report["summary"]["findings_failed"] else set()))
    assert (len(failing) > 0) == (label == "check-fail")


def test_the_committed_schemas_are_what_the_builder_writes():
    from csi.schemas.build import SCHEMAS

    for name, doc in SCHEMAS.items():
        assert schemas.load(name) == doc, f"run python -m csi.schemas.build ({name})"
