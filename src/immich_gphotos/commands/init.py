"""The core of `init`: check the Immich connection, then save the key and the config (in that order)."""

from __future__ import annotations

import copy
import shlex
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from immich_gphotos import config as config_mod
from immich_gphotos.credentials.backends import file_backend_chosen, open_store
from immich_gphotos.credentials.base import IMMICH_API_KEY, SECRETS_FILE_NAME, check_api_key
from immich_gphotos.credentials.file_store import (
    ENV_PASSPHRASE,
    ENV_PASSPHRASE_FILE,
    read_passphrase,
)
from immich_gphotos.errors import AppError, AuthError, SecretsUnavailable
from immich_gphotos.fileio import atomic_write
from immich_gphotos.gphotos.client_secrets import COPY_NAME, ClientSecrets, load_client_secrets
from immich_gphotos.immich.client import ImmichClient
from immich_gphotos.immich.models import ImmichUser, ServerVersion

PASSPHRASE_NAME = "passphrase"


@dataclass(frozen=True)
class SetupRequest:
    config_path: Path
    immich_url: str
    api_key: str | None  # None: keep the key already stored
    key_is_new: bool
    verify_tls: bool | str
    client_secrets: Path | None  # None: keep what the config has
    secrets_backend: str | None  # None: keep what the config has
    passphrase: str | None = None  # for the encrypted file, typed at the prompt
    keep_passphrase: bool = False  # write it to passphrase_path() for cron and systemd


@dataclass(frozen=True)
class SetupResult:
    settings: config_mod.Settings
    user: ImmichUser
    server_version: ServerVersion
    secrets_where: str
    client: ClientSecrets | None
    passphrase_file: Path | None = None  # where the typed passphrase was kept, if it was


def normalise_url(url: str) -> str:
    url = url.strip().rstrip("/")
    if url.endswith("/api"):
        url = url[: -len("/api")]
    return url


def passphrase_path(config_path: Path) -> Path:
    """Where `init` keeps a passphrase it was given at the prompt: beside the config."""
    return config_path.parent / PASSPHRASE_NAME


def passphrase_needed(
    config_path: Path, existing: dict[str, Any], backend_flag: str | None
) -> str | None:
    """Why the secrets would go to the encrypted file while no passphrase is set, else None."""
    backend = backend_flag or existing.get("secrets", {}).get("backend", "auto")
    state = config_mod.state_dir(existing.get("state", {}).get("dir"))
    why = file_backend_chosen(backend, state)
    if why is None or read_passphrase():
        return None
    return why


def secrets_file_exists(existing: dict[str, Any]) -> bool:
    state = config_mod.state_dir(existing.get("state", {}).get("dir"))
    return (state / SECRETS_FILE_NAME).exists()


def no_passphrase_error(config_path: Path, why: str) -> SecretsUnavailable:
    """Not on a terminal, so nothing can be asked: the exact commands that fix it."""
    folder = shlex.quote(str(config_path.parent))
    file = shlex.quote(str(passphrase_path(config_path)))
    return SecretsUnavailable(
        f"The secrets go into an encrypted file because {why}, and it needs a passphrase, but neither "
        f"{ENV_PASSPHRASE} nor {ENV_PASSPHRASE_FILE} is set. Make a passphrase file: "
        f"`(umask 077 && mkdir -p {folder} && head -c 32 /dev/urandom | base64 > {file})`, "
        f"then run `{ENV_PASSPHRASE_FILE}={file} immich-gphotos init ...` again (same options), and give cron "
        f"and systemd the same {ENV_PASSPHRASE_FILE} (or run init on a terminal to be asked)."
    )


def api_key_stored(
    existing: dict[str, Any], backend_flag: str | None, passphrase: str | None
) -> bool | None:
    """Whether an Immich key is already stored (None: cannot tell, the store cannot be read)."""
    backend = backend_flag or existing.get("secrets", {}).get("backend", "auto")
    state = config_mod.state_dir(existing.get("state", {}).get("dir"))
    try:
        return open_store(backend, state, passphrase=passphrase).get(IMMICH_API_KEY) is not None
    except AppError:
        return None


def configure(request: SetupRequest, existing: dict[str, Any]) -> SetupResult:
    """Verify everything, then write: nothing is saved when any check fails."""
    raw = copy.deepcopy(existing)
    raw.setdefault("immich", {})["url"] = normalise_url(request.immich_url)
    if request.verify_tls is True:
        raw["immich"].pop("verify_tls", None)
    else:
        raw["immich"]["verify_tls"] = request.verify_tls
    client = None
    copy_to: Path | None = None
    if request.client_secrets is not None:
        client = load_client_secrets(request.client_secrets, configured=False)
        # a copy in the config folder: tidying Downloads must not strand the setup
        copy_to = request.config_path.parent / COPY_NAME
        if copy_to.exists() and copy_to.resolve() == client.path:
            copy_to = None
        raw.setdefault("google", {})["client_secrets"] = str(request.config_path.parent / COPY_NAME)
    elif raw.get("google", {}).get("client_secrets"):
        client = load_client_secrets(Path(raw["google"]["client_secrets"]))
        if client.path != (request.config_path.parent / COPY_NAME).resolve():
            # set up by an older release, pointing into Downloads: keep a copy from now on
            copy_to = request.config_path.parent / COPY_NAME
            raw["google"]["client_secrets"] = str(copy_to)
    if request.secrets_backend:
        raw.setdefault("secrets", {})["backend"] = request.secrets_backend
    settings = config_mod.validate(raw, request.config_path)  # a bad value fails before any I/O

    store = open_store(settings.secrets_backend, settings.state_dir, passphrase=request.passphrase)
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

    kept = passphrase_path(request.config_path) if request.keep_passphrase else None
    with _all_or_nothing() as written:
        if kept is not None and request.passphrase:
            written(kept)
            atomic_write(kept, (request.passphrase + "\n").encode("utf-8"), mode=0o600)
        if copy_to is not None and client is not None:
            written(copy_to)
            atomic_write(copy_to, client.path.read_bytes(), mode=0o600)
        if request.api_key and request.key_is_new:
            store.set(IMMICH_API_KEY, request.api_key)
        saved = config_mod.save_raw(request.config_path, raw)
    if copy_to is not None and client is not None:
        client = load_client_secrets(copy_to)
    return SetupResult(saved, user, version, store.describe(), client, kept)


@contextmanager
def _all_or_nothing() -> Iterator[Callable[[Path], None]]:
    """Files this init creates are removed again when a later step fails (a full disk, a keyring
    that refuses): nothing is half-saved."""
    created: list[Path] = []

    def written(path: Path) -> None:
        if not path.exists():
            created.append(path)

    try:
        yield written
    except BaseException:
        for path in created:
            with suppress(FileNotFoundError):
                path.unlink()
        raise
