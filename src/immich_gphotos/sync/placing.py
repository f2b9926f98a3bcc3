"""Placing items in a Google album: upload then batchCreate, or add by reference.

Every batch's outcome is recorded in one transaction before the next batch starts.
"""

from __future__ import annotations

from immich_gphotos.gphotos.limits import MAX_DESCRIPTION
from immich_gphotos.gphotos.models import AlbumGone, GoogleApiError, NewItem, ReferenceRefused
from immich_gphotos.immich.models import ImmichAsset
from immich_gphotos.sync.context import AlbumDeleted, RunContext, Stop
from immich_gphotos.sync.parts import album_gone
from immich_gphotos.sync.plan import Action, AlbumPlan, GooglePart, Placement
from immich_gphotos.sync.report import AlbumResult
from immich_gphotos.sync.uploads import upload_parallel

MAX_PROBLEMS_LISTED = 20  # per album in the summary; the log file has every one


def fit_budget(
    ctx: RunContext, chunk: list[Placement], pending: list[Placement]
) -> list[Placement]:
    """Upload only what the day's budget can also batchCreate; the rest waits for tomorrow."""
    budget = ctx.clients.budget
    if budget is None:
        return chunk
    room = budget.remaining() - 1  # one request for the batchCreate
    if room < 1:
        ctx.report.stopped = "budget"
        ctx.reporter.log(
            f"stopped at the daily budget of {budget.limit} Google requests; the next run continues"
        )
        raise Stop
    if room < len(chunk):
        pending[:0] = chunk[room:]
        return chunk[:room]
    return chunk


def upload_chunk(
    ctx: RunContext, album: AlbumPlan, part: GooglePart, chunk: list[Placement], result: AlbumResult
) -> int:
    """Upload the chunk's bytes, then one batchCreate naming the album; returns items placed."""
    outcome = upload_parallel(ctx, [p.asset for p in chunk])
    failed = list(outcome.failed)
    if outcome.skipped:  # too big, found out from the download's real size
        ctx.records.note_members(
            album.spec.immich_id, [a for a, _ in outcome.skipped], outcome.skipped
        )
        result.skipped += len(outcome.skipped)
    placed: list[tuple[ImmichAsset, str]] = []
    if outcome.uploaded:
        ordered = [p.asset for p in chunk if p.asset.id in outcome.uploaded]
        items = [
            NewItem(outcome.uploaded[a.id][0], a.file_name, description(ctx, a)) for a in ordered
        ]
        try:
            results = ctx.call(lambda: ctx.google.batch_create(part.google_album_id, items))
        except GoogleApiError as exc:
            if exc.status in (400, 403, 404) and album_gone(ctx, part):
                raise AlbumDeleted from None
            failed += [(a, exc.message) for a in ordered]
            results = []
        for asset, item in zip(ordered, results, strict=False):
            _, size = ctx.tokens.pop(asset.id, ("", 0))
            if item.ok and item.media_item_id:
                placed.append((asset, item.media_item_id))
                ctx.media_now[asset.checksum] = item.media_item_id
                result.bytes += size
            else:
                failed.append((asset, f"Google refused the item: {item.message or item.code}"))
    ctx.records.record_batch(album.spec.immich_id, part.google_album_id, placed, failed)
    result.uploaded += len(placed)
    result.failed += len(failed)
    ctx.reporter.items_done(len(placed) + len(failed) + len(outcome.skipped))
    for asset, reason in failed:
        ctx.reporter.log(f"{album.spec.name}: {asset.file_name} failed: {reason}")
        if len(result.problems) < MAX_PROBLEMS_LISTED:
            result.problems.append(f"{asset.file_name} failed: {reason}")
    if outcome.fatal is not None:
        ctx.fatal(outcome.fatal)
    return len(placed)


def add_chunk(
    ctx: RunContext, album: AlbumPlan, part: GooglePart, chunk: list[Placement], result: AlbumResult
) -> int:
    """Add by reference; what Google refuses (not app-created) is uploaded again naming the album."""
    ready: list[tuple[Placement, str]] = []
    orphans: list[Placement] = []
    for p in chunk:
        media = p.media_item_id or ctx.media_now.get(p.asset.checksum)
        if media:
            ready.append((p, media))
        else:  # its upload failed earlier in this run: upload it here instead
            orphans.append(Placement(p.asset, Action.UPLOAD))
    placed, refused = add_refs(ctx, part, ready)
    ctx.records.record_batch(
        album.spec.immich_id, part.google_album_id, placed, [], [m for _, m in refused]
    )
    result.added += len(placed)
    ctx.reporter.items_done(len(placed))
    again = orphans + [Placement(p.asset, Action.UPLOAD) for p, _ in refused]
    count = len(placed)
    if again:
        for placement, _ in refused:
            ctx.reporter.log(
                f"{album.spec.name}: {placement.asset.file_name} cannot be added by reference; uploading it again"
            )
        count += upload_chunk(ctx, album, part, again, result)
    return count


def add_refs(
    ctx: RunContext, part: GooglePart, ready: list[tuple[Placement, str]]
) -> tuple[list[tuple[ImmichAsset, str]], list[tuple[Placement, str]]]:
    """batchAddMediaItems is all or nothing: on a refusal, halve the batch to find the culprits."""
    if not ready:
        return [], []
    try:
        ctx.call(lambda: ctx.google.batch_add(part.google_album_id, [m for _, m in ready]))
        return [(p.asset, m) for p, m in ready], []
    except ReferenceRefused:
        if len(ready) == 1:
            return [], ready
        half = len(ready) // 2
        placed_a, refused_a = add_refs(ctx, part, ready[:half])
        placed_b, refused_b = add_refs(ctx, part, ready[half:])
        return placed_a + placed_b, refused_a + refused_b
    except AlbumGone:
        if album_gone(ctx, part):
            raise AlbumDeleted from None
        raise


def description(ctx: RunContext, asset: ImmichAsset) -> str | None:
    if not ctx.sync.description or not asset.raw_description:
        return None
    return asset.raw_description[:MAX_DESCRIPTION]  # as written: line breaks belong there
