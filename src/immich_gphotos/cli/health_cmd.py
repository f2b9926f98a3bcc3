"""`health`: exit 0 while a `sync --every` loop is alive, 1 when its runs stopped (HEALTHCHECK)."""

from __future__ import annotations

from typing import Annotated

import typer

from immich_gphotos.cli.common import ConfigOption, DebugOption, config_file

HELP = """Exit 0 while a `sync --every` loop is alive, 1 when its runs have stopped: for a
container's HEALTHCHECK. Read from the loop's heartbeat in the state dir: unhealthy when none
was written yet, when it is older than two intervals (plus the loop's largest random delay) or
--max-age, or when the loop ended. Prints one line saying which."""


def health(
    ctx: typer.Context,
    max_age: Annotated[
        str | None,
        typer.Option(
            "--max-age",
            metavar="DURATION",
            help="Unhealthy when the last sign of life is older (e.g. 90s, 2h); default: two "
            "of the loop's intervals plus its largest random delay.",
        ),
    ] = None,
    config: ConfigOption = None,
    debug: DebugOption = False,
) -> int:
    from immich_gphotos import config as config_mod
    from immich_gphotos.commands.every import parse_duration
    from immich_gphotos.commands.health import check
    from immich_gphotos.errors import AppError
    from immich_gphotos.ui.console import say

    limit = None if max_age is None else parse_duration(max_age, "--max-age", minimum=1)
    try:  # the config may name the state dir; without one, $IMMICH_GPHOTOS_STATE_DIR or the default
        state_dir = config_mod.load(config_file(ctx, config)).state_dir
    except AppError:
        state_dir = config_mod.state_dir(None)
    result = check(state_dir, limit)
    say(result.message)
    return 0 if result.healthy else 1
