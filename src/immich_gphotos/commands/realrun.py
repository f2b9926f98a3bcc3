"""A real run of `sync` (not a dry run): its log file, notifications, run record, signals, the
Google login and the engine, and what each way of failing leaves behind (``RealRun.execute``).

``commands.sync.run_sync`` makes one after it has taken the lock and opened the state and Immich.
"""

from __future__ import annotations

import logging
import os
import threading
from contextlib import ExitStack, suppress
from dataclasses import dataclass

from immich_gphotos import signals
from immich_gphotos.commands import auth as account
from immich_gphotos.commands import metrics, runs
from immich_gphotos.commands.outcome import SyncOutcome
from immich_gphotos.commands.wiring import Wiring, build_engine
from immich_gphotos.config import AlbumSelection, Settings, SmartAlbum
from immich_gphotos.credentials.base import SecretStore
from immich_gphotos.errors import AppError, ExitCode, StateUnwritable
from immich_gphotos.gphotos.auth import TokenSource
from immich_gphotos.gphotos.client import GooglePhotosClient
from immich_gphotos.immich.client import ImmichClient
from immich_gphotos.logfile import close_log, open_log
from immich_gphotos.notify import OUTCOME_KEY, Notifier
from immich_gphotos.security import security_warnings
from immich_gphotos.state.store import StateStore
from immich_gphotos.sync.context import Clients
from immich_gphotos.sync.events import LoggingReporter, Reporter
from immich_gphotos.sync.options import RunOptions
from immich_gphotos.sync.report import summary_line


@dataclass
class RealRun:
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

        def failed(code: int, message: str) -> None:
            """A failed run: recorded, notified, measured. A state that cannot be written cannot
            record its own failure either: the notification and the metrics say it anyway."""
            sent = clients.budget.sent if clients.budget else 0
            with suppress(StateUnwritable):
                state.finish_run(run_id, code, google_requests=sent)
            outcome = notifier.finished(code, message, previous)
            with suppress(StateUnwritable):
                runs.remember(state, outcome)
            metrics.write(settings, code)

        try:
            notifier.started()
            previous = state.get_meta(OUTCOME_KEY)
            immich.require_permissions()  # before anything is created in Google
            clients = self._with_google(immich, secrets)
            engine = build_engine(
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
            failed(exc.exit_code, exc.message)
            exc.notified = True
            raise
        except Exception as exc:  # a bug: recorded, notified and measured like any failed run
            message = f"unexpected {exc.__class__.__name__}: {exc}"
            log.exception("sync failed: %s (exit 1)", message)
            with suppress(Exception):  # the bug itself is what the user must see
                failed(ExitCode.FAILED, message)
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
