"""Smart albums (issue 14): a Google album fed by an Immich search, with every sync guarantee an
Immich album has. The expected contents are computed from the stand-in library here, the way
Immich's search would answer, never taken from the tool's own output."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from immich_gphotos import config as config_mod
from immich_gphotos.commands.sync import run_sync
from immich_gphotos.commands.wiring import run_options
from immich_gphotos.config import SmartAlbum, as_utc
from immich_gphotos.gphotos import limits
from immich_gphotos.sync.events import NullReporter
from immich_gphotos.sync.smart import describe, searches
from tests.helpers import set_config
from tests.inprocess import run_in_process
from tests.standins.immich import Asset
from tests.world import SYNCED, World

Match = Callable[[Asset], bool]


def cli(*args: str):  # type: ignore[no-untyped-def]
    return run_in_process(*args)


def person(world: World, name: str) -> str:
    return next(p.id for p in world.scenario.library.people.values() if p.name == name)


def tag(world: World, value: str) -> str:
    return next(t.id for t in world.scenario.library.tags.values() if t.value == value)


def expected(world: World, match: Match) -> list[str]:
    """What the smart album must hold: my matching assets Google takes, in capture order. (Both
    versions search the caller's own assets when no album is named.)"""
    lib = world.scenario.library
    keep = [
        a
        for a in lib.assets.values()
        if a.owner_id == world.scenario.me.id
        and a.visibility == "timeline"
        and not a.trashed
        and match(a)
    ]
    return [
        a.content.sha1_base64 for a in sorted(keep, key=lambda a: (a.created, a.file_name, a.id))
    ]


def smart_entries(world: World) -> list[dict]:  # type: ignore[type-arg]
    return tomllib.loads(world.config.read_text()).get("smart_albums", [])


# --- the sync ------------------------------------------------------------------------------


def test_a_person_album_is_mirrored_in_capture_order_each_file_uploaded_once(
    world: World,
) -> None:
    alice = person(world, "Alice")
    made = cli("albums", "smart", "Alice (from Immich)", "--person", "Alice")
    assert made.returncode == 0, made.stderr + made.stdout
    want = expected(world, lambda a: alice in a.people)
    # the preview: matches now (ARCHIVED is found too, then skipped by the sync's rules)
    assert f"{len(want) + 1} asset(s) in Immich match now" in made.stdout

    result = world.sync("--json")
    assert result.returncode == 0, result.stderr + result.stdout
    assert world.contents("Alice (from Immich)") == want
    world.assert_mirrored(*SYNCED)
    # every checksum once in Google: the photos also in Holidays went in by reference
    mirrored = {sha for name in SYNCED for sha in world.contents(name)} | set(want)
    assert len(world.google.media) == len(mirrored)
    summary = json.loads(result.stdout)
    entry = next(a for a in summary["albums"] if a["google_title"] == "Alice (from Immich)")
    assert entry["kind"] == "smart" and entry["immich_id"] is None
    assert entry["smart_id"] == smart_entries(world)[0]["id"]
    assert entry["added"] >= 2, "HOL_0 and HOL_1 were uploaded for Holidays, then referenced"
    assert entry["skipped"] == 1, "ARCHIVED.jpg: archived assets are skipped as in any album"
    assert all(
        a["kind"] == "album" and a["smart_id"] is None for a in summary["albums"] if a is not entry
    )

    again = world.sync("--json")
    assert json.loads(again.stdout)["google_requests"] == 0, "nothing changed: Google not asked"


def test_any_or_all_people_tags_with_descendants_and_combined_criteria(world3: World) -> None:
    w = world3
    alice, bob = person(w, "Alice"), person(w, "Bob")
    kids, trips = tag(w, "Family/Kids"), tag(w, "Trips")
    w.scenario.library.add_asset(
        w.scenario.me, "LOOSE.jpg"
    )  # in no album (nor is LIVE.mov, hidden)
    cases: list[tuple[str, list[str], Match]] = [
        (
            "Any",
            ["--person", "Alice", "--person", "Bob"],
            lambda a: alice in a.people or bob in a.people,
        ),
        (
            "Both",
            ["--person", "Alice", "--person", "Bob", "--all-people"],
            lambda a: {alice, bob} <= set(a.people),
        ),
        (
            "Family",
            ["--tag", "Family"],
            lambda a: kids in a.tags,
        ),  # a parent tag takes its children
        (
            "Tagged",
            ["--tag", "Kids", "--tag", "Trips"],
            lambda a: bool({kids, trips} & set(a.tags)),
        ),
        (
            "Best",
            ["--favorite", "--min-rating", "4"],
            lambda a: a.favorite and (a.rating or 0) >= 4,
        ),
        (
            "Kid favs",
            ["--tag", "Kids", "--favorite", "--type", "image"],
            lambda a: kids in a.tags and a.favorite,
        ),
        ("Loose", ["--not-in-any-album"], lambda a: not w.scenario.library.in_any_album(a)),
    ]
    for title, flags, _ in cases:
        made = cli("albums", "smart", title, *flags)
        assert made.returncode == 0, made.stderr + made.stdout
    result = w.sync()
    assert result.returncode == 0, result.stderr + result.stdout
    for title, _, match in cases:
        want = expected(w, match)
        assert want, f"{title}: the scenario gives it something to hold"
        assert w.contents(title) == want, title


def test_places_and_dates_the_end_exclusive(world: World) -> None:
    hol1 = next(a for a in world.scenario.library.assets.values() if a.file_name == "HOL_1.jpg")
    end = hol1.created.isoformat().replace("+00:00", "Z")  # Immich's takenBefore is inclusive
    made = cli(
        "albums",
        "smart",
        "Portugal",
        "--country",
        "Portugal",
        "--after",
        "2024-01-01",
        "--before",
        end,
    )
    assert made.returncode == 0, made.stderr + made.stdout
    assert cli("albums", "smart", "Porto", "--city", "Porto").returncode == 0
    assert world.sync().returncode == 0
    portugal = expected(world, lambda a: a.country == "Portugal" and a.created < hol1.created)
    assert world.contents("Portugal") == portugal and len(portugal) == 1, "HOL_0, not HOL_1"
    assert world.contents("Porto") == [hol1.content.sha1_base64]


def test_in_album_follows_the_version(world: World) -> None:
    """v3 searches a shared album's other members' assets too; v2 only the caller's own."""
    assert cli("albums", "smart", "From Garden", "--in-album", "Garden").returncode == 0
    assert world.sync().returncode == 0
    garden = world.album("Garden")
    lib = world.scenario.library
    members = [lib.assets[i] for i in garden.asset_ids]
    if world.immich.version == 3:
        assert world.contents("From Garden") == world.contents("Garden")
    else:
        mine = [a.content.sha1_base64 for a in members if a.owner_id == world.scenario.me.id]
        assert world.contents("From Garden") == mine


def test_an_asset_that_stops_matching_is_removed_with_the_guard(world3: World) -> None:
    w = world3
    set_config(w.config, "sync", "remove_missing", True)
    lib = w.scenario.library
    for i in range(12):
        lib.add_asset(w.scenario.me, f"FAV_{i:02d}.jpg", size=64, favorite=True)
    assert cli("albums", "smart", "Favourites", "--favorite").returncode == 0
    assert w.sync().returncode == 0
    before = w.contents("Favourites")
    favs = [a for a in lib.assets.values() if a.file_name.startswith("FAV_")]

    favs[0].favorite = False  # unfavourited in Immich: one item of many leaves
    assert w.sync().returncode == 0
    assert w.contents("Favourites") == [s for s in before if s != favs[0].content.sha1_base64]

    for asset in favs[1:6]:  # five at once: more than 10% of what the tool placed
        asset.favorite = False
    refused = w.sync("--json")
    assert refused.returncode == 1
    assert "--allow-mass-removal" in refused.stdout
    assert len(w.contents("Favourites")) == len(before) - 1, "the album untouched"
    assert w.sync("--allow-mass-removal").returncode == 0
    assert w.contents("Favourites") == expected(w, lambda a: a.favorite)


def test_a_deleted_person_stops_the_album_and_removes_nothing(world3: World) -> None:
    w = world3
    set_config(w.config, "sync", "remove_missing", True)
    assert cli("albums", "smart", "Bob", "--person", "Bob").returncode == 0
    assert w.sync().returncode == 0
    held = w.contents("Bob")
    assert held
    del w.scenario.library.people[person(w, "Bob")]  # deleted (or merged) in Immich
    result = w.sync("--json")
    assert result.returncode == 1, result.stdout
    entry = next(a for a in json.loads(result.stdout)["albums"] if a["kind"] == "smart")
    assert "albums smart" in " ".join(entry["problems"])
    assert w.contents("Bob") == held, "nothing removed"
    assert w.sync("--album", "Holidays").returncode == 0, "other albums go on"


def test_a_large_smart_album_continues_in_title_2(
    world3: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "ALBUM_LIMIT", 4)  # Google's 20,000, made small
    world3.google.album_limit = 4
    alice = person(world3, "Alice")
    assert cli("albums", "smart", "Alice", "--person", "Alice").returncode == 0
    settings = config_mod.load(world3.config)
    report = run_sync(settings, run_options(settings, albums=["Alice"]), NullReporter()).report
    assert report is not None and report.exit_code == 0
    first, second = world3.google_album("Alice"), world3.google_album("Alice (2)")
    placed = [
        m.sha1 for m in world3.google.album_files(first.id) + world3.google.album_files(second.id)
    ]
    assert len(world3.google.album_files(first.id)) == 4
    assert placed == expected(world3, lambda a: alice in a.people)


def test_sync_album_restricts_and_albums_remove_deselects(world3: World) -> None:
    w = world3
    assert cli("albums", "smart", "Favs", "--favorite").returncode == 0
    assert w.sync("--album", "Favs").returncode == 0
    assert w.google.album_by_title("Holidays") is None, "only the smart album ran"
    assert w.contents("Favs") == expected(w, lambda a: a.favorite)
    removed = cli("albums", "remove", "Favs")
    assert removed.returncode == 0, removed.stderr
    assert smart_entries(w) == []
    w.sync()
    assert len(w.contents("Favs")) == len(expected(w, lambda a: a.favorite)), "left as it is"


def test_json_outputs_say_which_kind(world3: World) -> None:
    w = world3
    assert cli("albums", "smart", "Favs", "--favorite").returncode == 0
    smart_id = smart_entries(w)[0]["id"]
    listed = json.loads(cli("albums", "--json").stdout)
    row = listed[-1]
    assert (row["kind"], row["smart_id"], row["immich_id"]) == ("smart", smart_id, None)
    assert row["asset_count"] == len(
        [
            a
            for a in w.scenario.library.assets.values()
            if a.favorite
            and a.owner_id == w.scenario.me.id
            and a.visibility in ("timeline", "archive")
        ]
    )
    assert all(r["kind"] == "album" and r["smart_id"] is None for r in listed[:-1])
    assert row["criteria"] == "favourites" and row["google_title"] == "Favs"
    table = cli("albums")
    assert table.returncode == 0 and smart_id in table.stdout

    plan = json.loads(w.sync("--dry-run", "--json").stdout)
    entry = next(a for a in plan["albums"] if a["kind"] == "smart")
    assert entry["smart_id"] == smart_id and entry["immich_id"] is None and entry["create_album"]
    assert w.sync().returncode == 0
    status = json.loads(cli("status", "--json").stdout)
    smart = next(a for a in status["albums"] if a["kind"] == "smart")
    assert smart["smart_id"] == smart_id and smart["immich_id"] is None
    assert smart["in_sync"] == len(w.contents("Favs")) and smart["google_album_id"]
    assert smart["google_url"] == f"https://photos.google.com/lr/album/{w.google_album('Favs').id}"
    assert all(a["kind"] == "album" for a in status["albums"] if a is not smart)


def test_replacing_the_criteria_keeps_the_id_and_the_google_album(world3: World) -> None:
    w = world3
    assert cli("albums", "smart", "Pick", "--person", "Bob").returncode == 0
    first = smart_entries(w)[0]["id"]
    assert w.sync().returncode == 0
    album = w.google_album("Pick")
    again = cli("albums", "smart", "Pick", "--person", "Bob", "--person", "Alice")
    assert again.returncode == 0 and "Changed smart album" in again.stdout
    assert [e["id"] for e in smart_entries(w)] == [first]
    assert w.sync().returncode == 0
    assert w.google_album("Pick").id == album.id
    alice, bob = person(w, "Alice"), person(w, "Bob")
    assert sorted(w.contents("Pick")) == sorted(
        expected(w, lambda a: alice in a.people or bob in a.people)
    )


# --- permissions and bad input -------------------------------------------------------------


def test_a_missing_permission_is_exit_4_naming_it_and_asked_only_when_needed(world3: World) -> None:
    w = world3
    lib = w.scenario.library
    every = {"user.read", "album.read", "asset.read", "asset.download", "tag.read"}
    lib.add_key("no-people", w.scenario.me, every)
    import os

    os.environ["IMMICH_API_KEY"] = "no-people"  # the isolated_env fixture undoes it
    try:
        assert cli("albums", "smart", "Favs", "--favorite").returncode == 0, "no person.read needed"
        refused = cli("albums", "smart", "Alice", "--person", "Alice")
        assert refused.returncode == 4
        assert (
            "person.read" in refused.stderr and "/user-settings?isOpen=api-keys" in refused.stderr
        )
        assert [e["title"] for e in smart_entries(w)] == ["Favs"], "config unchanged"
        assert w.sync().returncode == 0
    finally:
        del os.environ["IMMICH_API_KEY"]
    set_config(w.config, "sync", "videos", True)
    raw = tomllib.loads(w.config.read_text())
    raw["smart_albums"].append(
        {"id": "smart-by-hand", "title": "By hand", "people": [person(w, "Alice")]}
    )
    import tomli_w

    w.config.write_text(tomli_w.dumps(raw))
    os.environ["IMMICH_API_KEY"] = "no-people"
    try:
        stopped = w.sync()
    finally:
        del os.environ["IMMICH_API_KEY"]
    assert stopped.returncode == 4 and "person.read" in stopped.stderr


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--person", "Nobody"], ['No person matches "Nobody"', '"Alice"', '"Bob"']),
        (["--person", "Ali"], ['Person name "Ali" is ambiguous', '"Alice"', '"Alicia"']),
        (["--tag", "Nope"], ['No tag matches "Nope"', '"Family/Kids"']),
        (["--in-album", "Holi"], ['Album name "Holi" is ambiguous', '"Holidays 2023"']),
        (["--after", "2025-01-01", "--before", "2024-01-01"], ["--after", "--before"]),
        (["--min-rating", "6"], ["--min-rating", "1 to 5"]),
        (["--in-album", "Holidays", "--not-in-any-album"], ["--in-album", "--not-in-any-album"]),
        (["--all-people"], ["--all-people", "--person"]),
        ([], ["at least one criterion"]),
        (["--after", "last week"], ["--after", "YYYY-MM-DD"]),
    ],
)
def test_bad_input_is_exit_2_and_changes_nothing(
    world3: World, flags: list[str], named: list[str]
) -> None:
    before = world3.config.read_text()
    result = cli("albums", "smart", "Kids", *flags)
    assert result.returncode == 2, result.stderr + result.stdout
    for text in named:
        assert text in result.stderr, (text, result.stderr)
    assert world3.config.read_text() == before


