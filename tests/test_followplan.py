"""The follow-through's pure planner: which items are replaced, patched, renamed, looked at."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from immich_gphotos.clock import iso
from immich_gphotos.config import AlbumSelection, SyncSettings
from immich_gphotos.state.views import FollowView, PlacedFacts
from immich_gphotos.sync.followplan import build, follow_titles, renames, to_probe
from immich_gphotos.sync.plan import AlbumPlan, AlbumSpec, GooglePart
from immich_gphotos.sync.sent import digest
from tests.test_plan import T0, asset

SYNC = SyncSettings()
SEEN = T0 + timedelta(days=1)


def _album(album_id: str, assets, parts=None, title=None) -> AlbumPlan:  # type: ignore[no-untyped-def]
    spec = AlbumSpec(album_id, album_id.title(), title or album_id.title(), tuple(assets))
    return AlbumPlan(
        spec,
        False,
        (),
        (),
        (),
        0,
        len(assets),
        (),
        0,
        tuple(parts or [GooglePart(1, f"g-{album_id}", spec.google_title, 0)]),
    )


def _facts(i: int, rendition: str | None = "original", **kw) -> PlacedFacts:  # type: ignore[no-untyped-def]
    fields = dict(
        media_item_id=f"m{i}",
        rendition=rendition,
        tag=None,
        seen_updated_at=iso(SEEN),
        description_digest=digest(None),
        not_app_created=False,
        attempts=0,
    )
    fields.update(kw)
    return PlacedFacts(**fields)  # type: ignore[arg-type]


def _view(facts: dict[str, PlacedFacts], albums: dict[str, list[str]], **kw) -> FollowView:  # type: ignore[no-untyped-def]
    albums_of = {a: tuple((al, f"g-{al}") for al in names) for a, names in albums.items()}
    return FollowView(placed=facts, albums_of=albums_of, **kw)


def test_an_edit_is_replaced_once_across_albums_in_place_in_the_first() -> None:
    edited = asset(1, is_edited=True, updated_at=SEEN + timedelta(hours=1))
    plain = asset(2, updated_at=SEEN)
    albums = [_album("one", [edited, plain]), _album("two", [edited])]
    view = _view({"a1": _facts(1), "a2": _facts(2)}, {"a1": ["one", "two"], "a2": ["one"]})
    plan = build(albums, view, SYNC, {})
    [r] = plan.replacements
    assert (r.asset.id, r.old_media_item_id, r.rendition) == ("a1", "m1", "edited")
    assert r.google_album_id == "g-one" and r.others == (("two", "g-two"),)
    assert r.why == "edited in Immich"
    # an upload, a batchGet, the replaced album, a batchCreate, one add elsewhere, the old item
    # into "replaced", and out of both albums
    assert plan.google_requests() == 1 + 1 + 1 + 1 + 1 + 1 + 2


def test_only_a_moved_updated_at_on_an_edited_item_is_looked_at_and_only_a_new_tag_replaces() -> (
    None
):
    moved = asset(1, is_edited=True, updated_at=SEEN + timedelta(hours=1))
    still = asset(2, is_edited=True, updated_at=SEEN)
    albums = [_album("one", [moved, still])]
    view = _view(
        {"a1": _facts(1, "edited", tag="9:x"), "a2": _facts(2, "edited", tag="9:y")},
        {"a1": ["one"], "a2": ["one"]},
    )
    assert [a.id for a in to_probe(albums, view, SYNC)] == ["a1"]
    same = build(albums, view, SYNC, {"a1": "9:x"})
    assert not same.replacements
    assert [(c.asset_id, c.seen_updated_at) for c in same.confirms] == [
        ("a1", iso(SEEN + timedelta(hours=1)))
    ]
    changed = build(albums, view, SYNC, {"a1": "10:z"})
    assert [r.why for r in changed.replacements] == ["edited again in Immich"]
    unseen = build(albums, view, SYNC, {})  # Immich could not show it: wait, change nothing
    assert not unseen.replacements and not unseen.confirms


def test_undone_edits_and_edits_original_go_back_to_the_original() -> None:
    undone = asset(1, is_edited=False, updated_at=SEEN)
    edited = asset(2, is_edited=True, updated_at=SEEN)
    albums = [_album("one", [undone, edited])]
    view = _view(
        {"a1": _facts(1, "edited"), "a2": _facts(2, "original")}, {"a1": ["one"], "a2": ["one"]}
    )
    assert [r.why for r in build(albums, view, SYNC, {}).replacements] == [
        "edit undone in Immich",
        "edited in Immich",
    ]
    original = build(albums, view, SyncSettings(edits="original"), {})
    assert [(r.asset.id, r.rendition) for r in original.replacements] == [("a1", "original")]


def test_items_not_created_by_the_tool_are_left_alone_and_given_up_ones_wait() -> None:
    a1, a2 = asset(1, is_edited=True), asset(2, is_edited=True)
    albums = [_album("one", [a1, a2])]
    view = _view(
        {"a1": _facts(1, not_app_created=True), "a2": _facts(2, attempts=5)},
        {"a1": ["one"], "a2": ["one"]},
    )
    plan = build(albums, view, SYNC, {})
    assert not plan.replacements
    assert [h.asset.id for h in plan.held] == ["a1"] and [a.id for a in plan.given_up] == ["a2"]
    assert [r.asset.id for r in build(albums, view, SYNC, {}, retry_failed=True).replacements] == [
        "a2"
    ]


def test_limit_counts_replacements_as_uploads() -> None:
    assets = [asset(i, is_edited=True) for i in range(3)]
    view = _view({f"a{i}": _facts(i) for i in range(3)}, {f"a{i}": ["one"] for i in range(3)})
    plan = build([_album("one", assets)], view, SYNC, {}, uploads_left=2)
    assert len(plan.replacements) == 2 and plan.deferred == 1


def test_descriptions_patch_only_known_changed_app_created_unshared_items() -> None:
    def described(i: int, text: str) -> object:
        return asset(i, raw_description=text, description=text, exif_known=True, updated_at=SEEN)

    assets = [
        described(1, "new"),  # changed: patched
        described(2, "same"),  # unchanged
        described(3, "new"),  # unknown before (an older release): taken as it is
        described(4, "new"),  # not app-created: left alone, said once
        described(5, "new"),  # shares its item with a duplicate: left alone
        asset(6, exif_known=False, updated_at=SEEN),  # no exif in the listing: unknown
    ]
    facts = {
        "a1": _facts(1, description_digest=digest("old")),
        "a2": _facts(2, description_digest=digest("same")),
        "a3": _facts(3, description_digest=None),
        "a4": _facts(4, description_digest=digest("old"), not_app_created=True),
        "a5": _facts(5, description_digest=digest("old")),
        "a6": _facts(6, description_digest=digest("old")),
    }
    view = _view(facts, {k: ["one"] for k in facts}, shared_media=frozenset({"m5"}))
    plan = build([_album("one", assets)], view, SYNC, {})  # type: ignore[list-item]
    assert [(d.asset.id, d.text) for d in plan.descriptions] == [("a1", "new")]
    assert {c.asset_id for c in plan.confirms if c.description_digest} == {"a3", "a4"}
    assert [h.asset.id for h in plan.held] == ["a4"]
    assert not build(
        [_album("one", assets)], view, SyncSettings(description=False), {}
    ).descriptions  # type: ignore[list-item]


def test_titles_follow_the_immich_name_only_without_as_and_every_part_is_renamed() -> None:
    specs = [AlbumSpec("x", "Summer", "Holidays", ()), AlbumSpec("y", "Garden 2", "Our Garden", ())]
    selection = [AlbumSelection("x", "Holidays"), AlbumSelection("y", "Our Garden")]
    titled = follow_titles(specs, selection, {"x": "Holidays"})
    assert [s.google_title for s in titled] == ["Summer", "Our Garden"]
    parts = [GooglePart(1, "g1", "Holidays", 20_000), GooglePart(2, "g2", "Holidays (2)", 3)]
    album = _album("x", [], parts, title="Summer")
    assert [(r.google_album_id, r.new_title) for r in renames([album])] == [
        ("g1", "Summer"),
        ("g2", "Summer (2)"),
    ]
    assert renames([_album("x", [], parts, title="Holidays")]) == []


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.booleans(),  # edited in Immich now
            st.sampled_from(["original", "edited", None]),  # what the Google item shows
            st.booleans(),  # updatedAt moved
            st.booleans(),  # the look finds another tag
            st.sets(st.sampled_from(["one", "two", "three"]), min_size=1),  # where placed
        ),
        max_size=12,
    ),
    st.sampled_from(["edited", "original"]),
)
def test_properties_each_asset_replaced_at_most_once_in_albums_it_was_placed_in(
    rows, edits
) -> None:  # type: ignore[no-untyped-def]
    sync = SyncSettings(edits=edits)
    assets, facts, where = [], {}, {}
    for i, (is_edited, shown, moved, _new_tag, albums) in enumerate(rows):
        a = asset(i, is_edited=is_edited, updated_at=SEEN + timedelta(hours=1 if moved else 0))
        assets.append((a, albums))
        facts[a.id] = _facts(i, shown, tag="t")
        where[a.id] = sorted(albums)
    plans = [_album(n, [a for a, al in assets if n in al]) for n in ("one", "two", "three")]
    view = _view(facts, where)
    new_tag = {f"a{i}": row[3] for i, row in enumerate(rows)}
    probed = {a.id: ("u" if new_tag[a.id] else "t") for a in to_probe(plans, view, sync)}
    plan = build(plans, view, sync, probed)
    ids = [r.asset.id for r in plan.replacements]
    assert len(ids) == len(set(ids)), "an asset is uploaded once, whatever albums it is in"
    for r in plan.replacements:
        assert set(r.targets) == {f"g-{n}" for n in where[r.asset.id]}
        wanted = "edited" if edits == "edited" and r.asset.is_edited else "original"
        assert r.rendition == wanted
    for a, _ in assets:  # an item already showing what Immich shows is left as it is
        shown = facts[a.id].rendition
        wanted = "edited" if edits == "edited" and a.is_edited else "original"
        if shown == wanted and (wanted == "original" or probed.get(a.id, "t") == "t"):
            assert a.id not in ids
