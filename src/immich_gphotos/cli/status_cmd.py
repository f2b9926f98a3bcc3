"""`status`: what is configured, per-album counts, the last runs and today's Google requests."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from immich_gphotos.cli.common import ConfigOption, DebugOption, load_settings

HELP = """Show the configuration (no secrets), the secrets backend, whether Immich is reachable and
Google connected, per-album counts (in sync / pending / failed / skipped), the last runs, and Google
requests used today against the daily budget. --json prints one JSON object."""


def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    config: ConfigOption = None,
    debug: DebugOption = False,
) -> None:
    from immich_gphotos.commands.status import collect
    from immich_gphotos.security import security_warnings
    from immich_gphotos.ui.console import say, warn
    from immich_gphotos.ui.render import status_lines

    settings = load_settings(ctx, config)
    for warning in security_warnings(settings):  # stderr: --json keeps stdout one JSON value
        warn(warning)
    report = collect(settings)
    if as_json:
        say(json.dumps(report.to_json(), indent=2))
        return
    for line in status_lines(report):
        say(line)
