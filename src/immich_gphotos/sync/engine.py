"""The sync engine: fetch, plan (pure), then place album by album, each batch saved as it lands.

It knows nothing of Typer or Rich: it talks to a Reporter, and stops between batches when the
``stop`` event is set (SIGINT/SIGTERM), finishing the batch for what was already uploaded. The
jobs live beside it: ``fetch`` (reading Immich), ``uploads`` (the transfer scheduler), ``transfer``
(one item's upload), ``pipeline`` (an album's uploads flowing into batches in capture order),
``placing`` (batchCreate and add by reference), ``parts`` (Google albums and their checks),
``removals``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import suppress

from immich_gphotos.clock import utcnow
from immich_gphotos.config import AlbumSelection, SmartAlbum, SyncSettings
from immich_gphotos.immich.models import ImmichAlbum
from immich_gphotos.state.records import SyncRecords
from immich_gphotos.sync import follow, listing
from immich_gphotos.sync import plan as planner
from immich_gphotos.sync.context import AlbumDeleted, Clients, RunContext, Stop
from immich_gphotos.sync.events import Reporter
from immich_gphotos.sync.fetch import fetch_albums, motion_parts
from immich_gphotos.sync.options import RunOptions
from immich_gphotos.sync.parts import verify
from immich_gphotos.sync.pipeline import AlbumPipeline
from immich_gphotos.sync.plan import AlbumPlan, Plan
from immich_gphotos.sync.recovery import recover
from immich_gphotos.sync.removals import remove
from immich_gphotos.sync.report import AlbumResult, RunReport

__all__ = ["Clients", "SyncEngine"]


class SyncEngine:
    def __init__(
        self,
        sync: SyncSettings,
        clients: Clients,
        records: SyncRecords,
        reporter: Reporter,
        stop: threading.Event,
        options: RunOptions,
        selection: list[AlbumSelection],
        smart: list[SmartAlbum] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ctx = RunContext(sync, clients, records, reporter, stop, options, monotonic=monotonic)
        self.selection = selection
        self.smart = smart or []
        self._problems: dict[str, str] = {}  # album id -> why it could not be read from Immich
        self._seen: dict[str, ImmichAlbum] = {}  # album id -> what Immich's album list said
        self._complete: list[planner.AlbumSpec] = []  # listed and synced completely this run
        self._synced: list[tuple[str, str, str]] = []  # (id, name, title): their last_synced

    @property
    def report(self) -> RunReport:
        return self.ctx.report

    def prepare(self) -> Plan:
        """Read the selected albums from Immich and plan against the state (no writes anywhere)."""
        ctx = self.ctx
        recover(ctx)  # batches Google may hold that the state never recorded, before planning
        fetched = fetch_albums(
            ctx.clients.immich, self.selection, self.smart, unchanged=self._unchanged()
        )
        self._problems, self._seen = fetched.problems, fetched.albums
        specs = follow.before_planning(ctx, fetched.specs, self.selection)  # renames, replacements
        listed = [s.immich_id for s in specs if s.listed]
        state = ctx.records.snapshot([s.immich_id for s in specs], listed)
        motion = motion_parts(ctx.clients.immich, specs, ctx.sync.live_photos)
        plan = planner.build(specs, state, ctx.sync, ctx.options.plan, motion)
        plan = follow.after_planning(ctx, plan)  # edits, descriptions, titles changed in Immich
        ctx.reporter.plan_ready(plan)
        return plan

    def _unchanged(self) -> Callable[[ImmichAlbum, AlbumSelection], bool] | None:
        """Which albums go unlisted: unchanged since their last complete sync (``listing``);
        --retry-failed lists every album (what was given up on is found only by listing)."""
        if self.ctx.options.plan.retry_failed:
            return None
        saved, now = self.ctx.records.album_listings(), utcnow()

        def unchanged(album: ImmichAlbum, selected: AlbumSelection) -> bool:
            key = listing.settings_key(self.ctx.sync, selected.google_title or album.name)
            return listing.unchanged(album, saved.get(album.id), key, now)

        return unchanged

    def execute(self, plan: Plan) -> RunReport:
        ctx = self.ctx
        for selected in self.selection:
            problem = self._problems.get(selected.immich_id)
            if problem is not None:
                title = selected.google_title or selected.immich_id
                result = AlbumResult(
                    selected.immich_id, title, selected.google_title or "", unreadable=True
                )
                result.problems.append(problem)
                ctx.report.albums.append(result)
                ctx.reporter.log(f"album {selected.immich_id}: {problem}")
        for smart in self.smart:
            problem = self._problems.get(smart.id)
            if problem is not None:
                result = AlbumResult(smart.id, smart.title, smart.title, kind="smart")
                result.unreadable = True  # exit 1: the user has to change its criteria
                result.problems.append(problem)
                ctx.report.albums.append(result)
                ctx.reporter.log(f'smart album "{smart.title}": {problem}')
        try:
            self._sync_albums(plan)
        except BaseException:
            with suppress(Exception):  # the error that ended the run is the one to report
                ctx.records.set_last_synced(self._synced)
            raise
        # when each album was last synced: one transaction for them all, not one per album
        ctx.records.set_last_synced(self._synced)
        follow.carry_out(ctx, plan)  # after every album is placed; nothing once the run ended
        self._save_listings(follow.unsettled(plan))
        if not ctx.ended and ctx.stop.is_set():  # a signal after the last album's work
            ctx.report.stopped = "interrupted"
        if not ctx.ended and any(a.deferred for a in plan.albums):
            ctx.report.stopped = "limit"
        ctx.report.google_requests = ctx.clients.budget.sent if ctx.clients.budget else 0
        ctx.reporter.run_done(ctx.report)
        return ctx.report

    def _sync_albums(self, plan: Plan) -> None:
        ctx = self.ctx
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
                kind=album.spec.kind,
            )
            ctx.report.albums.append(result)
            if not ctx.ended and ctx.stop.is_set():  # no new album's Google work after a signal
                ctx.report.stopped = "interrupted"
            if ctx.ended:
                continue
            ctx.reporter.album_started(album)
            with suppress(Stop):
                self._sync_album(album, result)
            ctx.reporter.album_done(result)

    def _sync_album(self, album: AlbumPlan, result: AlbumResult) -> None:
        ctx = self.ctx
        spec = album.spec
        ctx.records.ensure_album(spec.immich_id, spec.name, spec.google_title)
        if spec.listed:
            ctx.records.forget_album_listing(spec.immich_id)  # until this sync ends well
            known = {a.id for a in spec.assets}
            members = list(spec.assets) + [p.asset for p in album.place if p.asset.id not in known]
            ctx.records.note_members(spec.immich_id, members, list(album.skips))
        for asset in album.given_up:
            result.problems.append(
                f"{asset.file_name}: given up after {planner.GIVE_UP_AFTER} failed runs (sync --retry-failed tries again)"
            )
        if album.removal_refused:
            result.problems.append(
                f"{album.removal_refused} items left the Immich album; removing that many at once needs "
                "`sync --allow-mass-removal` (nothing was removed)"
            )
            ctx.reporter.log(f"{spec.name}: {result.problems[-1]}")
        try:
            self._place_all(album, result)
        except AlbumDeleted:
            ctx.reporter.log(
                f"{spec.name}: the Google album was deleted; creating it again and placing every item again"
            )
            ctx.records.forget_google_album(spec.immich_id)
            if not spec.listed:  # everything is placed again: that needs the album's contents
                spec = fetch_albums(ctx.clients.immich, [_selection(spec)]).specs[0]
                ctx.records.note_members(spec.immich_id, list(spec.assets), [])
            options = ctx.options.plan
            fresh = planner.build(
                [spec],
                ctx.records.snapshot([spec.immich_id]),
                ctx.sync,
                planner.Options(ctx.uploads_left, options.retry_failed, options.allow_mass_removal),
            )
            result.in_sync = fresh.albums[0].in_sync
            self._place_all(fresh.albums[0], result)
        if not ctx.ended:
            self._synced.append((spec.immich_id, spec.name, spec.google_title))
            complete = not (result.failed or album.deferred or album.removal_refused)
            if spec.listed and complete and spec.immich_id in self._seen:
                self._complete.append(spec)  # its listing is saved after the follow-through

    def _save_listings(self, unsettled: set[str]) -> None:
        """What Immich's album list said of each album synced completely, for the next run's
        no-op; not for an album whose follow-through (an edit, a description) may be unfinished."""
        ctx = self.ctx
        if ctx.ended:
            return
        now = utcnow()
        for spec in self._complete:
            if spec.immich_id in unsettled:
                continue
            key = listing.settings_key(ctx.sync, spec.google_title)
            seen = self._seen[spec.immich_id]
            ctx.records.save_album_listing(spec.immich_id, listing.listing_of(seen, key, now))

    def _place_all(self, album: AlbumPlan, result: AlbumResult) -> None:
        ctx = self.ctx
        parts = list(album.parts)
        if not album.place and not album.removals:
            if parts:
                verify(ctx, parts[0], daily=True)
            return
        if parts:
            verify(ctx, parts[-1], daily=False)
        AlbumPipeline(ctx, album, parts, result).run()
        remove(ctx, album, result)


def _selection(spec: planner.AlbumSpec) -> AlbumSelection:
    return AlbumSelection(spec.immich_id, spec.google_title)
