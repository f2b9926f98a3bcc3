"""The core of `albums smart`: check the criteria, resolve names to ids, preview, save; and the
smart albums' rows of the `albums` listing."""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from immich_gphotos import config as config_mod
from immich_gphotos.commands.names import immich_candidates, resolve_all
from immich_gphotos.config import SMART_PREFIX, Settings, SmartAlbum
from immich_gphotos.errors import AppError, UsageError
from immich_gphotos.immich.client import ImmichClient
from immich_gphotos.selection import Candidate
from immich_gphotos.state.records import SyncRecords
from immich_gphotos.state.store import StateStore
from immich_gphotos.sync import plan as planner
from immich_gphotos.sync.plan import AlbumSpec
from immich_gphotos.sync.smart import Directory, matching_assets

MAX_TITLE = 500  # Google's album title limit
UNNAMED = "(no name)"


@dataclass(frozen=True)
class Criteria:
    """What `albums smart` was given, names not yet resolved."""

    people: tuple[str, ...] = ()
    all_people: bool = False
    tags: tuple[str, ...] = ()
    favorite: bool = False
    min_rating: int | None = None
    after: str | None = None
    before: str | None = None
    country: str | None = None
    city: str | None = None
    type: str | None = None
    in_albums: tuple[str, ...] = ()
    not_in_any_album: bool = False


@dataclass
class SmartPreview:
    smart: SmartAlbum
    created: bool  # False: an existing smart album's criteria were replaced
    criteria: str
    matches: int
    uploads: int
    adds: int
    google_requests: int
    messages: list[str] = field(default_factory=list)


def parse_moment(value: str, flag: str) -> date | datetime:
    """2024-01-01 (a day, midnight UTC) or 2024-01-01T12:00[:00][+02:00] (UTC without an offset)."""
    text = value.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"{flag} {value!r} is not a date: give YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][+HH:MM]."
        ) from None


def check(title: str, criteria: Criteria) -> tuple[date | datetime | None, date | datetime | None]:
    """Everything that can be judged without Immich; a usage error (exit 2) names the flags."""
    if not 0 < len(title.strip()) <= MAX_TITLE:
        raise UsageError(f"TITLE must be 1 to {MAX_TITLE} characters (Google's limit).")
    if criteria.min_rating is not None and not 1 <= criteria.min_rating <= 5:
        raise UsageError(f"--min-rating must be 1 to 5, not {criteria.min_rating}.")
    if criteria.type is not None and criteria.type not in ("image", "video"):
        raise UsageError(f'--type must be "image" or "video", not {criteria.type!r}.')
    after = parse_moment(criteria.after, "--after") if criteria.after else None
    before = parse_moment(criteria.before, "--before") if criteria.before else None
    if (
        after is not None
        and before is not None
        and config_mod.as_utc(after) >= config_mod.as_utc(before)
    ):
        raise UsageError(
            f"--after {criteria.after} is not earlier than --before {criteria.before} "
            "(--after is inclusive, --before exclusive): nothing could match."
        )
    if criteria.in_albums and criteria.not_in_any_album:
        raise UsageError(
            "--in-album and --not-in-any-album contradict each other: give one of them."
        )
    if criteria.all_people and not criteria.people:
        raise UsageError("--all-people needs the people: give them with --person NAME_OR_ID.")
    for flag, text in (("--country", criteria.country), ("--city", criteria.city)):
        if text is not None and not text.strip():
            raise UsageError(f"{flag} needs a name.")
    if not _any_criterion(criteria):
        raise UsageError(
            "A smart album needs at least one criterion (--person, --tag, --favorite, "
            "--min-rating, --after, --before, --country, --city, --type, --in-album, "
            "--not-in-any-album)."
        )
    return after, before


def _any_criterion(c: Criteria) -> bool:
    return bool(
        c.people
        or c.tags
        or c.favorite
        or c.min_rating is not None
        or c.after
        or c.before
        or c.country
        or c.city
        or c.type
        or c.in_albums
        or c.not_in_any_album
    )


