"""Time helpers: UTC timestamps for the state, and Google's quota day (midnight Pacific time)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone, tzinfo


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def local_iso(moment: datetime | None = None) -> str:
    """A moment as people read it: local time with its UTC offset (``2025-01-02T10:00:00+01:00``).
    Lines on the terminal, in cron mail and the log file use it; the state and --json keep UTC."""
    return (moment or utcnow()).astimezone().isoformat(timespec="seconds")


def _pacific() -> tzinfo:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("America/Los_Angeles")
    except Exception:  # no tz database on this machine: standard time is the safe side
        return timezone(timedelta(hours=-8), "PST")


def pacific_day(moment: datetime | None = None) -> date:
    """The day Google counts a request against; its daily quota resets at midnight Pacific."""
    return (moment or utcnow()).astimezone(_pacific()).date()
