"""`csi check`: compare a result with a baseline; exit 1 when an estimate moved beyond tolerance.

Also the `--check BASELINE`, `--policy`, `--strict` options of `csi fit` (one step in CI).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from typing import TYPE_CHECKING

import click
from click.core import ParameterSource

from csi.cli.results_file import read_results
from csi.cli.paths import OUTPUT
from csi.cli.report import lang_option
from csi.errors import ExitCode
from csi.jsonio import write_atomic

if TYPE_CHECKING:  # the gate, its renderers and rich load when a check runs, not with `fit`
    from csi.gate import CheckReport, Policy

CI_WIDTH = 140  # table width when standard error is not a terminal (CI logs)

HELP = """Compare CURRENT.json with a baseline: exit 0 when every estimate is within
tolerance, 1 when one moved beyond it (a regression).

Both files are `csi fit --format json` results. The point estimates present in both
are compared (indices, paths, weights, loadings, R², reliability, importances, priority
order, ...) and every failing metric is reported, named like
`paths[Image->Expectation].estimate` or `index[Satisfaction].score`. A construct,
indicator or path in one file only fails; schema, model and settings differences, and
data with another content hash (data.sha256), are warnings (failures with --strict).
Paths of files are never compared. An error diagnostic in CURRENT fails.

The table goes to standard error; --format json writes the report to standard output.
With GITHUB_ACTIONS=true, failures are also printed as ::error annotations.

\b
Built-in policies (--policy NAME):
  seed   (default) same data, any seed: point estimates within 1e-6 + 1e-6 * |baseline|;
         SEs, intervals, p values, rank and class probabilities are not compared
  exact  same data, seed and csi: every number, inference and data_quality included;
         settings differences fail
  waves  a new sample of the same population: indices, paths and importances with the
         ci rule, Holm-corrected across them (an unchanged population passes 95% of runs)
The `ci` rule: |current - baseline| <= z * sqrt(se_b^2 + se_c^2), z = 1.96 for level 0.95
(never below the numeric tolerance); metrics without bootstrap SEs in both files fall back
to the numeric rule, and the Tolerance column says which rule applied.

\b
Policy file (TOML), e.g. csi-check.toml:
  priority = "top1"        # top1 | top3 (same set) | order | ignore
  level = 0.95             # confidence level of the ci rule (z = 1.96)
  structure = "fail"       # fail | warn: constructs, indicators, paths in one file
  strict = false           # schema/model/settings differences fail (= --strict)
  inference = false        # also compare SEs and interval bounds
  extends = "seed"         # exact | seed | waves: the built-in policy to start from
  correction = "none"      # none | holm: multiplicity correction of the ci rule
  descriptives = false     # also compare data_quality (descriptives of the data)
  same_data = true         # another data hash is a warning (strict: a failure)
  diagnostics = "fail"     # fail | warn | ignore: an error diagnostic in CURRENT
  [defaults]               # every metric
  rule = "numeric"         # numeric | ci | ignore
  abs = 1e-6
  rel = 1e-6
  categorical = "fail"     # fail | warn | ignore: a changed class or quadrant
  [families.index]         # a family: paths, weights, loadings, r2, reliability,
  rule = "ci"              #   index, importance, priorities, "nonlinear.drivers", ...
  [families.htmt]
  rule = "ignore"
  [metrics."index[Satisfaction].score"]    # one metric; * and ? are wildcards
  rule = "numeric"
  abs = 0.5
  [metrics."paths[*->Satisfaction].estimate"]
  rule = "ci"

