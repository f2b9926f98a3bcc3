"""The sync engine: fetch, plan (pure), then execute in batches with one state transaction each.

It knows nothing of Typer or Rich: it talks to a Reporter, and stops between batches when the
``stop`` event is set (SIGINT/SIGTERM), finishing the batch for what was already uploaded.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import NoReturn, TypeVar

from immich_gphotos.budget import RequestBudget
from immich_gphotos.config import AlbumSelection, Settings
from immich_gphotos.errors import AppError, AuthError, QuotaReached, StorageFull, Unreachable
from immich_gphotos.gphotos import limits
from immich_gphotos.gphotos.client import GooglePhotosClient
from immich_gphotos.gphotos.limits import MAX_DESCRIPTION
from immich_gphotos.gphotos.models import AlbumGone, GoogleApiError, NewItem, ReferenceRefused
from immich_gphotos.immich.client import ImmichClient, OriginalStream
from immich_gphotos.immich.models import ImmichAsset
from immich_gphotos.state.store import SyncRecords
from immich_gphotos.sync import plan as planner
from immich_gphotos.sync.eligibility import skip_reason
from immich_gphotos.sync.events import Reporter
from immich_gphotos.sync.plan import (
    Action,
    AlbumPlan,
    AlbumSpec,
    GooglePart,
    Options,
    Placement,
    Plan,
)
from immich_gphotos.sync.report import AlbumResult, RunReport

MAX_PROBLEMS_LISTED = 20  # per album in the summary; the log file has every one
VERIFY_EVERY = timedelta(hours=24)
T = TypeVar("T")  # an idle album is looked at (one albums.get) once a day


class _Stop(Exception):
    """Unwinds an album when the run must stop (signal, budget, quota, storage, fatal error)."""


class _AlbumDeleted(Exception):
    """The Google album went away under us: create it again and place everything again."""


@dataclass
class _Uploads:
    """What one chunk's byte uploads came to."""

    uploaded: dict[str, tuple[str, int]] = field(default_factory=dict)  # asset id -> (token, bytes)
    failed: list[tuple[ImmichAsset, str]] = field(default_factory=list)
    skipped: list[tuple[ImmichAsset, str]] = field(default_factory=list)
    fatal: Exception | None = None  # stops the run once the chunk is saved


