"""The core of `sync`: lock, state, clients and signals around the engine; no printing here.

``run_sync`` is what the CLI calls and what tests call in-process: the clients' retry policies
come in through ``Wiring``, so a test of faults and retries never sleeps for real.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from typing import Any

from immich_gphotos import signals
from immich_gphotos.commands import auth as account
from immich_gphotos.commands import metrics, runs
from immich_gphotos.commands.names import chosen_albums
from immich_gphotos.config import AlbumSelection, Settings, SmartAlbum
from immich_gphotos.credentials.backends import open_store
from immich_gphotos.credentials.base import SecretStore, immich_api_key
from immich_gphotos.errors import AppError, AuthError, ConfigError, ExitCode, StateUnwritable
from immich_gphotos.gphotos.auth import TokenSource
from immich_gphotos.gphotos.client import GooglePhotosClient
from immich_gphotos.immich.client import ImmichClient
from immich_gphotos.lock import RunLock
from immich_gphotos.logfile import close_log, open_log
from immich_gphotos.notify import OUTCOME_KEY, Notifier
from immich_gphotos.security import security_warnings
from immich_gphotos.state.records import SyncRecords
from immich_gphotos.state.store import StateStore
from immich_gphotos.sync import followplan, followshow
from immich_gphotos.sync.context import Clients
from immich_gphotos.sync.engine import SyncEngine
from immich_gphotos.sync.events import LoggingReporter, Reporter
from immich_gphotos.sync.options import RunOptions
from immich_gphotos.sync.plan import Plan
from immich_gphotos.sync.report import RunReport, summary_line
from immich_gphotos.transport import RetryPolicy


@dataclass(frozen=True)
class Wiring:
    """How a run reaches the outside world. Production uses the defaults; tests inject policies
    whose ``sleep`` records instead of waiting."""

    immich_retry: RetryPolicy | None = None
    google_retry: RetryPolicy | None = None
    # `sync --every` (commands/every.py): the wait between runs, on the stop event (True: stopped),
    # and the random delay added to the interval; None: a real wait and a random delay
    wait: Callable[[threading.Event, float], bool] | None = None
    jitter: Callable[[float], float] | None = None
    # the engine's clock for the age of Google's upload tokens (hours); None: time.monotonic
    monotonic: Callable[[], float] | None = None


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
            **followshow.plan_json(
                plan.follow
                if isinstance(plan.follow, followplan.FollowPlan)
                else followplan.FollowPlan()
            ),
            "albums": [
                {
                    "kind": a.spec.kind,
                    "immich_id": a.spec.album_id,
                    "smart_id": a.spec.smart_id,
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


def run_options(
    settings: Settings,
    *,
    albums: list[str] | tuple[str, ...] = (),
    dry_run: bool = False,
    limit: int | None = None,
    concurrency: int | None = None,
    retry_failed: bool = False,
    allow_mass_removal: bool = False,
) -> RunOptions:
    """The run's choices, flags over config, decided here once."""
    return RunOptions(
        albums=tuple(albums),
        dry_run=dry_run,
        limit=limit,
        concurrency=concurrency or settings.sync.concurrency,
        retry_failed=retry_failed,
        allow_mass_removal=allow_mass_removal,
    )


def run_sync(
    settings: Settings,
    options: RunOptions,
    reporter: Reporter,
    stop: threading.Event | None = None,
    wiring: Wiring | None = None,
) -> SyncOutcome:
    """One run. The metrics file, if one is configured, is written at the end of every real run
    (while its log is open, by ``_Run``), and here for one that failed before it started; a run
    refused by the lock writes none: the run holding the lock writes its own."""
    try:
        return _run_sync(settings, options, reporter, stop, wiring)
    except AppError as exc:
        if not (options.dry_run or exc.notified or exc.exit_code == ExitCode.LOCKED):
            metrics.write(settings, exc.exit_code)
        raise


def _run_sync(
    settings: Settings,
    options: RunOptions,
    reporter: Reporter,
    stop: threading.Event | None,
    wiring: Wiring | None,
) -> SyncOutcome:
    if not settings.albums and not settings.smart_albums:
        raise ConfigError(
            f"No albums are selected in {settings.path}; run `immich-gphotos albums add NAME` "
            "(or `albums smart TITLE ...`) first."
        )
    wiring = wiring or Wiring()
    store = open_store(settings.secrets_backend, settings.state_dir)
    stop = stop or threading.Event()
    with ExitStack() as stack:
        # the lock and the state first: they need no secret, and the key of a secrets file
        # may still be being derived (``cli.early``)
        stack.enter_context(RunLock(settings.state_dir))
        state = runs.open_state(settings, options.dry_run)
        stack.callback(state.close)
        key = immich_api_key(store)
        if not key:
            raise AuthError(
                "No Immich API key is stored; run `immich-gphotos init` (or set IMMICH_API_KEY)."
            )
        immich = stack.enter_context(
            ImmichClient(
                settings.immich.url,
                key,
                verify=settings.immich.verify_tls,
                retry=wiring.immich_retry,
            )
        )
        selection = chosen_albums(settings, state, immich, options.albums)
        if options.dry_run:
            immich.require_permissions()
            engine = _engine(
                settings, Clients(immich, None), state, reporter, stop, options, selection, wiring
            )
            return SyncOutcome(plan=engine.prepare())
        run = _Run(settings, options, reporter, stop, stack, state, store, key, wiring)
        return run.execute(immich, selection)
    raise AssertionError("unreachable")


