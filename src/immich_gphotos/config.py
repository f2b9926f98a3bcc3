"""The TOML config: where it lives, how it is validated, and how it is saved (mode 0600, no secrets)."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, Literal

from immich_gphotos.errors import ConfigError
from immich_gphotos.fileio import atomic_write
from immich_gphotos.text import clean, clean_opt

APP_NAME = "immich-gphotos"
ENV_CONFIG = "IMMICH_GPHOTOS_CONFIG"
ENV_STATE_DIR = "IMMICH_GPHOTOS_STATE_DIR"
DEFAULT_GOOGLE_API_URL = "https://photoslibrary.googleapis.com"
DEFAULT_DAILY_BUDGET = 9500


@dataclass(frozen=True)
class ImmichSettings:
    url: str
    verify_tls: bool | str = True


@dataclass(frozen=True)
class GoogleSettings:
    client_secrets: str | None = None
    api_url: str = DEFAULT_GOOGLE_API_URL
    daily_request_budget: int = DEFAULT_DAILY_BUDGET


@dataclass(frozen=True)
class SyncSettings:
    concurrency: int = 4
    videos: bool = True
    archived: bool = False
    live_photos: Literal["still", "still+video"] = "still"
    remove_missing: bool = False
    description: bool = True
    # "edited": Google gets what Immich shows (an edited asset's edited rendition, replaced when
    # edited again); "original": always the untouched original
    edits: Literal["edited", "original"] = "edited"


@dataclass(frozen=True)
class NotifySettings:
    ping_url: str | None = None
    command: tuple[str, ...] | None = None
    metrics_file: str | None = None  # Prometheus text format, for node_exporter's textfile dir


@dataclass(frozen=True)
class AlbumSelection:
    immich_id: str
    google_title: str | None = None


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


@dataclass(frozen=True)
class Settings:
    path: Path
    immich: ImmichSettings
    google: GoogleSettings = field(default_factory=GoogleSettings)
    secrets_backend: Literal["auto", "keyring", "file"] = "auto"
    state_dir_setting: str | None = None
    sync: SyncSettings = field(default_factory=SyncSettings)
    notify: NotifySettings = field(default_factory=NotifySettings)
    albums: tuple[AlbumSelection, ...] = ()
    smart_albums: tuple[SmartAlbum, ...] = ()

    @property
    def state_dir(self) -> Path:
        return state_dir(self.state_dir_setting)


# --- locations -------------------------------------------------------------------------------


def config_path(override: str | os.PathLike[str] | None = None) -> Path:
    """``--config``, else ``$IMMICH_GPHOTOS_CONFIG``, else the platform's config folder."""
    if override:
        return Path(override).expanduser()
    env = os.environ.get(ENV_CONFIG)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def state_dir(configured: str | None = None) -> Path:
    """``$IMMICH_GPHOTOS_STATE_DIR``, else ``[state] dir``, else the platform's state folder."""
    env = os.environ.get(ENV_STATE_DIR)
    if env:
        return Path(env).expanduser()
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    return Path(platformdirs.user_state_dir(APP_NAME))


# --- validation ------------------------------------------------------------------------------

Check = Callable[[Any], str | None]  # returns what was expected, or None when the value is fine


def _is_bool(v: Any) -> str | None:
    return None if isinstance(v, bool) else "true or false"


def _is_str(v: Any) -> str | None:
    return None if isinstance(v, str) and v.strip() else "a non-empty string"


def _is_url(v: Any) -> str | None:
    ok = isinstance(v, str) and v.startswith(("http://", "https://")) and len(v) > 8
    return None if ok else "an http:// or https:// URL"


def _is_int(lo: int, hi: int) -> Check:
    def check(v: Any) -> str | None:
        ok = isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi
        return None if ok else f"a whole number from {lo} to {hi}"

    return check


def _one_of(*choices: str) -> Check:
    def check(v: Any) -> str | None:
        return None if v in choices else "one of " + ", ".join(f'"{c}"' for c in choices)

    return check


def _bool_or_path(v: Any) -> str | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, str) and v.strip():
        return (
            None
            if Path(v).expanduser().is_file()
            else "true, false, or the path of an existing CA bundle file"
        )
    return "true, false, or the path of a CA bundle file"


def _str_list(v: Any) -> str | None:
    ok = isinstance(v, list) and v and all(isinstance(x, str) and x for x in v)
    return None if ok else 'a list of strings, like ["notify-send", "immich-gphotos"]'


