"""Settling batchCreates whose outcome the state never recorded, before anything is created again.

Every batchCreate is preceded by a committed intent (the album, the assets, the names Google is
given, their capture times) that the transaction recording the batch's outcome deletes. An
intent still there means the process ended (kill -9, power cut, a full disk at the commit)
between Google acting and the state knowing, or the answer never arrived. Creating those items
again would put each in the album twice, so Google is asked first: ``mediaItems.search`` by
album id (app-created items only, 100 a page), the items the state does not know are matched
to the intent's assets by file name and, where several share a name, by capture time
(``matching``, the one matcher, also used by ``check --repair``); the
found ones are recorded as placed (their media item ids then dedupe for other albums too) and
only what is really absent is created again. The cost, one request per 100 items of that
album, is paid only after an interrupted batch and counts against the day's budget: at the
budget the run stops (exit 6) with the intent kept, and nothing is placed until it is settled.
"""

from __future__ import annotations

from immich_gphotos.gphotos.models import GoogleApiError, MediaItem
from immich_gphotos.state.views import BatchIntent
from immich_gphotos.sync.context import RunContext, Stop
from immich_gphotos.sync.matching import match


def recover(ctx: RunContext) -> None:
    """Settle every unfinished batchCreate; on a stop (budget, quota, network) the rest wait,
    the run ends, and nothing is placed this run (``ctx.ended``)."""
    if ctx.clients.google is None:  # a dry run asks Google nothing
        return
    intents = ctx.records.open_intents()
    if not intents:
        return
    known = ctx.records.known_media_ids()
    albums: dict[str, list[MediaItem]] = {}
    try:
        for intent in intents:
            settle(ctx, intent, known, albums)
    except Stop:
        ctx.reporter.log(
            "an interrupted batch is not settled yet (Google's album could not be read); "
            "nothing is placed until it is, and the next run tries again"
        )


def settle(
    ctx: RunContext, intent: BatchIntent, known: set[str], albums: dict[str, list[MediaItem]]
) -> None:
    """Record what of one intent Google holds, and end the intent, in one transaction."""
    items = albums.get(intent.google_album_id)
    if items is None:
        items = album_contents(ctx, intent.google_album_id)
        albums[intent.google_album_id] = items
    found = match(intent.assets, items, known)
    known.update(found.values())
    placed = [(a, found[a.id]) for a in intent.assets if a.id in found]
    ctx.records.record_batch(intent.album_id, intent.google_album_id, placed, [], intent=intent.id)
    ctx.reporter.log(
        f"an interrupted batch of {len(intent.assets)} item(s) for Google album "
        f"{intent.google_album_id}: {len(placed)} already there (recorded), "
        f"{len(intent.assets) - len(placed)} to place again"
    )


def album_contents(ctx: RunContext, google_album_id: str) -> list[MediaItem]:
    """What the app created in the album (paged search); an album that is gone holds nothing
    of ours. Stops the run (``Stop``) at the budget, the quota, or when Google cannot answer."""
    try:
        return ctx.call(lambda: list(ctx.google.album_items(google_album_id)))
    except GoogleApiError as exc:
        if exc.status in (400, 403, 404):  # deleted by the user: its next write creates it again
            return []
        ctx.fatal(exc)
