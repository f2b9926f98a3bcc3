"""Placing items in a Google album: upload then batchCreate, or add by reference.

Every batch's outcome is recorded in one transaction before the next batch starts. A
batchCreate is preceded by its committed intent, which that transaction ends (see
``recovery``); where Google's answer leaves the outcome open (no answer, or a replayed request
whose items now fail), the album is searched before anything is called failed.

A new upload goes right after the item that precedes it in capture order (``albumPosition``),
or first in the album, so items placed on a later run still read in capture order; a batch
therefore holds only items with nothing already placed between them. Additions by reference
(``batchAddMediaItems`` takes no position) append.
"""

from __future__ import annotations

from immich_gphotos.gphotos.limits import MAX_DESCRIPTION
from immich_gphotos.gphotos.models import (
    AlbumGone,
    AlbumPosition,
    GoogleApiError,
    ItemResult,
    NewItem,
    ReferenceRefused,
)
from immich_gphotos.immich.models import ImmichAsset
from immich_gphotos.state.views import IntentAsset
from immich_gphotos.sync.context import AlbumDeleted, RunContext, Stop
from immich_gphotos.sync.matching import match
from immich_gphotos.sync.parts import album_gone
from immich_gphotos.sync.plan import Action, AlbumPlan, GooglePart, Placement, capture_order
from immich_gphotos.sync.recovery import album_contents
from immich_gphotos.sync.report import AlbumResult
from immich_gphotos.sync.transfer import Uploads, upload_parallel
from immich_gphotos.transport import RETRY_STATUSES

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
    """Upload the chunk's bytes, then one batchCreate naming the album; returns items placed.
    (The engine streams uploads through ``sync.pipeline``; this is for a few items at once.)"""
    outcome = upload_parallel(ctx, [p.asset for p in chunk])
    return place_uploaded(ctx, album, part, [p.asset for p in chunk], outcome, result)


def place_uploaded(
    ctx: RunContext,
    album: AlbumPlan,
    part: GooglePart,
    assets: list[ImmichAsset],
    outcome: Uploads,
    result: AlbumResult,
) -> int:
    """One batch whose bytes are uploaded: its intent, one batchCreate naming the album in
    capture position, and its outcome recorded in one transaction with the failures and skips
    that came with it; returns items placed. ``assets`` in capture order, the uploaded ones
    (``outcome.uploaded``) at most 50. A stopping error in ``outcome.fatal`` ends the run after."""
    chunk = [Placement(a, Action.UPLOAD) for a in assets]
    failed = list(outcome.failed)
    if outcome.skipped:  # too big, found out from the download's real size
        ctx.records.note_members(
            album.spec.immich_id, [a for a, _ in outcome.skipped], outcome.skipped
        )
        result.skipped += len(outcome.skipped)
    placed: list[tuple[ImmichAsset, str]] = []
    intent: int | None = None
    if outcome.uploaded:
        ordered = [p.asset for p in chunk if p.asset.id in outcome.uploaded]
        intent = ctx.records.begin_intent(album.spec.immich_id, part.google_album_id, ordered)
        made, unsure, problems = _create(ctx, album, part, ordered, intent)
        open_ids = {a.id for a in unsure}
        for asset in ordered:
            if asset.id in made:
                _, size = ctx.tokens.pop(asset.id, ("", 0))
                placed.append((asset, made[asset.id]))
                ctx.media_now[asset.checksum] = made[asset.id]
                result.bytes += size
            elif asset.id not in open_ids:
                ctx.tokens.pop(asset.id, None)
                failed.append((asset, problems[asset.id]))
        if unsure:  # Google may hold some: look before calling any of them failed
            found = _search(ctx, part, unsure, {m for _, m in placed})
            for asset in unsure:
                ctx.tokens.pop(asset.id, None)  # spent, or not: a new upload is safe either way
                if asset.id in found:
                    placed.append((asset, found[asset.id]))
                    ctx.media_now[asset.checksum] = found[asset.id]
                else:
                    failed.append((asset, problems.get(asset.id) or "Google's answer was lost"))
    ctx.records.record_batch(
        album.spec.immich_id, part.google_album_id, placed, failed, intent=intent
    )
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


