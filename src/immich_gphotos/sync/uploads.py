"""The upload scheduler: byte uploads, ``concurrency`` at a time, streamed from Immich to Google.

``Transfers`` keeps the link full: each worker takes the next item the moment it is free, across
batches, and hands the finished upload (token, failure or skip) to the placer on the main thread,
which batchCreates in capture order while the uploads go on. Big files (the resumable protocol)
start early, on at most half of the workers, so one never runs alone at the end; the order of
uploads need not be capture order (batchCreate keeps that). No new transfer starts once a stop is
asked, a stopping error came, or ``admit`` says no; a bug in one item never loses the others.
One item's transfer itself (``upload_one``) lives in ``transfer``.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from immich_gphotos.errors import AppError
from immich_gphotos.immich.models import ImmichAsset
from immich_gphotos.sync.context import STOPPING, RunContext
from immich_gphotos.sync.transfer import SkipAtUpload, is_big, upload_one


class Admit(Enum):
    GO = "go"  # start it now
    WAIT = "wait"  # not yet (the placer must catch up first); try another, or wait
    CLOSE = "close"  # start nothing more (the day's budget cannot cover it)


@dataclass
class Finished:
    """One transfer's end, as the placer receives it."""

    asset: ImmichAsset
    token: tuple[str, int] | None = None  # (upload token, bytes)
    failed: str | None = None
    skipped: str | None = None
    fatal: Exception | None = None  # stops the run once what is uploaded is placed


class Transfers:
    """``concurrency`` worker threads uploading ``assets``; see the module's docstring.

    ``admit(asset)`` is asked, under ``lock``, before each start; whoever changes what it reads
    does so under ``lock`` and calls ``wake()``. ``finished()`` blocks for the next result.
    """

    def __init__(
        self,
        ctx: RunContext,
        assets: list[ImmichAsset],
        admit: Callable[[ImmichAsset], Admit],
    ) -> None:
        self.ctx = ctx
        self.lock = threading.Condition()
        self._admit = admit
        self._small = [a for a in assets if not is_big(a)]  # capture order
        self._big = [a for a in assets if is_big(a)]
        self._big_running = 0
        self._big_share = max(1, ctx.options.concurrency // 2)
        self.started: set[str] = set()
        self.running = 0
        self.closed = False  # nothing more will start
        self.halted = False  # ... because of a stop, a stopping error or the budget
        self.fatal: Exception | None = None
        self._results: queue.SimpleQueue[Finished] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._work, name=f"upload-{n}", daemon=True)
            for n in range(max(1, min(ctx.options.concurrency, len(assets))))
        ]

    def start(self) -> Transfers:
        if not self._small and not self._big:
            self.closed = True
        for thread in self._threads:
            thread.start()
        return self

    def close(self) -> None:
        """Start nothing more; the transfers in flight finish and report."""
        with self.lock:
            self.closed = self.halted = True
            self.lock.notify_all()

    def wake(self) -> None:
        with self.lock:
            self.lock.notify_all()

    def join(self) -> None:
        with self.lock:
            self.closed = True
            self.lock.notify_all()
        for thread in self._threads:
            if thread.is_alive():
                thread.join()

    def requeue(self, asset: ImmichAsset) -> None:
        """Upload it again (its token grew too old waiting for its batch). The workers leave
        once everything is uploaded, as they have by an album's last batch: if they had, one
        starts again. After a stop (``halted``) none does, and the item stays pending."""
        with self.lock:
            self.started.discard(asset.id)
            (self._big if is_big(asset) else self._small).insert(0, asset)
            if self.closed and not self.halted:
                self.closed = False
                worker = threading.Thread(
                    target=self._work, name=f"upload-{len(self._threads)}", daemon=True
                )
                self._threads.append(worker)
                worker.start()
            self.lock.notify_all()

    def finished(self) -> Finished | None:
        """The next transfer's end, or None when none is in flight and none will start. A stop
        asked meanwhile closes the agenda, so the placer then waits only for what is in flight."""
        while True:
            try:
                return self._results.get(timeout=0.5)
            except queue.Empty:
                with self.lock:
                    if self.ctx.stop.is_set():
                        self.closed = self.halted = True
                        self.lock.notify_all()
                    if self._results.empty() and self.running == 0 and self.closed:
                        return None

    def pending(self, asset_id: str) -> bool:
        """Not started yet, and still may be (under ``lock``)."""
        return not self.closed and asset_id not in self.started

    # --- the workers --------------------------------------------------------------------------

    def _next(self) -> ImmichAsset | None:
        with self.lock:
            while True:
                if self.ctx.stop.is_set():
                    self.closed = self.halted = True
                if self.closed:
                    return None
                if not self._small and not self._big:
                    if self.running == 0:
                        self.closed = True  # all taken, all done: nothing more will start
                    return None
                chosen = self._choose()
                if chosen is not None:
                    self.started.add(chosen.id)
                    self.running += 1
                    if is_big(chosen):
                        self._big_running += 1
                    return chosen
                if self.closed:
                    return None
                self.lock.wait()

    def _choose(self) -> ImmichAsset | None:
        """Big files first while fewer than half the workers carry one, else capture order."""
        big_first = self._big_running < self._big_share or not self._small
        for pool in (self._big, self._small) if big_first else (self._small, self._big):
            for i, asset in enumerate(pool):
                verdict = self._admit(asset)
                if verdict is Admit.CLOSE:
                    self.closed = self.halted = True
                    self.lock.notify_all()
                    return None
                if verdict is Admit.GO:
                    return pool.pop(i)
        return None

    def _work(self) -> None:
        try:
            self._take_and_upload()
        except Exception as exc:  # a bug in choosing (``admit``): stop, never leave the placer
            with self.lock:  # waiting for a transfer no worker will report
                self.fatal = self.fatal or exc
                self.closed = self.halted = True
                self.lock.notify_all()

    def _take_and_upload(self) -> None:
        while (asset := self._next()) is not None:
            result = Finished(asset)
            try:
                result.token = upload_one(self.ctx, asset)
            except SkipAtUpload as skip:
                result.skipped = skip.reason
            except STOPPING as exc:
                result.fatal = exc
            except AppError as exc:
                result.failed = exc.message
            except BaseException as exc:  # a bug in one item must not lose the batch
                result.failed = f"unexpected {exc.__class__.__name__}: {exc}"
            with self.lock:  # the result is queued before the transfer stops counting
                self._results.put(result)
                self.running -= 1
                if is_big(asset):
                    self._big_running -= 1
                if result.fatal is not None:
                    self.fatal = self.fatal or result.fatal
                    self.closed = self.halted = True
                if not self._small and not self._big and self.running == 0:
                    self.closed = True
                self.lock.notify_all()
