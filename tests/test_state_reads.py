"""What the planners read of the state is what a run plans, no more: a no-op (no album listed)
reads no item, and a run that lists some albums reads their items and what dedup needs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from immich_gphotos.state.follow import FollowRecords
from immich_gphotos.state.records import SyncRecords
from immich_gphotos.state.store import StateStore


@dataclass(frozen=True)
class Facts:
    id: str
    checksum: str
    size: int | None = 100
    type: str = "IMAGE"
    mime: str | None = "image/jpeg"


def _state(tmp_path: Path) -> tuple[StateStore, SyncRecords]:
    """Albums a and b, each with its Google album: a1 in a; b1 in b; dup (the same bytes as
    a1: Google gave the same item) in b; shared sits in both albums; failed in a, never placed."""
    store = StateStore.open(tmp_path)
    records = SyncRecords(store)
    for album in ("a", "b"):
        records.ensure_album(album, album.upper(), album.upper())
        records.add_google_album(album, 1, f"g-{album}", album.upper(), "client")
    a1, b1, dup, shared = Facts("a1", "c1"), Facts("b1", "c2"), Facts("dup", "c1"), Facts("s", "c3")
    records.record_batch("a", "g-a", [(a1, "m1"), (shared, "m3")], [(Facts("f", "c4"), "boom")])
    records.record_batch("b", "g-b", [(b1, "m2"), (dup, "m1"), (shared, "m3")], [])
    return store, records


def test_a_snapshot_reads_the_items_of_the_listed_albums_only(tmp_path: Path) -> None:
    store, records = _state(tmp_path)
    view = records.snapshot(["a", "b"], listed=["a"])
    assert dict(view.placed) == {("a", "a1"): "g-a", ("a", "s"): "g-a"}
    assert dict(view.placed_count) == {"a": 2, "b": 3}
    # dedup looks across the whole library: b's items are known by checksum
    assert dict(view.media_by_checksum) == {"c1": "m1", "c2": "m2", "c3": "m3"}
    assert dict(view.attempts) == {"f": 1}
    assert set(view.parts) == {"a", "b"}
    every = records.snapshot(["a", "b"])
    assert set(every.placed) == set(view.placed) | {("b", "b1"), ("b", "dup"), ("b", "s")}
    store.close()


def test_a_snapshot_with_no_album_listed_reads_no_item(tmp_path: Path) -> None:
    store, records = _state(tmp_path)
    view = records.snapshot(["a", "b"], listed=[])
    assert dict(view.placed) == {} and dict(view.media_by_checksum) == {}
    assert dict(view.media_of_asset) == {} and dict(view.attempts) == {}
    assert dict(view.placed_count) == {"a": 2, "b": 3}, "the in-sync counts are still right"
    assert [p.google_album_id for p in view.parts["b"]] == ["g-b"]
    store.close()


def test_the_follow_view_reads_the_assets_asked_for_with_all_their_albums(
    tmp_path: Path,
) -> None:
    store, _ = _state(tmp_path)
    records = FollowRecords(store.conn)
    view = records.view({"a1", "s", "never-placed"})
    assert set(view.placed) == {"a1", "s"}
    assert view.placed["a1"].media_item_id == "m1"
    # an album not planned this run still counts where the item sits (b is not listed here)
    assert view.albums_of["s"] == (("a", "g-a"), ("b", "g-b"))
    # m1 is shown by a1 and by dup, which was not asked for: still shared
    assert view.shared_media == frozenset({"m1"})
    assert records.view(set()).placed == {}, "a no-op reads no item"
    store.close()
