"""The Immich client against the stand-in, v2.7 and v3.1: exact album contents, streaming, errors."""

from __future__ import annotations

import base64
import hashlib
import tracemalloc
from collections.abc import Iterator

import httpx
import pytest

from immich_gphotos.errors import AuthError, NotFound, RemoteError, Unreachable
from immich_gphotos.immich.client import ImmichClient
from immich_gphotos.immich.originals import StreamInterrupted
from immich_gphotos.transport import RetryPolicy
from tests.helpers import (
    GOOD_KEY,
    NO_ALBUM_KEY,
    NO_DOWNLOAD_KEY,
    Scenario,
    large_asset,
    scenario_library,
)
from tests.standins.immich import ImmichStandIn

FAST = RetryPolicy(attempts=4, base=0.01, cap=0.01, sleep=lambda s: None)


@pytest.fixture(scope="module")
def big_scenario() -> Scenario:
    return scenario_library(big=True)


@pytest.fixture(params=[3, 2], ids=["v3.1", "v2.7"])
def server(request: pytest.FixtureRequest, big_scenario: Scenario) -> Iterator[ImmichStandIn]:
    with ImmichStandIn(big_scenario.library, version=request.param) as standin:
        yield standin


def client(server: ImmichStandIn, key: str = GOOD_KEY, **kw) -> ImmichClient:
    return ImmichClient(server.url, key, retry=kw.pop("retry", FAST), **kw)


def _album_id(scenario: Scenario, name: str) -> str:
    return next(a.id for a in scenario.library.albums.values() if a.name == name)


def test_lists_owned_and_shared_albums_once(server, big_scenario) -> None:
    with client(server) as immich:
        albums = immich.albums()
    names = sorted(a.name for a in albums)
    assert names == sorted(["Holidays", "Holidays 2023", "Garden", "Mixed Bag", "Big Album"])
    garden = next(a for a in albums if a.name == "Garden")
    assert garden.owner_name == "Sam Friend" and garden.shared
    assert garden.asset_count == 5


@pytest.mark.parametrize("name", ["Holidays", "Garden", "Mixed Bag", "Big Album"])
def test_album_assets_are_exactly_the_album(server, big_scenario, name) -> None:
    with client(server) as immich:
        assets = immich.album_assets(_album_id(big_scenario, name))
    ids = [a.id for a in assets]
    assert len(ids) == len(set(ids)), "each asset once"
    assert set(ids) == big_scenario.expected[name]


def test_v3_pages_through_search(big_scenario) -> None:
    with ImmichStandIn(big_scenario.library, version=3) as server:
        with client(server) as immich:
            assets = immich.album_assets(_album_id(big_scenario, "Big Album"))
        pages = [p for _, p in server.requests if p == "/api/search/metadata"]
    assert len(assets) == 2600
    assert len(pages) == 3, "1000 per page"


def test_v3_2_cursor_paging(big_scenario) -> None:
    with ImmichStandIn(big_scenario.library, version=3) as server:
        server.cursor_paging = True
        with client(server) as immich:
            assets = immich.album_assets(_album_id(big_scenario, "Big Album"))
    assert {a.id for a in assets} == big_scenario.expected["Big Album"]


def test_the_stand_in_keeps_each_versions_traps(big_scenario) -> None:
    """What a naive client would get wrong, so the tests above can fail."""
    garden = _album_id(big_scenario, "Garden")
    mixed = _album_id(big_scenario, "Mixed Bag")
    headers = {"x-api-key": GOOD_KEY}
    with (
        ImmichStandIn(big_scenario.library, version=2) as v2,
        httpx.Client(base_url=v2.url + "/api", headers=headers) as http,
    ):
        assert garden not in {a["id"] for a in http.get("/albums").json()}
        found = http.post("/search/metadata", json={"albumIds": [garden], "size": 1000}).json()[
            "assets"
        ]["items"]
        assert len(found) == 1, "v2 search returns only the caller's own assets"
        found = http.post("/search/metadata", json={"albumIds": [mixed], "size": 1000}).json()[
            "assets"
        ]["items"]
        assert "ARCHIVED.jpg" not in {a["originalFileName"] for a in found}
    with (
        ImmichStandIn(big_scenario.library, version=3) as v3,
        httpx.Client(base_url=v3.url + "/api", headers=headers) as http,
    ):
        assert "assets" not in http.get(f"/albums/{garden}").json()
        found = http.post(
            "/search/metadata", json={"albumIds": [mixed], "size": 1000, "withExif": True}
        ).json()
        assert "NO_EXIF.png" not in {a["originalFileName"] for a in found["assets"]["items"]}


