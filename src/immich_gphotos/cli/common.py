"""What the commands' parsers share: the global options and loading the settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from immich_gphotos import config as config_mod

if TYPE_CHECKING:
    from immich_gphotos.commands.wiring import Wiring
    from immich_gphotos.config import Settings

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        metavar="FILE",
        help="Config file (default: $IMMICH_GPHOTOS_CONFIG or the platform config folder).",
        show_default=False,
    ),
]
DebugOption = Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")]


@dataclass
class GlobalOptions:
    config: Path | None = None
    debug: bool = False
    wiring: Wiring | None = None  # how runs reach the servers; None: production defaults


def wiring_of(ctx: typer.Context) -> Wiring | None:
    return ctx.obj.wiring if isinstance(ctx.obj, GlobalOptions) else None


def config_file(ctx: typer.Context, local: Path | None) -> Path:
    """The command's own --config wins over the one given before the command."""
    chosen = local or (ctx.obj.config if isinstance(ctx.obj, GlobalOptions) else None)
    return config_mod.config_path(chosen)


def load_settings(ctx: typer.Context, local: Path | None) -> Settings:
    return config_mod.load(config_file(ctx, local))
