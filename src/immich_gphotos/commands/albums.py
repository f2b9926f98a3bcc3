"""The core of `albums`: list Immich albums with their selection, and change the selection."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from immich_gphotos import config as config_mod
from immich_gphotos.clock import iso
from immich_gphotos.commands.connect import open_immich
from immich_gphotos.commands.names import immich_candidates, resolve_all, selected_candidates
from immich_gphotos.commands.smart import smart_rows
from immich_gphotos.config import Settings
from immich_gphotos.errors import AppError, UsageError
from immich_gphotos.immich.client import ImmichClient
from immich_gphotos.state.follow import FollowRecords
from immich_gphotos.state.store import StateStore

MAX_TITLE = 500  # Google's album title limit


def list_albums(settings: Settings, immich: ImmichClient) -> list[dict[str, Any]]:
    me = immich.me()
    albums = sorted(immich.albums(), key=lambda a: a.name.casefold())
    selected = {a.immich_id: a for a in settings.albums}
    state = StateStore.open(settings.state_dir)
    try:
        synced = state.last_synced()
        followed = FollowRecords(state.conn).followed_titles()
        links = state.google_urls()
    finally:
        state.close()
    rows = []
    for album in albums:
        choice = selected.get(album.id)
        rows.append(
            {
                "kind": "album",
                "id": album.id,
                "immich_id": album.id,
                "smart_id": None,
                "name": album.raw_name,  # as written (--json); the table shows it made inert
                "asset_count": album.asset_count,
                "last_change": iso(album.last_change) if album.last_change else None,
                "owner": album.raw_owner_name,
                "owned": album.owner_id == me.id,
                "shared": album.shared,
                "selected": choice is not None,
                "google_title": _title(choice.google_title, album.name, followed.get(album.id))
                if choice
                else None,
                "last_synced": synced.get(album.id),
                "google_url": links.get(album.id) if choice else None,
            }
        )
    if settings.smart_albums:  # after the Immich albums, with their criteria and match counts
        rows += smart_rows(settings, immich, synced)
    return rows


def _title(configured: str | None, name: str, followed: str | None) -> str:
    """A title saved without --as follows the Immich name (a rename renames the Google album)."""
    return name if configured is None or configured == followed else configured


def add_albums(
    path: Path, settings: Settings, immich: ImmichClient, names: list[str], title: str | None
) -> list[str]:
    """Resolve every name first (all or nothing), then save the selection once."""
    if title is not None and len(names) != 1:
        raise UsageError(
            "--as TITLE names one album's Google title; give exactly one album with it."
        )
    if title is not None and not (0 < len(title.strip()) <= MAX_TITLE):
        raise UsageError(f"--as TITLE must be 1 to {MAX_TITLE} characters (Google's limit).")
    chosen = resolve_all(names, immich_candidates(immich))

    raw = copy.deepcopy(config_mod.load_raw(path))
    entries: list[dict[str, Any]] = raw.setdefault("albums", [])
    present = {e.get("immich_id"): e for e in entries}
    smart_titles = {s.title for s in settings.smart_albums}
    messages, added = [], []
    for album in chosen:  # the same album named twice counts once
        if album.id in present:
            current = present[album.id].get("google_title") or album.name
            new_title = (title or "").strip()[:MAX_TITLE]
            if not new_title or new_title == current:
                messages.append(
                    f'"{album.name}" is already selected (Google album "{current}"); nothing changed.'
                )
                continue
            # a new title for a selected album: the next sync renames its Google album(s)
            present[album.id]["google_title"] = new_title
            added.append((album, new_title, False))
            messages.append(
                f'"{album.name}" -> Google album "{new_title}" (was "{current}"); the next sync renames it.'
            )
            continue
        google_title = (title or album.name).strip()[:MAX_TITLE]
        if google_title in smart_titles:
            raise UsageError(
                f'"{google_title}" is already the title of a smart album; give the Google album '
                "another title with --as TITLE (titles are unique among all albums)."
            )
        entries.append({"immich_id": album.id, "google_title": google_title})
        added.append((album, google_title, title is None))
        messages.append(f'Selected "{album.name}" -> Google album "{google_title}".')
    if added:
        saved = config_mod.save_raw(path, raw)
        state = StateStore.open(saved.state_dir)
        try:
            for album, google_title, follows_name in added:
                # without --as the title follows the Immich name: a rename there renames it
                state.upsert_album(album.id, album.name, google_title, follows_name)
        finally:
            state.close()
        messages.append(
            "Run `immich-gphotos sync` to copy them (`sync --dry-run` shows the plan first)."
        )
    return messages


def remove_albums(path: Path, settings: Settings, names: list[str]) -> list[str]:
    """Deselect; matching is against the selected albums, so a deleted Immich album can still go
    (by its id, the name the state recorded, or its Google title, when Immich cannot answer)."""
    if not settings.albums and not settings.smart_albums:
        raise UsageError("No albums are selected, so there is nothing to remove.")
    state = StateStore.open(settings.state_dir)
    try:
        try:
            immich: ImmichClient | None = open_immich(settings)
        except AppError:
            immich = None  # no key, no secrets: the recorded names still work
        try:
            chosen = resolve_all(names, selected_candidates(settings, state, immich))
        finally:
            if immich is not None:
                immich.close()
    finally:
        state.close()
    gone = {c.id for c in chosen}
    raw = copy.deepcopy(config_mod.load_raw(path))
    raw["albums"] = [e for e in raw.get("albums", []) if e.get("immich_id") not in gone]
    raw["smart_albums"] = [e for e in raw.get("smart_albums", []) if e.get("id") not in gone]
    for key in ("albums", "smart_albums"):
        if not raw[key]:
            del raw[key]
    config_mod.save_raw(path, raw)
    smart = {s.id for s in settings.smart_albums}
    return [
        f'{"Removed smart album" if c.id in smart else "Deselected"} "{c.name}"; '
        "its Google album is left as it is."
        for c in chosen
    ]
