"""Placing one album with the link kept full: uploads flow on while batches are created.

The transfers (``uploads.Transfers``) run on worker threads that never wait for a batch; this
module, on the main thread, walks the album's placements in capture order and creates a batch
as soon as the next 50 uploads in that order are done (fewer at the end of a run of uploads, or
where ``contiguous`` or the Google album's 20,000 end it), recording each before the next. So
batchCreate order and ``albumPosition`` keep the album in capture order exactly as
``placing`` always did, whatever order the bytes arrive in, and every crash rule of ``placing``
holds per batch: its intent is committed before the call and ended by the transaction that
records it.

Stops: after a signal, a stopping error (quota, storage, login) or when the day's budget can no
longer cover an upload and the batchCreates of what is already uploaded, nothing new starts,
the transfers in flight finish, and everything uploaded is created (items never started stay
pending in the state: the next run places them at their capture position); then the run stops.

Upload tokens live a day: uploads run ahead of the batch being waited for only while the oldest
token waiting is younger than ``TOKEN_HOLD``; a token older than ``TOKEN_MAX_AGE`` (never, short
of a transfer lasting most of a day) is uploaded again rather than used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum

from immich_gphotos.errors import AppError
from immich_gphotos.gphotos import limits
from immich_gphotos.immich.models import ImmichAsset
from immich_gphotos.sync.context import RunContext, Stop
from immich_gphotos.sync.parts import part_with_room
from immich_gphotos.sync.placing import add_chunk, contiguous, place_uploaded
from immich_gphotos.sync.plan import Action, AlbumPlan, GooglePart, Placement
from immich_gphotos.sync.report import AlbumResult
from immich_gphotos.sync.transfer import Uploads, requests_for
from immich_gphotos.sync.uploads import Admit, Finished, Transfers

TOKEN_HOLD = 6 * 3600.0  # seconds a token may wait before uploads stop running ahead
TOKEN_MAX_AGE = 20 * 3600.0  # Google's tokens live a day: older ones are uploaded again


class State(Enum):
    WAITING = "waiting"  # not uploaded (pending, or in flight)
    READY = "ready"  # uploaded: its token waits for its batch
    FAILED = "failed"
    SKIPPED = "skipped"
    DONE = "done"  # placed, or its failure or skip recorded


@dataclass
class _Item:
    placement: Placement
    state: State = State.WAITING
    reason: str = ""


@dataclass
class _Batch:
    ready: list[_Item] = field(default_factory=list)  # uploaded, capture order
    failed: list[_Item] = field(default_factory=list)
    skipped: list[_Item] = field(default_factory=list)
    left: list[_Item] = field(default_factory=list)  # never started (a stop): pending for later


class AlbumPipeline:
    def __init__(
        self, ctx: RunContext, album: AlbumPlan, parts: list[GooglePart], result: AlbumResult
    ) -> None:
        self.ctx, self.album, self.parts, self.result = ctx, album, parts, result
        self.items = [_Item(p) for p in album.place]
        self.by_id = {i.placement.asset.id: i for i in self.items}
        self.position = {i.placement.asset.id: n for n, i in enumerate(self.items)}
        self.oldest_ready: float | None = None  # when the oldest token waiting was made
        self.head = 0  # the first item not DONE
        self.creates_open = 0  # uploaded or in flight, not yet created (under the pool's lock)
        self.reserved = 0  # requests the transfers in flight may still send (same)
        self.budget_closed = False
        uploads = [p.asset for p in album.place if p.action is Action.UPLOAD]
        self.pool = Transfers(ctx, uploads, self._admit)

    # --- the main thread ----------------------------------------------------------------------

    def run(self) -> None:
        ctx = self.ctx
        self.pool.start()
        try:
            while self._advance():
                pass
        finally:
            self.pool.join()  # on an error: the transfers in flight end; their tokens stay in
            # ctx.tokens for a new try (a Google album deleted under us), or are dropped
        if self.pool.fatal is not None:
            if not isinstance(self.pool.fatal, AppError):
                raise self.pool.fatal  # a bug: what was uploaded is placed; say it as a bug
            ctx.fatal(self.pool.fatal)
        if self.budget_closed:  # an upload it could not cover was left for tomorrow
            budget = ctx.clients.budget
            ctx.report.stopped = "budget"
            ctx.reporter.log(
                f"stopped at the daily budget of {budget.limit if budget else '?'} Google "
                "requests; the next run continues"
            )
            raise Stop
        # A signal mid-album leaves the uploads that had not started pending in the state;
        # checking here keeps the last batch from passing for a finished album (stamped, exit 0).
        ctx.check_stop()

    def _advance(self) -> bool:
        """Place what can be placed next, or wait for a transfer; False once the album is done."""
        while self.head < len(self.items) and self.items[self.head].state is State.DONE:
            self.head += 1
        if self.head >= len(self.items):
            return False
        item = self.items[self.head]
        if item.placement.action is Action.ADD:
            return self._add_run()
        batch = self._compose()
        if batch is None:
            done = self.pool.finished()
            if done is not None:  # else nothing is in flight and nothing will start: look again
                self._absorb(done)
            return True
        self._create(batch)
        return True

    def _add_run(self) -> bool:
        """The consecutive additions by reference at the head, 50 a request. After a stop they
        are made only to keep uploads already made behind them in capture order."""
        end = self.head
        while end < len(self.items) and self.items[end].placement.action is Action.ADD:
            end += 1
        if self._stopping() and not any(i.state is State.READY for i in self.items[end:]):
            for item in self.items[self.head : end]:
                item.state = State.DONE  # left pending for the next run
            return True
        pending = [i.placement for i in self.items[self.head : end]]
        while pending:
            part = part_with_room(self.ctx, self.album, self.parts)
            size = min(limits.MAX_BATCH, limits.ALBUM_LIMIT - part.item_count)
            chunk, pending = pending[:size], pending[size:]
            placed = add_chunk(self.ctx, self.album, part, chunk, self.result)
            self._count(part, placed)
        for item in self.items[self.head : end]:
            item.state = State.DONE
        return True

    def _compose(self) -> _Batch | None:
        """The next batch in capture order once it is complete, else None (wait)."""
        batch = _Batch()
        if self.ctx.stop.is_set():
            self.pool.close()
        for item in self.items[self.head :]:
            if item.placement.action is Action.ADD:
                return batch  # the end of this run of uploads
            if item.state is State.DONE:
                continue
            if item.state is State.READY:
                batch.ready.append(item)
                if len(batch.ready) == limits.MAX_BATCH:
                    return batch
            elif item.state is State.FAILED:
                batch.failed.append(item)
            elif item.state is State.SKIPPED:
                batch.skipped.append(item)
            else:  # WAITING: in flight, or not started
                with self.pool.lock:
                    never = self.pool.closed and item.placement.asset.id not in self.pool.started
                if not never:
                    return None  # wait for it
                batch.left.append(item)  # stays pending: a later run places it in its place
        return batch

    def _create(self, batch: _Batch) -> None:
        ctx = self.ctx
        ready = batch.ready
        for item in list(ready):  # a token too old to trust is uploaded again
            born = ctx.token_born.get(item.placement.asset.id)
            if born is not None and ctx.monotonic() - born > TOKEN_MAX_AGE:
                ready.remove(item)
                ctx.tokens.pop(item.placement.asset.id, None)
                item.state = State.WAITING
                self.pool.requeue(item.placement.asset)
        part = part_with_room(ctx, self.album, self.parts) if ready else self._last_part()
        if ready:
            room = limits.ALBUM_LIMIT - part.item_count
            placements = [i.placement for i in ready[:room]]
            rest: list[Placement] = []
            placements = contiguous(ctx, self.album, part, placements, rest)
            ready = ready[: len(placements)]
        outcome = Uploads(
            uploaded={i.placement.asset.id: ctx.tokens[i.placement.asset.id] for i in ready},
            failed=[(i.placement.asset, i.reason) for i in batch.failed],
            skipped=[(i.placement.asset, i.reason) for i in batch.skipped],
        )
        members = sorted(
            ready + batch.failed + batch.skipped, key=lambda i: self.position[i.placement.asset.id]
        )
        if members:
            assets: list[ImmichAsset] = [i.placement.asset for i in members]
            placed = place_uploaded(ctx, self.album, part, assets, outcome, self.result)
            self._count(part, placed)
        for item in members + batch.left:
            item.state = State.DONE
        waiting = [
            ctx.token_born.get(i.placement.asset.id, ctx.monotonic())
            for i in self.items[self.head :]
            if i.state is State.READY
        ]
        with self.pool.lock:
            self.creates_open -= len(ready)
            self.oldest_ready = min(waiting) if waiting else None
            self.pool.lock.notify_all()

    def _absorb(self, done: Finished) -> None:
        item = self.by_id[done.asset.id]
        if done.token is not None:
            item.state = State.READY
            if self.ctx.uploads_left is not None:
                self.ctx.uploads_left -= 1
        elif done.failed is not None:
            item.state, item.reason = State.FAILED, done.failed
        elif done.skipped is not None:
            item.state, item.reason = State.SKIPPED, done.skipped
        else:  # a stopping error: not this item's fault, it stays pending
            item.state = State.DONE
        with self.pool.lock:
            self.reserved -= requests_for(done.asset)
            if item.state is State.READY:
                born = self.ctx.token_born.get(done.asset.id, self.ctx.monotonic())
                self.oldest_ready = born if self.oldest_ready is None else self.oldest_ready
            else:
                self.creates_open -= 1
            self.pool.lock.notify_all()

    def _stopping(self) -> bool:
        return self.pool.halted or self.ctx.stop.is_set()

    def _count(self, part: GooglePart, placed: int) -> None:
        self.parts[-1] = GooglePart(
            part.part, part.google_album_id, part.title, part.item_count + placed
        )

    def _last_part(self) -> GooglePart:
        if self.parts:
            return self.parts[-1]
        return GooglePart(0, "", "", 0)  # failures only: nothing reaches Google

    # --- worker threads, under the pool's lock -------------------------------------------------

    def _admit(self, asset: ImmichAsset) -> Admit:
        """May this upload start now? Not past the day's budget (its requests, those of the
        transfers in flight, and one batchCreate per 50 of all uploaded and not yet created,
        plus one for a batch cut short), and not far ahead while an old token waits."""
        if self._held(asset):
            return Admit.WAIT
        cost = requests_for(asset)
        budget = self.ctx.clients.budget
        if budget is not None:
            creates = math.ceil((self.creates_open + 1) / limits.MAX_BATCH) + 1
            if budget.remaining() - self.reserved - creates < cost:
                self.budget_closed = True
                return Admit.CLOSE
        self.reserved += cost
        self.creates_open += 1
        return Admit.GO

    def _held(self, asset: ImmichAsset) -> bool:
        """Uploads run ahead of the batch being waited for while the oldest token waiting is
        younger than TOKEN_HOLD; past that, only the next batch's items start."""
        if self.oldest_ready is None or self.ctx.monotonic() - self.oldest_ready < TOKEN_HOLD:
            return False
        window = [
            i.placement.asset.id
            for i in self.items[self.head : self.head + 2 * limits.MAX_BATCH]
            if i.placement.action is Action.UPLOAD
        ][: limits.MAX_BATCH]
        return asset.id not in window
