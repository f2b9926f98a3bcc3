"""Replacements: an edited rendition (an edit made, changed or undone in Immich) replacing the
Google item that shows the old one, and finishing a replacement a crash interrupted.

A replacement, for a batch of assets whose items sit next to each other in their home album:
1. ``mediaItems.batchGet``: Google still gives the old items (app-created, not deleted), else
   they are left alone (the old item could not be taken out of the album: no duplicate);
2. the replacement is recorded (committed), with the item it replaces;
3. ``placing.upload_chunk``: the new rendition is uploaded once and created right where the old
   item sits (``albumPosition`` after the item before it), under the batch intent that settles
   a crash between Google creating and the state recording (``recovery``);
4. the new item joins the asset's other albums by reference (appended), the old item goes to
   the album "immich-gphotos: replaced" (the API cannot delete; the user empties it), then
   leaves every album the tool placed it in; the replacement ends (one transaction).
A run that ends anywhere in 3 or 4 leaves the replacement recorded: the next run, before
planning, drops it when no new item was made, else finishes step 4 (``settle``; each step may
be repeated: adding what is there and removing what is gone change nothing). ``rescue`` takes
out of the replaced album an item an asset shows again.
"""

from __future__ import annotations

from collections.abc import Sequence

from immich_gphotos.gphotos.limits import MAX_BATCH
from immich_gphotos.gphotos.models import AlbumGone, GoogleApiError, ReferenceRefused
from immich_gphotos.state.follow import REPLACED_ALBUM_KEY, FollowRecords, OpenReplacement
from immich_gphotos.sync.context import RunContext, Stop
from immich_gphotos.sync.followplan import REPLACED_TITLE, Replacement
from immich_gphotos.sync.placing import contiguous, upload_chunk
from immich_gphotos.sync.plan import Action, AlbumPlan, Placement, capture_order
from immich_gphotos.sync.report import AlbumResult
from immich_gphotos.sync.sent import digest, seen, sent_description

MAX_LISTED = 20  # changes named one by one in the log per kind; the rest are counted


def replace_edits(
    ctx: RunContext, records: FollowRecords, replacements: Sequence[Replacement]
) -> None:
    """Steps 1 to 4 for this run's replacements, a batch of neighbours at a time."""
    if not replacements:
        return
    live = _still_ours(ctx, records, replacements)
    homes: dict[tuple[str, str], list[Replacement]] = {}
    for r in live:
        homes.setdefault((r.album.spec.immich_id, r.google_album_id), []).append(r)
    for (_, google_album_id), group in homes.items():
        album = group[0].album
        part = next((p for p in album.parts if p.google_album_id == google_album_id), None)
        if part is None:  # the album was made again this run: the next run plans afresh
            continue
        by_id = {r.asset.id: r for r in group}
        pending = [
            Placement(r.asset, Action.UPLOAD)
            for r in sorted(group, key=lambda r: capture_order(r.asset))
        ]
        while pending:
            ctx.check_stop()
            chunk, pending = pending[:MAX_BATCH], pending[MAX_BATCH:]
            chunk = _fit_budget(ctx, contiguous(ctx, album, part, chunk, pending), pending, by_id)
            batch = [by_id[p.asset.id] for p in chunk]
            records.begin_replacements(
                [
                    (
                        r.asset.id,
                        r.old_media_item_id,
                        r.google_album_id,
                        r.rendition,
                        seen(r.asset),
                        _digest(ctx, r),
                    )
                    for r in batch
                ]
            )
            upload_chunk(ctx, album, part, chunk, _result(ctx, album))
            made, unmade = [], []
            for r in batch:
                now = records.media_of(r.asset.id)
                if now is not None and now != r.old_media_item_id:
                    made.append(
                        OpenReplacement(r.asset.id, r.old_media_item_id, now, r.google_album_id)
                    )
                else:
                    unmade.append(r.asset.id)
            records.drop_replacements(unmade)  # failed (reported by upload_chunk): next run
            _complete(ctx, records, made)
            for m in made:
                if ctx.report.replaced <= MAX_LISTED:
                    r = by_id[m.asset_id]
                    ctx.reporter.log(
                        f"{album.spec.name}: {r.asset.file_name} {r.why}: its Google item "
                        f'replaced, the old one moved to "{REPLACED_TITLE}"'
                    )
            ctx.check_stop()


