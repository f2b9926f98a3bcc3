"""`sync`: wire settings, lock, state, clients and a reporter to the engine; render; exit."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from immich_gphotos.cli.common import ConfigOption, DebugOption, load_settings, wiring_of
from immich_gphotos.errors import ExitCode, exit_status_help

HELP = """One run: make every selected Google album hold every eligible asset of its Immich album.

Uploads are streamed from Immich to Google, deduplicated by checksum, saved after every batch.
""" + exit_status_help()


def sync(
    ctx: typer.Context,
    album: Annotated[
        list[str] | None,
        typer.Option(
            "--album", metavar="NAME_OR_ID", help="Only this selected album (repeatable)."
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Plan and print; change nothing, send nothing to Google."),
    ] = False,
    limit: Annotated[
        int | None,
        typer.Option("--limit", min=0, metavar="N", help="Upload at most N new items this run."),
    ] = None,
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency",
            min=1,
            max=32,
            metavar="N",
            help="Byte uploads in parallel (default: [sync] concurrency).",
        ),
    ] = None,
    retry_failed: Annotated[
        bool,
        typer.Option("--retry-failed", help="Also retry items given up on after 5 failed runs."),
    ] = False,
    allow_mass_removal: Annotated[
        bool,
        typer.Option(
            "--allow-mass-removal",
            help="Let remove_missing remove more than 10% (or 500) of an album's items.",
        ),
    ] = False,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print one JSON summary object on stdout (logs on stderr)."),
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", help="Nothing on stdout unless something failed.")
    ] = False,
    config: ConfigOption = None,
    debug: DebugOption = False,
) -> int:
    from immich_gphotos.commands.sync import run_options, run_sync
    from immich_gphotos.ui.console import is_tty, say, say_wrapped
    from immich_gphotos.ui.render import plan_lines

    settings = load_settings(ctx, config)
    if not quiet:  # --quiet: the warning goes to the log file only (and `status` shows it)
        from immich_gphotos.security import security_warnings
        from immich_gphotos.ui.console import warn

        for warning in security_warnings(settings):
            warn(warning)
    reporter = _reporter(as_json, quiet, dry_run, is_tty())
    options = run_options(
        settings,
        albums=list(album or []),
        dry_run=dry_run,
        limit=limit,
        concurrency=concurrency,
        retry_failed=retry_failed,
        allow_mass_removal=allow_mass_removal,
    )
    outcome = run_sync(settings, options, reporter, wiring=wiring_of(ctx))
    if dry_run:
        assert outcome.plan is not None
        if as_json:
            say(json.dumps(outcome.plan_json(), indent=2))
        else:
            say_wrapped(plan_lines(outcome.plan))
        return ExitCode.OK
    report = outcome.report
    assert report is not None
    if as_json:
        say(json.dumps(report.to_json(), indent=2))
    elif quiet and report.exit_code != 0:  # quiet: speak only when something failed
        from immich_gphotos.sync.report import album_line, summary_line

        for result in report.albums:
            say(album_line(result))
            for problem in result.problems:
                say(f"  {problem}")
        say(summary_line(report))
    if report.error is not None and not as_json:
        from immich_gphotos.ui.console import warn

        warn(f"Error: {report.error.message}")
    return report.exit_code


def _reporter(as_json: bool, quiet: bool, dry_run: bool, tty: bool):  # type: ignore[no-untyped-def]
    import sys

    from immich_gphotos.sync.events import NullReporter
    from immich_gphotos.ui.reporters import PlainReporter, RichReporter

    if dry_run:
        return NullReporter()
    if as_json:
        return PlainReporter(stream=sys.stderr, log_stream=sys.stderr, summary=False)
    if quiet:  # not even informational lines on stderr: cron mails whatever is printed
        return NullReporter()
    return RichReporter() if tty else PlainReporter()
