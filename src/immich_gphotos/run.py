"""The core of `sync`: lock, state, clients and signals around the engine; no printing here."""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

from immich_gphotos.config import AlbumSelection, Settings, security_warnings
from immich_gphotos.credentials.base import immich_api_key, open_store
from immich_gphotos.errors import AppError, AuthError, ConfigError
from immich_gphotos.lock import RunLock
from immich_gphotos.selection import Candidate, resolve
from immich_gphotos.state.store import STATE_FILE_NAME, StateStore, SyncRecords
from immich_gphotos.sync.events import Reporter
from immich_gphotos.sync.plan import Options, Plan
from immich_gphotos.sync.report import RunReport


@dataclass(frozen=True)
class SyncRequest:
    albums: list[str] = field(default_factory=list)
    dry_run: bool = False
    limit: int | None = None
    concurrency: int | None = None
    retry_failed: bool = False
    allow_mass_removal: bool = False


@dataclass
class SyncOutcome:
    plan: Plan | None = None
    report: RunReport | None = None

    def plan_json(self) -> dict[str, Any]:
        assert self.plan is not None
        plan = self.plan
        return {
            "dry_run": True,
            "uploads": plan.uploads,
            "adds": plan.adds,
            "skipped": plan.skips,
            "removals": plan.removals,
            "bytes": plan.bytes,
            "google_requests": plan.google_requests(),
            "albums": [
                {
                    "immich_id": a.spec.immich_id,
                    "name": a.spec.name,
                    "google_title": a.spec.google_title,
                    "create_album": a.create,
                    "uploads": sum(1 for p in a.place if p.action.value == "upload"),
                    "adds": sum(1 for p in a.place if p.action.value == "add"),
                    "skipped": len(a.skips),
                    "in_sync": a.in_sync,
                    "removals": len(a.removals),
                    "removal_refused": a.removal_refused,
                    "given_up": len(a.given_up),
                    "deferred": a.deferred,
                }
                for a in plan.albums
            ],
        }


def run_sync(
    settings: Settings,
    request: SyncRequest,
    reporter: Reporter,
    stop: threading.Event | None = None,
) -> SyncOutcome:
    from immich_gphotos.immich.client import ImmichClient
    from immich_gphotos.sync.engine import Clients, SyncEngine

    if not settings.albums:
        raise ConfigError(
            f"No albums are selected in {settings.path}; run `immich-gphotos albums add NAME` first."
        )
    store = open_store(settings.secrets_backend, settings.state_dir)
    key = immich_api_key(store)
    if not key:
        raise AuthError(
            "No Immich API key is stored; run `immich-gphotos init` (or set IMMICH_API_KEY)."
        )
    stop = stop or threading.Event()
    with ExitStack() as stack:
        stack.enter_context(RunLock(settings.state_dir))
        state = _open_state(settings, request.dry_run)
        stack.callback(state.close)
        selection = _selection(settings, state, request.albums)
        immich = stack.enter_context(
            ImmichClient(settings.immich.url, key, verify=settings.immich.verify_tls)
        )
        options = Options(
            limit=request.limit,
            retry_failed=request.retry_failed,
            allow_mass_removal=request.allow_mass_removal,
        )
        if request.dry_run:
            engine = SyncEngine(
                settings,
                Clients(immich=immich, google=None),
                SyncRecords(state),
                reporter,
                stop,
                options,
                request.concurrency,
                selection,
            )
            return SyncOutcome(plan=engine.prepare())
        return _run(
            settings, request, reporter, stop, stack, state, selection, immich, store, key, options
        )
    raise AssertionError("unreachable")


def _run(
    settings: Settings,
    request: SyncRequest,
    reporter: Reporter,
    stop: threading.Event,
    stack: ExitStack,
    state: StateStore,
    selection: list[AlbumSelection],
    immich: Any,
    store: Any,
    key: str,
    options: Options,
) -> SyncOutcome:
    """A real run: log file, notifications, the run record, signals, and the engine."""
    from immich_gphotos.logfile import close_log, open_log
    from immich_gphotos.notify import OUTCOME_KEY, Notifier
    from immich_gphotos.sync.engine import Clients, SyncEngine
    from immich_gphotos.sync.events import LoggingReporter
    from immich_gphotos.ui.reporters import summary_line

    secrets = [key]
    handler = open_log(settings.state_dir, secrets)
    stack.callback(close_log, handler)
    log = logging.getLogger("immich_gphotos.sync")
    log.info("sync started: %d album(s), pid %d", len(selection), os.getpid())
    for warning in security_warnings(settings):
        log.warning(warning)
    notifier = Notifier(settings.notify)
    notifier.started()
    previous = state.get_meta(OUTCOME_KEY)
    run_id = state.start_run()
    clients = Clients(immich=immich, google=None)
    try:
        clients = _with_google(settings, store, state, clients, stack, secrets)
        engine = SyncEngine(
            settings,
            clients,
            SyncRecords(state),
            LoggingReporter(reporter),
            stop,
            options,
            request.concurrency,
            selection,
        )
        with _signals_set(stop):
            report = engine.execute(engine.prepare())
    except AppError as exc:
        log.error("sync failed: %s (exit %d)", exc.message, exc.exit_code)
        state.finish_run(
            run_id, exc.exit_code, google_requests=clients.budget.sent if clients.budget else 0
        )
        _remember(state, OUTCOME_KEY, notifier.finished(exc.exit_code, exc.message, previous))
        raise
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
    _remember(
        state, OUTCOME_KEY, notifier.finished(report.exit_code, summary_line(report), previous)
    )
    return SyncOutcome(report=report)