def _digest(ctx: RunContext, r: Replacement) -> str:
    return digest(sent_description(ctx.sync, r.asset))


def _still_ours(
    ctx: RunContext, records: FollowRecords, replacements: Sequence[Replacement]
) -> list[Replacement]:
    """The old items Google still gives us (batchGet): one it does not is not app-created (or
    the user deleted it), could not leave its albums, and is left alone."""
    live = []
    for start in range(0, len(replacements), MAX_BATCH):
        ctx.check_stop()
        batch = replacements[start : start + MAX_BATCH]
        found = ctx.call(
            lambda b=batch: ctx.google.batch_get([r.old_media_item_id for r in b])  # type: ignore[misc]
        )
        for r in batch:
            if found.get(r.old_media_item_id) is None:
                records.not_app_created(r.old_media_item_id)
                ctx.report.kept += 1
                ctx.reporter.log(
                    f"{r.asset.file_name}: {r.why}, but Google does not give this tool its item "
                    "(not created by it, or deleted in Google Photos); left as it is"
                )
            else:
                live.append(r)
    return live


def _fit_budget(
    ctx: RunContext,
    chunk: list[Placement],
    pending: list[Placement],
    by_id: dict[str, Replacement],
) -> list[Placement]:
    """A replacement batch is started only when the day's budget also covers finishing it."""
    budget = ctx.clients.budget
    if budget is None:
        return chunk
    while chunk:
        batch = [by_id[p.asset.id] for p in chunk]
        albums = {g for r in batch for g in r.targets}
        others = {g for r in batch for _, g in r.others}
        # uploads, batchCreate, additions elsewhere, the replaced album (maybe made), removals
        need = len(batch) + 1 + len(others) + 2 + len(albums)
        if need <= budget.remaining():
            return chunk
        if len(chunk) == 1:
            break
        pending[:0] = chunk[-1:]
        chunk = chunk[:-1]
    ctx.report.stopped = "budget"
    ctx.reporter.log(
        f"stopped at the daily budget of {budget.limit} Google requests; the next run continues"
    )
    raise Stop


def _result(ctx: RunContext, album: AlbumPlan) -> AlbumResult:
    for result in ctx.report.albums:
        if result.immich_id == album.spec.immich_id:
            return result
    result = AlbumResult(album.spec.immich_id, album.spec.name, album.spec.google_title)
    ctx.report.albums.append(result)
    return result


def _complete(ctx: RunContext, records: FollowRecords, made: Sequence[OpenReplacement]) -> None:
    """Step 4 for replacements whose new item is made and recorded; safe to repeat."""
    if not made:
        return
    placements = {m.asset_id: records.placements_of(m.asset_id) for m in made}
    joining: dict[str, list[str]] = {}  # Google album -> new items to add by reference
    for m in made:
        for _, google_album_id in placements[m.asset_id]:
            if google_album_id != m.home_google_album_id:
                joining.setdefault(google_album_id, []).append(m.current_media_item_id or "")
    kept_in: set[tuple[str, str]] = set()  # (album, old item): the new one could not go there
    for google_album_id, items in joining.items():
        for start in range(0, len(items), MAX_BATCH):
            refused = _add(ctx, google_album_id, items[start : start + MAX_BATCH])
            kept_in |= {
                (google_album_id, m.old_media_item_id)
                for m in made
                if m.current_media_item_id in refused
            }
    # an old item another asset still shows (a duplicate file) stays where that asset is
    retiring = [m.old_media_item_id for m in made if records.media_users(m.old_media_item_id) == 0]
    if retiring:
        _into_replaced(ctx, records, retiring)
    leaving: dict[str, list[str]] = {}
    for m in made:
        for _, google_album_id in placements[m.asset_id]:
            if (google_album_id, m.old_media_item_id) not in kept_in:
                leaving.setdefault(google_album_id, []).append(m.old_media_item_id)
    for google_album_id, items in leaving.items():
        for start in range(0, len(items), MAX_BATCH):
            _remove(ctx, google_album_id, items[start : start + MAX_BATCH])
    records.finish_replacements(
        [(m.asset_id, m.old_media_item_id, m.current_media_item_id or "") for m in made]
    )
    ctx.report.replaced += len(made)


