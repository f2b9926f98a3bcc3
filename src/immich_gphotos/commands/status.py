"""Gather what `status` shows, from config, state, secrets and a quick look at Immich; no printing."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from immich_gphotos import __version__
from immich_gphotos.clock import iso
from immich_gphotos.config import Settings
from immich_gphotos.credentials.backends import open_store
from immich_gphotos.credentials.base import (
    GOOGLE_REFRESH_TOKEN,
    IMMICH_API_KEY,
    SecretStore,
)
from immich_gphotos.errors import AppError, ExitCode
from immich_gphotos.state.follow import LOGIN_EXPIRES_KEY, FollowRecords
from immich_gphotos.state.safety import backup_path, backup_time
from immich_gphotos.state.store import StateStore

REQUESTS_PER_ITEM = 1.02  # one raw upload each, plus one batchCreate per 50


@dataclass
class ImmichStatus:
    url: str
    reachable: bool = False
    user: str | None = None
    server_version: str | None = None
    api_key_stored: bool | None = None
    error: str | None = None


@dataclass
class GoogleStatus:
    client_id: str | None = None
    client_secrets: str | None = None
    token_stored: bool | None = None
    requests_today: int = 0
    daily_request_budget: int = 0
    runs_for_pending: int = 0
    login_expires: str | None = None  # when the login dies (an app left in 'Testing'), ISO
    replaced_items: int = 0  # old renditions in the "immich-gphotos: replaced" album
    error: str | None = None


@dataclass
class AlbumStatus:
    immich_id: str | None  # None for a smart album
    name: str | None
    google_title: str | None
    google_album_id: str | None
    in_sync: int
    pending: int
    failed: int
    skipped: int
    skipped_reasons: dict[str, int]
    last_synced: str | None
    kind: str = "album"  # "album" | "smart"
    smart_id: str | None = None
    google_url: str | None = None  # the Google album's link (Google's productUrl)


@dataclass
class StatusReport:
    version: str
    config_file: str
    state_dir: str
    secrets_backend: str
    immich: ImmichStatus
    google: GoogleStatus
    albums: list[AlbumStatus] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    secrets_error: str | None = None
    # when the consistent copy of the state was made (None: none yet): after every finished run
    state_backup: str | None = None
    state_backup_file: str | None = None
    # the copy holds every change the state has (but the records of runs since); False: the
    # next finished run makes a new one
    state_backup_complete: bool = False
    # 0, or the exit code of what went wrong looking at Immich: 7 unreachable, 4 key refused
    exit_code: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _stored(store: SecretStore | None, key: str) -> tuple[bool | None, str | None]:
    if store is None:
        return None, None
    try:
        return store.get(key) is not None, None
    except AppError as exc:
        return None, exc.message


def collect(settings: Settings, check_immich: bool = True) -> StatusReport:
    """Everything status shows; problems become fields, never exceptions (status must always answer)."""
    store: SecretStore | None = None
    secrets_error = None
    try:
        store = open_store(settings.secrets_backend, settings.state_dir)
        backend = store.describe()
    except AppError as exc:
        backend, secrets_error = f"{settings.secrets_backend} (unusable)", exc.message

    immich = ImmichStatus(url=settings.immich.url)
    immich.api_key_stored, key_error = _stored(store, IMMICH_API_KEY)
    google = GoogleStatus(
        daily_request_budget=settings.google.daily_request_budget,
        client_secrets=settings.google.client_secrets,
    )
    google.token_stored, token_error = _stored(store, GOOGLE_REFRESH_TOKEN)
    secrets_error = secrets_error or key_error or token_error
    if settings.google.client_secrets:
        from immich_gphotos.gphotos.client_secrets import load_client_secrets

        try:
            google.client_id = load_client_secrets(Path(settings.google.client_secrets)).client_id
        except AppError as exc:
            google.error = exc.message

    album_sizes: dict[str, tuple[str, int]] = {}
    exit_code = 0
    if check_immich:
        album_sizes, exit_code = _look_at_immich(settings, store, immich)

    state = StateStore.open(settings.state_dir)
    try:
        google.requests_today = state.requests_on()
        google.login_expires = state.get_meta(LOGIN_EXPIRES_KEY)
        google.replaced_items = FollowRecords(state.conn).replaced_count()
        followed = FollowRecords(state.conn).followed_titles()
        albums = []
        for selected in settings.albums:
            counts = state.album_counts(selected.immich_id)
            name, size = album_sizes.get(selected.immich_id, (counts.name, 0))
            known = counts.in_sync + counts.failed + counts.skipped
            albums.append(
                AlbumStatus(
                    immich_id=selected.immich_id,
                    name=name,
                    # a title without --as follows the Immich name: the last sync's is current
                    google_title=(
                        counts.google_title
                        if selected.google_title in (None, followed.get(selected.immich_id))
                        else selected.google_title
                    )
                    or name,
                    google_album_id=counts.google_album_id,
                    in_sync=counts.in_sync,
                    pending=max(counts.pending, size - known),
                    failed=counts.failed,
                    skipped=counts.skipped,
                    skipped_reasons=counts.skipped_reasons,
                    last_synced=counts.last_synced,
                    google_url=counts.google_url,
                )
            )
        for smart in settings.smart_albums:  # sized by their last sync (a search costs more)
            counts = state.album_counts(smart.id)
            albums.append(
                AlbumStatus(
                    immich_id=None,
                    name=smart.title,
                    google_title=smart.title,
                    google_album_id=counts.google_album_id,
                    in_sync=counts.in_sync,
                    pending=counts.pending,
                    failed=counts.failed,
                    skipped=counts.skipped,
                    skipped_reasons=counts.skipped_reasons,
                    last_synced=counts.last_synced,
                    google_url=counts.google_url,
                    kind="smart",
                    smart_id=smart.id,
                )
            )
        runs = [asdict(r) for r in state.recent_runs(5)]
        made = backup_time(state.path)
        complete = state.backup_holds_all()
    finally:
        state.close()
    pending = sum(a.pending for a in albums)
    google.runs_for_pending = math.ceil(
        pending * REQUESTS_PER_ITEM / max(1, google.daily_request_budget)
    )
    return StatusReport(
        version=__version__,
        config_file=str(settings.path),
        state_dir=str(settings.state_dir),
        secrets_backend=backend,
        immich=immich,
        google=google,
        albums=albums,
        runs=runs,
        secrets_error=secrets_error,
        state_backup=iso(made) if made else None,
        state_backup_file=str(backup_path(state.path)),
        state_backup_complete=complete,
        exit_code=exit_code,
    )


def _look_at_immich(
    settings: Settings, store: SecretStore | None, immich: ImmichStatus
) -> tuple[dict[str, tuple[str, int]], int]:
    """Reachability, user and version; the selected albums' names and sizes when the key works;
    and the exit code of what failed (0 when nothing did)."""
    from immich_gphotos.credentials.base import immich_api_key
    from immich_gphotos.immich.client import ImmichClient

    try:
        key = immich_api_key(store) if store else None
    except AppError:
        key = None
    try:
        with ImmichClient(settings.immich.url, key, verify=settings.immich.verify_tls) as client:
            immich.server_version = str(client.server_version())
            immich.reachable = True
            if not key:
                immich.error = "no API key stored; run `immich-gphotos init`"
                return {}, int(ExitCode.AUTH)
            immich.user = client.me().raw_name  # as written (--json); status_lines makes it inert
            selected = {a.immich_id for a in settings.albums}
            if not selected:
                return {}, 0
            sizes = {a.id: (a.raw_name, a.asset_count) for a in client.albums() if a.id in selected}
            return sizes, 0
    except AppError as exc:
        immich.error = exc.message
        return {}, int(exc.exit_code)
