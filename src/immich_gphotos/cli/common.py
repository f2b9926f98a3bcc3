"""What the commands share: the global options, loading settings, opening secrets and clients."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from immich_gphotos import config as config_mod
from immich_gphotos.errors import AuthError

if TYPE_CHECKING:
    from immich_gphotos.config import Settings
    from immich_gphotos.credentials.base import SecretStore
    from immich_gphotos.immich.client import ImmichClient

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


def config_file(ctx: typer.Context, local: Path | None) -> Path:
    """The command's own --config wins over the one given before the command."""
    chosen = local or (ctx.obj.config if isinstance(ctx.obj, GlobalOptions) else None)
    return config_mod.config_path(chosen)


def load_settings(ctx: typer.Context, local: Path | None) -> Settings:
    return config_mod.load(config_file(ctx, local))


def open_secrets(settings: Settings) -> SecretStore:
    from immich_gphotos.credentials.base import open_store

    return open_store(settings.secrets_backend, settings.state_dir)


def immich_client(settings: Settings, store: SecretStore) -> ImmichClient:
    from immich_gphotos.credentials.base import immich_api_key
    from immich_gphotos.immich.client import ImmichClient

    key = immich_api_key(store)
    if not key:
        raise AuthError(
            "No Immich API key is stored; run `immich-gphotos init` (or set IMMICH_API_KEY)."
        )
    return ImmichClient(settings.immich.url, key, verify=settings.immich.verify_tls)