def _add(ctx: RunContext, google_album_id: str, items: list[str]) -> set[str]:
    """batchAddMediaItems (all or nothing: halved on a refusal); the refused items, or all of
    them when the album is gone (nothing of ours to keep there)."""
    try:
        ctx.call(lambda: ctx.google.batch_add(google_album_id, items))
        return set()
    except ReferenceRefused:
        if len(items) == 1:
            return set(items)
        half = len(items) // 2
        return _add(ctx, google_album_id, items[:half]) | _add(ctx, google_album_id, items[half:])
    except AlbumGone:
        return set()


def _remove(ctx: RunContext, google_album_id: str, items: list[str]) -> None:
    """batchRemoveMediaItems; an item already out (a repeated step after a crash) or an album
    that is gone is done. All or nothing, so a refusal is halved to find what is still in."""
    try:
        ctx.call(lambda: ctx.google.batch_remove(google_album_id, items))
    except GoogleApiError as exc:
        if exc.status not in (400, 403, 404) or len(items) == 1:
            if exc.status in (400, 403, 404):
                return
            raise
        half = len(items) // 2
        _remove(ctx, google_album_id, items[:half])
        _remove(ctx, google_album_id, items[half:])


def _into_replaced(ctx: RunContext, records: FollowRecords, items: list[str]) -> None:
    """The old items into "immich-gphotos: replaced" (made on first need, again if deleted)."""
    for start in range(0, len(items), MAX_BATCH):
        batch = items[start : start + MAX_BATCH]
        for attempt in range(2):
            album_id = records.get_meta(REPLACED_ALBUM_KEY)
            if album_id is None:
                album_id = ctx.call(lambda: ctx.google.create_album(REPLACED_TITLE)).id
                records.set_meta(REPLACED_ALBUM_KEY, album_id)
                ctx.reporter.log(f'created Google album "{REPLACED_TITLE}"')
            try:
                ctx.call(lambda a=album_id, b=batch: ctx.google.batch_add(a, b))  # type: ignore[misc]
                break
            except AlbumGone:  # the user deleted it: make it again
                records.set_meta(REPLACED_ALBUM_KEY, None)
                if attempt:
                    raise
            except ReferenceRefused:  # not ours after all: it stays out of that album
                break


def rescue(ctx: RunContext, records: FollowRecords) -> None:
    """An item in the replaced album that an asset shows again (Google gives the same item back
    for the same bytes, as when an edit is undone) must leave it before the user empties it."""
    items = records.replaced_in_use()
    album_id = records.get_meta(REPLACED_ALBUM_KEY)
    if not items or album_id is None:
        return
    for start in range(0, len(items), MAX_BATCH):
        batch = items[start : start + MAX_BATCH]
        _remove(ctx, album_id, batch)
        records.unreplace(batch)


def settle(ctx: RunContext, records: FollowRecords) -> None:
    """Replacements a run ended in the middle of: none made, forget it (planned again); made,
    finish it."""
    open_ = records.open_replacements()
    if not open_:
        return
    unmade = [o.asset_id for o in open_ if o.current_media_item_id in (None, o.old_media_item_id)]
    made = [o for o in open_ if o.asset_id not in set(unmade)]
    records.drop_replacements(unmade)
    records.settle_made([m.asset_id for m in made])
    if made:
        ctx.reporter.log(f"finishing {len(made)} replacement(s) an earlier run left half-done")
    _complete(ctx, records, made)
