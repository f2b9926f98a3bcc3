"""The value checks of the config file: each returns what was expected, or None when fine."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from immich_gphotos.errors import ConfigError

SMART_PREFIX = "smart-"

Check = Callable[[Any], str | None]  # returns what was expected, or None when the value is fine


def is_bool(v: Any) -> str | None:
    return None if isinstance(v, bool) else "true or false"


def is_str(v: Any) -> str | None:
    return None if isinstance(v, str) and v.strip() else "a non-empty string"


def is_url(v: Any) -> str | None:
    ok = isinstance(v, str) and v.startswith(("http://", "https://")) and len(v) > 8
    return None if ok else "an http:// or https:// URL"


def is_int(lo: int, hi: int) -> Check:
    def check(v: Any) -> str | None:
        ok = isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi
        return None if ok else f"a whole number from {lo} to {hi}"

    return check


def one_of(*choices: str) -> Check:
    def check(v: Any) -> str | None:
        return None if v in choices else "one of " + ", ".join(f'"{c}"' for c in choices)

    return check


def bool_or_path(v: Any) -> str | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, str) and v.strip():
        return (
            None
            if Path(v).expanduser().is_file()
            else "true, false, or the path of an existing CA bundle file"
        )
    return "true, false, or the path of a CA bundle file"


def str_list(v: Any) -> str | None:
    ok = isinstance(v, list) and v and all(isinstance(x, str) and x for x in v)
    return None if ok else 'a list of strings, like ["notify-send", "immich-gphotos"]'


def id_list(v: Any) -> str | None:
    ok = isinstance(v, list) and all(isinstance(x, str) and x.strip() for x in v)
    return None if ok else 'a list of ids, like ["4f1c...", "9a2b..."]'


def smart_id(v: Any) -> str | None:
    ok = isinstance(v, str) and v.startswith(SMART_PREFIX) and len(v) > len(SMART_PREFIX)
    return (
        None if ok else f'a string starting "{SMART_PREFIX}" (the tool makes one: `albums smart`)'
    )


def moment(v: Any) -> str | None:
    ok = isinstance(v, date | datetime) and not isinstance(v, time)
    return None if ok else "a TOML date (2024-01-01) or date-time (2024-01-01T12:00:00Z), unquoted"


def as_utc(value: date | datetime) -> datetime:
    """A TOML date is midnight UTC; a date-time without an offset is UTC."""
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def invalid(path: Path, what: str) -> ConfigError:
    return ConfigError(
        f"Invalid config {path}: {what}; edit the file or run `immich-gphotos init`."
    )
