"""`sync --every`: complete one-shot runs, one after another, until SIGINT/SIGTERM; no printing.

Each run is ``commands.sync.run_sync`` exactly as a one-shot `sync` does it (lock, log file,
notifications, run record, metrics), with the config read again, so `albums add` in another
container is seen at the next run. Between runs the loop waits the interval plus a small random
delay on a stop event. All of the loop's signal logic is here (``_signals``):

- a signal between runs ends the wait and the loop returns 0 at once;
- a signal during a run lets the run finish the batch in hand and save (``run_sync``'s own
  handling, as for one-shot runs), then the loop returns 130; a second signal acts at once;
- an error, including one that needs the user (exit 3 or 4), is reported, notified, and tried
  again at the next interval instead of ending the loop.

The loop also keeps a heartbeat file in the state dir (at each run's start and end, and every
``BEAT_EVERY`` seconds while a run makes progress), which `immich-gphotos health` reads.
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from immich_gphotos.clock import iso, utcnow
from immich_gphotos.commands.sync import run_sync
from immich_gphotos.commands.wiring import Wiring
from immich_gphotos.config import Settings
from immich_gphotos.errors import AppError, ExitCode, UsageError
from immich_gphotos.fileio import atomic_write
from immich_gphotos.notify import OUTCOME_KEY, Notifier
from immich_gphotos.state.store import StateStore
from immich_gphotos.sync.events import Reporter
from immich_gphotos.sync.options import RunOptions
from immich_gphotos.sync.report import summary_line

if TYPE_CHECKING:
    from immich_gphotos.sync.plan import AlbumPlan, Plan
    from immich_gphotos.sync.report import AlbumResult, RunReport

log = logging.getLogger("immich_gphotos.every")
MIN_INTERVAL = 60  # seconds: shorter would only hammer Immich
JITTER_SHARE = 0.05  # the random delay: up to 5% of the interval ...
JITTER_MAX = 300.0  # ... and at most 5 minutes
HEARTBEAT_FILE_NAME = "heartbeat.json"
BEAT_EVERY = 30.0  # seconds between heartbeats while a run makes progress
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PART = re.compile(r"(\d+)([smhd])")


def parse_duration(text: str, flag: str = "--every", minimum: int = MIN_INTERVAL) -> int:
    """``30m``, ``1h``, ``1d``, ``90s``, ``1h30m`` -> seconds; anything else is a usage error
    (exit 2) naming ``flag``."""
    compact = text.strip().lower().replace(" ", "")
    if not compact or _PART.sub("", compact):
        raise UsageError(
            f"{flag} takes a duration with a unit, like 30m, 1h or 1d (s, m, h, d), not {text!r}."
        )
    seconds = sum(int(n) * UNITS[unit] for n, unit in _PART.findall(compact))
    if seconds < minimum:
        raise UsageError(f"{flag} must be at least {_human(minimum)}, not {text!r}.")
    return seconds


def _human(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def max_jitter(interval: float) -> float:
    return min(interval * JITTER_SHARE, JITTER_MAX)


def _random_jitter(interval: float) -> float:
    return random.uniform(0, max_jitter(interval))


def _real_wait(stop: threading.Event, seconds: float) -> bool:
    return stop.wait(seconds)


@dataclass(frozen=True)
class RunResult:
    """One run of the loop, for the one line the CLI prints about it."""

    number: int
    exit_code: int
    summary: str  # the run's summary line, or the error that ended it
    started: datetime
    finished: datetime
    next_run: datetime | None  # None: the loop ends here (a signal)


@dataclass
class Loop:
    """What the loop needs from outside; ``load`` reads the config again before every run."""

    load: Callable[[], Settings]
    options: Callable[[Settings], RunOptions]
    reporter: Callable[[], Reporter]  # a fresh one for every run
    interval: int
    on_run: Callable[[RunResult], None]
    wiring: Wiring | None = None

    def run(self, stop: threading.Event | None = None) -> int:
        stop = stop or threading.Event()
        wiring = self.wiring or Wiring()
        wait = wiring.wait or _real_wait
        jitter = wiring.jitter or _random_jitter
        outcome: str | None = None  # the last run's outcome, for notifying early errors
        settings: Settings | None = None
        number = 0
        with _signals(stop):
            while True:
                number += 1
                started = utcnow()
                code, summary, settings, outcome = self._one(stop, settings, outcome, number)
                interrupted = stop.is_set()
                delay = 0.0 if interrupted else self.interval + max(0.0, jitter(self.interval))
                finished = utcnow()
                next_run = None if interrupted else finished + timedelta(seconds=delay)
                if settings is not None:
                    _beat(settings, self.interval, number, code, next_run)
                self.on_run(RunResult(number, code, summary, started, finished, next_run))
                if interrupted:  # a signal during the run: its batch was finished and saved
                    return ExitCode.INTERRUPTED
                if wait(stop, delay):  # a signal between runs: nothing is in hand
                    if settings is not None:
                        _beat(settings, self.interval, number, code, None)
                    return ExitCode.OK

    def _one(
        self, stop: threading.Event, last: Settings | None, outcome: str | None, number: int
    ) -> tuple[int, str, Settings | None, str | None]:
        """One complete run: (exit code, its line, the settings it used, its outcome)."""
        settings = last
        try:
            settings = self.load()
            _beat(settings, self.interval, number, None, None, running=True)
            reporter = _Beating(self.reporter(), settings, self.interval, number)
            result = run_sync(settings, self.options(settings), reporter, stop, self.wiring)
            report = result.report
            assert report is not None  # --dry-run is refused with --every
            return report.exit_code, summary_line(report), settings, _outcome(report.exit_code)
        except AppError as exc:
            log.error("run %d failed: %s (exit %d)", number, exc.message, exc.exit_code)
            if not exc.notified and settings is not None:
                # failed before the run's own notifications (config, secrets, state dir, lock):
                # the loop tells of it, so a container that cannot work does not fail silently
                previous = outcome or _stored_outcome(settings)
                outcome = Notifier(settings.notify).finished(exc.exit_code, exc.message, previous)
                _store_outcome(settings, outcome)  # the next run's notifications compare to it
            else:
                outcome = _outcome(exc.exit_code) or outcome
            return exc.exit_code, exc.message, settings, outcome


def _outcome(exit_code: int) -> str | None:
    from immich_gphotos.notify import outcome_of

    return outcome_of(exit_code)


def _stored_outcome(settings: Settings) -> str | None:
    """The outcome the last run recorded in the state (None when the state cannot be read)."""
    try:
        state = StateStore.open(settings.state_dir)
    except Exception:  # unusable state (the run's own error said why): nothing to compare with
        return None
    try:
        return state.get_meta(OUTCOME_KEY)
    finally:
        state.close()


def _store_outcome(settings: Settings, outcome: str | None) -> None:
    if outcome is None:
        return
    try:
        state = StateStore.open(settings.state_dir)
    except Exception:  # the state is what failed: the loop's memory has to do
        return
    try:
        state.set_meta(OUTCOME_KEY, outcome)
    finally:
        state.close()


# --- signals ---------------------------------------------------------------------------------


@contextmanager
def _signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT/SIGTERM set ``stop`` for the whole loop (a run installs its own handler on top for
    its engine, and puts this one back after the first signal); once ``stop`` is set, another
    signal acts at once (KeyboardInterrupt: exit 130)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    sigs = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.getsignal(sig) for sig in sigs}

    def ask_to_stop(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    for sig in sigs:
        signal.signal(sig, ask_to_stop)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# --- heartbeat -------------------------------------------------------------------------------


def heartbeat_path(state_dir: Path) -> Path:
    return state_dir / HEARTBEAT_FILE_NAME


def _beat(
    settings: Settings,
    interval: int,
    number: int,
    exit_code: int | None,
    next_run: datetime | None,
    running: bool = False,
) -> None:
    """Record that the loop is alive; a heartbeat that cannot be written is logged only."""
    data: dict[str, Any] = {
        "pid": os.getpid(),
        "interval_seconds": interval,
        "max_jitter_seconds": max_jitter(interval),
        "updated": iso(utcnow()),
        "updated_unix": time.time(),
        "run": number,
        "running": running,
        "last_exit_code": exit_code,
        "next_run": iso(next_run) if next_run else None,
        "stopped": next_run is None and not running,
    }
    try:
        atomic_write(heartbeat_path(settings.state_dir), json.dumps(data).encode("utf-8"))
    except OSError as exc:
        log.warning("heartbeat %s cannot be written: %s", heartbeat_path(settings.state_dir), exc)


class _Beating:
    """Passes every event on; refreshes the heartbeat while a long run makes progress."""

    def __init__(self, inner: Reporter, settings: Settings, interval: int, number: int) -> None:
        self.inner, self.settings, self.interval, self.number = inner, settings, interval, number
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def _tick(self) -> None:
        with self._lock:
            if time.monotonic() - self._last < BEAT_EVERY:
                return
            self._last = time.monotonic()
        _beat(self.settings, self.interval, self.number, None, None, running=True)

    def plan_ready(self, plan: Plan) -> None:
        self._tick()
        self.inner.plan_ready(plan)

    def album_started(self, album: AlbumPlan) -> None:
        self._tick()
        self.inner.album_started(album)

    def transfer_started(self, key: str, name: str, size: int | None) -> None:
        self._tick()
        self.inner.transfer_started(key, name, size)

    def transfer_progress(self, key: str, n: int) -> None:
        self._tick()
        self.inner.transfer_progress(key, n)

    def transfer_done(self, key: str, ok: bool) -> None:
        self._tick()
        self.inner.transfer_done(key, ok)

    def items_done(self, n: int) -> None:
        self._tick()
        self.inner.items_done(n)

    def album_done(self, result: AlbumResult) -> None:
        self._tick()
        self.inner.album_done(result)

    def run_done(self, report: RunReport) -> None:
        self.inner.run_done(report)

    def log(self, message: str) -> None:
        self._tick()
        self.inner.log(message)
