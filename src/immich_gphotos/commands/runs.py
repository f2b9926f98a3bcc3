"""A run's bookkeeping around the engine: the day's request budget, the daily login check and
the login's end date, the run record, the backup, the remembered outcome, and the state a dry
run plans against."""

from __future__ import annotations

import logging
import sqlite3
import threading
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from immich_gphotos import signals
from immich_gphotos.budget import RequestBudget
from immich_gphotos.clock import iso, utcnow
from immich_gphotos.commands import auth as account
from immich_gphotos.config import Settings
from immich_gphotos.errors import AppError, ExitCode
from immich_gphotos.gphotos.auth import TokenSource
from immich_gphotos.notify import OUTCOME_KEY, Notifier
from immich_gphotos.state.db import connect
from immich_gphotos.state.follow import LOGIN_WARNED_KEY
from immich_gphotos.state.migrations import migrate
from immich_gphotos.state.store import STATE_FILE_NAME, StateStore
from immich_gphotos.sync.context import Clients
from immich_gphotos.sync.events import Reporter
from immich_gphotos.sync.report import RunReport

LOGIN_CHECKED_KEY = "login_checked_at"
LOGIN_CHECK_EVERY = timedelta(hours=24)
LOGIN_WARN_BEFORE = timedelta(hours=48)  # a login with an end date: warn, and notify once


def day_budget(state: StateStore, stack: ExitStack, limit: int) -> RequestBudget:
    """The day's request count, kept in the run's state file from the upload threads: its own
    connection (WAL lets both write), one thread at a time. Each count is committed without an
    fsync (synchronous=NORMAL): a killed process keeps every count, a power cut may lose the
    last few, and no request waits on the disk (the state's own writes stay fsync'd)."""
    conn = connect(state.path)
    stack.callback(conn.close)
    conn.execute("PRAGMA synchronous=NORMAL")
    counter = StateStore(conn, state.path)  # the file the run opened and checked
    lock = threading.Lock()

    def add(n: int, day: Any) -> int:
        with lock:
            return counter.add_requests(n, day)

    def load(day: Any) -> int:
        with lock:
            return counter.requests_on(day)

    return RequestBudget(limit, load, add)


def check_login_daily(state: StateStore, tokens: TokenSource) -> None:
    """A steady-state run sends Google nothing; still, refresh the login once a day (the token
    endpoint is not a Library API request) so a revoked or expired login is reported promptly."""
    checked = state.get_meta(LOGIN_CHECKED_KEY)
    if (
        checked
        and datetime.fromisoformat(checked.replace("Z", "+00:00"))
        > datetime.now(UTC) - LOGIN_CHECK_EVERY
    ):
        return
    tokens.token()
    state.set_meta(LOGIN_CHECKED_KEY, iso(utcnow()))


def login_expiry(state: StateStore, notifier: Notifier, reporter: Reporter) -> str | None:
    """A login with an end date (an app left in 'Testing'): when less than 48 hours remain,
    say so every run and run the notify command once for it. Returns the end (ISO), if any."""
    expires = account.login_expires(state)
    if expires is None:
        return None
    left = expires - utcnow()
    if left < LOGIN_WARN_BEFORE:
        when = (
            "has ended"
            if left.total_seconds() <= 0
            else f"ends in {left.total_seconds() / 3600:.0f} hours"
        )
        text = f"the Google login {when} ({iso(expires)}); {account.TESTING_FIX}"
        reporter.log(f"warning: {text}")
        if state.get_meta(LOGIN_WARNED_KEY) != iso(expires):
            notifier.login_expiring(text)
            state.set_meta(LOGIN_WARNED_KEY, iso(expires))
    return iso(expires)


def finish_run(state: StateStore, run_id: int, report: RunReport) -> None:
    state.finish_run(
        run_id,
        report.exit_code,
        uploaded=report.total("uploaded"),
        added=report.total("added"),
        removed=report.total("removed"),
        skipped=report.total("skipped"),
        failed=report.total("failed"),
        bytes=report.total("bytes"),
        google_requests=report.google_requests,
        stopped=report.stopped,
    )


def saved(exc: KeyboardInterrupt, what: str) -> None:
    """What the interrupted run left saved, for the message ``cli`` prints."""
    if isinstance(exc, signals.Interrupted):
        exc.saved = what


def record_hard_exit(state: StateStore, run_id: int, clients: Clients) -> None:
    """A second signal: mark the run interrupted unless the main thread is inside a transaction
    (then its half is rolled back by SQLite and the record stays open: status shows ``exit ?``)."""
    if state.conn.in_transaction:
        return
    state.conn.execute("PRAGMA busy_timeout = 1000")  # an upload thread's count: wait briefly
    sent = clients.budget.sent if clients.budget else 0
    state.finish_run(run_id, ExitCode.INTERRUPTED, google_requests=sent, stopped="interrupted")


def keep_backup(state: StateStore, log: logging.Logger) -> None:
    """After a run that finished (its progress all saved): the consistent copy beside the state
    (``state.safety``). A copy that cannot be made is logged; it never changes the run's exit
    code."""
    try:
        state.backup()
    except (AppError, OSError, sqlite3.Error) as exc:
        log.warning("the state backup was not made: %s", exc)


def remember(state: StateStore, value: str | None) -> None:
    """The outcome the notify command compares the next run's with (no write when the same)."""
    if value is not None and value != state.get_meta(OUTCOME_KEY):
        state.set_meta(OUTCOME_KEY, value)


def open_state(settings: Settings, dry_run: bool) -> StateStore:
    """A dry run never creates or migrates the state on disk; it plans against a fresh copy if needed."""
    if dry_run and not (settings.state_dir / STATE_FILE_NAME).exists():
        conn = connect(":memory:")
        migrate(conn)
        return StateStore(conn, Path(":memory:"))
    return StateStore.open(settings.state_dir)
