"""Whether an album needs listing again (pure): the cheap no-op.

``GET /api/albums`` gives each album's ``assetCount``, ``updatedAt`` (adding or removing assets,
renaming, moves it) and ``lastModifiedAssetTimestamp`` (an asset of it changed). When all three
are what they were at the album's last complete sync, with the same sync settings and Google
title, its contents are taken as unchanged and not listed: the run plans nothing for it but the
daily check of its Google album. A full listing still happens at least once a day
(``LIST_EVERY``), as a safety net for changes Immich does not show in those fields.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime, timedelta

from immich_gphotos.clock import iso
from immich_gphotos.config import SyncSettings
from immich_gphotos.immich.models import ImmichAlbum
from immich_gphotos.state.views import AlbumListing

LIST_EVERY = timedelta(hours=24)


def settings_key(sync: SyncSettings, google_title: str) -> str:
    """What else decides the plan: every sync setting, and the Google album's title."""
    return json.dumps(asdict(sync) | {"google_title": google_title}, sort_keys=True)


def listing_of(album: ImmichAlbum, settings: str, now: datetime) -> AlbumListing:
    return AlbumListing(
        album.asset_count,
        _moment(album.updated_at),
        _moment(album.last_modified_asset),
        settings,
        now,
    )


def unchanged(album: ImmichAlbum, saved: AlbumListing | None, settings: str, now: datetime) -> bool:
    if saved is None or album.updated_at is None:
        return False
    return (
        saved.asset_count == album.asset_count
        and saved.updated_at == _moment(album.updated_at)
        and saved.last_modified == _moment(album.last_modified_asset)
        and saved.settings == settings
        and timedelta(0) <= now - saved.listed_at < LIST_EVERY
    )


def _moment(value: datetime | None) -> str | None:
    return None if value is None else iso(value) if value.microsecond == 0 else value.isoformat()
