"""The example GitHub Actions workflow (examples/github-actions/) works: its `csi` commands run
in a fresh folder laid out as a repository using it, write the JUnit report and the step
summary, and pass against the committed baseline."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import yaml
from click.testing import CliRunner
from junitparser import JUnitXml

from csi.cli.main import cli
from tests.conftest import MOBI, ROOT

EXAMPLE = ROOT / "examples" / "github-actions"


def csi_lines(workflow: Path) -> list[str]:
    """Every line of a `run:` step that starts with `csi`, in order."""
    doc = yaml.safe_load(workflow.read_text())
    lines = []
    for job in doc["jobs"].values():
        for step in job["steps"]:
            lines += [line.strip() for line in step.get("run", "").splitlines()
                      if line.strip().startswith("csi ")]
    return lines


def test_the_example_workflow_runs(tmp_path, monkeypatch):
    (tmp_path / "surveys").mkdir()
    shutil.copy(MOBI, tmp_path / "surveys" / "mobi.csv")
    shutil.copytree(EXAMPLE / "baseline", tmp_path / "baseline")
    summary = tmp_path / "step_summary.md"
    monkeypatch.chdir(tmp_path)
    env = {"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_ACTIONS": "true"}
    lines = csi_lines(EXAMPLE / "csi-check.yml")
    assert [line.split()[1] for line in lines] == ["fit", "check"]
    for line in lines:
        args = [a.replace("$GITHUB_STEP_SUMMARY", str(summary)) for a in shlex.split(line)]
        result = CliRunner().invoke(cli, args[1:], env=env)
        assert result.exit_code == 0, (line, result.output)
    assert "::error" not in result.stderr
    suites = JUnitXml.fromfile("csi-check.xml")
    cases = [case for suite in suites for case in suite]
    assert {"index", "paths", "structure", "context"} <= {case.name for case in cases}
    assert not any(case.result for case in cases if case.name in ("index", "paths"))
    assert "csi check" in summary.read_text()


def test_the_example_baseline_is_the_golden_one():
    """One baseline of record: the example's is tests/golden/mobi_ecsi.json."""
    assert (EXAMPLE / "baseline" / "mobi_ecsi.json").read_bytes() == (
        ROOT / "tests" / "golden" / "mobi_ecsi.json").read_bytes()
