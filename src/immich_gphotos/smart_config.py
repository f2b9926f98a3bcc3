"""``[[smart_albums]]``: a Google album fed by a saved Immich search, and its config checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from immich_gphotos.config_checks import (
    SMART_PREFIX,
    Check,
    as_utc,
    id_list,
    invalid,
    is_bool,
    is_int,
    is_str,
    moment,
    one_of,
    smart_id,
)
from immich_gphotos.text import clean

__all__ = ["SMART_PREFIX", "SmartAlbum", "as_utc", "smart_albums"]


@dataclass(frozen=True)
class SmartAlbum:
    """A Google album fed by a saved Immich search (``[[smart_albums]]``). People, tags and albums
    are Immich ids; every given criterion must hold, a list matches any of its entries (people:
    all of them with ``people_match = "all"``)."""

    id: str  # "smart-<hex>", made by the tool; the state keys on it, so a new title keeps it
    title: str
    people: tuple[str, ...] = ()
    people_match: Literal["any", "all"] = "any"
    tags: tuple[str, ...] = ()
    favorite: bool | None = None
    min_rating: int | None = None
    taken_after: datetime | None = None  # inclusive, UTC
    taken_before: datetime | None = None  # exclusive, UTC
    country: str | None = None
    city: str | None = None
    type: Literal["image", "video"] | None = None
    in_albums: tuple[str, ...] = ()
    not_in_any_album: bool = False


SMART_KEYS: dict[str, Check] = {
    "id": smart_id,
    "title": is_str,
    "people": id_list,
    "people_match": one_of("any", "all"),
    "tags": id_list,
    "favorite": is_bool,
    "min_rating": is_int(1, 5),
    "taken_after": moment,
    "taken_before": moment,
    "country": is_str,
    "city": is_str,
    "type": one_of("image", "video"),
    "in_albums": id_list,
    "not_in_any_album": is_bool,
}


def smart_albums(entries: Any, path: Path) -> tuple[SmartAlbum, ...]:
    """The ``[[smart_albums]]`` entries, each key checked (a hand-edited file names its mistake)."""
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise invalid(path, "smart_albums must be written as [[smart_albums]] tables")
    albums: list[SmartAlbum] = []
    seen: set[str] = set()
    for n, entry in enumerate(entries, start=1):
        where = f"[[smart_albums]] entry {n}"
        for key, item in entry.items():
            check = SMART_KEYS.get(key)
            if check is None:
                known = ", ".join(SMART_KEYS)
                raise invalid(path, f"unknown key {key!r} in {where} (known: {known})")
            expected = check(item)
            if expected:
                raise invalid(path, f"{where} {key} must be {expected}, not {item!r}")
        for key in ("id", "title"):
            if key not in entry:
                raise invalid(path, f"{where} has no {key}")
        if entry["id"] in seen:
            raise invalid(path, f"smart album {entry['id']} is listed twice in [[smart_albums]]")
        seen.add(entry["id"])
        after = as_utc(entry["taken_after"]) if "taken_after" in entry else None
        before = as_utc(entry["taken_before"]) if "taken_before" in entry else None
        if after and before and after >= before:
            raise invalid(path, f"{where} taken_after must be earlier than taken_before")
        if entry.get("in_albums") and entry.get("not_in_any_album"):
            raise invalid(
                path, f"{where} has both in_albums and not_in_any_album = true; keep one of them"
            )
        albums.append(
            SmartAlbum(
                id=entry["id"],
                title=clean(entry["title"].strip()),
                people=tuple(dict.fromkeys(entry.get("people", ()))),
                people_match=entry.get("people_match", "any"),
                tags=tuple(dict.fromkeys(entry.get("tags", ()))),
                favorite=entry.get("favorite"),
                min_rating=entry.get("min_rating"),
                taken_after=after,
                taken_before=before,
                country=entry.get("country"),
                city=entry.get("city"),
                type=entry.get("type"),
                in_albums=tuple(dict.fromkeys(entry.get("in_albums", ()))),
                not_in_any_album=entry.get("not_in_any_album", False),
            )
        )
    return tuple(albums)