LOGIN_CHECKED_KEY = "login_checked_at"


def _check_login_daily(state: StateStore, tokens: Any) -> None:
    """A steady-state run sends Google nothing; still, refresh the login once a day (the token
    endpoint is not a Library API request) so a revoked or expired login is reported promptly."""
    from datetime import UTC, datetime, timedelta

    from immich_gphotos.clock import iso, utcnow

    checked = state.get_meta(LOGIN_CHECKED_KEY)
    if checked and datetime.fromisoformat(checked.replace("Z", "+00:00")) > datetime.now(
        UTC
    ) - timedelta(hours=24):
        return
    tokens.token()
    state.set_meta(LOGIN_CHECKED_KEY, iso(utcnow()))


def _remember(state: StateStore, key: str, value: str | None) -> None:
    if value is not None:
        state.set_meta(key, value)


def _open_state(settings: Settings, dry_run: bool) -> StateStore:
    """A dry run never creates or migrates the state on disk; it plans against a fresh copy if needed."""
    if dry_run and not (settings.state_dir / STATE_FILE_NAME).exists():
        from pathlib import Path

        from immich_gphotos.state.db import connect
        from immich_gphotos.state.migrations import migrate

        conn = connect(":memory:")
        migrate(conn)
        return StateStore(conn, Path(":memory:"))
    return StateStore.open(settings.state_dir)


def _selection(settings: Settings, state: StateStore, wanted: list[str]) -> list[AlbumSelection]:
    if not wanted:
        return list(settings.albums)
    candidates = []
    for album in settings.albums:
        name = state.album_counts(album.immich_id).name or album.google_title or album.immich_id
        candidates.append(Candidate(album.immich_id, name))
    chosen = {resolve(name, candidates).id for name in wanted}
    return [a for a in settings.albums if a.immich_id in chosen]


def _with_google(
    settings: Settings,
    store: Any,
    state: StateStore,
    clients: Any,
    stack: ExitStack,
    secrets: list[str],
) -> Any:
    from immich_gphotos.budget import RequestBudget
    from immich_gphotos.gphotos import account
    from immich_gphotos.gphotos.auth import TokenSource
    from immich_gphotos.gphotos.client import GooglePhotosClient

    client = account.load_client(settings)
    account.check_client(state, client)
    refresh = account.refresh_token(store)
    secrets.append(refresh)  # masked in the log file from here on
    if state.get_meta(account.CLIENT_META_KEY) is None:
        state.set_meta(account.CLIENT_META_KEY, client.client_id)
    # The budget counts from upload threads: it gets its own connection (WAL lets both write).
    counter = StateStore.open(settings.state_dir)
    stack.callback(counter.close)
    lock = threading.Lock()

    def add(n: int, day: Any) -> int:
        with lock:
            return counter.add_requests(n, day)

    def load(day: Any) -> int:
        with lock:
            return counter.requests_on(day)

    budget = RequestBudget(settings.google.daily_request_budget, load, add)
    tokens = TokenSource(client, refresh)
    _check_login_daily(state, tokens)
    google = stack.enter_context(GooglePhotosClient(settings.google.api_url, tokens, budget))
    from immich_gphotos.sync.engine import Clients

    return Clients(immich=clients.immich, google=google, budget=budget, client_id=client.client_id)


@contextmanager
def _signals_set(stop: threading.Event) -> Iterator[None]:
    """SIGINT/SIGTERM ask the run to stop: no new transfers, the current batch is finished and saved."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def ask_to_stop(signum: int, frame: object) -> None:
        stop.set()
        for sig, handler in previous.items():  # a second signal acts at once
            signal.signal(sig, handler)

    for sig in previous:
        signal.signal(sig, ask_to_stop)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
