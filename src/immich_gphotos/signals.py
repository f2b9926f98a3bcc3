"""SIGINT and SIGTERM, from process start to exit: 130 and a clean word wherever they land.

``install()`` (the first thing ``cli.main`` does) makes the first signal mean, by phase:

- while the engine places items (inside ``stop_on_signals(stop)``): set ``stop``. The engine starts
  no new transfer, finishes the batch for what was uploaded, saves it and reports "interrupted".
  Nothing is raised there: between Google's answer and the state's commit nothing may unwind.
- anywhere else (start-up, reading Immich, recording the run, notifying): raise ``Interrupted``
  (a ``KeyboardInterrupt``) in the main thread. Transactions roll back, the lock is released, the
  sync core records the run as interrupted, and ``cli.run`` maps it to 130 with a message.
- once the outcome is written (``finishing()``): only noted; the run had already finished.

A second signal, in any phase, runs the ``on_hard_exit`` callbacks (the terminal is restored, the
run record marked) and exits 130 at once, not waiting for transfers in flight.

Without ``install()`` (a program embedding the CLI, the in-process tests) ``stop_on_signals``
sets its own handlers for the engine's duration, as before.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

SIGNALS = (signal.SIGINT, signal.SIGTERM)
EXIT_INTERRUPTED = 130  # errors.ExitCode.INTERRUPTED; kept literal so the handler needs nothing


class Interrupted(KeyboardInterrupt):
    """A first SIGINT/SIGTERM outside the engine. ``saved`` says what the interrupted work left
    saved, for the message (set by whoever knows: the sync core)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.saved: str | None = None


class _Process:
    """The process-wide handler's view: what a first signal means now, and who to call last."""

    def __init__(self) -> None:
        self.installed = False
        self.received: int | None = None  # the first signal, once it came
        self.engine_stop: threading.Event | None = None  # set: the engine runs
        self.finishing = False
        self.raised: Interrupted | None = None  # what a first signal raised (Typer swallows it)
        self.hard_exit: list[Callable[[], None]] = []
        self.notice: Callable[[int], None] | None = None  # says a stop was asked (engine phase)

    def handle(self, signum: int, frame: object) -> None:
        if self.received is not None:
            self.exit_now()
        self.received = signum
        if self.engine_stop is not None:
            self.engine_stop.set()
            if self.notice is not None:
                with suppress(Exception):
                    self.notice(signum)
            return
        if self.finishing:
            return
        self.raised = Interrupted(signum)
        raise self.raised

    def exit_now(self) -> None:
        for callback in reversed(self.hard_exit):
            with suppress(Exception):
                callback()
        os._exit(EXIT_INTERRUPTED)


_process = _Process()


def install(notice: Callable[[int], None] | None = None) -> None:
    """Honour SIGINT and SIGTERM from here on (a signal the parent set to be ignored stays so).
    ``notice(signum)`` is called when a first signal asks the engine to stop: the wait for the
    transfers in flight should not look like a hang. It must be quick and must not raise."""
    if threading.current_thread() is not threading.main_thread():
        return
    _process.notice = notice
    for sig in SIGNALS:
        if signal.getsignal(sig) is not signal.SIG_IGN:
            signal.signal(sig, _process.handle)
    _process.installed = True


def received() -> int | None:
    """The first SIGINT/SIGTERM this process got, if any (only known after ``install()``)."""
    return _process.received


def interruption() -> Interrupted | None:
    """The ``Interrupted`` a first signal raised, if one did: Typer turns a KeyboardInterrupt into
    a bare exit code 130, so ``cli`` finds the signal and what was saved here."""
    return _process.raised


def finishing() -> None:
    """The outcome is decided and being written: a first signal no longer interrupts it. (Only
    after ``install()``: a program embedding the CLI keeps its own signal handling.)"""
    if _process.installed:
        _process.finishing = True


def ignore_from_now() -> None:
    """The exit code is decided and said: only the interpreter's shutdown is left. It puts the
    kernel's default actions back for handled signals (a SIGINT then ends the process as -2), but
    leaves ignored ones ignored, so ignore them."""
    if _process.installed and threading.current_thread() is threading.main_thread():
        _process.finishing = True
        for sig in SIGNALS:
            signal.signal(sig, signal.SIG_IGN)


def is_finishing() -> bool:
    return _process.finishing


def on_hard_exit(callback: Callable[[], None]) -> Callable[[], None]:
    """Call ``callback`` (last registered first) if a second signal exits the process at once; it
    must be quick and must not raise. Returns the function that unregisters it."""
    _process.hard_exit.append(callback)

    def unregister() -> None:
        with suppress(ValueError):
            _process.hard_exit.remove(callback)

    return unregister


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """No new transfers after a signal; the current batch is finished and saved. A second signal
    acts at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if _process.installed:
        outer = _process.engine_stop
        _process.engine_stop = stop
        if _process.received is not None:  # came before and was absorbed: still a stop
            stop.set()
        try:
            yield
        finally:
            _process.engine_stop = outer
        return
    previous = {sig: signal.getsignal(sig) for sig in SIGNALS}

    def ask_to_stop(signum: int, frame: object) -> None:
        stop.set()
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    for sig in previous:
        signal.signal(sig, ask_to_stop)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
