"""`check` and `check --repair`: compare the state with what Google holds; print; exit."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from immich_gphotos.cli.common import ConfigOption, DebugOption, load_settings, wiring_of
from immich_gphotos.errors import ExitCode, exit_status_help

HELP = """Compare the state with what the tool's Google albums hold: albums deleted in Google
Photos, items removed from them, items the state does not know, and albums the tool made that
the state does not know. Reads albums.list and one mediaItems.search per 100 items (counted
against the daily budget; the estimate is printed first on a terminal); changes nothing.

--repair then makes Google match the state (deleted albums made again, removed items put back
by reference) and takes over what a lost or new state does not know: for a selected album with
no Google album in the state, the album the tool made with exactly its title, its items matched
to the Immich assets by file name and capture time. What cannot be matched is named.

""" + exit_status_help(
    (
        ExitCode.OK,
        ExitCode.FAILED,
        ExitCode.USAGE,
        ExitCode.CONFIG,
        ExitCode.AUTH,
        ExitCode.LOCKED,
        ExitCode.QUOTA,
        ExitCode.UNREACHABLE,
    )
).replace(
    "0 success (everything selected is in sync, or --limit reached)", "0 the state and Google agree"
).replace("1 some items failed (retried next run)", "1 differences found (or left after --repair)")


def check(
    ctx: typer.Context,
    album: Annotated[
        list[str] | None,
        typer.Option(
            "--album", metavar="NAME_OR_ID", help="Only this selected album (repeatable)."
        ),
    ] = None,
    repair: Annotated[
        bool,
        typer.Option(
            "--repair",
            help="Make Google match the state, and take over albums a lost state does not know.",
        ),
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object on stdout (logs on stderr).")
    ] = False,
    config: ConfigOption = None,
    debug: DebugOption = False,
) -> int:
    from immich_gphotos.commands.check import CheckEstimate, run_check
    from immich_gphotos.ui.check_view import check_lines, estimate_line
    from immich_gphotos.ui.console import is_tty, say

    settings = load_settings(ctx, config)

    def show_estimate(estimate: CheckEstimate) -> None:
        if is_tty() and not as_json:
            say(estimate_line(estimate))

    report = run_check(
        settings,
        tuple(album or ()),
        repair=repair,
        on_estimate=show_estimate,
        wiring=wiring_of(ctx),
    )
    if as_json:
        say(json.dumps(report.to_json(), indent=2))
    else:
        for line in check_lines(report):
            say(line)
    return report.exit_code