\b
Exit codes: 0 pass; 1 regression; 2 usage error (or an invalid policy);
3 unreadable or invalid result file.
"""


@dataclass(frozen=True)
class CheckGate:
    """A loaded baseline and policy, ready to check a result against."""

    baseline: dict
    baseline_label: str
    policy: Policy

    def compare(self, current: dict, current_label: str) -> CheckReport:
        from csi.gate import compare

        return compare(self.baseline, current, self.policy, baseline_label=self.baseline_label,
                       current_label=current_label)


def prepare_check(baseline: str, policy: str | None, strict: bool) -> CheckGate:
    """Read the baseline (DataError, exit 3) and the policy (PolicyError, exit 2)."""
    from csi.gate import Policy, load_policy

    loaded = load_policy(policy) if policy else Policy()
    return CheckGate(read_results(baseline), baseline, loaded.with_strict(strict))


def emit_report(report: CheckReport, *, output_format: str = "table", junit: str | None = None,
                markdown: str | None = None, show_all: bool = False,
                quiet: bool = False, lang: str | None = None) -> ExitCode:
    """Write the requested files and streams; return the exit code of the check. The human
    parts (terminal, Markdown, the headline) are in `lang`; JUnit and annotations English."""
    annotate = os.environ.get("GITHUB_ACTIONS") == "true"
    if quiet and not (junit or markdown or annotate):  # the exit code, and JSON if asked:
        if output_format == "json":                    # no renderer (rich) to load
            click.echo(report.to_json(), nl=False)
        return report.exit_code
    from rich.console import Console

    from csi.report.check_render import (github_annotations, headline, render_check,
                                         to_junit, to_markdown)

    if junit:
        write_atomic(junit, to_junit(report))
    if markdown:
        write_atomic(markdown, to_markdown(report, lang))
    err = Console(stderr=True)
    if not err.is_terminal:
        err = Console(stderr=True, width=CI_WIDTH)
    if output_format == "json":
        click.echo(report.to_json(), nl=False)
        if not quiet:
            click.echo(headline(report, lang), err=True)
    elif not quiet:
        render_check(report, err, show_all=show_all, lang=lang)
    if annotate:
        for line in github_annotations(report):
            click.echo(line, err=True)
    return report.exit_code


@click.command("check", help=HELP)
@click.argument("current", metavar="CURRENT.json")
@click.option("-b", "--baseline", required=True, metavar="BASELINE.json",
              help="The reference result (`csi fit --format json`).")
@click.option("--policy", metavar="NAME|FILE",
              help="Tolerances: exact, seed (default) or waves, or a TOML policy file (format "
                   "below).")
@click.option("--strict", is_flag=True,
              help="Schema, model and settings differences fail instead of warning.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]),
              default="table", show_default=True,
              help="table: differences on standard error; json: the report on standard output.")
@click.option("--junit", metavar="FILE", type=OUTPUT,
              help="Also write JUnit XML (one test case per metric family).")
@click.option("--markdown", metavar="FILE", type=OUTPUT,
              help="Also write a Markdown summary (e.g. \"$GITHUB_STEP_SUMMARY\").")
@click.option("--all", "show_all", is_flag=True,
              help="List every compared metric, not only those beyond tolerance.")
@click.option("-q", "--quiet", is_flag=True,
              help="Nothing on standard error except errors and CI annotations.")
@lang_option
@click.pass_context
def check_command(ctx: click.Context, current, baseline, policy, strict, output_format, junit,
                  markdown, show_all, quiet, lang) -> None:
    gate = prepare_check(baseline, policy, strict)
    report = gate.compare(read_results(current), current)
    ctx.exit(int(emit_report(report, output_format=output_format, junit=junit,
                             markdown=markdown, show_all=show_all, quiet=quiet, lang=lang)))


# --------------------------------------------------------------------------------------------
# `csi fit --check BASELINE`


def check_options(command):
    """Add --check, --policy and --strict to a command that fits a model."""
    options = [
        click.option("--check", "check_baseline", metavar="BASELINE.json",
                     help="Then compare the result with this baseline, as `csi check`, and exit "
                          "1 on a regression. Only the check is shown unless --format or -o "
                          "asks for the fit's output too."),
        click.option("--policy", "check_policy", metavar="NAME|FILE",
                     help="Tolerance policy of --check: exact, seed (default), waves or a "
                          "TOML file (see `csi check --help`)."),
        click.option("--strict", "check_strict", is_flag=True,
                     help="With --check: schema, model and settings differences fail."),
        click.option("--junit", "check_junit", metavar="FILE", type=OUTPUT,
                     help="With --check: also write JUnit XML (one test case per family)."),
        click.option("--markdown", "check_markdown", metavar="FILE", type=OUTPUT,
                     help="With --check: also write a Markdown summary (e.g. "
                          "\"$GITHUB_STEP_SUMMARY\")."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@dataclass(frozen=True)
class FitCheck:
    """`csi fit --check`: the gate, and whether the fit's own output was asked for."""

    gate: CheckGate
    show_fit: bool
    junit: str | None = None
    markdown: str | None = None

    def finish(self, result, quiet: bool, lang: str | None = None) -> None:
        """Check the fitted Result and exit with the check's code."""
        if not self.show_fit and not quiet:  # the fit's notes, shown with its output otherwise
            from csi.cli.emit import notes

            notes(result.warnings, quiet, lang)
        saved = json.loads(result.to_json())  # exactly what `--format json -o` would write
        report = self.gate.compare(saved, f"fit of {result.source}")
        code = emit_report(report, junit=self.junit, markdown=self.markdown, quiet=quiet,
                           lang=lang)
        click.get_current_context().exit(int(code))


def fit_check_from_options(options: dict, output: str | None) -> FitCheck | None:
    """Pop the check options; load the baseline and policy before any fitting."""
    baseline = options.pop("check_baseline")
    policy, strict = options.pop("check_policy"), options.pop("check_strict")
    junit, markdown = options.pop("check_junit"), options.pop("check_markdown")
    if baseline is None:
        if policy or strict or junit or markdown:
            raise click.UsageError(
                "--policy, --strict, --junit and --markdown need --check BASELINE.json")
        return None
    ctx = click.get_current_context()
    format_given = ctx.get_parameter_source("output_format") not in (
        ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP)
    return FitCheck(prepare_check(baseline, policy, strict), bool(output) or format_given,
                    junit, markdown)
