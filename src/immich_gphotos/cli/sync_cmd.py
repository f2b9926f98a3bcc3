"""`sync`: wire settings, lock, state, clients and a reporter to the engine; render; exit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from immich_gphotos.cli.common import ConfigOption, DebugOption, load_settings, wiring_of
from immich_gphotos.errors import ExitCode, exit_status_help

if TYPE_CHECKING:
    from immich_gphotos.commands.every import RunResult

HELP = """One run: make every selected Google album hold every eligible asset of its Immich album.

Uploads are streamed from Immich to Google, deduplicated by checksum, saved after every batch.
With --every DURATION (30m, 1h, 1d; at least 1m) it runs again and again, a little random delay
added, until SIGINT/SIGTERM: one line per run, and errors (even exit 3 or 4) are reported and
tried again at the next run; a signal between runs exits 0, one during a run finishes the batch
in hand and exits 130.
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
    every: Annotated[
        str | None,
        typer.Option(
            "--every",
            metavar="DURATION",
            help="Run again every DURATION (30m, 1h, 1d; at least 1m) until SIGINT/SIGTERM.",
        ),
    ] = None,
    config: ConfigOption = None,
    debug: DebugOption = False,
) -> int:
    if every is not None:
        return _every(
            ctx,
            every,
            config,
            dry_run=dry_run,
            as_json=as_json,
            quiet=quiet,
            options=dict(
                albums=list(album or []),
                limit=limit,
                concurrency=concurrency,
                retry_failed=retry_failed,
                allow_mass_removal=allow_mass_removal,
            ),
        )
    from immich_gphotos.commands.sync import run_sync
    from immich_gphotos.commands.wiring import run_options
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
    try:
        outcome = run_sync(settings, options, reporter, wiring=wiring_of(ctx))
    finally:  # an error or a signal that ends the run early must not leave the cursor hidden
        stop_display = getattr(reporter, "stop_display", None)
        if stop_display is not None:
            stop_display()
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
    elif report.stopped == "interrupted" and not as_json:
        from immich_gphotos.ui.console import warn

        warn(
            "Interrupted; every finished batch is saved, and the next run continues with the rest."
        )
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


def _every(
    ctx: typer.Context,
    every: str,
    config: Path | None,
    *,
    dry_run: bool,
    as_json: bool,
    quiet: bool,
    options: dict[str, Any],
) -> int:
    """`sync --every`: the loop core in commands/every.py; here the flags and one line per run."""
    import sys

    from immich_gphotos.commands.every import Loop, parse_duration
    from immich_gphotos.commands.wiring import run_options
    from immich_gphotos.errors import UsageError
    from immich_gphotos.ui.console import is_tty, say, warn

    interval = parse_duration(every, "--every")
    if dry_run:
        raise UsageError(
            "--dry-run cannot be combined with --every: a plan changes nothing, so "
            "repeating it shows nothing new; run `sync --dry-run` once."
        )
    if as_json:
        raise UsageError(
            "--json cannot be combined with --every (--json prints exactly one JSON "
            "object); use [notify] metrics_file or `status --json` to watch a loop."
        )
    settings = load_settings(ctx, config)  # a broken config at the start is exit 3 at once
    if not quiet:
        from immich_gphotos.security import security_warnings

        for warning in security_warnings(settings):
            warn(warning)
    tty = is_tty()

    def line(result: RunResult) -> None:
        if quiet and result.exit_code == ExitCode.OK:
            return
        text = every_line(result)
        if result.exit_code in (ExitCode.OK, ExitCode.QUOTA, ExitCode.INTERRUPTED):
            say(text)
        else:  # an error: on stdout for the one line per run, and named on stderr as usual
            say(text)
            warn(f"Error: {result.summary}")
        sys.stdout.flush()

    loop = Loop(
        load=lambda: load_settings(ctx, config),
        options=lambda s: run_options(s, **options),
        reporter=lambda: _loop_reporter(quiet, tty),
        interval=interval,
        on_run=line,
        wiring=wiring_of(ctx),
    )
    return loop.run()


def every_line(result: RunResult) -> str:
    """The one line a `--every` run leaves on a pipe: when, which run, what, and what next."""
    from immich_gphotos.clock import iso
    from immich_gphotos.text import clean

    summary = clean(result.summary)
    if not summary.startswith("sync finished"):
        summary = f"exit {result.exit_code}: {summary}"
    after = f"; next run at {iso(result.next_run)}" if result.next_run else "; stopped (signal)"
    return f"{iso(result.finished)} run {result.number}: {summary}{after}"


def _loop_reporter(quiet: bool, tty: bool):  # type: ignore[no-untyped-def]
    """Progress on a terminal; on a pipe only the loop's one line per run (warnings on stderr)."""
    import sys

    from immich_gphotos.sync.events import NullReporter
    from immich_gphotos.ui.reporters import PlainReporter, RichReporter

    if quiet:
        return NullReporter()
    if tty:
        return RichReporter()
    return PlainReporter(stream=sys.stdout, log_stream=sys.stderr, summary=False)