def test_asset_facts(server, big_scenario) -> None:
    with client(server) as immich:
        assets = {a.file_name: a for a in immich.album_assets(_album_id(big_scenario, "Mixed Bag"))}
        holidays = {
            a.file_name: a for a in immich.album_assets(_album_id(big_scenario, "Holidays"))
        }
    lib = big_scenario.library
    assert assets["ARCHIVED.jpg"].archived and not assets["PLAIN.jpg"].archived
    assert assets["EXTERNAL.jpg"].external and not assets["PLAIN.jpg"].external
    assert assets["CLIP.mp4"].type == "VIDEO" and assets["CLIP.mp4"].mime == "video/mp4"
    assert assets["CLIP.mp4"].size == 50_000
    live = assets["LIVE.heic"]
    assert live.live_photo_video_id and lib.assets[live.live_photo_video_id].file_name == "LIVE.mov"
    plain = lib.assets[assets["PLAIN.jpg"].id]
    assert assets["PLAIN.jpg"].checksum == plain.content.sha1_base64
    assert assets["PLAIN.jpg"].file_created_at == plain.created
    assert holidays["HOL_3.jpg"].description == "Day 3"
    assert not any(a.trashed for a in assets.values())
    assert "TRASHED.jpg" not in assets


def _sha1_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha1(data).digest()).decode()


def test_streams_a_50_mb_original_in_chunks(server, big_scenario) -> None:
    asset_id, content = large_asset(
        big_scenario.library, big_scenario.me, 50 * 1024 * 1024, f"V{server.version}.mp4"
    )
    digest = hashlib.sha1()
    total = 0
    with client(server) as immich:
        tracemalloc.start()
        try:
            with immich.open_original(asset_id) as stream:
                assert stream.total == content.size
                for chunk in stream.iter_bytes(1 << 20):
                    assert len(chunk) < 2 << 20, "pieces are bounded: never the whole file"
                    digest.update(chunk)
                    total += len(chunk)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert total == content.size
    assert base64.b64encode(digest.digest()).decode() == content.sha1_base64
    assert peak < 12 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB: the whole file was held in memory"


def test_range_resume_gives_the_same_bytes(server, big_scenario) -> None:
    asset_id, content = large_asset(big_scenario.library, big_scenario.me, 3_000_001, "RESUME.mov")
    half = content.size // 2 + 17
    with client(server) as immich:
        with immich.open_original(asset_id) as stream:
            first = b""
            for chunk in stream.iter_bytes(65536):
                first += chunk
                if len(first) >= half:
                    break
        with immich.open_original(asset_id, offset=len(first)) as rest:
            assert rest.total == content.size
            second = b"".join(rest.iter_bytes())
    assert _sha1_b64(first + second) == content.sha1_base64


@pytest.mark.parametrize("abort", [False, True], ids=["fin", "rst"])
def test_a_reset_mid_body_is_typed_and_resumable(server, big_scenario, abort) -> None:
    asset_id, content = large_asset(
        big_scenario.library, big_scenario.me, 4_000_000, f"RESET{abort}.mov"
    )
    server.faults.reset_rate, server.faults.reset_abort = 1.0, abort
    received = b""
    with client(server) as immich:
        with pytest.raises(StreamInterrupted), immich.open_original(asset_id) as stream:
            for chunk in stream.iter_bytes(65536):
                received += chunk
        assert len(received) < content.size
        if not abort:
            assert received, "a FIN keeps what was sent before it"
        server.faults.reset_rate = 0.0
        with immich.open_original(asset_id, offset=len(received)) as stream:
            received += b"".join(stream.iter_bytes())
    assert _sha1_b64(received) == content.sha1_base64


def test_bad_key_is_auth_error_naming_init(server) -> None:
    with client(server, "wrong-key") as immich, pytest.raises(AuthError) as caught:
        immich.me()
    assert caught.value.exit_code == 4
    assert "immich-gphotos init" in str(caught.value)
    assert "wrong-key" not in str(caught.value)


