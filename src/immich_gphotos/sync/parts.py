"""The Google albums of one Immich album: parts past 20,000 items, and checks that they exist."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from immich_gphotos.gphotos import limits
from immich_gphotos.gphotos.models import AlbumGone
from immich_gphotos.sync.context import AlbumDeleted, RunContext
from immich_gphotos.sync.plan import AlbumPlan, GooglePart, part_title

__all__ = ["part_title"]  # decided in the pure planner: the follow-through renames by it too

VERIFY_EVERY = timedelta(hours=24)  # an idle album is looked at (one albums.get) once a day


def part_with_room(ctx: RunContext, album: AlbumPlan, parts: list[GooglePart]) -> GooglePart:
    """The last part while it has room, else a new Google album for the next part."""
    if parts and parts[-1].item_count < limits.ALBUM_LIMIT:
        return parts[-1]
    number = parts[-1].part + 1 if parts else 1
    title = part_title(album.spec.google_title, number)
    created = ctx.call(lambda: ctx.google.create_album(title))
    ctx.records.add_google_album(
        album.spec.immich_id, number, created.id, title, ctx.clients.client_id
    )
    part = GooglePart(number, created.id, title, 0)
    parts.append(part)
    ctx.reporter.log(f'created Google album "{title}"')
    return part


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
    if album_gone(ctx, part):
        raise AlbumDeleted
    ctx.records.mark_verified(part.google_album_id)


def album_gone(ctx: RunContext, part: GooglePart) -> bool:
    try:
        ctx.call(lambda: ctx.google.get_album(part.google_album_id))
    except AlbumGone:
        return True
    return False
