"""Removing from Google albums what left the Immich album (remove_missing; the guard is planned)."""

from __future__ import annotations

from functools import partial

from immich_gphotos.gphotos import limits
from immich_gphotos.sync.context import RunContext
from immich_gphotos.sync.plan import AlbumPlan, Removal
from immich_gphotos.sync.report import AlbumResult


def remove(ctx: RunContext, album: AlbumPlan, result: AlbumResult) -> None:
    """batchRemoveMediaItems, 50 at a time, each batch recorded before the next."""
    by_album: dict[str, list[Removal]] = {}
    for removal in album.removals:
        by_album.setdefault(removal.google_album_id, []).append(removal)
    for google_album_id, removals in by_album.items():
        for start in range(0, len(removals), limits.MAX_BATCH):
            ctx.check_stop()
            batch = removals[start : start + limits.MAX_BATCH]
            ids = [r.media_item_id for r in batch]
            ctx.call(partial(ctx.google.batch_remove, google_album_id, ids))
            ctx.records.record_removed(
                album.spec.immich_id, google_album_id, [r.asset_id for r in batch]
            )
            result.removed += len(batch)
