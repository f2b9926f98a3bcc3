"""The Google albums of one Immich album: parts past 20,000 items, and checks that they exist."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from immich_gphotos.gphotos import limits
from immich_gphotos.gphotos.models import AlbumGone, GoogleAlbum
from immich_gphotos.sync.context import AlbumDeleted, RunContext, Stop
from immich_gphotos.sync.plan import AlbumPlan, GooglePart, part_title
from immich_gphotos.text import clean

__all__ = ["part_title"]  # decided in the pure planner: the follow-through renames by it too

VERIFY_EVERY = timedelta(hours=24)  # an idle album is looked at (one albums.get) once a day


def part_with_room(ctx: RunContext, album: AlbumPlan, parts: list[GooglePart]) -> GooglePart:
    """The last part while it has room, else a new Google album for the next part."""
    if parts and parts[-1].item_count < limits.ALBUM_LIMIT:
        return parts[-1]
    number = parts[-1].part + 1 if parts else 1
    title = part_title(album.spec.google_title, number)
    key = album.spec.immich_id
    orphan = made_but_not_recorded(ctx, key, number, title)
    if orphan is not None:  # an earlier run made it, then ended before recording it
        ctx.records.add_google_album(
            key, number, orphan.id, title, ctx.clients.client_id, orphan.product_url
        )
        ctx.reporter.log(f'took over Google album "{title}", made by a run that was interrupted')
        part = GooglePart(number, orphan.id, title, orphan.media_items_count)
        parts.append(part)
        return part
    refuse_unknown_namesake(ctx, album, title)
    ctx.records.begin_album_intent(key, number, title)
    created = ctx.call(lambda: ctx.google.create_album(title))
    ctx.records.add_google_album(
        key, number, created.id, title, ctx.clients.client_id, created.product_url
    )
    part = GooglePart(number, created.id, title, 0)
    parts.append(part)
    ctx.reporter.log(f'created Google album "{title}"')
    return part


def made_but_not_recorded(ctx: RunContext, key: str, number: int, title: str) -> GoogleAlbum | None:
    """The album an interrupted albums.create made for this part: there is an intent for it, and
    exactly one app-made album of that title that the state does not know. (Nothing can have
    been placed in it: batches are recorded against albums the state knows.)"""
    if ctx.records.album_intent(key, number) != title:
        return None
    if ctx.google_albums is None:
        ctx.google_albums = ctx.call(lambda: list(ctx.google.list_albums()))
    known = ctx.records.known_google_albums()
    wanted = clean(title)[: limits.MAX_TITLE]  # as create_album names it
    found = [a for a in ctx.google_albums if a.title == wanted and a.id not in known]
    return found[0] if len(found) == 1 else None


def refuse_unknown_namesake(ctx: RunContext, album: AlbumPlan, title: str) -> None:
    """Before an album is made: if the app already made one of that title that the state does
    not know, the state was lost (or is new). Making another would double the album and upload
    everything again; stop this album and say how to take the old one over. One albums.list a
    run (50 a page), and only when an album is about to be made: none in steady state."""
    if ctx.google_albums is None:
        ctx.google_albums = ctx.call(lambda: list(ctx.google.list_albums()))
    known = ctx.records.known_google_albums()
    wanted = clean(title)[: limits.MAX_TITLE]  # as create_album names it
    if not any(a.title == wanted and a.id not in known for a in ctx.google_albums):
        return
    message = (
        f'Google Photos already holds an album "{wanted}" that this tool made and the state does '
        "not know (the state was lost, or is new); nothing was created or uploaded for it. Run "
        "`immich-gphotos check --repair` to take it over, then sync again."
    )
    for result in ctx.report.albums:
        if result.immich_id == album.spec.immich_id:
            result.needs_repair = True
            result.problems.append(message)
    ctx.reporter.log(f"{album.spec.name}: {message}")
    raise Stop


def verify(ctx: RunContext, part: GooglePart, daily: bool) -> None:
    """One albums.get: before writing to an album, or once a day for an idle one."""
    if daily:
        seen = ctx.records.verified_at(part.google_album_id)
        if (
            seen
            and datetime.fromisoformat(seen.replace("Z", "+00:00"))
            > datetime.now(UTC) - VERIFY_EVERY
        ):
            return
    try:
        seen_album = ctx.call(lambda: ctx.google.get_album(part.google_album_id))
    except AlbumGone:
        raise AlbumDeleted from None
    # an album made before links were kept gets its link here
    ctx.records.mark_verified(part.google_album_id, seen_album.product_url)


def album_gone(ctx: RunContext, part: GooglePart) -> bool:
    try:
        ctx.call(lambda: ctx.google.get_album(part.google_album_id))
    except AlbumGone:
        return True
    return False
