"""`[notify] metrics_file`: Prometheus text-format metrics written after every run; no printing.

The file is for node_exporter's textfile collector, which reads whatever is in the folder at
scrape time, so it is replaced atomically (a temp file in the same folder, then a rename): a
scrape never sees half a file. Like a notification, a file that cannot be written is logged and
never changes the run's exit code.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from immich_gphotos.clock import utcnow
from immich_gphotos.config import Settings
from immich_gphotos.errors import ExitCode
from immich_gphotos.fileio import atomic_write
from immich_gphotos.state.follow import LOGIN_EXPIRES_KEY  # where Google said when (Testing)
from immich_gphotos.state.store import StateStore
from immich_gphotos.sync.report import RunReport

log = logging.getLogger("immich_gphotos.metrics")
PREFIX = "immich_gphotos_"
# what counts as a success for last_success: as for notifications, a first sync that stops at
# the daily budget (exit 6) and goes on the next day is healthy progress
SUCCESS_CODES = (int(ExitCode.OK), int(ExitCode.QUOTA))
STATES = ("in_sync", "pending", "failed", "skipped")


@dataclass
class Sample:
    labels: dict[str, str]
    value: float


@dataclass
class Family:
    name: str
    help: str
    type: str = "gauge"
    samples: list[Sample] = field(default_factory=list)

    def add(self, value: float, **labels: str) -> Family:
        self.samples.append(Sample(labels, value))
        return self


def escape_label(value: str) -> str:
    """A label value as the text format requires: backslash, double quote and line feed escaped.
    Album names are other people's text; anything else passes as UTF-8."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value: float) -> str:
    if isinstance(value, bool):
        value = int(value)
    if float(value).is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))


def render(families: Iterable[Family]) -> str:
    """The Prometheus text exposition format (version 0.0.4)."""
    lines: list[str] = []
    for family in families:
        if not family.samples:
            continue
        name = PREFIX + family.name
        lines.append(f"# HELP {name} {_escape_help(family.help)}")
        lines.append(f"# TYPE {name} {family.type}")
        for sample in family.samples:
            labels = ",".join(f'{k}="{escape_label(v)}"' for k, v in sample.labels.items())
            lines.append(
                f"{name}{{{labels}}} {_number(sample.value)}"
                if labels
                else f"{name} {_number(sample.value)}"
            )
    return "\n".join(lines) + "\n"


def _seconds(iso_text: str | None) -> float | None:
    if not iso_text:
        return None
    try:
        return datetime.fromisoformat(iso_text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def collect(
    settings: Settings,
    exit_code: int,
    report: RunReport | None = None,
    now: datetime | None = None,
) -> list[Family]:
    """What the file says after a run that ended with ``exit_code``. The parts read from the state
    are left out when the state cannot be opened (the run failed before it, say)."""
    when = int((now or utcnow()).timestamp())  # whole seconds, as the state's run records
    families = [
        Family("last_run_timestamp_seconds", "When the last sync run ended (Unix time).").add(when),
        Family("last_exit_code", "The exit code of the last sync run.").add(exit_code),
        Family("daily_request_budget", "[google] daily_request_budget: Google requests a day.").add(
            settings.google.daily_request_budget
        ),
    ]
    last_success = Family(
        "last_success_timestamp_seconds",
        "When the last successful sync run ended (exit 0, or 6: stopped at the day's budget).",
    )
    if report is not None:
        families += [
            Family("uploaded_bytes", "Bytes uploaded to Google by the last run.").add(
                report.total("bytes")
            ),
            Family("uploaded_items", "Items uploaded to Google by the last run.").add(
                report.total("uploaded")
            ),
            Family("added_items", "Items added to Google albums by reference by the last run.").add(
                report.total("added")
            ),
        ]
    try:
        state = StateStore.open(settings.state_dir)
    except Exception as exc:  # an unusable state dir: say what is known without it
        log.warning("metrics: the state cannot be read (%s)", exc)
        if exit_code in SUCCESS_CODES:
            last_success.add(when)
        return [*families, last_success]
    try:
        success = _seconds(state.last_finished(SUCCESS_CODES))  # this run's, if it succeeded
        if exit_code in SUCCESS_CODES and success is None:
            success = when
        if success is not None:
            last_success.add(success)
        families.append(
            Family(
                "google_requests_today",
                "Google Library API requests counted today (the quota day ends at midnight Pacific).",
            ).add(state.requests_on())
        )
        items = Family("album_items", "Items of each selected album, by state.")
        for selected in settings.albums:
            counts = state.album_counts(selected.immich_id)
            name = counts.name or selected.google_title or selected.immich_id
            for kind in STATES:
                items.add(
                    getattr(counts, kind), album=name, immich_id=selected.immich_id, state=kind
                )
        families.append(items)
        expires = _seconds(state.get_meta(LOGIN_EXPIRES_KEY))
        if expires is not None:
            families.append(
                Family(
                    "login_expiry_timestamp_seconds",
                    "When Google said the stored login expires (apps in 'Testing' status).",
                ).add(expires)
            )
    finally:
        state.close()
    return [*families, last_success]


def write(
    settings: Settings,
    exit_code: int,
    report: RunReport | None = None,
    now: datetime | None = None,
) -> bool:
    """Write the metrics file if one is configured; True when written. Never raises."""
    target = settings.notify.metrics_file
    if not target:
        return False
    path = Path(target).expanduser()
    if not path.parent.is_dir():  # not ours to create: node_exporter's folder, with its modes
        log.warning("metrics file %s cannot be written: its folder does not exist", path)
        return False
    try:
        text = render(collect(settings, exit_code, report, now))
        # 0644: node_exporter runs as its own user and must read it; it holds no secret
        atomic_write(path, text.encode("utf-8"), mode=0o644)
    except Exception as exc:  # unwritable: logged, never fatal (like a notification)
        reason = getattr(exc, "strerror", None) or getattr(exc, "message", None) or exc
        log.warning("metrics file %s cannot be written: %s", path, reason)
        return False
    return True