def test_one_title_for_two_albums_is_exit_2(world3: World) -> None:
    before = world3.config.read_text()
    clash = cli("albums", "smart", "Holidays", "--favorite")
    assert clash.returncode == 2 and "unique" in clash.stderr
    assert world3.config.read_text() == before
    assert cli("albums", "smart", "Favs", "--favorite").returncode == 0
    other = cli("albums", "add", "Holidays 2023", "--as", "Favs")
    assert other.returncode == 2 and "unique" in other.stderr


@pytest.mark.parametrize(
    ("entry", "named"),
    [
        ({"id": "smart-x", "title": "T", "peeple": ["a"]}, ["peeple", "known:", "people"]),
        (
            {"id": "smart-x", "title": "T", "min_rating": "4"},
            ["min_rating", "whole number from 1 to 5"],
        ),
        ({"id": "smart-x", "title": "T", "taken_after": "2024-01-01"}, ["taken_after", "unquoted"]),
        ({"id": "smart-x", "title": "T", "type": "photo"}, ["type", '"image"']),
        ({"id": "x", "title": "T"}, ["id", "smart-"]),
        ({"id": "smart-x"}, ["has no title"]),
        (
            {
                "id": "smart-x",
                "title": "T",
                "taken_after": date(2025, 1, 1),
                "taken_before": date(2024, 1, 1),
            },
            ["taken_after must be earlier than taken_before"],
        ),
    ],
)
def test_a_hand_edited_entry_with_a_mistake_is_exit_3(
    world3: World, entry: dict, named: list[str]
) -> None:  # type: ignore[type-arg]
    import tomli_w

    raw = tomllib.loads(world3.config.read_text())
    raw["smart_albums"] = [entry]
    world3.config.write_text(tomli_w.dumps(raw))
    result = world3.sync()
    assert result.returncode == 3, result.stderr
    assert (
        str(world3.config) in result.stderr
        and "[[smart_albums]] entry 1" in " ".join(result.stderr.split())
        or "[[smart_albums]]" in result.stderr
    )
    for text in named:
        assert text in " ".join(result.stderr.split()), (text, result.stderr)