def _id_list(v: Any) -> str | None:
    ok = isinstance(v, list) and all(isinstance(x, str) and x.strip() for x in v)
    return None if ok else 'a list of ids, like ["4f1c...", "9a2b..."]'


def _smart_id(v: Any) -> str | None:
    ok = isinstance(v, str) and v.startswith(SMART_PREFIX) and len(v) > len(SMART_PREFIX)
    return (
        None if ok else f'a string starting "{SMART_PREFIX}" (the tool makes one: `albums smart`)'
    )


def _moment(v: Any) -> str | None:
    ok = isinstance(v, date | datetime) and not isinstance(v, time)
    return None if ok else "a TOML date (2024-01-01) or date-time (2024-01-01T12:00:00Z), unquoted"


def as_utc(value: date | datetime) -> datetime:
    """A TOML date is midnight UTC; a date-time without an offset is UTC."""
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


SMART_PREFIX = "smart-"
SMART_KEYS: dict[str, Check] = {
    "id": _smart_id,
    "title": _is_str,
    "people": _id_list,
    "people_match": _one_of("any", "all"),
    "tags": _id_list,
    "favorite": _is_bool,
    "min_rating": _is_int(1, 5),
    "taken_after": _moment,
    "taken_before": _moment,
    "country": _is_str,
    "city": _is_str,
    "type": _one_of("image", "video"),
    "in_albums": _id_list,
    "not_in_any_album": _is_bool,
}

SCHEMA: dict[str, dict[str, Check]] = {
    "immich": {"url": _is_url, "verify_tls": _bool_or_path},
    "google": {
        "client_secrets": _is_str,
        "api_url": _is_url,
        # Google grants 10,000 a day; projects in its partner program can have more
        "daily_request_budget": _is_int(1, 10_000_000),
    },
    "secrets": {"backend": _one_of("auto", "keyring", "file")},
    "state": {"dir": _is_str},
    "sync": {
        "concurrency": _is_int(1, 32),
        "videos": _is_bool,
        "archived": _is_bool,
        "live_photos": _one_of("still", "still+video"),
        "remove_missing": _is_bool,
        "description": _is_bool,
        "edits": _one_of("edited", "original"),
    },
    "notify": {"ping_url": _is_url, "command": _str_list, "metrics_file": _is_str},
}
ALBUM_KEYS: dict[str, Check] = {"immich_id": _is_str, "google_title": _is_str}


def _invalid(path: Path, what: str) -> ConfigError:
    return ConfigError(
        f"Invalid config {path}: {what}; edit the file or run `immich-gphotos init`."
    )