def save_smart(
    path: Path, settings: Settings, immich: ImmichClient, title: str, criteria: Criteria
) -> SmartPreview:
    """Create the smart album (or replace the criteria of the one with this title): names
    resolved first (unknown or ambiguous: exit 2), the search run for the preview (a missing
    permission: exit 4), and only then the config written."""
    title = title.strip()
    after, before = check(title, criteria)
    taken = {a.google_title for a in settings.albums if a.google_title}
    if title in taken:
        raise UsageError(
            f'"{title}" is already the Google title of a selected Immich album; give the smart '
            "album another title (titles are unique among all albums)."
        )
    directory = Directory(immich)
    entry: dict[str, Any] = {"title": title}
    if criteria.people:
        entry["people"] = _ids(criteria.people, _person_candidates(directory), "person")
        if criteria.all_people:
            entry["people_match"] = "all"
    if criteria.tags:
        entry["tags"] = _ids(criteria.tags, _tag_candidates(directory), "tag")
    if criteria.favorite:
        entry["favorite"] = True
    if criteria.min_rating is not None:
        entry["min_rating"] = criteria.min_rating
    if after is not None:
        entry["taken_after"] = after
    if before is not None:
        entry["taken_before"] = before
    for key in ("country", "city", "type"):
        value = getattr(criteria, key)
        if value is not None:
            entry[key] = value.strip()
    if criteria.in_albums:
        entry["in_albums"] = _ids(criteria.in_albums, immich_candidates(immich), "album")
    if criteria.not_in_any_album:
        entry["not_in_any_album"] = True

    raw = copy.deepcopy(config_mod.load_raw(path))
    entries: list[dict[str, Any]] = raw.setdefault("smart_albums", [])
    existing = next((e for e in entries if e.get("title", "").strip() == title), None)
    if existing is None:
        entry = {"id": SMART_PREFIX + uuid.uuid4().hex, **entry}
        entries.append(entry)
    else:  # same title: new criteria, same id (the state and the Google album stay)
        entry = {"id": existing["id"], **entry}
        entries[entries.index(existing)] = entry
    smart = next(s for s in config_mod.validate(raw, path).smart_albums if s.id == entry["id"])

    assets = matching_assets(immich, smart)
    state = StateStore.open(settings.state_dir)
    try:
        snapshot = SyncRecords(state).snapshot([smart.id])
        plan = planner.build(
            [AlbumSpec(smart.id, smart.title, smart.title, tuple(assets), "smart")],
            snapshot,
            settings.sync,
            planner.Options(),
        )
        config_mod.save_raw(path, raw)
        state.upsert_album(smart.id, smart.title, smart.title)
    finally:
        state.close()
    return SmartPreview(
        smart=smart,
        created=existing is None,
        criteria=directory.describe(smart),
        matches=len(assets),
        uploads=plan.uploads,
        adds=plan.adds,
        google_requests=plan.google_requests(),
    )


def _ids(wanted: tuple[str, ...], candidates: list[Candidate], what: str) -> list[str]:
    return [c.id for c in resolve_all(wanted, candidates, what)]


def _person_candidates(directory: Directory) -> list[Candidate]:
    """Named people by name; unnamed ones only by id (their name here is a placeholder)."""
    return [Candidate(p.id, p.name or UNNAMED) for p in directory.people()]


def _tag_candidates(directory: Directory) -> list[Candidate]:
    """A tag by its whole path ("Family/Kids"), or by its last part ("Kids") when that is unique."""
    return [
        Candidate(t.id, t.value, (t.name,) if t.name != t.value else ()) for t in directory.tags()
    ]


def preview_lines(preview: SmartPreview) -> list[str]:
    smart = preview.smart
    verb = "Created" if preview.created else "Changed"
    return [
        f'{verb} smart album "{smart.title}" ({smart.id}): {preview.criteria}.',
        f"{preview.matches} asset(s) in Immich match now. The next sync would take about "
        f"{preview.google_requests} Google request(s): {preview.uploads} upload(s), "
        f"{preview.adds} added by reference (already in Google from another album).",
        "Run `immich-gphotos sync` to copy them (`sync --dry-run` shows the plan first).",
    ]


def smart_rows(
    settings: Settings, immich: ImmichClient, synced: dict[str, str]
) -> list[dict[str, Any]]:
    """The `albums` rows of the smart albums: criteria and how many assets match now. A search
    that cannot run (a name gone, a permission missing) leaves the count empty and says why."""
    directory = Directory(immich)
    rows = []
    for smart in settings.smart_albums:
        count: int | None = None
        problem: str | None = None
        try:
            gone = directory.missing(smart)
            if gone:
                problem = f"{', '.join(gone)} no longer exist(s) in Immich"
            else:
                count = len(matching_assets(immich, smart))
        except AppError as exc:
            problem = exc.message
        rows.append(
            {
                "kind": "smart",
                "id": smart.id,
                "immich_id": None,
                "smart_id": smart.id,
                "name": smart.title,
                "criteria": directory.describe(smart),
                "asset_count": count,
                "last_change": None,
                "owner": None,
                "owned": True,
                "shared": False,
                "selected": True,
                "google_title": smart.title,
                "last_synced": synced.get(smart.id),
                "problem": problem,
            }
        )
    return rows
