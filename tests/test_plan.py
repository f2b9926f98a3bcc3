"""The pure planner and eligibility rules: examples, and properties over any library and state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from immich_gphotos.config import SyncSettings
from immich_gphotos.immich.models import ImmichAsset
from immich_gphotos.sync.eligibility import skip_reason
from immich_gphotos.sync.plan import Action, AlbumSpec, GooglePart, Options, StateView, build

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def asset(i: int, checksum: str | None = None, name: str | None = None, **kw) -> ImmichAsset:  # type: ignore[no-untyped-def]
    fields = dict(
        id=f"a{i}",
        checksum=checksum or f"c{i}",
        type="IMAGE",
        file_name=name or f"IMG_{i}.jpg",
        mime="image/jpeg",
        size=1000,
        file_created_at=T0 + timedelta(hours=i),
        trashed=False,
        archived=False,
        live_photo_video_id=None,
        description=None,
        owner_id="me",
        external=False,
    )
    fields.update(kw)
    return ImmichAsset(**fields)  # type: ignore[arg-type]


def test_skip_rules() -> None:
    sync = SyncSettings()
    assert skip_reason(asset(1), sync) is None
    assert skip_reason(asset(1, trashed=True), sync) == "trashed"
    assert skip_reason(asset(1, archived=True), sync) == "archived"
    assert skip_reason(asset(1, archived=True), SyncSettings(archived=True)) is None
    assert skip_reason(asset(1, name="a.psd"), sync) == "unsupported type (psd)"
    assert skip_reason(asset(1, type="AUDIO", name="a.mp3"), sync).startswith("unsupported type")
    assert skip_reason(asset(1, size=200_000_001), sync) == "photo over 200 MB"
    video = asset(1, type="VIDEO", name="v.mov", mime="video/quicktime", size=21_000_000_000)
    assert skip_reason(video, sync) == "video over 20 GB"
    assert (
        skip_reason(asset(1, type="VIDEO", name="v.mp4"), SyncSettings(videos=False))
        == "videos disabled"
    )
    assert skip_reason(asset(1, name="RAW.DNG"), sync) is None


def test_first_plan_uploads_in_capture_order_and_creates_the_album() -> None:
    spec = AlbumSpec("alb", "Album", "Album", (asset(3), asset(1), asset(2, archived=True)))
    plan = build([spec], StateView(), SyncSettings(), Options())
    [album] = plan.albums
    assert album.create
    assert [p.asset.id for p in album.place] == ["a1", "a3"]
    assert all(p.action is Action.UPLOAD for p in album.place)
    assert [(a.id, r) for a, r in album.skips] == [("a2", "archived")]
    assert plan.google_requests() == 1 + 2 + 1  # album, two raw uploads, one batchCreate


def test_second_album_adds_by_reference() -> None:
    shared = asset(1)
    plan = build(
        [AlbumSpec("x", "X", "X", (shared,)), AlbumSpec("y", "Y", "Y", (shared, asset(2)))],
        StateView(),
        SyncSettings(),
        Options(),
    )
    x, y = plan.albums
    assert [p.action for p in x.place] == [Action.UPLOAD]
    assert [(p.asset.id, p.action) for p in y.place] == [("a1", Action.ADD), ("a2", Action.UPLOAD)]
    state = StateView(media_by_checksum={"c1": "m1"}, parts={"y": (GooglePart(1, "gy", "Y", 0),)})
    [again] = build([AlbumSpec("y", "Y", "Y", (shared,))], state, SyncSettings(), Options()).albums
    assert again.place[0].media_item_id == "m1" and not again.create


def test_refused_references_are_uploaded_again() -> None:
    state = StateView(media_by_checksum={"c1": "m1"}, ref_refused=frozenset({"m1"}))
    [album] = build(
        [AlbumSpec("y", "Y", "Y", (asset(1),))], state, SyncSettings(), Options()
    ).albums
    assert album.place[0].action is Action.UPLOAD


def test_limit_failed_and_given_up() -> None:
    spec = AlbumSpec("a", "A", "A", tuple(asset(i) for i in range(6)))
    state = StateView(attempts={"a0": 5, "a1": 2})
    [album] = build([spec], state, SyncSettings(), Options(limit=2)).albums
    assert [a.id for a in album.given_up] == ["a0"]
    assert [p.asset.id for p in album.place] == ["a1", "a2"] and album.deferred == 3
    [retry] = build([spec], state, SyncSettings(), Options(retry_failed=True)).albums
    assert "a0" in [p.asset.id for p in retry.place]


def test_duplicates_inside_one_album_are_placed_once() -> None:
    spec = AlbumSpec("a", "A", "A", (asset(1, checksum="same"), asset(2, checksum="same")))
    [album] = build([spec], StateView(), SyncSettings(), Options()).albums
    assert [p.asset.id for p in album.place] == ["a1"]
    assert album.skips[0][1] == "same file as IMG_1.jpg"


def test_live_photos() -> None:
    still = asset(1, name="LIVE.heic", live_photo_video_id="v1")
    motion = asset(2, name="LIVE.mov", type="VIDEO", mime="video/quicktime", id="v1")
    spec = AlbumSpec("a", "A", "A", (still,))
    [plain] = build([spec], StateView(), SyncSettings(), Options(), {"v1": motion}).albums
    assert [p.asset.id for p in plain.place] == ["a1"]
    [both] = build(
        [spec], StateView(), SyncSettings(live_photos="still+video"), Options(), {"v1": motion}
    ).albums
    assert [p.asset.id for p in both.place] == ["a1", "v1"]
    listed = AlbumSpec("a", "A", "A", (still, motion))  # an album that lists the motion part itself
    [skipped] = build([listed], StateView(), SyncSettings(), Options()).albums
    assert ("v1", "live photo video part") in [(a.id, r) for a, r in skipped.skips]


def test_an_unlisted_album_plans_nothing_and_counts_what_the_state_says_is_placed() -> None:
    """The no-op: an album Immich shows unchanged is not listed; its in-sync count comes from
    the state's count (the snapshot reads no item of an unlisted album)."""
    parts = {"a": (GooglePart(1, "g", "A", 7),)}
    state = StateView(parts=parts, placed_count={"a": 7, "b": 3})
    [album] = build(
        [AlbumSpec("a", "A", "A", (), listed=False)], state, SyncSettings(), Options()
    ).albums
    assert album.in_sync == 7
    assert (album.place, album.skips, album.removals, album.create) == ((), (), (), False)
    assert album.parts == parts["a"]


