"""Pure: what the follow-through does this run: which placed assets get a new rendition (an edit
made, changed or undone in Immich), which Google items get a new description, which Google
albums get a new title. No I/O here; ``follow`` carries it out after the albums are placed,
``followshow`` tells it in a dry run, ``sent`` holds what an upload gives Google.

How a changed edit is found without downloading every asset on every run: the state records,
per asset, the rendition its Google item shows and Immich's ``updatedAt`` when that was last
confirmed. An edit moves ``updatedAt`` (so do favourites, descriptions and metadata jobs). Only
when it moved, and the item shows an edited rendition, is the edited rendition looked at: its
download is opened and closed at once, and its size and ETag (Immich sends Express's
``W/"size-mtime"``) compared with those recorded at upload (``to_probe``, then ``probed``).
A first edit, an undone one, or a switch of ``[sync] edits`` needs no look: ``isEdited`` says it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from immich_gphotos.config import AlbumSelection, SyncSettings
from immich_gphotos.gphotos.limits import (
    MAX_BATCH,
    RAW_UPLOAD_LIMIT,
    RESUMABLE_REQUESTS,
)
from immich_gphotos.immich.models import ImmichAsset
from immich_gphotos.state.views import FollowView, PlacedFacts
from immich_gphotos.sync.plan import GIVE_UP_AFTER, AlbumPlan, AlbumSpec, part_title
from immich_gphotos.sync.sent import digest, rendition_of, seen, sent_description, wants_edited

REPLACED_TITLE = "immich-gphotos: replaced"  # where old renditions go: the API cannot delete


def follow_titles(
    specs: Sequence[AlbumSpec],
    selection: Sequence[AlbumSelection],
    followed: Mapping[str, str],
) -> list[AlbumSpec]:
    """A config title that only repeats the Immich name (``albums add`` without ``--as``, as
    the state recorded) follows the Immich name: a rename in Immich renames the Google album."""
    titles = {s.immich_id: s.google_title for s in selection}
    out = []
    for spec in specs:
        configured = titles.get(spec.immich_id)
        # a smart album has no Immich name to follow: its title is always the configured one
        if (
            spec.kind == "album"
            and configured is not None
            and followed.get(spec.immich_id) == configured
        ):
            spec = replace(spec, google_title=spec.name)
        out.append(spec)
    return out


@dataclass(frozen=True)
class Replacement:
    """An asset whose Google item shows a rendition Immich no longer shows."""

    asset: ImmichAsset
    old_media_item_id: str
    rendition: str  # what the new item shows: "edited" | "original"
    album: AlbumPlan  # the album of this run whose Google album gets the new item in place
    google_album_id: str
    others: tuple[tuple[str, str], ...]  # further (album, Google album) it joins by reference
    why: str

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.google_album_id, *(g for _, g in self.others))


@dataclass(frozen=True)
class DescriptionPatch:
    asset: ImmichAsset
    media_item_id: str
    text: str  # "" clears it
    digest: str


@dataclass(frozen=True)
class Rename:
    album_id: str
    google_album_id: str
    part: int
    old_title: str
    new_title: str


@dataclass(frozen=True)
class Confirm:
    """What an item shows, learnt without asking Google (NULL fields keep what is recorded)."""

    asset_id: str
    rendition: str | None = None
    tag: str | None = None
    seen_updated_at: str | None = None
    description_digest: str | None = None


@dataclass(frozen=True)
class Held:
    """A change in Immich this tool will not carry to Google, and why (reported, counted)."""

    asset: ImmichAsset
    why: str


@dataclass(frozen=True)
class FollowPlan:
    replacements: tuple[Replacement, ...] = ()
    descriptions: tuple[DescriptionPatch, ...] = ()
    renames: tuple[Rename, ...] = ()
    confirms: tuple[Confirm, ...] = ()
    held: tuple[Held, ...] = ()  # not app-created: Google will not let us change the item
    given_up: tuple[ImmichAsset, ...] = ()  # replacement failed GIVE_UP_AFTER runs
    deferred: int = 0  # replacements left for a later run by --limit
    waiting: tuple[str, ...] = ()  # assets whose edit could not be looked at: next run

    def google_requests(self) -> int:
        """About how many Library API requests this takes (no failures, no retries)."""
        total = len(self.renames) + len(self.descriptions)
        if not self.replacements:
            return total
        total += math.ceil(len(self.replacements) / MAX_BATCH)  # batchGet: still app-created?
        total += 1  # albums.get or albums.create of the replaced album
        homes: dict[str, int] = {}  # batchCreate, in place, in each album's Google album
        others: dict[str, int] = {}  # batchAddMediaItems of the new item elsewhere
        holding: dict[str, int] = {}  # batchRemoveMediaItems of the old item
        for r in self.replacements:
            size = r.asset.size or 0
            total += 1 if size <= RAW_UPLOAD_LIMIT else RESUMABLE_REQUESTS
            homes[r.google_album_id] = homes.get(r.google_album_id, 0) + 1
            for _, g in r.others:
                others[g] = others.get(g, 0) + 1
            for g in r.targets:
                holding[g] = holding.get(g, 0) + 1
        for counts in (homes, others, holding):
            total += sum(math.ceil(n / MAX_BATCH) for n in counts.values())
        total += math.ceil(len(self.replacements) / MAX_BATCH)  # the old items into "replaced"
        return total

    @property
    def empty(self) -> bool:
        return not (self.replacements or self.descriptions or self.renames)


def planned_assets(albums: Sequence[AlbumPlan]) -> set[str]:
    """The ids of every asset this run planned: an album's members (a listed album's; one not
    listed has none) and what it places (motion parts of live photos). The follow-through
    looks only at these, so only these are read from the state."""
    ids = {asset.id for album in albums for asset in album.spec.assets}
    return ids | {p.asset.id for album in albums for p in album.place}


def _placed_assets(albums: Sequence[AlbumPlan], view: FollowView) -> list[ImmichAsset]:
    """Each asset the tool placed (in an album of this run), once, in album then capture order."""
    found: dict[str, ImmichAsset] = {}
    for album in albums:
        for asset in album.spec.assets:
            if asset.id in view.placed and asset.id in view.albums_of:
                found.setdefault(asset.id, asset)
        for placement in album.place:  # motion parts of live photos
            asset = placement.asset
            if asset.id in view.placed and asset.id in view.albums_of:
                found.setdefault(asset.id, asset)
    return list(found.values())


def to_probe(
    albums: Sequence[AlbumPlan], view: FollowView, sync: SyncSettings
) -> list[ImmichAsset]:
    """Placed assets whose Google item shows an edit while Immich's updatedAt moved since: only
    these have their edited rendition looked at (its size and ETag, never its bytes)."""
    wanted = []
    for asset in _placed_assets(albums, view):
        facts = view.placed[asset.id]
        if (
            wants_edited(sync, asset)
            and facts.rendition == "edited"
            and seen(asset) != facts.seen_updated_at
        ):
            wanted.append(asset)
    return wanted


def build(
    albums: Sequence[AlbumPlan],
    view: FollowView,
    sync: SyncSettings,
    probed: Mapping[str, str],
    *,
    retry_failed: bool = False,
    uploads_left: int | None = None,
) -> FollowPlan:
    """The follow-through for one run. ``probed``: asset id -> its edited rendition's tag now
    (for the assets ``to_probe`` named; one missing could not be looked at and waits)."""
    replacements: list[Replacement] = []
    descriptions: list[DescriptionPatch] = []
    confirms: list[Confirm] = []
    held: list[Held] = []
    given_up: list[ImmichAsset] = []
    deferred = 0
    # an album not listed this run (the no-op) has no contents to place a new item among
    homes = {a.spec.immich_id: a for a in albums if a.spec.listed}
    for asset in _placed_assets(albums, view):
        facts = view.placed[asset.id]
        why, confirm = _rendition_change(asset, facts, sync, probed)
        replacing = False
        if why is not None:
            where = dict(view.albums_of[asset.id])
            home = next(  # in place in the first album of the run that holds it (batchCreate
                # takes a position); the others take it by reference, appended
                ((a, where[a]) for a in homes if a in where),
                None,
            )
            if facts.not_app_created:
                held.append(Held(asset, f"{why}, but its Google item was not created by this tool"))
            elif facts.attempts >= GIVE_UP_AFTER and not retry_failed:
                given_up.append(asset)
            elif home is not None and uploads_left is not None and uploads_left <= 0:
                deferred += 1
            elif home is not None:
                if uploads_left is not None:
                    uploads_left -= 1
                album_id, google_album_id = home
                others = tuple(p for p in view.albums_of[asset.id] if p != home)
                replacements.append(
                    Replacement(
                        asset,
                        facts.media_item_id,
                        rendition_of(sync, asset),
                        homes[album_id],
                        google_album_id,
                        others,
                        why,
                    )
                )
                replacing = True  # the new item is created with the description of now
        elif confirm is not None:
            confirms.append(confirm)
        if replacing or not sync.description or not asset.exif_known:
            continue  # description off: what Google has is left as it is
        text = sent_description(sync, asset)
        now = digest(text)
        if facts.description_digest is None:  # an item from before: take it as it is now
            confirms.append(Confirm(asset.id, description_digest=now))
        elif facts.description_digest != now:
            if facts.not_app_created:  # said once: the digest is taken as done
                held.append(
                    Held(
                        asset,
                        "description changed, but its Google item was not created by this tool",
                    )
                )
                confirms.append(Confirm(asset.id, description_digest=now))
            elif facts.media_item_id in view.shared_media:
                continue  # duplicates share the item: whose description would it show?
            else:
                descriptions.append(DescriptionPatch(asset, facts.media_item_id, text or "", now))
    return FollowPlan(
        replacements=tuple(replacements),
        descriptions=tuple(descriptions),
        renames=tuple(renames(albums)),
        confirms=tuple(confirms),
        held=tuple(held),
        given_up=tuple(given_up),
        deferred=deferred,
    )


def _rendition_change(
    asset: ImmichAsset, facts: PlacedFacts, sync: SyncSettings, probed: Mapping[str, str]
) -> tuple[str | None, Confirm | None]:
    """(why the item must be replaced, or None; what to record when it need not be)."""
    wanted = rendition_of(sync, asset)
    if facts.rendition is None:  # found again after a crash: which rendition is not known
        if not asset.is_edited:
            return None, Confirm(asset.id, rendition="original", seen_updated_at=seen(asset))
        return "not known to show the edit made in Immich", None
    if facts.rendition != wanted:
        if wanted == "edited":
            return "edited in Immich", None
        if asset.is_edited:
            return '[sync] edits = "original"', None
        return "edit undone in Immich", None
    if wanted == "edited" and seen(asset) != facts.seen_updated_at:
        tag = probed.get(asset.id)
        if tag is None:
            return None, None  # could not be looked at: the next run looks again
        if tag != facts.tag:
            return "edited again in Immich", None
        return None, Confirm(asset.id, seen_updated_at=seen(asset))
    return None, None


def renames(albums: Sequence[AlbumPlan]) -> list[Rename]:
    """Every Google album (part) whose title is no longer the one its album asks for."""
    out = []
    for album in albums:
        for part in album.parts:
            want = part_title(album.spec.google_title, part.part)
            if part.title != want:
                out.append(
                    Rename(album.spec.immich_id, part.google_album_id, part.part, part.title, want)
                )
    return out
