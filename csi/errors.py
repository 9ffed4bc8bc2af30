"""Errors csi raises where a problem is found, and the exit codes the CLI maps them to.

The library raises; only the CLI turns an error into a one-line message and an exit code.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Every exit code of the `csi` command, documented in one place."""

    OK = 0
    REGRESSION = 1  # `csi check` found an estimate that moved beyond tolerance
    USAGE = 2  # bad command-line usage (click's own code)
    DATA = 3  # unreadable or invalid data or result file
    MODEL = 4  # model specification or estimation error
    INTERNAL = 5  # a bug in csi: please report it


class CsiError(Exception):
    """Base class of every error csi reports to the user as one line."""

    exit_code: ExitCode = ExitCode.MODEL


class DataError(CsiError):
    """The survey (or results) file cannot be read or is unusable."""

    exit_code = ExitCode.DATA


class ModelError(CsiError):
    """The model specification is invalid or does not fit the data's columns."""

    exit_code = ExitCode.MODEL


class EstimationError(CsiError):
    """Estimation failed (e.g. no convergence, singular matrix)."""

    exit_code = ExitCode.MODEL