def test_mass_removal_guard() -> None:
    members = tuple(asset(i) for i in range(20))
    placed = {("a", a.id): "g" for a in members}
    media = {a.id: f"m{a.id}" for a in members}
    state = StateView(
        placed=placed, media_of_asset=media, parts={"a": (GooglePart(1, "g", "A", 20),)}
    )
    remove = SyncSettings(remove_missing=True)
    [one] = build([AlbumSpec("a", "A", "A", members[1:])], state, remove, Options()).albums
    assert [r.asset_id for r in one.removals] == ["a0"]
    [many] = build([AlbumSpec("a", "A", "A", members[5:])], state, remove, Options()).albums
    assert many.removals == () and many.removal_refused == 5
    [allowed] = build(
        [AlbumSpec("a", "A", "A", members[5:])], state, remove, Options(allow_mass_removal=True)
    ).albums
    assert len(allowed.removals) == 5
    [off] = build([AlbumSpec("a", "A", "A", members[5:])], state, SyncSettings(), Options()).albums
    assert off.removals == () and off.removal_refused == 0


# --- properties ---------------------------------------------------------------------------------

names = st.sampled_from(["a.jpg", "b.heic", "c.png", "d.mp4", "e.mov", "f.psd", "g.dng"])


@st.composite
def libraries(draw):  # type: ignore[no-untyped-def]
    n = draw(st.integers(1, 30))
    pool = [f"sum{i}" for i in range(draw(st.integers(1, n)))]
    assets = []
    for i in range(n):
        name = draw(names)
        video = name.endswith((".mp4", ".mov"))
        assets.append(
            asset(
                i,
                checksum=draw(st.sampled_from(pool)),
                name=f"{i}{name}",
                type="VIDEO" if video else "IMAGE",
                archived=draw(st.booleans()),
                trashed=draw(st.booleans()) and draw(st.booleans()),
                size=draw(st.integers(1, 300_000_000)),
                file_created_at=T0 + timedelta(minutes=draw(st.integers(0, 50))),
            )
        )
    album_count = draw(st.integers(1, 4))
    specs = []
    for k in range(album_count):
        members = draw(st.lists(st.sampled_from(assets), unique_by=lambda a: a.id, max_size=n))
        specs.append(AlbumSpec(f"alb{k}", f"Album {k}", f"Album {k}", tuple(members)))
    known = draw(st.lists(st.sampled_from(pool), unique=True))
    media = {c: f"m-{c}" for c in known}
    refused = frozenset(
        draw(st.lists(st.sampled_from(sorted(media.values()) or ["none"]), unique=True))
    )
    parts = {}
    placed = {}
    for spec in specs:
        if draw(st.booleans()):
            parts[spec.immich_id] = (GooglePart(1, f"g-{spec.immich_id}", spec.google_title, 0),)
            for member in spec.assets:
                if member.checksum in media and draw(st.booleans()):
                    placed[(spec.immich_id, member.id)] = f"g-{spec.immich_id}"
    attempts = {a.id: draw(st.integers(0, 6)) for a in assets if draw(st.booleans())}
    state = StateView(
        media_by_checksum=media, ref_refused=refused, placed=placed, parts=parts, attempts=attempts
    )
    limit = draw(st.one_of(st.none(), st.integers(0, 10)))
    return specs, state, limit


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(libraries(), st.booleans(), st.booleans())
def test_any_plan_uploads_each_checksum_once_and_targets_only_our_albums(
    case, archived, retry
) -> None:  # type: ignore[no-untyped-def]
    specs, state, limit = case
    plan = build(
        specs, state, SyncSettings(archived=archived), Options(limit=limit, retry_failed=retry)
    )
    uploads = [p.asset.checksum for a in plan.albums for p in a.place if p.action is Action.UPLOAD]
    refused = {c for c, m in state.media_by_checksum.items() if m in state.ref_refused}
    plain = [c for c in uploads if c not in refused]
    assert len(plain) == len(set(plain)), "a checksum is uploaded at most once"
    assert all(c not in state.media_by_checksum or c in refused for c in uploads), (
        "known bytes are never re-uploaded"
    )
    if limit is not None:
        assert len(uploads) <= limit
    for album in plan.albums:
        own = {p.google_album_id for p in state.parts.get(album.spec.immich_id, ())}
        assert set(album.targets) == own, "only albums the tool created (from the state)"
        assert album.create == (not own)
        ids = [p.asset.id for p in album.place]
        assert len(ids) == len(set(ids))
        assert not any((album.spec.immich_id, i) in state.placed for i in ids), (
            "placed items stay put"
        )
        order = [(p.asset.file_created_at, p.asset.file_name, p.asset.id) for p in album.place]
        assert order == sorted(order), "capture-date order"
        skipped = {a.id for a, _ in album.skips}
        assert skipped.isdisjoint(ids)
        for p in album.place:
            assert skip_reason(p.asset, SyncSettings(archived=archived)) is None
            if p.action is Action.ADD and p.media_item_id is not None:
                assert p.media_item_id not in state.ref_refused
