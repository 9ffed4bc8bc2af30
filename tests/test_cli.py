"""The `csi` command: outputs, exact error messages and exit codes."""

import json

import pytest
from click.testing import CliRunner

from csi.cli.main import cli
from csi.errors import ExitCode
from tests.conftest import MOBI


def run(*args, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


@pytest.fixture
def survey(tmp_path, mobi_frame):
    """Write a variant of mobi to a CSV and return its path."""

    def write(frame, name="survey.csv"):
        path = tmp_path / name
        frame.to_csv(path, index=False)
        return path

    return write


def test_fit_json_has_the_contract_keys(tmp_path):
    out = tmp_path / "results.json"
    result = run("fit", MOBI, "--model", "ecsi", "--scale", "1:10", "--format", "json", "-o", out)
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    for key in ("schema", "csi_version", "n_obs", "settings", "converged", "iterations", "paths",
                "weights", "loadings", "r2", "total_effects", "index", "reliability", "htmt"):
        assert key in doc
    assert doc["schema"] == "csi.fit/1"
    assert doc["n_obs"] == 250
    assert doc["settings"]["scheme"] == "path"
    assert doc["settings"]["tol"] == 1e-7 and doc["settings"]["max_iter"] == 300
    assert doc["settings"]["scale"] == {"min": 1.0, "max": 10.0, "from_data": False}
    assert doc["converged"] is True
    assert {"from": "Image", "to": "Expectation"}.items() <= doc["paths"][0].items()
    assert doc["index"]["Satisfaction"]["score"] == pytest.approx(72.4541179, abs=1e-6)
    assert set(doc["reliability"]["Quality"]) >= {"alpha", "rho_a", "rho_c", "ave"}
    assert set(doc["htmt"][0]) == {"a", "b", "value"}
    assert set(doc["weights"][0]) >= {"construct", "indicator", "estimate"}


def test_fit_json_to_stdout_is_pure_json_and_repeatable():
    first = run("fit", MOBI, "--model", "ecsi", "--format", "json")
    second = run("fit", MOBI, "--model", "ecsi", "--format", "json")
    assert first.exit_code == 0
    doc = json.loads(first.stdout)
    assert first.stdout == second.stdout
    # without --scale the observed range is used and a note says so, on stderr only
    assert doc["settings"]["scale"]["from_data"] is True
    assert "no --scale given" in first.stderr


def test_fit_csv_lists_every_table():
    result = run("fit", MOBI, "--model", "ecsi", "--scale", "1:10", "--format", "csv")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "table,from,to,estimate,se,t,p,ci_low,ci_high"
    tables = {line.split(",")[0] for line in lines[1:]}
    assert {"path", "weight", "loading", "r2", "index", "total_effect", "htmt", "ave"} <= tables
    assert any(line.startswith("path,Image,Expectation,0.50491393") for line in lines)


def test_fit_table_output_shows_index_and_flags():
    result = run("fit", MOBI, "--model", "ecsi", "--scale", "1:10")
    assert result.exit_code == 0
    assert "Customer Satisfaction" in result.stdout
    assert "72.5" in result.stdout
    assert "HTMT above 0.9" in result.stdout


def test_models_lists_builtin_models():
    result = run("models")
    assert result.exit_code == 0
    assert "ecsi" in result.stdout and "acsi" in result.stdout
    for item in ("IMAG5", "CUEX3", "PERQ7", "PERV2", "CUSA3", "CUSCO", "CUSL3"):
        assert item in result.stdout


def test_stdin_input(mobi_frame):
    result = run("fit", "-", "--model", "ecsi", "--format", "json",
                 input=mobi_frame.to_csv(index=False))
    assert result.exit_code == 0
    assert json.loads(result.stdout)["source"] == "<stdin>"


def test_spec_error_exit_code_and_message(tmp_path):
    model = tmp_path / "bad.lav"
    model.write_text("Image =~ IMAG1 + IMAG2\nSat =~ CUSA1\nSat ~ Image + Value\n")
    result = run("fit", MOBI, "--model", model)
    assert result.exit_code == ExitCode.MODEL == 4
    assert result.stderr == (
        f"Error: {model}, line 3: path 'Value -> Sat' refers to undeclared construct 'Value' "
        "(declare it with 'Value =~ ...')\n"
    )
    assert result.stdout == ""


def test_missing_column(tmp_path, survey, mobi_frame):
    path = survey(mobi_frame.drop(columns="PERQ7"))
    result = run("fit", path, "--model", "ecsi")
    assert result.exit_code == 4
    assert result.stderr == (
        f"Error: ecsi, line 17: indicator 'PERQ7' is not a column of {path} (closest: 'PERQ6')\n"
    )


def test_non_numeric_cell(survey, mobi_frame):
    frame = mobi_frame.astype(object)
    frame.loc[16, "PERQ3"] = "abc"
    path = survey(frame)
    result = run("fit", path, "--model", "ecsi")
    assert result.exit_code == ExitCode.DATA == 3
    assert result.stderr == f"Error: {path}, column PERQ3, row 17: 'abc' is not a number\n"


def test_constant_indicator(survey, mobi_frame):
    path = survey(mobi_frame.assign(CUSCO=7))
    result = run("fit", path, "--model", "ecsi")
    assert result.exit_code == 3
    assert result.stderr == (
        f"Error: {path}, column CUSCO: the item is constant (every answer is 7); it carries no "
        "information, drop it from the model\n"
    )


def test_too_few_rows(survey, mobi_frame):
    path = survey(mobi_frame.head(9))
    result = run("fit", path, "--model", "ecsi")
    assert result.exit_code == 3
    assert result.stderr == (
        f"Error: {path}: only 9 complete rows for the model's items; PLS needs at least 10\n"
    )


def test_value_outside_scale(survey, mobi_frame):
    frame = mobi_frame.copy()
    frame.loc[4, "CUSA2"] = 11
    path = survey(frame)
    result = run("fit", path, "--model", "ecsi", "--scale", "1:10")
    assert result.exit_code == 3
    assert result.stderr == f"Error: {path}, column CUSA2, row 5: 11 is outside the scale 1:10\n"


def test_missing_file_and_empty_file(tmp_path):
    result = run("fit", tmp_path / "nope.csv")
    assert result.exit_code == 3
    assert result.stderr == f"Error: {tmp_path / 'nope.csv'}: no such file\n"
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    result = run("fit", empty)
    assert result.exit_code == 3
    assert result.stderr == f"Error: {empty}: the file is empty\n"


def test_missing_rows_are_dropped_and_counted(survey, mobi_frame):
    frame = mobi_frame.astype(float)
    frame.loc[[3, 8], "PERV1"] = float("nan")
    result = run("fit", survey(frame), "--model", "ecsi", "--format", "json")
    doc = json.loads(result.stdout)
    assert doc["n_obs"] == 248
    assert doc["data"]["rows_dropped_missing"] == 2
    assert doc["data"]["missing_cells"]["PERV1"] == 2


@pytest.mark.parametrize("scale", ["10:1", "1-10", "a:b"])
def test_bad_scale_option_is_usage_error(scale):
    """Issue 15: a malformed or reversed --scale is a usage error (exit 2), found before the
    survey is read (the survey here does not even exist)."""
    result = run("fit", "no-such-survey.csv", "--scale", scale)
    assert result.exit_code == 2
    assert result.stderr.endswith("Error: Invalid value for '--scale': write it as MIN:MAX with "
                                  "MIN < MAX, e.g. 1:10\n")


def test_unknown_target_and_unwritable_outputs_are_usage_errors(tmp_path):
    result = run("fit", "no-such-survey.csv", "--model", "ecsi", "--target", "Foo")
    assert result.exit_code == 2
    assert "'Foo' is not a construct of ecsi" in result.stderr
    for option in ("-o", "--pdf"):
        result = run("fit", MOBI, option, tmp_path / "missing" / "out.json")
        assert result.exit_code == 2, option
        assert "does not exist" in result.stderr
    result = run("check", MOBI, "--baseline", MOBI, "--junit", tmp_path / "no" / "j.xml")
    assert result.exit_code == 2 and "does not exist" in result.stderr


def test_ctrl_c_is_interrupted_with_exit_130_and_no_partial_file(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "fit.json"
    process = subprocess.Popen(
        [sys.executable, "-c", "from csi.cli.entry import main; main()", "fit", str(MOBI),
         "--model", "ecsi", "--bootstrap", "500000", "-o", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(3)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert err.strip().endswith("Interrupted.") and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_unknown_option_is_usage_error():
    result = run("fit", MOBI, "--scheme", "nope")
    assert result.exit_code == ExitCode.USAGE == 2


def test_non_convergence_says_what_to_try():
    result = run("fit", MOBI, "--model", "ecsi", "--max-iter", "2")
    assert result.exit_code == 4
    assert result.stderr.startswith("Error: PLS did not converge in 2 iterations; try --max-iter")


def test_failed_run_writes_no_output_file(tmp_path, survey, mobi_frame):
    out = tmp_path / "out.json"
    path = survey(mobi_frame.assign(CUSCO=1))
    result = run("fit", path, "--model", "ecsi", "--format", "json", "-o", out)
    assert result.exit_code == 3
    assert not out.exists()
    assert list(tmp_path.glob(".out.json*")) == []


def test_output_files_get_ordinary_permissions(tmp_path):
    import os

    out = tmp_path / "r.json"
    previous = os.umask(0o022)
    try:
        run("fit", MOBI, "--model", "ecsi", "--bootstrap", "0", "--format", "json", "-o", out)
    finally:
        os.umask(previous)
    assert (out.stat().st_mode & 0o777) == 0o644


@pytest.mark.parametrize("case", sorted(__import__("tests.test_spec", fromlist=["x"]).SPEC_ERRORS))
def test_every_spec_error_through_the_cli(tmp_path, case):
    """Each model-file error: exit code 4, one line naming the file and line, nothing on stdout."""
    from tests.test_spec import SPEC_ERRORS

    text, message = SPEC_ERRORS[case]
    model = tmp_path / "m.lav"
    model.write_text(text)
    result = run("fit", MOBI, "--model", model, "--format", "json")
    assert result.exit_code == 4
    assert result.stderr == "Error: " + message.replace("m.lav", str(model), 1) + "\n"
    assert result.stdout == ""
