"""Pure: from the selected albums, their Immich assets, a state snapshot and the options, decide
per item: upload, add by reference, skip (with a reason), remove, or nothing. No I/O here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from immich_gphotos.config import SyncSettings
from immich_gphotos.gphotos.limits import MAX_BATCH, RAW_UPLOAD_LIMIT, RESUMABLE_REQUESTS
from immich_gphotos.immich.models import ImmichAsset
from immich_gphotos.state.views import GooglePart, StateView
from immich_gphotos.sync.eligibility import skip_reason

__all__ = ["GooglePart", "StateView"]  # the state's view types, planned against here

GIVE_UP_AFTER = 5  # failed runs before an item waits for --retry-failed
MASS_REMOVAL_SHARE = 0.10
MASS_REMOVAL_MAX = 500


class Action(Enum):
    UPLOAD = "upload"  # new bytes: upload, then batchCreate naming the album
    ADD = "add"  # bytes already ours: batchAddMediaItems by reference


@dataclass(frozen=True)
class AlbumSpec:
    immich_id: str  # the state's key: an Immich album id, or a smart album's "smart-..." id
    name: str
    google_title: str
    assets: tuple[ImmichAsset, ...]
    kind: str = "album"  # "album" | "smart" (assets from a saved search)
    listed: bool = True  # False: unchanged in Immich since its last complete sync, not listed

    @property
    def smart_id(self) -> str | None:
        return self.immich_id if self.kind == "smart" else None

    @property
    def album_id(self) -> str | None:
        """The Immich album id, for output (None for a smart album)."""
        return None if self.kind == "smart" else self.immich_id


@dataclass(frozen=True)
class Options:
    limit: int | None = None
    retry_failed: bool = False
    allow_mass_removal: bool = False


@dataclass(frozen=True)
class Placement:
    asset: ImmichAsset
    action: Action
    media_item_id: str | None = (
        None  # known for ADD of an earlier run's item; None: this run's upload
    )


@dataclass(frozen=True)
class Removal:
    asset_id: str
    media_item_id: str
    google_album_id: str


@dataclass(frozen=True)
class AlbumPlan:
    spec: AlbumSpec
    create: bool  # no Google album yet: create one first
    place: tuple[Placement, ...]  # capture-date order, oldest first
    skips: tuple[tuple[ImmichAsset, str], ...]
    given_up: tuple[ImmichAsset, ...]  # failed GIVE_UP_AFTER runs: only --retry-failed tries again
    deferred: int  # left for a later run by --limit
    in_sync: int
    removals: tuple[Removal, ...]
    removal_refused: int  # removals held back by the mass-removal guard (0: none)
    parts: tuple[GooglePart, ...] = ()  # the Google albums the tool made for it, part 1 first

    @property
    def targets(self) -> tuple[str, ...]:
        """The Google album ids this plan writes to: only ones the tool created (from the state)."""
        return tuple(p.google_album_id for p in self.parts)


class FollowThrough(Protocol):
    """What the follow-through adds to a run (``followplan.FollowPlan``): edits replaced,
    descriptions patched, albums renamed. Planned after this plan, from the same reads."""

    def google_requests(self) -> int: ...


@dataclass(frozen=True)
class Plan:
    albums: tuple[AlbumPlan, ...]
    follow: FollowThrough | None = None

    @property
    def uploads(self) -> int:
        return sum(1 for a in self.albums for p in a.place if p.action is Action.UPLOAD)

    @property
    def adds(self) -> int:
        return sum(1 for a in self.albums for p in a.place if p.action is Action.ADD)

    @property
    def bytes(self) -> int:
        return sum(
            p.asset.size or 0 for a in self.albums for p in a.place if p.action is Action.UPLOAD
        )

    @property
    def removals(self) -> int:
        return sum(len(a.removals) for a in self.albums)

    @property
    def skips(self) -> int:
        return sum(len(a.skips) for a in self.albums)

    def google_requests(self) -> int:
        """How many Library API requests executing this plan takes (no failures, no retries)."""
        total = 0
        for album in self.albums:
            total += 1 if album.create else 0
            for _action, count in _runs(album.place):
                total += math.ceil(count / MAX_BATCH)  # batchCreate or batchAddMediaItems
            for p in album.place:
                if p.action is Action.UPLOAD:
                    size = p.asset.size or 0
                    total += 1 if size <= RAW_UPLOAD_LIMIT else RESUMABLE_REQUESTS
            total += math.ceil(len(album.removals) / MAX_BATCH)
        if self.follow is not None:
            total += self.follow.google_requests()
        return total


def _runs(place: tuple[Placement, ...]) -> list[tuple[Action, int]]:
    """Consecutive placements of one kind: each run is batched on its own, keeping the order."""
    runs: list[tuple[Action, int]] = []
    for p in place:
        if runs and runs[-1][0] is p.action:
            runs[-1] = (p.action, runs[-1][1] + 1)
        else:
            runs.append((p.action, 1))
    return runs


def part_title(title: str, number: int) -> str:
    """Part 1 has the album's title; the ones after it "TITLE (2)", "TITLE (3)"..."""
    return title if number == 1 else f"{title} ({number})"


