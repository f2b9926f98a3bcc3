"""`status`: what is configured, per-album counts, the last runs and today's Google requests."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from immich_gphotos.cli.common import ConfigOption, DebugOption, load_settings

HELP = """Show the configuration (no secrets), the secrets backend, whether Immich is reachable and
Google connected, per-album counts (in sync / pending / failed / skipped) with each Google album's
link, the last runs (local time), and Google requests used today against the daily budget.
--json prints one JSON object.

Everything is shown even when Immich cannot be reached; the exit status then says so: 7 when
Immich is unreachable, 4 when it refuses the API key. --offline does not contact Immich at all
(exit 0), for a quick look at the state."""


def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    offline: Annotated[
        bool, typer.Option("--offline", help="Do not contact Immich; exit 0 whatever its state.")
    ] = False,
    config: ConfigOption = None,
    debug: DebugOption = False,
) -> None:
    from immich_gphotos.commands.status import collect
    from immich_gphotos.security import security_warnings
    from immich_gphotos.ui.console import say, say_wrapped, warn
    from immich_gphotos.ui.render import status_lines

    settings = load_settings(ctx, config)
    for warning in security_warnings(settings):  # stderr: --json keeps stdout one JSON value
        warn(warning)
    report = collect(settings, check_immich=not offline)
    if as_json:
        say(json.dumps(report.to_json(), indent=2))
    else:
        say_wrapped(status_lines(report))
    if report.exit_code:
        # everything was shown; the status says Immich needs a look (monitoring: `status || alert`)
        warn(
            f"Immich needs attention (exit {report.exit_code}): {report.immich.error}; "
            "`status --offline` shows the state without asking Immich."
        )
        raise typer.Exit(report.exit_code)
