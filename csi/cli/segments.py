"""`csi fit --by COLUMN`: one fit per segment; and the --scheduler option (Dask scale-out)."""

from __future__ import annotations


import click
from click.core import ParameterSource

from csi.cli.emit import emit, notes
from csi.cli.progress import progress_bar
from csi.errors import DataError
from csi.ingest import MIN_ROWS
from csi.scale_out import ENVIRONMENT, INSTALL_HINT, executor_for
from csi.multi import DEFAULT_MIN_N


def scheduler_option(command):
    """Add --scheduler ADDRESS (Dask) to a command."""
    return click.option(
        "--scheduler", metavar="ADDRESS",
        help=f"Run the work on this Dask scheduler, e.g. tcp://host:8786 (default: "
             f"${ENVIRONMENT}, else in-process); results are identical to an in-process run. "
             f"Needs `{INSTALL_HINT}`.")(command)


def segment_options(command):
    """Add --by, --min-n and --scheduler to `csi fit`."""
    options = [
        click.option("--by", metavar="COLUMN",
                     help="Fit one model per value of COLUMN (store, brand, region, wave; any "
                          "text): segments share the model and settings; a table ranks them "
                          "by the target's index."),
        click.option("--min-n", type=click.IntRange(min=MIN_ROWS), default=DEFAULT_MIN_N,
                     show_default=True,
                     help="With --by: skip (and report) segments with fewer usable "
                          "respondents."),
        scheduler_option,
    ]
    for option in reversed(options):
        command = option(command)
    return command


def pop_segment_options(options: dict) -> tuple[str | None, int, str | None]:
    """Pop --by, --min-n and --scheduler; --min-n needs --by."""
    by, min_n, scheduler = options.pop("by"), options.pop("min_n"), options.pop("scheduler")
    ctx = click.get_current_context()
    if by is None and ctx.get_parameter_source("min_n") is ParameterSource.COMMANDLINE:
        raise click.UsageError("--min-n applies to segments: give --by COLUMN too")
    return by, min_n, scheduler


def fit_by_segments(data, spec, items, ingest, settings, resampling, *, by: str, min_n: int,
                    scheduler: str | None, check, target: str | None, nonlinear,
                    output_format: str, output: str | None, quiet: bool,
                    pdf: str | None = None, interaction: str = "two-stage",
                    lang: str | None = None) -> None:
    """Fit every segment, then render the ranking table, the JSON or the CSV."""
    if check is not None:
        raise click.UsageError("--check compares one fit with a baseline; it cannot be "
                               "combined with --by")
    if pdf:
        raise click.UsageError("--pdf reports one fit; with --by, write --format json and run "
                               "`csi report` on a segment's document")
    from csi.multi.segments import fit_segments, split  # only a fit with --by needs them

    groups, _ = split(data, by)
    with executor_for(scheduler, resampling.workers) as executor, \
            progress_bar(len(groups), "Segments", quiet) as advance:
        results = fit_segments(data, spec, by, settings=settings, options=ingest,
                               bootstrap=resampling, min_n=min_n, target=target,
                               nonlinear=nonlinear, executor=executor, progress=advance,
                               items=items, interaction=interaction)
        where = executor.notes
    if not results.fits:
        largest = max(results.skipped, key=lambda s: s.rows_used)
        raise DataError(
            f"no segment of {by} could be fitted: the largest, {largest.name}, has "
            f"{largest.rows_used} usable respondents"
            + (f" (--min-n {min_n}); lower --min-n" if largest.small else
               f" but {largest.reason}")
        )
    notes(where, quiet, lang)
    from csi.report.segments import render_segments, segments_csv  # only with --by

    emit(output_format, output, lambda console: render_segments(results, console, lang),
         lambda kind: results.to_json() if kind == "json" else segments_csv(results),
         width=120)
    if output_format == "table":
        return
    small = [s for s in results.skipped if s.small]
    messages = []
    if small:
        messages.append(f"skipped {len(small)} segment{'s' if len(small) != 1 else ''} with "
                        f"fewer than {min_n} usable respondents: "
                        f"{', '.join(s.name for s in small[:10])}"
                        f"{', ...' if len(small) > 10 else ''}")
    messages += [f"segment {skip.name} not estimated: {skip.reason}"
                 for skip in results.skipped if not skip.small]
    notes(messages + list(results.warnings), quiet, lang)
