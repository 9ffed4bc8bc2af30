"""The `csi` command group: turns CsiErrors into one-line messages and documented exit codes."""

from __future__ import annotations

import sys

import click

from csi._version import __version__
from csi.errors import CsiError, ExitCode


# name -> (module, attribute): a command's module, with its numpy/pandas/scipy imports, loads
# only when that command runs, so `csi --help` and `csi check` start in a fraction of a second
COMMANDS = {
    "aggregate": ("csi.cli.aggregate", "aggregate_command"),
    "check": ("csi.cli.check", "check_command"),
    "compare": ("csi.cli.compare", "compare_command"),
    "compare-estimators": ("csi.cli.compare_estimators", "compare_estimators_command"),
    "fit": ("csi.cli.fit", "fit_command"),
    "latent": ("csi.cli.latent", "latent_command"),
    "models": ("csi.cli.models", "models_command"),
    "plan": ("csi.cli.plan", "plan_command"),
    "predict": ("csi.cli.predict", "predict_command"),
    "priorities": ("csi.cli.priorities", "priorities_command"),
    "report": ("csi.cli.report", "report_command"),
    "schema": ("csi.cli.schema", "schema_command"),
    "simulate": ("csi.cli.simulate", "simulate_command"),
    "validate": ("csi.cli.validate", "validate_command"),
}
# the one-line help `csi --help` lists, without importing the commands (a test keeps each
# equal to its command's own short help)
SUMMARIES = {
    'aggregate': (
        'Combine company fits (`csi fit --format json`) into a weighted index per construct, '
        "with the standard error of independent samples (the ACSI's aggregation)."
    ),
    'check': (
        'Compare CURRENT.json with a baseline: exit 0 when every estimate is within tolerance, '
        '1 when one moved beyond it (a regression).'
    ),
    'compare': (
        'Compare two groups: A and B (two survey files, e.g. two waves; B - A), or the two '
        'levels of COLUMN in one SURVEY with --by COLUMN (the second level minus the first, in '
        'natural order).'
    ),
    'compare-estimators': (
        'Estimate MODEL on SURVEY by pls, plsc and cbsem (point estimates) and show their paths'
        ' and 0-100 indices in one table, with a one-line reading of where they disagree.'
    ),
    'fit': (
        'Estimate MODEL on SURVEY (CSV/TSV, .xlsx, .sav, .parquet, or - for standard input) by '
        'PLS path modeling, consistent PLS or CB-SEM (--estimator).'
    ),
    'latent': (
        'Find hidden segments of SURVEY whose drivers differ: FIMIX-PLS latent classes on the '
        'PLS construct scores, the number of classes chosen by a bootstrap likelihood-ratio '
        'test (information criteria shown beside it), each class re-estimated with its own '
        'index, paths and priorities.'
    ),
    'models': (
        'List the built-in models: title, citation, constructs, indicators and paths.'
    ),
    'plan': (
        'Spend a budget of improvement points where it raises the target most per unit cost '
        '(greedy, step by step; never past 100), from RESULTS.json (`csi fit --format json`).'
    ),
    'predict': (
        "Out-of-sample prediction of MODEL's endogenous indicators on SURVEY: PLSpredict with "
        'linear-model and indicator-average benchmarks, and CVPAT.'
    ),
    'priorities': (
        'Show what to improve first, from a `csi fit --format json` file (no refitting).'
    ),
    'report': (
        'Write a PDF report of RESULTS.json (from `csi fit --format json`) for managers: the '
        'indices, drivers and priorities, path diagram and charts, measurement and data '
        'quality, and the methods.'
    ),
    'schema': (
        'Print the JSON Schema (draft 2020-12) of a csi document: fit (default), check,'
        ' compare, segments, simulate, plan, aggregate, predict or latent.'
    ),
    'simulate': (
        'What happens downstream of a change, from RESULTS.json (`csi fit --format json`): '
        'every construct the change reaches, before and after, never upstream; capped at 0-100.'
    ),
    'validate': (
        'Check SURVEY (a file, or - for standard input) for MODEL and print the data-quality '
        'report: rows read and used, missing answers per item, codes, values outside the scale,'
        ' straight-liners and other careless respondents, duplicate IDs, completion times, '
        'constant items.'
    ),
}


class CsiGroup(click.Group):
    """A click group that loads its commands on use and reports library errors as
    `Error: ...` with their exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        import importlib

        module, attribute = COMMANDS[name]
        return getattr(importlib.import_module(module), attribute)

    def main(self, *args, **kwargs):
        """Run, turning Ctrl-C at any moment into "Interrupted." and exit 130 (no traceback,
        and no partial output file: every output is written atomically)."""
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except click.exceptions.Abort as abort:
            if isinstance(abort.__context__, KeyboardInterrupt):
                _interrupted()
            click.echo("Aborted!", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            _interrupted()
        except click.ClickException as error:
            error.show()
            sys.exit(error.exit_code)
        except OSError as error:  # e.g. a closed stdout pipe (csi fit ... | head)
            if error.errno == 32:
                sys.exit(0)
            raise
        sys.exit(code if isinstance(code, int) else 0)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        with formatter.section("Commands"):  # click's own shortening, on the stored help
            formatter.write_dl([(name, click.Command(name, help=SUMMARIES[name])
                                 .get_short_help_str(limit)) for name in names])

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CsiError as error:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"Error: {error}", err=True)
            ctx.exit(int(error.exit_code))
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)
        except Exception as error:  # noqa: BLE001 - never a traceback unless --debug
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(
                f"Error: internal error ({type(error).__name__}: {error}); "
                "run with --debug for the traceback and please report it",
                err=True,
            )
            ctx.exit(int(ExitCode.INTERNAL))


@click.group(cls=CsiGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="csi")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Customer satisfaction indices (ACSI/ECSI) from survey data.

    \b
    Exit codes: 0 ok; 1 `csi check` found a regression; 2 usage error;
    3 unreadable or invalid data; 4 model or estimation error; 5 internal error.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def _interrupted() -> None:
    click.echo("Interrupted.", err=True)
    sys.exit(130)


def main() -> None:
    cli(prog_name="csi")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
