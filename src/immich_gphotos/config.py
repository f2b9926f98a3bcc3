"""The TOML config: where it lives, how it is validated, and how it is saved (mode 0600, no secrets)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from immich_gphotos.config_checks import (
    Check,
    bool_or_path,
    invalid,
    is_bool,
    is_int,
    is_str,
    is_url,
    one_of,
    str_list,
)
from immich_gphotos.errors import ConfigError
from immich_gphotos.smart_config import SMART_PREFIX, SmartAlbum, as_utc, smart_albums

__all__ = ["SMART_PREFIX", "SmartAlbum", "as_utc"]  # where the rest of the tool finds them
from immich_gphotos.fileio import atomic_write
from immich_gphotos.text import clean_opt

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

SCHEMA: dict[str, dict[str, Check]] = {
    "immich": {"url": is_url, "verify_tls": bool_or_path},
    "google": {
        "client_secrets": is_str,
        "api_url": is_url,
        # Google grants 10,000 a day; projects in its partner program can have more
        "daily_request_budget": is_int(1, 10_000_000),
    },
    "secrets": {"backend": one_of("auto", "keyring", "file")},
    "state": {"dir": is_str},
    "sync": {
        "concurrency": is_int(1, 32),
        "videos": is_bool,
        "archived": is_bool,
        "live_photos": one_of("still", "still+video"),
        "remove_missing": is_bool,
        "description": is_bool,
        "edits": one_of("edited", "original"),
    },
    "notify": {"ping_url": is_url, "command": str_list, "metrics_file": is_str},
}
ALBUM_KEYS: dict[str, Check] = {"immich_id": is_str, "google_title": is_str}


def validate(raw: dict[str, Any], path: Path) -> Settings:
    """Turn a parsed TOML document into Settings, or raise ConfigError naming the key and the fix."""
    for section, value in raw.items():
        if section in ("albums", "smart_albums"):
            continue
        if section not in SCHEMA:
            known = ", ".join(f"[{s}]" for s in [*SCHEMA, "[albums]", "[smart_albums]"])
            raise invalid(path, f"unknown section [{section}] (known: {known})")
        if not isinstance(value, dict):
            raise invalid(path, f"{section} must be a [{section}] table")
        for key, item in value.items():
            check = SCHEMA[section].get(key)
            if check is None:
                known = ", ".join(SCHEMA[section])
                raise invalid(path, f"unknown key {key!r} in [{section}] (known: {known})")
            expected = check(item)
            if expected:
                raise invalid(path, f"[{section}] {key} must be {expected}, not {item!r}")

    albums_raw = raw.get("albums", [])
    if not isinstance(albums_raw, list) or not all(isinstance(a, dict) for a in albums_raw):
        raise invalid(path, "albums must be written as [[albums]] tables")
    albums: list[AlbumSelection] = []
    seen: set[str] = set()
    for n, entry in enumerate(albums_raw, start=1):
        for key, item in entry.items():
            check = ALBUM_KEYS.get(key)
            if check is None:
                raise invalid(
                    path,
                    f"unknown key {key!r} in [[albums]] entry {n} (known: immich_id, google_title)",
                )
            expected = check(item)
            if expected:
                raise invalid(path, f"[[albums]] entry {n} {key} must be {expected}")
        if "immich_id" not in entry:
            raise invalid(path, f"[[albums]] entry {n} has no immich_id")
        if entry["immich_id"] in seen:
            raise invalid(path, f"album {entry['immich_id']} is listed twice in [[albums]]")
        seen.add(entry["immich_id"])
        # a title saved from an Immich name by an older release may hold control characters
        albums.append(AlbumSelection(entry["immich_id"], clean_opt(entry.get("google_title"))))
    smart = smart_albums(raw.get("smart_albums", []), path)
    titles: dict[str, str] = {}
    for album in smart:
        if album.title in titles:
            raise invalid(
                path,
                f'two [[smart_albums]] entries have the title "{album.title}"; give one another title',
            )
        titles[album.title] = album.id
    for selected in albums:
        if selected.google_title in titles:
            raise invalid(
                path,
                f'the Google title "{selected.google_title}" is both an [[albums]] entry\'s google_title '
                "and a [[smart_albums]] entry's title; titles must be unique",
            )

    immich = raw.get("immich", {})
    if "url" not in immich:
        raise invalid(path, "[immich] url is missing")
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
