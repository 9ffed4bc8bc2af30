"""Command-line options of the PLS algorithm, shared by every command that estimates."""

from __future__ import annotations

import click

from csi.estimators.base import SCHEMES, PlsSettings


def pls_options(command):
    """Add --scheme, --tol, --max-iter and --unstandardized."""
    options = [
        click.option("--scheme", type=click.Choice(SCHEMES), default="path", show_default=True,
                     help="Inner weighting scheme."),
        click.option("--tol", type=click.FloatRange(min=0, min_open=True), default=1e-7,
                     show_default=True,
                     help="Convergence tolerance: max change in any outer weight."),
        click.option("--max-iter", type=click.IntRange(min=1), default=300, show_default=True,
                     help="Iteration limit of the PLS algorithm."),
        click.option("--unstandardized", is_flag=True,
                     help="Estimate on centred raw items (R plspm's scaled = FALSE) instead "
                          "of standardized ones."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def pls_settings(options: dict, **extra) -> PlsSettings:
    """Pop the PLS options from a command's keyword arguments into settings."""
    return PlsSettings(scheme=options.pop("scheme"), tol=options.pop("tol"),
                       max_iter=options.pop("max_iter"),
                       standardize=not options.pop("unstandardized"), **extra)
