"""The TOML config: where it lives, how it is validated, and how it is saved (mode 0600, no secrets)."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from immich_gphotos.errors import ConfigError
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
    "notify": {"ping_url": _is_url, "command": _str_list},
}
ALBUM_KEYS: dict[str, Check] = {"immich_id": _is_str, "google_title": _is_str}


def _invalid(path: Path, what: str) -> ConfigError:
    return ConfigError(
        f"Invalid config {path}: {what}; edit the file or run `immich-gphotos init`."
    )


def validate(raw: dict[str, Any], path: Path) -> Settings:
    """Turn a parsed TOML document into Settings, or raise ConfigError naming the key and the fix."""
    for section, value in raw.items():
        if section == "albums":
            continue
        if section not in SCHEMA:
            known = ", ".join(f"[{s}]" for s in [*SCHEMA, "[albums]"])
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
            ping_url=notify.get("ping_url"), command=tuple(command) if command else None
        ),
        albums=tuple(albums),
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
    ordered = {k: raw[k] for k in [*SCHEMA, "albums"] if k in raw and raw[k] != {}}
    atomic_write(path, tomli_w.dumps(ordered).encode("utf-8"), mode=0o600)
    return settings
