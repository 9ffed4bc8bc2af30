"""The `csi` command group: turns CsiErrors into one-line messages and documented exit codes."""

from __future__ import annotations

import sys

import click

from csi._version import __version__
from csi.errors import CsiError, ExitCode


class CsiGroup(click.Group):
    """A click group that reports library errors as `Error: ...` with their exit code."""

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


def _register() -> None:
    from csi.cli.check import check_command
    from csi.cli.compare import compare_command
    from csi.cli.compare_estimators import compare_estimators_command
    from csi.cli.fit import fit_command
    from csi.cli.latent import latent_command
    from csi.cli.models import models_command
    from csi.cli.priorities import priorities_command
    from csi.cli.report import report_command
    from csi.cli.validate import validate_command

    cli.add_command(check_command)
    cli.add_command(compare_command)
    cli.add_command(compare_estimators_command)
    cli.add_command(fit_command)
    cli.add_command(latent_command)
    cli.add_command(models_command)
    cli.add_command(priorities_command)
    cli.add_command(report_command)
    cli.add_command(validate_command)


_register()


def main() -> None:
    cli(prog_name="csi")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
