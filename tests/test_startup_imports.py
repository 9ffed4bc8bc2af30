"""Whole-process time of `csi fit` (issue 15): the libraries and csi modules a fit does not
use are never imported. The test asserts the import lists, not timings (bench/bench_startup.py
measures those)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MOBI = ROOT / "surveys" / "mobi.csv"

# never needed by `csi fit --format json -o FILE -q` of a PLS model on a plain numeric CSV:
# no scipy module at all (scipy.special alone costs more CPU than numpy; csi.distributions
# supplies the normal, t and chi-square functions a fit uses), no pandas or pyarrow (~3x the
# time of importing numpy: the file is read by csi.ingest.numeric_csv and the result's
# tables are csi.tables.Table until someone reads one as a DataFrame)
NOT_IMPORTED = ("scipy", "pandas", "pyarrow", "numpy.ma", "matplotlib", "reportlab", "semopy",
                "pyreadstat", "openpyxl",
                "dask", "distributed", "rich", "csi.gate", "csi.multi.compare",
                "csi.report.terminal", "csi.report.segments", "csi.report.csv",
                "csi.report.check_render", "csi.estimators.cbsem", "csi.estimators.plsc")


def loaded_after(args: list[str]) -> tuple[dict, str]:
    """The modules (of NOT_IMPORTED) in sys.modules after running `csi ARGS` in a fresh
    interpreter, and its exit code."""
    code = ("import json, sys; from csi.cli.main import cli\n"
            f"try:\n    cli({args!r}, prog_name='csi')\nexcept SystemExit as stop:\n"
            "    code = stop.code\n"
            f"names = {NOT_IMPORTED!r}\n"
            "found = sorted(m for m in sys.modules for n in names if m == n or "
            "m.startswith(n + '.'))\n"
            "print('LOADED ' + json.dumps({'found': found, 'exit': code}), file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    line = [x for x in result.stderr.splitlines() if x.startswith("LOADED ")]
    assert line, result.stderr[-800:]
    return json.loads(line[-1][len("LOADED "):]), result.stderr


def test_a_bootstrapped_fit_imports_no_unused_library(tmp_path):
    output = tmp_path / "fit.json"
    loaded, _ = loaded_after(["fit", str(MOBI), "--model", "ecsi", "--scale", "1:10",
                              "--bootstrap", "50", "--format", "json", "-q", "-o",
                              str(output)])
    assert loaded == {"found": [], "exit": 0}
    assert json.loads(output.read_text())["bootstrap"]["n_used"] == 50


def test_a_model_without_indirect_effects_imports_no_pandas_either(tmp_path):
    """Its indirect-effects table is empty: written as [] without building a DataFrame."""
    model = tmp_path / "direct.lav"
    model.write_text("Image =~ IMAG1 + IMAG2 + IMAG3\nValue =~ PERV1 + PERV2\n"
                     "Satisfaction =~ CUSA1 + CUSA2 + CUSA3\nSatisfaction ~ Image + Value\n")
    output = tmp_path / "fit.json"
    loaded, _ = loaded_after(["fit", str(MOBI), "--model", str(model), "--scale", "1:10",
                              "--bootstrap", "0", "--format", "json", "-q", "-o", str(output)])
    assert loaded == {"found": [], "exit": 0}
    assert json.loads(output.read_text())["indirect_effects"] == []


def test_a_survey_with_text_ids_and_store_names_imports_no_pandas_either(tmp_path):
    """acsi_synthetic: respondent IDs and store names are words, held as text cells (the
    ID check needs no pandas when no ID repeats)."""
    output = tmp_path / "fit.json"
    loaded, _ = loaded_after(["fit", str(ROOT / "surveys" / "acsi_synthetic.csv"), "--model",
                              "acsi", "--scale", "1:10", "--bootstrap", "0", "--format",
                              "json", "-q", "-o", str(output)])
    assert loaded == {"found": [], "exit": 0}
    assert json.loads(output.read_text())["data_quality"]["duplicate_ids"]["column"] == (
        "respondent_id")


def test_the_table_output_still_loads_its_renderer(tmp_path):
    """The control: the check above can fail, since a table does load rich and its renderer."""
    loaded, _ = loaded_after(["fit", str(MOBI), "--model", "ecsi", "--scale", "1:10",
                              "--bootstrap", "0", "-q"])
    assert loaded["exit"] == 0
    assert {"rich", "csi.report.terminal", "pandas"} <= set(loaded["found"])


def test_the_careless_screen_needs_no_scipy():
    """The Mahalanobis cut-off and distances come from csi.distributions and numpy."""
    code = ("import sys, numpy as np; from csi.ingest.careless import screen\n"
            "rng = np.random.default_rng(1); x = rng.integers(1, 8, (300, 12)).astype(float)\n"
            "x[rng.random(x.shape) < 0.05] = np.nan; found = screen(x)\n"
            "assert np.isfinite(found.mahalanobis).sum() > 250\n"
            "assert found.thresholds['mahalanobis_cutoff'] > 12\n"
            "print(any(m == 'scipy' or m.startswith('scipy.') for m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-800:]
    assert result.stdout.strip() == "False"


def test_the_chi_square_quantile_matches_scipy_stats():
    """careless.chi2_quantile against scipy.stats.chi2.ppf (the function it replaced), for
    every df a survey can have: relative error <= 1e-13 (measured ~3e-15; tests/
    test_distributions.py checks both against mpmath)."""
    import numpy as np
    from scipy import stats

    from csi.ingest.careless import chi2_quantile

    degrees = np.arange(1, 500)
    for level in (0.5, 0.95, 0.999):
        expected = stats.chi2.ppf(level, degrees)
        assert np.max(np.abs(chi2_quantile(level, degrees) / expected - 1)) <= 1e-13
    assert abs(float(chi2_quantile(0.999, 24)) - 51.179) < 5e-4  # printed tables: 51.179
