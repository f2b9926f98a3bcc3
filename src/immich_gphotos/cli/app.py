"""The Typer app: global options and the six commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from immich_gphotos import __version__
from immich_gphotos.cli.common import GlobalOptions
from immich_gphotos.errors import exit_status_help


def _version(value: bool) -> None:
    if value:
        print(f"immich-gphotos {__version__}")
        raise typer.Exit(0)


def build_app() -> typer.Typer:
    from immich_gphotos.cli import (
        albums_cmd,
        auth_cmd,
        check_cmd,
        health_cmd,
        init_cmd,
        status_cmd,
        sync_cmd,
    )

    app = typer.Typer(
        name="immich-gphotos",
        help="Keep chosen Immich albums mirrored into Google Photos albums.\n\n"
        + exit_status_help(),
        no_args_is_help=True,
        add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish)
        pretty_exceptions_enable=False,  # never print locals: they may hold a key or a token
        context_settings={"help_option_names": ["-h", "--help"]},
        rich_markup_mode=None,
    )

    @app.callback()
    def root(
        ctx: typer.Context,
        config: Annotated[
            Path | None,
            typer.Option(
                "--config",
                metavar="FILE",
                help="Config file (default: $IMMICH_GPHOTOS_CONFIG or the platform config folder).",
            ),
        ] = None,
        debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
        version: Annotated[
            bool,
            typer.Option(
                "--version", callback=_version, is_eager=True, help="Print the version and exit."
            ),
        ] = False,
    ) -> None:
        given = ctx.obj if isinstance(ctx.obj, GlobalOptions) else GlobalOptions()
        ctx.obj = GlobalOptions(config=config, debug=debug, wiring=given.wiring)

    app.command("init", help=init_cmd.HELP)(init_cmd.init)

    app.command("auth", help=auth_cmd.HELP)(auth_cmd.auth)
    app.add_typer(albums_cmd.app, name="albums")

    app.command("sync", help=sync_cmd.HELP)(sync_cmd.sync)

    app.command("check", help=check_cmd.HELP)(check_cmd.check)

    app.command("status", help=status_cmd.HELP)(status_cmd.status)

    app.command("health", help=health_cmd.HELP)(health_cmd.health)
    return app