class _SkipAtUpload(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Clients:
    immich: ImmichClient
    google: GooglePhotosClient | None  # None in --dry-run: nothing may reach Google
    budget: RequestBudget | None = None
    client_id: str | None = None


class SyncEngine:
    def __init__(
        self,
        settings: Settings,
        clients: Clients,
        records: SyncRecords,
        reporter: Reporter,
        stop: threading.Event,
        options: Options,
        concurrency: int | None = None,
        albums: list[AlbumSelection] | None = None,
    ) -> None:
        self.settings, self.clients, self.records = settings, clients, records
        self.reporter, self.stop, self.options = reporter, stop, options
        self.concurrency = concurrency or settings.sync.concurrency
        self.selection = albums if albums is not None else list(settings.albums)
        self.report = RunReport()
        self._tokens: dict[
            str, tuple[str, int]
        ] = {}  # asset id -> (upload token, bytes) not yet used
        self._media_now: dict[str, str] = {}  # checksum -> media item id, created in this run
        self._uploads_left = options.limit
        self._problems: dict[str, str] = {}  # album id -> why it could not be read from Immich

    # --- preparing ----------------------------------------------------------------------------

    def prepare(self) -> Plan:
        """Read the selected albums from Immich and plan against the state (no writes anywhere)."""
        specs: list[AlbumSpec] = []
        immich = self.clients.immich
        for selected in self.selection:
            try:
                album, assets = immich.album_with_assets(selected.immich_id)
            except AppError as exc:
                if exc.exit_code in (4, 7):  # the key or the server: nothing else will work either
                    raise
                self._problems[selected.immich_id] = exc.message
                continue
            title = selected.google_title or album.name
            specs.append(AlbumSpec(album.id, album.name, title, tuple(assets)))
        state = self.records.snapshot([s.immich_id for s in specs])
        motion = self._motion_parts(specs, state.placed)
        plan = planner.build(specs, state, self.settings.sync, self.options, motion)
        self.reporter.plan_ready(plan)
        return plan

    def _motion_parts(
        self, specs: list[AlbumSpec], known: dict[str, str] | object
    ) -> dict[str, ImmichAsset]:
        """The motion videos of live photos, fetched only with still+video and only when new to us."""
        if self.settings.sync.live_photos != "still+video":
            return {}
        wanted = {a.live_photo_video_id for s in specs for a in s.assets if a.live_photo_video_id}
        found: dict[str, ImmichAsset] = {}
        for asset_id in sorted(wanted):
            try:
                found[asset_id] = self.clients.immich.asset(asset_id)
            except AppError as exc:
                if exc.exit_code in (4, 7):
                    raise
        return found

    # --- executing ----------------------------------------------------------------------------

    def execute(self, plan: Plan) -> RunReport:
        for selected in self.selection:
            if selected.immich_id in self._problems:
                result = AlbumResult(
                    selected.immich_id,
                    selected.google_title or selected.immich_id,
                    selected.google_title or "",
                    failed=0,
                )
                result.problems.append(self._problems[selected.immich_id])
                self.report.albums.append(result)
                self.reporter.log(
                    f"album {selected.immich_id}: {self._problems[selected.immich_id]}"
                )
        for album in plan.albums:
            result = AlbumResult(
                album.spec.immich_id,
                album.spec.name,
                album.spec.google_title,
                in_sync=album.in_sync,
                given_up=len(album.given_up),
                deferred=album.deferred,
                skipped=len(album.skips),
                removal_refused=album.removal_refused,
            )
            self.report.albums.append(result)
            if self.report.stopped or self.report.error:
                continue
            self.reporter.album_started(album)
            with suppress(_Stop):
                self._sync_album(album, result)
            self.reporter.album_done(result)
        if self.report.stopped is None and self.report.error is None and plan_deferred(plan):
            self.report.stopped = "limit"
        self.report.google_requests = self.clients.budget.sent if self.clients.budget else 0
        self.reporter.run_done(self.report)
        return self.report

    def _sync_album(self, album: AlbumPlan, result: AlbumResult) -> None:
        spec = album.spec
        self.records.ensure_album(spec.immich_id, spec.name, spec.google_title)
        members = list(spec.assets) + [
            p.asset for p in album.place if p.asset.id not in {a.id for a in spec.assets}
        ]
        self.records.note_members(spec.immich_id, members, list(album.skips))
        for asset in album.given_up:
            result.problems.append(
                f"{asset.file_name}: given up after {planner.GIVE_UP_AFTER} failed runs (sync --retry-failed tries again)"
            )
        if album.removal_refused:
            result.problems.append(
                f"{album.removal_refused} items left the Immich album; removing that many at once needs "
                "`sync --allow-mass-removal` (nothing was removed)"
            )
            self.reporter.log(f"{spec.name}: {result.problems[-1]}")
        try:
            self._place_all(album, result)
        except _AlbumDeleted:
            self.reporter.log(
                f"{spec.name}: the Google album was deleted; creating it again and placing every item again"
            )
            self.records.forget_google_album(spec.immich_id)
            fresh = planner.build(
                [spec],
                self.records.snapshot([spec.immich_id]),
                self.settings.sync,
                Options(
                    limit=self._uploads_left,
                    retry_failed=self.options.retry_failed,
                    allow_mass_removal=self.options.allow_mass_removal,
                ),
            )
            result.in_sync = fresh.albums[0].in_sync
            self._place_all(fresh.albums[0], result)
        if not self.report.stopped and not self.report.error:
            self.records.set_last_synced(spec.immich_id, spec.name, spec.google_title)

    def _place_all(self, album: AlbumPlan, result: AlbumResult) -> None:
        parts = list(album.parts)
        if not album.place and not album.removals:
            if parts:
                self._verify(album, parts[0], daily=True)
            return
        if parts:
            self._verify(album, parts[-1], daily=False)
        for run in _runs(album.place):
            pending = list(run)
            while pending:
                self._check_stop()
                part = self._part_with_room(album, parts)
                room = limits.ALBUM_LIMIT - part.item_count
                chunk, pending = (
                    pending[: min(limits.MAX_BATCH, room)],
                    pending[min(limits.MAX_BATCH, room) :],
                )
                if chunk[0].action is Action.UPLOAD:
                    chunk = self._fit_budget(chunk, pending)
                    placed = self._upload_chunk(album, part, chunk, result)
                else:
                    placed = self._add_chunk(album, part, chunk, result)
                parts[-1] = GooglePart(
                    part.part, part.google_album_id, part.title, part.item_count + placed
                )
        self._remove(album, result)

    def _check_stop(self) -> None:
        if self.stop.is_set():
            self.report.stopped = self.report.stopped or "interrupted"
            raise _Stop

    def _fit_budget(self, chunk: list[Placement], pending: list[Placement]) -> list[Placement]:
        """Upload only what the day's budget can also batchCreate; the rest waits for tomorrow."""
        budget = self.clients.budget
        if budget is None:
            return chunk
        room = budget.remaining() - 1  # one request for the batchCreate
        if room < 1:
            self.report.stopped = "budget"
            self.reporter.log(
                f"stopped at the daily budget of {budget.limit} Google requests; the next run continues"
            )
            raise _Stop
        if room < len(chunk):
            pending[:0] = chunk[room:]
            return chunk[:room]
        return chunk

    # --- Google albums ------------------------------------------------------------------------

    def _google(self) -> GooglePhotosClient:
        assert self.clients.google is not None
        return self.clients.google

    def _part_with_room(self, album: AlbumPlan, parts: list[GooglePart]) -> GooglePart:
        if parts and parts[-1].item_count < limits.ALBUM_LIMIT:
            return parts[-1]
        number = parts[-1].part + 1 if parts else 1
        title = album.spec.google_title if number == 1 else f"{album.spec.google_title} ({number})"
        created = self._call(lambda: self._google().create_album(title))
        self.records.add_google_album(
            album.spec.immich_id, number, created.id, title, self.clients.client_id
        )
        part = GooglePart(number, created.id, title, 0)
        parts.append(part)
        self.reporter.log(f'created Google album "{title}"')
        return part

    def _verify(self, album: AlbumPlan, part: GooglePart, daily: bool) -> None:
        """One albums.get: before writing to an album, or once a day for an idle one."""
        if daily:
            seen = self.records.verified_at(part.google_album_id)
            if (
                seen
                and datetime.fromisoformat(seen.replace("Z", "+00:00"))
                > datetime.now(UTC) - VERIFY_EVERY
            ):
                return
        try:
            self._call(lambda: self._google().get_album(part.google_album_id))
        except AlbumGone:
            raise _AlbumDeleted from None
        self.records.mark_verified(part.google_album_id)

    # --- placing items ------------------------------------------------------------------------

    def _upload_chunk(
        self, album: AlbumPlan, part: GooglePart, chunk: list[Placement], result: AlbumResult
    ) -> int:
        outcome = self._upload_parallel(chunk)
        failed = list(outcome.failed)
        if outcome.skipped:  # too big, found out from the download's real size
            self.records.note_members(
                album.spec.immich_id, [a for a, _ in outcome.skipped], outcome.skipped
            )
            result.skipped += len(outcome.skipped)
        placed: list[tuple[ImmichAsset, str]] = []
        if outcome.uploaded:
            ordered = [p.asset for p in chunk if p.asset.id in outcome.uploaded]
            items = [
                NewItem(outcome.uploaded[a.id][0], a.file_name, self._description(a))
                for a in ordered
            ]
            try:
                results = self._call(
                    lambda: self._google().batch_create(part.google_album_id, items)
                )
            except GoogleApiError as exc:
                if exc.status in (400, 403, 404) and self._album_gone(part):
                    raise _AlbumDeleted from None
                failed += [(a, exc.message) for a in ordered]
                results = []
            for asset, item in zip(ordered, results, strict=False):
                _, size = self._tokens.pop(asset.id, ("", 0))
                if item.ok and item.media_item_id:
                    placed.append((asset, item.media_item_id))
                    self._media_now[asset.checksum] = item.media_item_id
                    result.bytes += size
                else:
                    failed.append((asset, f"Google refused the item: {item.message or item.code}"))
        self.records.record_batch(album.spec.immich_id, part.google_album_id, placed, failed)
        result.uploaded += len(placed)
        result.failed += len(failed)
        self.reporter.items_done(len(placed) + len(failed) + len(outcome.skipped))
        for asset, reason in failed:
            self.reporter.log(f"{album.spec.name}: {asset.file_name} failed: {reason}")
            if len(result.problems) < MAX_PROBLEMS_LISTED:
                result.problems.append(f"{asset.file_name} failed: {reason}")
        if outcome.fatal is not None:
            self._fatal(outcome.fatal)
        return len(placed)

    def _upload_parallel(self, chunk: list[Placement]) -> _Uploads:
        """Byte uploads, ``concurrency`` at a time; no new transfer starts once a stop is asked."""
        outcome = _Uploads()
        queue = [p.asset for p in chunk]
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="upload") as pool:
            running: dict[Future[tuple[str, int]], ImmichAsset] = {}
            while queue or running:
                while (
                    queue
                    and len(running) < self.concurrency
                    and outcome.fatal is None
                    and not self.stop.is_set()
                ):
                    asset = queue.pop(0)
                    running[pool.submit(self._upload_one, asset)] = asset
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    asset = running.pop(future)
                    try:
                        outcome.uploaded[asset.id] = future.result()
                        if self._uploads_left is not None:
                            self._uploads_left -= 1
                    except _SkipAtUpload as skip:
                        outcome.skipped.append((asset, skip.reason))
                    except (QuotaReached, StorageFull, AuthError, Unreachable) as exc:
                        outcome.fatal = outcome.fatal or exc
                    except AppError as exc:
                        outcome.failed.append((asset, exc.message))
                    except Exception as exc:  # a bug in one item must not lose the batch
                        outcome.failed.append(
                            (asset, f"unexpected {exc.__class__.__name__}: {exc}")
                        )
        return outcome

    def _upload_one(self, asset: ImmichAsset) -> tuple[str, int]:
        if asset.id in self._tokens:  # uploaded earlier in this run, its batchCreate undone
            return self._tokens[asset.id]
        immich = self.clients.immich
        with immich.open_original(asset.id) as first:
            size = first.total if first.total is not None else asset.size
            reason = skip_reason(asset, self.settings.sync, size)
            if reason:
                raise _SkipAtUpload(reason)
            self.reporter.transfer_started(asset.id, asset.file_name, size)
            ok = False
            try:
                token = self._google().upload(
                    _Reopen(immich, asset.id, first),
                    size,
                    asset.mime,
                    on_bytes=lambda n: self.reporter.transfer_progress(asset.id, n),
                )
                ok = True
            finally:
                self.reporter.transfer_done(asset.id, ok)
        self._tokens[asset.id] = (token, size or 0)
        return token, size or 0

    def _add_chunk(
        self, album: AlbumPlan, part: GooglePart, chunk: list[Placement], result: AlbumResult
    ) -> int:
        """Add by reference; what Google refuses (not app-created) is uploaded again naming the album."""
        ready: list[tuple[Placement, str]] = []
        orphans: list[Placement] = []
        for p in chunk:
            media = p.media_item_id or self._media_now.get(p.asset.checksum)
            if media:
                ready.append((p, media))
            else:  # its upload failed earlier in this run: upload it here instead
                orphans.append(Placement(p.asset, Action.UPLOAD))
        placed, refused = self._add_refs(part, ready)
        self.records.record_batch(
            album.spec.immich_id, part.google_album_id, placed, [], [m for _, m in refused]
        )
        result.added += len(placed)
        self.reporter.items_done(len(placed))
        again = orphans + [Placement(p.asset, Action.UPLOAD) for p, _ in refused]
        count = len(placed)
        if again:
            for asset_media in refused:
                self.reporter.log(
                    f"{album.spec.name}: {asset_media[0].asset.file_name} cannot be added by reference; uploading it again"
                )
            count += self._upload_chunk(album, part, again, result)
        return count

    def _add_refs(
        self, part: GooglePart, ready: list[tuple[Placement, str]]
    ) -> tuple[list[tuple[ImmichAsset, str]], list[tuple[Placement, str]]]:
        """batchAddMediaItems is all or nothing: on a refusal, halve the batch to find the culprits."""
        if not ready:
            return [], []
        try:
            self._call(
                lambda: self._google().batch_add(part.google_album_id, [m for _, m in ready])
            )
            return [(p.asset, m) for p, m in ready], []
        except ReferenceRefused:
            if len(ready) == 1:
                return [], ready
            half = len(ready) // 2
            placed_a, refused_a = self._add_refs(part, ready[:half])
            placed_b, refused_b = self._add_refs(part, ready[half:])
            return placed_a + placed_b, refused_a + refused_b
        except AlbumGone:
            if self._album_gone(part):
                raise _AlbumDeleted from None
            raise

    def _remove(self, album: AlbumPlan, result: AlbumResult) -> None:
        by_album: dict[str, list[planner.Removal]] = {}
        for removal in album.removals:
            by_album.setdefault(removal.google_album_id, []).append(removal)
        for google_album_id, removals in by_album.items():
            for start in range(0, len(removals), limits.MAX_BATCH):
                self._check_stop()
                batch = removals[start : start + limits.MAX_BATCH]
                ids = [r.media_item_id for r in batch]
                self._call(partial(self._google().batch_remove, google_album_id, ids))
                self.records.record_removed(
                    album.spec.immich_id, google_album_id, [r.asset_id for r in batch]
                )
                result.removed += len(batch)

    # --- errors -------------------------------------------------------------------------------

    def _album_gone(self, part: GooglePart) -> bool:
        try:
            self._call(lambda: self._google().get_album(part.google_album_id))
        except AlbumGone:
            return True
        return False

    def _call(self, fn: Callable[[], T]) -> T:
        """A Google call whose stopping errors end the run cleanly (progress is already saved)."""
        try:
            return fn()
        except (QuotaReached, StorageFull, AuthError, Unreachable) as exc:
            self._fatal(exc)

    def _fatal(self, exc: Exception) -> NoReturn:
        if isinstance(exc, QuotaReached):
            self.report.stopped = exc.kind
            self.reporter.log(exc.message)
        elif isinstance(exc, StorageFull):
            self.report.stopped = "storage"
            self.reporter.log(exc.message)
        elif isinstance(exc, AppError):
            self.report.error = exc
        raise _Stop

    def _description(self, asset: ImmichAsset) -> str | None:
        if not self.settings.sync.description or not asset.raw_description:
            return None
        return asset.raw_description[:MAX_DESCRIPTION]  # as written: line breaks belong there


class _Reopen:
    """The Immich download an upload reads: the already-open one first, then reopened at an offset."""

    def __init__(self, immich: ImmichClient, asset_id: str, first: OriginalStream) -> None:
        self._immich, self._asset_id, self._first = immich, asset_id, first

    @contextmanager
    def __call__(self, offset: int) -> Iterator[Iterator[bytes]]:
        if offset == 0 and self._first is not None:
            first, self._first = self._first, None  # type: ignore[assignment]
            yield first.iter_bytes()
            return
        self._first = None  # type: ignore[assignment]
        with self._immich.open_original(self._asset_id, offset) as stream:
            yield stream.iter_bytes()


def _runs(place: tuple[Placement, ...]) -> list[list[Placement]]:
    runs: list[list[Placement]] = []
    for p in place:
        if runs and runs[-1][0].action is p.action:
            runs[-1].append(p)
        else:
            runs.append([p])
    return runs


def plan_deferred(plan: Plan) -> int:
    return sum(a.deferred for a in plan.albums)
