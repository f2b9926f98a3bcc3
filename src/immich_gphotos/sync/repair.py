"""`check --repair`: make Google match the state, and the state learn what Google holds.

- A Google album deleted in Google Photos is made again and the items the state placed in it
  are put back by reference (``placing.add_refs``, as the sync adds); what Google refuses by
  reference is left for the next sync to upload again.
- Items removed from an album in Google Photos are put back by reference.
- Items in an album that the state does not know are matched to the Immich album's assets
  (``matching``, strict: file name and capture time) and recorded as placed.
- A selected album with no Google album in the state (a lost or new state) takes over the app's
  album of exactly its title, and its parts "TITLE (2)"...; its items are matched the same way.
  Two such albums of one title: nothing is taken over, both are named. What cannot be matched is
  named; nothing is guessed, nothing uploaded (the next sync uploads what is really missing).

Every album is read whole before anything about it is recorded, so a stop (budget, quota)
leaves the state as it was for that album.
"""

from __future__ import annotations

from immich_gphotos.gphotos import limits
from immich_gphotos.immich.models import ImmichAsset
from immich_gphotos.state.repairs import RepairRecords
from immich_gphotos.state.views import GooglePart
from immich_gphotos.sync.audit import Adoption, AlbumCheck, Audit, ItemNote, PartCheck
from immich_gphotos.sync.context import RunContext
from immich_gphotos.sync.matching import match
from immich_gphotos.sync.parts import part_title
from immich_gphotos.sync.placing import add_refs
from immich_gphotos.sync.plan import Action, AlbumSpec, Placement, capture_order
from immich_gphotos.text import clean


def repair_album(
    ctx: RunContext, audit: Audit, records: RepairRecords, album: AlbumCheck, spec: AlbumSpec
) -> None:
    if not album.parts:
        adopt(ctx, audit, records, album, spec)
        return
    assets = {a.id: a for a in spec.assets}
    for part in album.parts:
        if part.found == "deleted":
            recreate(ctx, records, album, part, assets)
        elif part.found == "ok":
            mend(ctx, audit, records, album, part, assets)


def adopt(
    ctx: RunContext, audit: Audit, records: RepairRecords, album: AlbumCheck, spec: AlbumSpec
) -> None:
    adoption = album.adoption = Adoption()
    unknown = audit.unknown()
    title = _as_google_names(spec.google_title)
    first = [a for a in unknown if a.title == title]
    adoption.candidates = [
        {"id": a.id, "title": a.title, "items": a.media_items_count, "product_url": a.product_url}
        for a in first
    ]
    if not first:
        return  # nothing to take over: the next sync makes the album
    if len(first) > 1:
        links = "; ".join(f"{a.id} {a.product_url or ''}".strip() for a in first)
        adoption.problem = (
            f'{len(first)} albums this tool made are titled "{title}", so none was taken over '
            f"({links}). Keep one: rename or delete the others in Google Photos, then run "
            "`immich-gphotos check --repair` again."
        )
        return
    found = [first[0]]
    while True:  # the parts past Google's 20,000 items: "TITLE (2)", "TITLE (3)"...
        more = [
            a
            for a in unknown
            if a.title == _as_google_names(part_title(spec.google_title, len(found) + 1))
        ]
        if len(more) != 1:
            break
        found.append(more[0])
    contents = [audit.items(a.id) for a in found]  # all read before anything is recorded
    parts = [
        GooglePart(n, a.id, a.title, len(items))
        for n, (a, items) in enumerate(zip(found, contents, strict=True), start=1)
    ]
    records.adopt(spec.immich_id, spec.name, spec.google_title, parts, ctx.clients.client_id)
    adoption.adopted = [a.id for a in found]
    left = list(spec.assets)
    for part, items in zip(parts, contents, strict=True):
        pairs = match(left, items, set(), strict=True)
        by_id = {a.id: a for a in left}
        records.record_matched(
            spec.immich_id, part.google_album_id, [(by_id[a], m) for a, m in pairs.items()]
        )
        adoption.matched += len(pairs)
        taken = set(pairs.values())
        adoption.unmatched += [ItemNote.of(i) for i in items if i.id not in taken]
        left = [a for a in left if a.id not in pairs]
    adoption.left_for_sync = len(left)


def recreate(
    ctx: RunContext,
    records: RepairRecords,
    album: AlbumCheck,
    part: PartCheck,
    assets: dict[str, ImmichAsset],
) -> None:
    placed = records.placed_in(album.key, part.google_album_id)
    created = ctx.call(lambda: ctx.google.create_album(part.title))
    records.replace_google_album(album.key, part.part, part.google_album_id, created.id)
    part.recreated_as = created.id
    ctx.reporter.log(f'{album.name}: made the deleted Google album "{part.title}" again')
    target = GooglePart(part.part, created.id, part.title, 0)
    back = [(assets[a], m) for a, m in placed.items() if a in assets]
    _put_back(ctx, records, album.key, target, back, part)
    records.set_item_count(created.id, part.put_back)
    part.found, part.items = "recreated", part.put_back


def mend(
    ctx: RunContext,
    audit: Audit,
    records: RepairRecords,
    album: AlbumCheck,
    part: PartCheck,
    assets: dict[str, ImmichAsset],
) -> None:
    items = audit.items(part.google_album_id)
    placed = records.placed_in(album.key, part.google_album_id)
    if part.unknown:
        unplaced = [a for a in assets.values() if a.id not in placed]
        strangers = [i for i in items if i.id in {n.media_item_id for n in part.unknown}]
        pairs = match(unplaced, strangers, set(), strict=True)
        records.record_matched(
            album.key, part.google_album_id, [(assets[a], m) for a, m in pairs.items()]
        )
        part.matched = len(pairs)
        taken = set(pairs.values())
        part.unknown = [n for n in part.unknown if n.media_item_id not in taken]
    if part.removed:
        target = GooglePart(part.part, part.google_album_id, part.title, len(items))
        gone = [n.asset_id for n in part.removed if n.asset_id and n.asset_id not in assets]
        records.unplace(album.key, part.google_album_id, gone)  # left Immich too: let it go
        back = [
            (assets[n.asset_id], n.media_item_id)
            for n in part.removed
            if n.asset_id and n.asset_id in assets
        ]
        _put_back(ctx, records, album.key, target, back, part)
        part.removed = []
    part.items = len(items) + part.put_back
    records.set_item_count(part.google_album_id, part.items)


def _put_back(
    ctx: RunContext,
    records: RepairRecords,
    album_id: str,
    target: GooglePart,
    items: list[tuple[ImmichAsset, str]],
    part: PartCheck,
) -> None:
    """Add by reference, in capture order, 50 a request; what Google refuses by reference is
    left unplaced for the next sync to upload again (and marked so)."""
    ordered = sorted(items, key=lambda pair: capture_order(pair[0]))
    for start in range(0, len(ordered), limits.MAX_BATCH):
        chunk = ordered[start : start + limits.MAX_BATCH]
        ready = [(Placement(a, Action.ADD, m), m) for a, m in chunk]
        placed, refused = add_refs(ctx, target, ready)
        records.record_matched(album_id, target.google_album_id, placed)
        if refused:
            records.record_batch(album_id, target.google_album_id, [], [], [m for _, m in refused])
            records.unplace(album_id, target.google_album_id, [p.asset.id for p, _ in refused])
        part.put_back += len(placed)
        part.to_place_again += len(refused)


def _as_google_names(title: str) -> str:
    """A title as create_album sends it, so it compares with what Google lists."""
    return clean(title)[: limits.MAX_TITLE]