def validate(raw: dict[str, Any], path: Path) -> Settings:
    """Turn a parsed TOML document into Settings, or raise ConfigError naming the key and the fix."""
    for section, value in raw.items():
        if section in ("albums", "smart_albums"):
            continue
        if section not in SCHEMA:
            known = ", ".join(f"[{s}]" for s in [*SCHEMA, "[albums]", "[smart_albums]"])
            raise _invalid(path, f"unknown section [{section}] (known: {known})")
        if not isinstance(value, dict):
            raise _invalid(path, f"{section} must be a [{section}] table")
        for key, item in value.items():
            check = SCHEMA[section].get(key)
            if check is None:
                known = ", ".join(SCHEMA[section])
                raise _invalid(path, f"unknown key {key!r} in [{section}] (known: {known})")
            expected = check(item)
            if expected:
                raise _invalid(path, f"[{section}] {key} must be {expected}, not {item!r}")

    albums_raw = raw.get("albums", [])
    if not isinstance(albums_raw, list) or not all(isinstance(a, dict) for a in albums_raw):
        raise _invalid(path, "albums must be written as [[albums]] tables")
    albums: list[AlbumSelection] = []
    seen: set[str] = set()
    for n, entry in enumerate(albums_raw, start=1):
        for key, item in entry.items():
            check = ALBUM_KEYS.get(key)
            if check is None:
                raise _invalid(
                    path,
                    f"unknown key {key!r} in [[albums]] entry {n} (known: immich_id, google_title)",
                )
            expected = check(item)
            if expected:
                raise _invalid(path, f"[[albums]] entry {n} {key} must be {expected}")
        if "immich_id" not in entry:
            raise _invalid(path, f"[[albums]] entry {n} has no immich_id")
        if entry["immich_id"] in seen:
            raise _invalid(path, f"album {entry['immich_id']} is listed twice in [[albums]]")
        seen.add(entry["immich_id"])
        # a title saved from an Immich name by an older release may hold control characters
        albums.append(AlbumSelection(entry["immich_id"], clean_opt(entry.get("google_title"))))
    smart = _smart_albums(raw.get("smart_albums", []), path)
    titles: dict[str, str] = {}
    for album in smart:
        if album.title in titles:
            raise _invalid(
                path,
                f'two [[smart_albums]] entries have the title "{album.title}"; give one another title',
            )
        titles[album.title] = album.id
    for selected in albums:
        if selected.google_title in titles:
            raise _invalid(
                path,
                f'the Google title "{selected.google_title}" is both an [[albums]] entry\'s google_title '
                "and a [[smart_albums]] entry's title; titles must be unique",
            )

    immich = raw.get("immich", {})
    if "url" not in immich:
        raise _invalid(path, "[immich] url is missing")
    google = raw.get("google", {})
    sync = raw.get("sync", {})
    notify = raw.get("notify", {})
    command = notify.get("command")
    return Settings(
        path=path,
        immich=ImmichSettings(
            url=immich["url"].rstrip("/"), verify_tls=immich.get("verify_tls", True)
        ),
        google=GoogleSettings(
            client_secrets=google.get("client_secrets"),
            api_url=google.get("api_url", DEFAULT_GOOGLE_API_URL).rstrip("/"),
            daily_request_budget=google.get("daily_request_budget", DEFAULT_DAILY_BUDGET),
        ),
        secrets_backend=raw.get("secrets", {}).get("backend", "auto"),
        state_dir_setting=raw.get("state", {}).get("dir"),
        sync=SyncSettings(**sync),
        notify=NotifySettings(
            ping_url=notify.get("ping_url"),
            command=tuple(command) if command else None,
            metrics_file=notify.get("metrics_file"),
        ),
        albums=tuple(albums),
        smart_albums=smart,
    )


def _smart_albums(entries: Any, path: Path) -> tuple[SmartAlbum, ...]:
    """The ``[[smart_albums]]`` entries, each key checked (a hand-edited file names its mistake)."""
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise _invalid(path, "smart_albums must be written as [[smart_albums]] tables")
    albums: list[SmartAlbum] = []
    seen: set[str] = set()
    for n, entry in enumerate(entries, start=1):
        where = f"[[smart_albums]] entry {n}"
        for key, item in entry.items():
            check = SMART_KEYS.get(key)
            if check is None:
                known = ", ".join(SMART_KEYS)
                raise _invalid(path, f"unknown key {key!r} in {where} (known: {known})")
            expected = check(item)
            if expected:
                raise _invalid(path, f"{where} {key} must be {expected}, not {item!r}")
        for key in ("id", "title"):
            if key not in entry:
                raise _invalid(path, f"{where} has no {key}")
        if entry["id"] in seen:
            raise _invalid(path, f"smart album {entry['id']} is listed twice in [[smart_albums]]")
        seen.add(entry["id"])
        after = as_utc(entry["taken_after"]) if "taken_after" in entry else None
        before = as_utc(entry["taken_before"]) if "taken_before" in entry else None
        if after and before and after >= before:
            raise _invalid(path, f"{where} taken_after must be earlier than taken_before")
        if entry.get("in_albums") and entry.get("not_in_any_album"):
            raise _invalid(
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


# --- reading and writing ---------------------------------------------------------------------


def load_raw(path: Path) -> dict[str, Any]:
    """Parse the TOML file; a missing file says to run init, a broken one names the line."""
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"No config at {path}; run `immich-gphotos init` to set up the Immich connection."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"Cannot read config {path} ({exc}); check the file and its permissions."
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"Invalid config {path}: TOML syntax error {exc}; fix that line or run `immich-gphotos init`."
        ) from None


def load(path: Path) -> Settings:
    return validate(load_raw(path), path)


def save_raw(path: Path, raw: dict[str, Any]) -> Settings:
    """Validate, then write atomically with mode 0600; returns what was saved."""
    import tomli_w

    settings = validate(raw, path)
    ordered = {
        k: raw[k]
        for k in [*SCHEMA, "albums", "smart_albums"]
        if k in raw and raw[k] not in ({}, [])
    }
    atomic_write(path, tomli_w.dumps(ordered).encode("utf-8"), mode=0o600)
    return settings