# --- pure parts ----------------------------------------------------------------------------


def test_searches_are_the_union_immich_needs() -> None:
    smart = SmartAlbum(
        "smart-1",
        "T",
        people=("p1", "p2"),
        tags=("t1",),
        min_rating=4,
        taken_before=as_utc(date(2025, 1, 1)),
        type="video",
    )
    bodies = searches(smart)
    assert len(bodies) == 2 * 1 * 2 * 2  # people x tags x ratings 4, 5 x timeline, archive
    assert {tuple(b["personIds"]) for b in bodies} == {("p1",), ("p2",)}
    assert {b["rating"] for b in bodies} == {4, 5}
    assert {b["visibility"] for b in bodies} == {"timeline", "archive"}
    assert all(
        b["type"] == "VIDEO" and b["takenBefore"] == "2025-01-01T00:00:00.000Z" for b in bodies
    )
    both = searches(SmartAlbum("smart-2", "T", people=("p1", "p2"), people_match="all"))
    assert [b["personIds"] for b in both] == [["p1", "p2"], ["p1", "p2"]]
    assert describe(smart, {"p1": "Alice"}) == (
        'people "Alice" or "p2"; tagged "t1"; rated 4+; taken before 2025-01-01; videos only'
    )
    moment = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    assert "2024-05-01T12:30:00.000Z" in describe(SmartAlbum("smart-3", "T", taken_after=moment))
