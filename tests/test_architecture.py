"""The house rules that the code itself must keep: layered imports, no cycles, a light start."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def lint(cwd: Path, env_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT), "--no-cache"], cwd=cwd, capture_output=True, text=True,
                          env={"PYTHONPATH": str(env_path), "PATH": "/usr/bin:/bin"})


def test_the_layers_contract_holds():
    result = lint(ROOT, ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("module, line", [
    ("errors.py", "from csi.pipeline import fit_items  # an import up the layers\n"),
    ("estimators/pls.py", "from csi.estimators.plsc import derive  # a cycle\n"),
    ("sample.py", "def f():\n    from csi.drivers import priorities  # inside a function\n"),
])
def test_the_contract_fails_when_an_import_goes_up(tmp_path, module, line):
    shutil.copytree(ROOT / "csi", tmp_path / "csi",
                    ignore=shutil.ignore_patterns("__pycache__", "fonts"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    with open(tmp_path / "csi" / module, "a", encoding="utf-8") as stream:
        stream.write("\n" + line)
    result = lint(tmp_path, tmp_path)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout or "broken" in result.stdout


def test_import_csi_is_light_and_the_api_is_reachable():
    code = ("import sys, csi; heavy = {'numpy', 'pandas', 'scipy'} & set(sys.modules); "
            "assert not heavy, heavy; print(csi.fit.__module__, csi.check.__module__)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["csi.pipeline", "csi.gate"]


@pytest.mark.parametrize("name", ["fit", "check", "load_model", "parse_model"])
def test_public_functions_have_docstrings_and_type_hints(name):
    import inspect

    import csi

    function = getattr(csi, name)
    assert (function.__doc__ or "").strip()
    signature = inspect.signature(function)
    missing = [p for p in signature.parameters.values()
               if p.annotation is inspect.Parameter.empty]
    assert not missing and signature.return_annotation is not inspect.Signature.empty


def test_csi_help_and_check_import_no_numerical_library(tmp_path):
    """Start-up (issue 15): the commands load on use, so `csi --help` and `csi check` never
    import numpy, pandas or scipy."""
    import json

    from csi.jsonio import dumps

    golden = json.loads((ROOT / "tests" / "golden" / "mobi_ecsi.json").read_text())
    (tmp_path / "current.json").write_text(dumps(golden), encoding="utf-8")
    for args in (["--help"], ["check", str(tmp_path / "current.json"), "--baseline",
                              str(ROOT / "tests" / "golden" / "mobi_ecsi.json"), "-q"]):
        code = ("import sys; from csi.cli.main import cli\n"
                f"try:\n    cli({args!r}, prog_name='csi')\nexcept SystemExit as stop:\n"
                "    code = stop.code\n"
                "heavy = sorted({'numpy', 'pandas', 'scipy'} & set(sys.modules))\n"
                "print('HEAVY', heavy, 'EXIT', code, file=sys.stderr)")
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert "HEAVY [] EXIT 0" in result.stderr, result.stderr[-500:]


def test_the_lazy_command_list_matches_the_commands():
    import click

    from csi.cli.main import COMMANDS, SUMMARIES, cli

    context = click.Context(cli)
    assert set(SUMMARIES) == set(COMMANDS)
    for name in COMMANDS:
        command = cli.get_command(context, name)
        assert command.name == name
        assert command.get_short_help_str(10**6) == SUMMARIES[name]


def test_a_quiet_check_loads_no_renderer(tmp_path):
    """`csi check -q` (a pipeline that wants only the exit code, or the JSON) imports neither
    rich nor the renderers; without -q the table needs them."""
    golden = str(ROOT / "tests" / "golden" / "mobi_ecsi.json")
    loaded = {}
    for quiet in (True, False):
        args = ["check", golden, "--baseline", golden] + (["-q"] if quiet else [])
        code = ("import sys; from csi.cli.main import cli\n"
                f"try:\n    cli({args!r}, prog_name='csi')\nexcept SystemExit as stop:\n"
                "    pass\n"
                "print('LOADED', sorted({'rich', 'csi.report.check_render'} & set(sys.modules)),"
                " file=sys.stderr)")
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        loaded[quiet] = result.stderr.strip().splitlines()[-1]
    assert loaded[True] == "LOADED []"
    assert loaded[False] == "LOADED ['csi.report.check_render', 'rich']"