def _engine(
    settings: Settings,
    clients: Clients,
    state: StateStore,
    reporter: Reporter,
    stop: threading.Event,
    options: RunOptions,
    selection: tuple[list[AlbumSelection], list[SmartAlbum]],
    wiring: Wiring,
) -> SyncEngine:
    """The one place a SyncEngine is built."""
    albums, smart = selection
    records, clock = SyncRecords(state), wiring.monotonic or time.monotonic
    return SyncEngine(
        settings.sync, clients, records, reporter, stop, options, albums, smart, clock
    )


@dataclass
class _Run:
    """A real run: log file, notifications, the run record, signals, Google, and the engine."""

    settings: Settings
    options: RunOptions
    reporter: Reporter
    stop: threading.Event
    stack: ExitStack
    state: StateStore
    store: SecretStore
    key: str
    wiring: Wiring

    def execute(
        self, immich: ImmichClient, selection: tuple[list[AlbumSelection], list[SmartAlbum]]
    ) -> SyncOutcome:
        settings, state, stack = self.settings, self.state, self.stack
        secrets = [self.key]
        handler = open_log(settings.state_dir, secrets)
        stack.callback(close_log, handler)
        log = logging.getLogger("immich_gphotos.sync")
        log.info(
            "sync started: %d album(s), pid %d", len(selection[0]) + len(selection[1]), os.getpid()
        )
        for warning in security_warnings(settings):
            log.warning(warning)
        run_id = state.start_run()
        clients = Clients(immich=immich, google=None)
        # a second signal exits at once: the run record says so if the state is free to say it
        stack.callback(signals.on_hard_exit(lambda: runs.record_hard_exit(state, run_id, clients)))
        notifier = Notifier(settings.notify)
        previous: str | None = None
        placing = False
        try:
            notifier.started()
            previous = state.get_meta(OUTCOME_KEY)
            immich.require_permissions()  # before anything is created in Google
            clients = self._with_google(immich, secrets)
            engine = _engine(
                settings,
                clients,
                state,
                LoggingReporter(self.reporter),
                self.stop,
                self.options,
                selection,
                self.wiring,
            )
            expires = runs.login_expiry(state, notifier, engine.ctx.reporter)
            plan = engine.prepare()  # reads only: a signal here unwinds at once
            with signals.stop_on_signals(self.stop):  # a signal here lets the batch finish
                placing = True
                report = engine.execute(plan)
            report.login_expires = expires
        except AppError as exc:
            log.error("sync failed: %s (exit %d)", exc.message, exc.exit_code)
            sent = clients.budget.sent if clients.budget else 0
            # a state that cannot be written cannot record its own failure either: say it anyway
            with suppress(StateUnwritable):
                state.finish_run(run_id, exc.exit_code, google_requests=sent)
            outcome = notifier.finished(exc.exit_code, exc.message, previous)
            with suppress(StateUnwritable):
                runs.remember(state, outcome)
            exc.notified = True
            metrics.write(settings, exc.exit_code)
            raise
        except Exception as exc:  # a bug: recorded, notified and measured like any failed run
            message = f"unexpected {exc.__class__.__name__}: {exc}"
            log.exception("sync failed: %s (exit 1)", message)
            sent = clients.budget.sent if clients.budget else 0
            with suppress(Exception):  # the bug itself is what the user must see
                state.finish_run(run_id, ExitCode.FAILED, google_requests=sent)
                runs.remember(state, notifier.finished(ExitCode.FAILED, message, previous))
                metrics.write(settings, ExitCode.FAILED)
            raise
        except KeyboardInterrupt as exc:  # a first signal before the engine (or, embedded
            # without signals.install(), a second one inside it)
            log.warning("sync interrupted (exit 130)")
            sent = clients.budget.sent if clients.budget else 0
            state.finish_run(
                run_id, ExitCode.INTERRUPTED, google_requests=sent, stopped="interrupted"
            )
            runs.saved(
                exc,
                "every finished batch is saved, and the next run continues with the rest"
                if placing
                else "it stopped before placing anything in Google, so nothing needed saving",
            )
            metrics.write(settings, ExitCode.INTERRUPTED)
            raise
        try:
            runs.finish_run(state, run_id, report)
            runs.remember(
                state, notifier.finished(report.exit_code, summary_line(report), previous)
            )
            runs.keep_backup(state, log)
            metrics.write(settings, report.exit_code, report)
        except KeyboardInterrupt as exc:  # a first signal after the engine: its work is saved
            log.warning("sync interrupted after it finished its work (exit 130)")
            report.stopped = "interrupted"
            runs.finish_run(state, run_id, report)
            runs.saved(exc, "the sync had finished its work, and all of it is saved")
            metrics.write(settings, ExitCode.INTERRUPTED, report)
            raise
        signals.finishing()  # recorded as it ends: a late signal must not contradict the record
        return SyncOutcome(report=report)

    def _with_google(self, immich: ImmichClient, secrets: list[str]) -> Clients:
        settings, state = self.settings, self.state
        client = account.load_client(settings)
        account.check_client(state, client)
        refresh = account.refresh_token(self.store)
        secrets.append(refresh)  # masked in the log file from here on
        if state.get_meta(account.CLIENT_META_KEY) is None:
            state.set_meta(account.CLIENT_META_KEY, client.client_id)
        budget = runs.day_budget(state, self.stack, settings.google.daily_request_budget)
        tokens = TokenSource(client, refresh)
        runs.check_login_daily(state, tokens)
        google = self.stack.enter_context(
            GooglePhotosClient(
                settings.google.api_url, tokens, budget, retry=self.wiring.google_retry
            )
        )
        return Clients(immich=immich, google=google, budget=budget, client_id=client.client_id)
