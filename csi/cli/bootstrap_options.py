"""Command-line options of the bootstrap, shared by every command that fits a model."""

from __future__ import annotations

import os

import click

from csi.inference.bootstrap import (CI_METHODS, DEFAULT_SEED, MEMORY_VARIABLE, ON_FAILURE,
                                     SIGN_CHANGES, BootstrapSettings, parse_memory)


class MemorySize(click.ParamType):
    """A size in bytes: 512M, 2G, 1.5GB, or a number of bytes."""

    name = "SIZE"

    def convert(self, value, param, ctx):
        if isinstance(value, int) or value is None:
            return value
        try:
            return parse_memory(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def bootstrap_options(command):
    """Add --bootstrap, --seed, --ci, --level, --sign-change, --on-failure, --workers,
    --memory."""
    options = [
        click.option("--bootstrap", "resamples", type=click.IntRange(min=0), default=5000,
                     show_default=True, help="Bootstrap resamples; 0 for point estimates only."),
        click.option("--seed", type=click.IntRange(min=0), default=DEFAULT_SEED,
                     show_default=True, help="Seed of the resampling (printed, so runs repeat)."),
        click.option("--ci", type=click.Choice(CI_METHODS), default="percentile",
                     show_default=True, help="Confidence interval: percentile or BCa "
                     "(bias-corrected and accelerated, jackknife acceleration)."),
        click.option("--level", type=click.FloatRange(0, 1, min_open=True, max_open=True),
                     default=0.95, show_default=True, help="Confidence level."),
        click.option("--sign-change", type=click.Choice(SIGN_CHANGES), default="construct",
                     show_default=True, help="Align each resample's construct signs with the "
                     "original fit (Tenenhaus et al. 2005), or not."),
        click.option("--on-failure", type=click.Choice(ON_FAILURE), default="drop",
                     show_default=True, help="Resamples that cannot be estimated: drop them "
                     "(counted in the output) or draw replacements."),
        click.option("--workers", type=click.IntRange(min=1), default=min(2, os.cpu_count() or 1),
                     show_default=True, help="Threads for the bootstrap; results do not depend "
                     "on it."),
        click.option("--memory", type=MemorySize(), default=None,
                     help=f"Memory one chunk of resamples may use (e.g. 512M, 2G); default "
                     f"${MEMORY_VARIABLE}, else a quarter of the available RAM per CPU, at "
                     "most 256M. Results do not depend on it."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def bootstrap_settings(options: dict) -> BootstrapSettings:
    """Pop the bootstrap options from a command's keyword arguments into settings."""
    return BootstrapSettings(
        resamples=options.pop("resamples"),
        seed=options.pop("seed"),
        ci=options.pop("ci"),
        level=options.pop("level"),
        sign_change=options.pop("sign_change"),
        on_failure=options.pop("on_failure"),
        workers=options.pop("workers"),
        memory=options.pop("memory", None),
    )