def capture_order(asset: ImmichAsset) -> tuple[object, ...]:
    return (asset.file_created_at, asset.file_name, asset.id)


def build(
    albums: list[AlbumSpec],
    state: StateView,
    sync: SyncSettings,
    options: Options,
    motion: Mapping[str, ImmichAsset] | None = None,
) -> Plan:
    """The plan for one run. Each checksum is uploaded at most once across all albums."""
    motion = motion or {}
    known_media = dict(state.media_by_checksum)
    uploading: set[str] = set()  # checksums this run uploads (later albums add them by reference)
    uploads_left = options.limit
    plans = []
    for spec in albums:
        if not spec.listed:  # unchanged since its last complete sync: nothing to decide
            parts = tuple(sorted(state.parts.get(spec.immich_id, ()), key=lambda p: p.part))
            in_sync = state.placed_count.get(spec.immich_id, 0)
            plans.append(AlbumPlan(spec, False, (), (), (), 0, in_sync, (), 0, parts))
            continue
        members = _with_motion_parts(spec.assets, sync, motion)
        motion_ids = {a.live_photo_video_id for a in spec.assets if a.live_photo_video_id}
        place: list[Placement] = []
        skips: list[tuple[ImmichAsset, str]] = []
        given_up: list[ImmichAsset] = []
        deferred = in_sync = 0
        seen_checksums: dict[str, ImmichAsset] = {}
        for asset in sorted(members, key=capture_order):
            if (spec.immich_id, asset.id) in state.placed:
                in_sync += 1
                seen_checksums.setdefault(asset.checksum, asset)
                continue
            reason = skip_reason(asset, sync)
            if reason is None and asset.id in motion_ids and sync.live_photos == "still":
                reason = "live photo video part"
            if reason is None and asset.checksum in seen_checksums:
                reason = f"same file as {seen_checksums[asset.checksum].file_name}"
            if reason is not None:
                skips.append((asset, reason))
                continue
            seen_checksums[asset.checksum] = asset
            if state.attempts.get(asset.id, 0) >= GIVE_UP_AFTER and not options.retry_failed:
                given_up.append(asset)
                continue
            media = known_media.get(asset.checksum)
            if media is not None and media not in state.ref_refused:
                place.append(Placement(asset, Action.ADD, media))
            elif asset.checksum in uploading and media is None:
                place.append(Placement(asset, Action.ADD, None))  # uploaded earlier in this run
            else:
                if uploads_left is not None and uploads_left <= 0:
                    deferred += 1
                    continue
                if uploads_left is not None:
                    uploads_left -= 1
                uploading.add(asset.checksum)
                place.append(Placement(asset, Action.UPLOAD))
        removals, refused = _removals(spec, state, options) if sync.remove_missing else ((), 0)
        parts = tuple(sorted(state.parts.get(spec.immich_id, ()), key=lambda p: p.part))
        plans.append(
            AlbumPlan(
                spec=spec,
                create=not parts,
                place=tuple(place),
                skips=tuple(skips),
                given_up=tuple(given_up),
                deferred=deferred,
                in_sync=in_sync,
                removals=removals,
                removal_refused=refused,
                parts=parts,
            )
        )
    return Plan(tuple(plans))


def _with_motion_parts(
    assets: tuple[ImmichAsset, ...], sync: SyncSettings, motion: Mapping[str, ImmichAsset]
) -> list[ImmichAsset]:
    """With live_photos = "still+video", the motion part of each live photo goes in beside its still."""
    members = list(assets)
    if sync.live_photos != "still+video":
        return members
    present = {a.id for a in assets}
    for still in assets:
        video = motion.get(still.live_photo_video_id or "")
        if video is not None and video.id not in present:
            members.append(video)
            present.add(video.id)
    return members


def _removals(
    spec: AlbumSpec, state: StateView, options: Options
) -> tuple[tuple[Removal, ...], int]:
    """What the tool placed in this album whose asset left the Immich album (remove_missing)."""
    current = {a.id for a in spec.assets} | {
        a.live_photo_video_id for a in spec.assets if a.live_photo_video_id
    }
    placed = [
        (asset_id, google)
        for (album, asset_id), google in state.placed.items()
        if album == spec.immich_id
    ]
    gone = [
        Removal(asset_id, state.media_of_asset[asset_id], google)
        for asset_id, google in sorted(placed)
        if asset_id not in current and asset_id in state.media_of_asset
    ]
    if not gone:
        return (), 0
    too_many = len(gone) > MASS_REMOVAL_SHARE * len(placed) or len(gone) > MASS_REMOVAL_MAX
    if too_many and not options.allow_mass_removal:
        return (), len(gone)
    return tuple(gone), 0
