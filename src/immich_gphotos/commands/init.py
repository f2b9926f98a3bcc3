"""The core of `init`: check the Immich connection, then save the key and the config (in that order)."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from immich_gphotos import config as config_mod
from immich_gphotos.credentials.backends import open_store
from immich_gphotos.credentials.base import IMMICH_API_KEY, check_api_key
from immich_gphotos.errors import AuthError
from immich_gphotos.gphotos.client_secrets import ClientSecrets, load_client_secrets
from immich_gphotos.immich.client import ImmichClient
from immich_gphotos.immich.models import ImmichUser, ServerVersion


@dataclass(frozen=True)
class SetupRequest:
    config_path: Path
    immich_url: str
    api_key: str | None  # None: keep the key already stored
    key_is_new: bool
    verify_tls: bool | str
    client_secrets: Path | None  # None: keep what the config has
    secrets_backend: str | None  # None: keep what the config has


@dataclass(frozen=True)
class SetupResult:
    settings: config_mod.Settings
    user: ImmichUser
    server_version: ServerVersion
    secrets_where: str
    client: ClientSecrets | None


def normalise_url(url: str) -> str:
    url = url.strip().rstrip("/")
    if url.endswith("/api"):
        url = url[: -len("/api")]
    return url


def configure(request: SetupRequest, existing: dict[str, Any]) -> SetupResult:
    """Verify everything, then write: nothing is saved when any check fails."""
    raw = copy.deepcopy(existing)
    raw.setdefault("immich", {})["url"] = normalise_url(request.immich_url)
    if request.verify_tls is True:
        raw["immich"].pop("verify_tls", None)
    else:
        raw["immich"]["verify_tls"] = request.verify_tls
    client = None
    if request.client_secrets is not None:
        client = load_client_secrets(request.client_secrets)
        raw.setdefault("google", {})["client_secrets"] = str(client.path)
    elif raw.get("google", {}).get("client_secrets"):
        client = load_client_secrets(Path(raw["google"]["client_secrets"]))
    if request.secrets_backend:
        raw.setdefault("secrets", {})["backend"] = request.secrets_backend
    settings = config_mod.validate(raw, request.config_path)  # a bad value fails before any I/O

    store = open_store(settings.secrets_backend, settings.state_dir)
    key = request.api_key or store.get(IMMICH_API_KEY)
    if not key:
        raise AuthError(
            "No Immich API key was given; pass it in IMMICH_API_KEY or on stdin with --api-key-stdin, "
            "or run `immich-gphotos init` on a terminal to be asked for it."
        )
    check_api_key(key, "given" if request.api_key else f"stored in {store.describe()}")
    # errors name what the user typed: the flags, not config keys they never saw
    names = ("--immich-url", "pass --ca-bundle FILE with")
    with ImmichClient(
        settings.immich.url, key, verify=settings.immich.verify_tls, names=names
    ) as immich:
        version = immich.check_supported()
        immich.require_permissions()  # every one the sync needs, named, before anything is saved
        user = immich.me()

    if request.api_key and request.key_is_new:
        store.set(IMMICH_API_KEY, request.api_key)
    saved = config_mod.save_raw(request.config_path, raw)
    return SetupResult(saved, user, version, store.describe(), client)