@pytest.mark.parametrize(
    ("key", "call", "permission"),
    [
        (NO_ALBUM_KEY, lambda c: c.albums(), "album.read"),
        (
            NO_DOWNLOAD_KEY,
            lambda c: c.open_original(next(iter(c.album_assets(c.albums()[0].id))).id).__enter__(),
            "asset.download",
        ),
    ],
)
def test_missing_permission_is_named(server, key, call, permission) -> None:
    with client(server, key) as immich, pytest.raises(AuthError) as caught:
        call(immich)
    assert caught.value.exit_code == 4
    assert f"lacks the permission {permission}" in str(caught.value)
    assert "album.read, asset.read, asset.download and user.read" in str(caught.value)


def test_unknown_album_is_clear(server) -> None:
    with client(server) as immich, pytest.raises(NotFound) as caught:
        immich.album_assets("3f2504e0-4f89-41d3-9a0c-0305e82c3301")
    message = str(caught.value)
    assert "3f2504e0-4f89-41d3-9a0c-0305e82c3301" in message and "immich-gphotos albums" in message
    assert "correlation id" in message


def test_transient_errors_are_retried_with_doubling_waits(server) -> None:
    slept: list[float] = []
    # Jitter at its lowest (half the step), so the waits are exact: 0.25, then 0.5.
    policy = RetryPolicy(attempts=4, base=0.5, cap=4.0, sleep=slept.append, rand=lambda: 0.0)
    server.faults.fail_next = 2
    with client(server, retry=policy) as immich:
        assert immich.me().name == "Alex Tester"
    assert slept == [0.25, 0.5], "one wait per failed try, each twice the one before"
    assert server.count("/api/users/me") == 3


def test_persistent_server_error_carries_the_correlation_id(server) -> None:
    server.faults.error_rate = 1.0
    with client(server) as immich, pytest.raises(RemoteError) as caught:
        immich.albums()
    assert caught.value.status == 500
    assert "correlation id" in str(caught.value)


def test_unreachable_names_url_and_cause() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with (
        ImmichClient(f"http://127.0.0.1:{port}", GOOD_KEY, retry=FAST) as immich,
        pytest.raises(Unreachable) as caught,
    ):
        immich.server_version()
    assert caught.value.exit_code == 7
    assert f"127.0.0.1:{port}" in str(caught.value) and "refused" in str(caught.value)


@pytest.mark.parametrize("cursor", [False, True], ids=["pages", "cursors"])
def test_a_server_repeating_a_page_stops_the_listing(big_scenario, cursor: bool) -> None:
    with ImmichStandIn(big_scenario.library, version=3) as server:
        server.cursor_paging = cursor
        server.stuck_paging = 50  # then it recovers, so a client without the check still ends
        with client(server) as immich, pytest.raises(RemoteError, match="same page twice"):
            immich.album_assets(_album_id(big_scenario, "Big Album"))
        pages = [p for _, p in server.requests if p == "/api/search/metadata"]
    assert len(pages) <= 3


def test_an_oversized_answer_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from immich_gphotos.immich import sending

    scenario = scenario_library(big=False)
    monkeypatch.setattr(sending, "MAX_JSON_BYTES", 2000)
    monkeypatch.setattr(sending, "MAX_ERROR_BYTES", 20)
    with ImmichStandIn(scenario.library, version=3) as server:
        with client(server) as immich, pytest.raises(RemoteError, match="larger than"):
            immich.albums()
        server.faults.error_text = "x" * 500
        with client(server, key="wrong") as immich, pytest.raises(RemoteError, match="larger"):
            immich.me()


def test_v3_2_lists_an_album_with_the_filter_tree_and_cursors(big_scenario) -> None:
    """3.2 deprecates the flat albumIds and page: the strict stand-in refuses them."""
    with ImmichStandIn(big_scenario.library, version=3) as server:
        server.filter_tree = True
        with client(server) as immich:
            assets = immich.album_assets(_album_id(big_scenario, "Big Album"))
        pages = [p for _, p in server.requests if p == "/api/search/metadata"]
    assert {a.id for a in assets} == big_scenario.expected["Big Album"]
    assert len(pages) == 3, "1000 per page, by cursor"


def test_v3_2_a_repeated_cursor_stops_the_listing(big_scenario) -> None:
    with ImmichStandIn(big_scenario.library, version=3) as server:
        server.filter_tree = True
        server.stuck_paging = 50  # then it recovers, so a client without the check still ends
        with client(server) as immich, pytest.raises(RemoteError, match="same page twice"):
            immich.album_assets(_album_id(big_scenario, "Big Album"))
        pages = [p for _, p in server.requests if p == "/api/search/metadata"]
    assert len(pages) <= 3