def _create(
    ctx: RunContext, album: AlbumPlan, part: GooglePart, ordered: list[ImmichAsset], intent: int
) -> tuple[dict[str, str], list[ImmichAsset], dict[str, str]]:
    """The batchCreate: (asset id -> media item created, assets whose fate is open, asset id ->
    why Google refused it). A stop (budget, quota, network) leaves the intent for the next run."""
    items = [NewItem(ctx.tokens[a.id][0], a.file_name, description(ctx, a)) for a in ordered]
    position: AlbumPosition | None = album_position(ctx, album, part, ordered[0])
    while True:
        try:
            results = ctx.call(
                lambda at=position: ctx.google.batch_create(part.google_album_id, items, at)  # type: ignore[misc]
            )
            break
        except GoogleApiError as exc:
            if exc.status in (400, 403, 404) and album_gone(ctx, part):
                ctx.records.clear_intent(intent)  # nothing of it sits in an album we keep
                raise AlbumDeleted from None
            why = {a.id: exc.message for a in ordered}
            if exc.replayed or exc.status is None or exc.status in RETRY_STATUSES:
                # an earlier try may have been acted on before its answer was lost: look
                return {}, list(ordered), why
            if position is not None and position.after_media_item_id and exc.status == 400:
                position = None  # the item to follow left the album (the user removed it)
                continue
            return {}, [], why  # refused outright: Google did nothing
    made: dict[str, str] = {}
    problems: dict[str, str] = {}
    unsure: list[ImmichAsset] = []
    for asset, item in zip(ordered, results, strict=True):
        if item.ok and item.media_item_id:
            made[asset.id] = item.media_item_id
        else:
            problems[asset.id] = f"Google refused the item: {_why(item)}"
            if results.replayed:  # its token may have been spent by a try whose answer was lost
                unsure.append(asset)
    return made, unsure, problems


def _why(item: ItemResult) -> str:
    return item.message or str(item.code)


def _search(
    ctx: RunContext, part: GooglePart, assets: list[ImmichAsset], made: set[str]
) -> dict[str, str]:
    """Which of these assets the Google album holds (one search, 100 items a request)."""
    facts = [
        IntentAsset(a.id, a.checksum, a.size, a.type, a.mime, a.file_name, a.file_created_at)
        for a in assets
    ]
    known = ctx.records.known_media_ids() | made
    return match(facts, album_contents(ctx, part.google_album_id), known)


def album_position(
    ctx: RunContext, album: AlbumPlan, part: GooglePart, first: ImmichAsset
) -> AlbumPosition:
    """Right after the album's item that precedes ``first`` in capture order, else first."""
    placed = ctx.records.placed_in(album.spec.immich_id, part.google_album_id)
    before: str | None = None
    key = capture_order(first)
    for asset in _members(album):
        if capture_order(asset) >= key:
            break
        before = placed.get(asset.id, before)
    return AlbumPosition(before)


def contiguous(
    ctx: RunContext,
    album: AlbumPlan,
    part: GooglePart,
    chunk: list[Placement],
    pending: list[Placement],
) -> list[Placement]:
    """A batch lands in one place: end it before an item with one already placed between it
    and the previous one (the rest goes back to ``pending``, to be placed where it belongs)."""
    if len(chunk) < 2:
        return chunk
    placed = ctx.records.placed_in(album.spec.immich_id, part.google_album_id)
    members = _members(album)
    index = {a.id: i for i, a in enumerate(members)}
    for k in range(1, len(chunk)):
        low, high = index[chunk[k - 1].asset.id], index[chunk[k].asset.id]
        if any(members[j].id in placed for j in range(low + 1, high)):
            pending[:0] = chunk[k:]
            return chunk[:k]
    return chunk


def _members(album: AlbumPlan) -> list[ImmichAsset]:
    """The album's assets (motion parts included) in capture order."""
    every = {a.id: a for a in album.spec.assets}
    every.update((p.asset.id, p.asset) for p in album.place)
    return sorted(every.values(), key=capture_order)
