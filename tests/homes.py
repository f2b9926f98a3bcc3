"""A home set up as `init`, `auth` and `albums add` leave it, written in-process in milliseconds.

For the tests whose subject is not those commands: running them as children cost about half a
second each (imports and scrypt). The files are written by the package's own functions
(``config.save_raw``, ``FileStore``, ``StateStore``); test_homes.py checks that the result is
what the real commands write, so these helpers cannot drift from them unnoticed.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any
from unittest import mock

from immich_gphotos import config as config_mod
from immich_gphotos.credentials import file_store
from immich_gphotos.credentials.base import IMMICH_API_KEY, SECRETS_FILE_NAME
from immich_gphotos.fileio import atomic_write
from immich_gphotos.state.store import StateStore
from tests.helpers import GOOD_KEY

# The secrets file keeps its scrypt cost beside the salt and every reader uses the cost it finds
# there, so a file written at a small cost opens in ~2 ms instead of ~100 ms in every CLI child
# of a test. Only the cost for a *new* file is lowered, only here in the test process;
# test_secrets.py covers the production cost.
CHEAP_SCRYPT_N = 2**10


def write_secrets(state_dir: Path, secrets: dict[str, str]) -> None:
    """Store secrets in the encrypted file as FileStore does (merged into an existing file)."""
    with mock.patch.object(file_store, "SCRYPT_N", CHEAP_SCRYPT_N):
        store = file_store.FileStore(state_dir / SECRETS_FILE_NAME)
        for key, value in secrets.items():
            store.set(key, value)


def init_home(
    config_path: Path,
    immich_url: str,
    *,
    api_key: str = GOOD_KEY,
    client_secrets: Path | None = None,
    google_api_url: str | None = None,
) -> config_mod.Settings:
    """What `init --immich-url URL [--client-secrets PATH]` saves after its checks passed (the
    client JSON copied beside the config).

    ``google_api_url`` points the Google client at a stand-in, as tests otherwise do by
    editing the saved config.
    """
    raw: dict[str, Any] = {"immich": {"url": immich_url}}
    if client_secrets is not None:  # init keeps a copy beside the config
        copy = config_path.parent / "client_secret.json"
        atomic_write(copy, client_secrets.read_bytes(), mode=0o600)
        raw["google"] = {"client_secrets": str(copy)}
    if google_api_url is not None:
        raw.setdefault("google", {})["api_url"] = google_api_url
    settings = config_mod.save_raw(config_path, raw)
    write_secrets(settings.state_dir, {IMMICH_API_KEY: api_key})
    return settings


def select_albums(config_path: Path, albums: Iterable[Any]) -> None:
    """What `albums add NAME...` saves: the selection in the config, each album's name in state.

    ``albums`` are the stand-in library's albums (anything with ``id`` and ``name``).
    """
    albums = list(albums)
    raw = config_mod.load_raw(config_path)
    entries = raw.setdefault("albums", [])
    entries.extend({"immich_id": a.id, "google_title": a.name} for a in albums)
    settings = config_mod.save_raw(config_path, raw)
    state = StateStore.open(settings.state_dir)
    try:
        for album in albums:
            state.upsert_album(album.id, album.name, album.name, follows_name=True)
    finally:
        state.close()


def store_google_login(google: Any, state_dir: Path) -> str:
    """What a finished `auth` leaves (the browser flow has tests of its own): the refresh token."""
    refresh, _ = google.issue_tokens()
    write_secrets(
        state_dir, {"google-refresh-token": refresh, "google-client-id": google.client_id}
    )
    state = StateStore.open(state_dir)
    try:
        state.set_meta("oauth_client_id", google.client_id)
    finally:
        state.close()
    return refresh


def albums_named(library: Any, *names: str) -> list[Any]:
    """The stand-in library's albums with these exact names, in the order given."""
    by_name = {a.name: a for a in library.albums.values()}
    return [by_name[name] for name in names]
