"""Which Google items are which Immich assets, when the state does not say: by file name and
capture time, the only facts Google keeps (no checksum). One matcher, two callers:

- ``recovery`` (and ``placing``), after a batchCreate whose answer was lost: the assets are the
  few the batch named, so a file name shared by one asset and one item is enough, and where a
  name repeats without capture times, as many items as assets pair in capture order;
- ``check --repair``, adopting a Google album a lost state does not know (``strict``): any
  asset of the Immich album could be any item, so a name is not enough where the file has a
  capture time (EXIF): Google's ``creationTime`` must agree with Immich's ``dateTimeOriginal`` or
  ``fileCreatedAt`` to the second. Only a file without one (Google could read none either) pairs
  by name alone, and only one asset with one item of that name. What is not matched stays
  unmatched: the caller names it, nothing is guessed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

from immich_gphotos.gphotos.limits import MAX_FILE_NAME
from immich_gphotos.gphotos.models import MediaItem

# Google reads the capture time from the file (EXIF); Immich's times come from the same tags,
# give or take sub-second precision and rounding: "to the second".
SAME_MOMENT = timedelta(seconds=2)
EARLIEST = datetime.min.replace(tzinfo=UTC)


class Matchable(Protocol):
    """What matching needs of an asset (ImmichAsset and the state's IntentAsset have it)."""

    @property
    def id(self) -> str: ...
    @property
    def file_name(self) -> str: ...
    @property
    def file_created_at(self) -> datetime: ...
    @property
    def captured_at(self) -> datetime | None: ...  # EXIF dateTimeOriginal, where known


def moments(asset: Matchable) -> tuple[datetime, ...]:
    return tuple(t for t in (asset.captured_at, asset.file_created_at) if t is not None)


def gap(item: MediaItem, asset: Matchable) -> timedelta | None:
    """How far the item's capture time is from the nearest of the asset's (None: no time)."""
    if item.creation_time is None:
        return None
    return min(abs(item.creation_time - t) for t in moments(asset))


def match(
    assets: Sequence[Matchable],
    items: Iterable[MediaItem],
    known: set[str],
    *,
    strict: bool = False,
) -> dict[str, str]:
    """Asset id -> media item id, for the assets found among the items that ``known`` (media
    ids the state already accounts for) does not hold; each item matched once. Pure."""
    free: dict[str, list[MediaItem]] = {}
    for item in items:
        if item.id not in known:
            free.setdefault(item.file_name, []).append(item)
    by_name: dict[str, list[Matchable]] = {}
    for asset in assets:
        by_name.setdefault(asset.file_name[:MAX_FILE_NAME], []).append(asset)
    found: dict[str, str] = {}
    for name, group in by_name.items():
        candidates = list(free.get(name, ()))
        if candidates:
            found.update(_match_name(group, candidates, strict))
    return found


def _match_name(
    group: list[Matchable], candidates: list[MediaItem], strict: bool
) -> dict[str, str]:
    """One file name: by capture time first, then by name alone where the policy allows."""
    found: dict[str, str] = {}
    if not strict and len(group) == 1 and len(candidates) == 1:
        return {group[0].id: candidates[0].id}
    left: list[Matchable] = []
    for asset in sorted(group, key=lambda a: a.file_created_at):
        near = [(g, c) for c in candidates if (g := gap(c, asset)) is not None and g <= SAME_MOMENT]
        if near:
            best = min(near, key=lambda pair: pair[0])[1]
            found[asset.id] = best.id
            candidates.remove(best)
        else:
            left.append(asset)
    if strict:  # a name alone only for a file with no capture time, one asset to one item
        timeless = [a for a in left if a.captured_at is None]
        if len(timeless) == 1 and len(left) == 1 and len(candidates) == 1:
            found[timeless[0].id] = candidates[0].id
        return found
    if left and len(left) == len(candidates):
        ordered = sorted(candidates, key=lambda c: c.creation_time or EARLIEST)
        for asset, item in zip(left, ordered, strict=True):
            found[asset.id] = item.id
    return found
