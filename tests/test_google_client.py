"""The Photos Library client against the stand-in Google: uploads, batches, quota, errors."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest

from immich_gphotos.budget import RequestBudget
from immich_gphotos.errors import (
    AuthError,
    QuotaReached,
    RemoteError,
    StorageFull,
    Unreachable,
)
from immich_gphotos.gphotos.auth import TokenSource
from immich_gphotos.gphotos.client import GooglePhotosClient, google_retry_policy
from immich_gphotos.gphotos.client_secrets import load_client_secrets
from immich_gphotos.gphotos.models import AlbumGone, NewItem, ReferenceRefused
from immich_gphotos.immich.client import ImmichClient
from immich_gphotos.state.store import StateStore
from immich_gphotos.transport import RetryPolicy
from tests.helpers import GOOD_KEY, large_asset, scenario_library
from tests.standins.content import Content
from tests.standins.google import (
    APPEND,
    DAILY_QUOTA_MESSAGE,
    MINUTE_QUOTA_MESSAGE,
    STORAGE_FULL_MESSAGE,
    Album,
    GoogleStandIn,
)
from tests.standins.immich import ImmichStandIn


class Slept(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def slept() -> Slept:
    return Slept()


@pytest.fixture
def api(google: GoogleStandIn, slept: Slept, tmp_path: Path):
    """A client logged in as a finished `auth` would leave it, counting into a real state DB."""
    client = load_client_secrets(google.secrets_path)
    refresh, _ = google.issue_tokens()
    state = StateStore.open(tmp_path / "state")
    budget = RequestBudget(9500, state.requests_on, state.add_requests)
    # The production policy, its waits recorded instead of slept; jitter at its lowest, so a
    # wait below a promised minimum shows.
    policy = dataclasses.replace(google_retry_policy(), sleep=slept, rand=lambda: 0.0)
    with GooglePhotosClient(
        google.url, TokenSource(client, refresh), budget, retry=policy
    ) as photos:
        photos.state = state  # type: ignore[attr-defined]
        yield photos
    state.close()


def _bytes(data: bytes):
    @contextmanager
    def open_stream(offset: int) -> Iterator[list[bytes]]:
        yield [data[offset:]]

    return open_stream


def _sha1(data: bytes) -> str:
    return base64.b64encode(hashlib.sha1(data).digest()).decode()


def test_upload_and_batch_create_into_an_album(api, google) -> None:
    album = api.create_album("Summer 2024")
    files = [(f"IMG_{i}.jpg", f"photo {i}".encode() * 100) for i in range(3)]
    items = [
        NewItem(api.upload(_bytes(data), len(data), "image/jpeg"), name, f"caption {i}")
        for i, (name, data) in enumerate(files)
    ]
    results = api.batch_create(album.id, items)
    assert [r.ok for r in results] == [True, True, True]
    placed = google.album_files(album.id)
    assert [m.filename for m in placed] == ["IMG_0.jpg", "IMG_1.jpg", "IMG_2.jpg"]
    assert [m.sha1 for m in placed] == [_sha1(d) for _, d in files]
    assert placed[1].description == "caption 1"
    assert [m.id for m in placed] == [r.media_item_id for r in results]


def test_results_map_back_to_each_item(api, google) -> None:
    album = api.create_album("Mixed")
    good = api.upload(_bytes(b"good bytes"), 10, "image/jpeg")
    results = api.batch_create(
        album.id, [NewItem("upl-never-issued", "A.jpg"), NewItem(good, "B.jpg")]
    )
    assert results[0].ok is False and results[0].code == 3
    assert results[1].ok is True
    again = api.batch_create(album.id, [NewItem(good, "B.jpg")])  # upload tokens are single-use
    assert again[0].ok is False


def test_batches_are_at_most_50(api) -> None:
    album = api.create_album("Big")
    with pytest.raises(ValueError):
        api.batch_create(album.id, [NewItem(f"t{i}", "x.jpg") for i in range(51)])
    with pytest.raises(ValueError):
        api.batch_add(album.id, [f"m{i}" for i in range(51)])


def test_identical_bytes_are_one_item_and_add_by_reference(api, google) -> None:
    google.duplicates_apart = False  # Google as its upload guide describes it: one copy
    first, second = api.create_album("One"), api.create_album("Two")
    data = b"the same picture"
    [made] = api.batch_create(
        first.id, [NewItem(api.upload(_bytes(data), len(data), "image/jpeg"), "P.jpg")]
    )
    api.batch_add(second.id, [made.media_item_id])
    assert google.albums[second.id].items == [made.media_item_id]
    [again] = api.batch_create(
        second.id, [NewItem(api.upload(_bytes(data), len(data), "image/jpeg"), "P.jpg")]
    )
    assert again.media_item_id == made.media_item_id
    assert len(google.media) == 1


def test_the_stand_in_keeps_an_item_created_twice_apart(api, google) -> None:
    """The worst case Google has been seen to do: the same bytes created twice are two items, so
    a client that creates a batch twice shows up as duplicates in the album."""
    album = api.create_album("Twice")
    data = b"created twice"
    made = [
        api.batch_create(
            album.id, [NewItem(api.upload(_bytes(data), len(data), "image/jpeg"), "T.jpg")]
        )[0]
        for _ in range(2)
    ]
    assert made[0].media_item_id != made[1].media_item_id
    assert google.albums[album.id].items == [m.media_item_id for m in made]


def test_preexisting_item_lands_by_batch_create_but_not_by_reference(api, google) -> None:
    data = b"already in the user's library from the phone"
    pre = google.add_preexisting(_sha1(data), len(data), "PHONE.jpg")
    album, other = api.create_album("Trip"), api.create_album("Other")
    [placed] = api.batch_create(
        album.id, [NewItem(api.upload(_bytes(data), len(data), "image/jpeg"), "PHONE.jpg")]
    )
    assert placed.ok and placed.media_item_id == pre
    with pytest.raises(ReferenceRefused):
        api.batch_add(other.id, [pre])
    [also] = api.batch_create(
        other.id, [NewItem(api.upload(_bytes(data), len(data), "image/jpeg"), "PHONE.jpg")]
    )
    assert also.ok and google.albums[other.id].items == [pre]


def test_deleted_album_is_album_gone(api, google) -> None:
    album = api.create_album("Soon gone")
    assert api.get_album(album.id).title == "Soon gone"
    google.delete_album(album.id)
    with pytest.raises(AlbumGone):
        api.get_album(album.id)


def test_album_items_pages_through_app_created_items(api, google) -> None:
    album = api.create_album("Paged")
    tokens = [
        NewItem(api.upload(_bytes(f"n{i}".encode()), 1 + len(str(i)), "image/jpeg"), f"{i}.jpg")
        for i in range(45)
    ]
    api.batch_create(album.id, tokens)
    found = list(api.album_items(album.id, page_size=20))
    assert [m.file_name for m in found] == [f"{i}.jpg" for i in range(45)]


def test_list_albums_pages_50_at_a_time_and_sees_only_this_clients_albums(api, google) -> None:
    for i in range(55):
        api.create_album(f"Album {i}")
    google.clients["other-client"] = "other-secret"
    google.albums["theirs"] = Album("theirs", "Not ours", "other-client")
    before = google.library_requests
    titles = [a.title for a in api.list_albums()]
    assert titles == [f"Album {i}" for i in range(55)]
    assert google.library_requests - before == 2, "55 albums: two pages of 50"


@pytest.mark.parametrize("how", ["repeat", "endless"])
def test_a_listing_that_repeats_or_never_ends_stops_with_a_clear_error(
    api, google, how, monkeypatch
) -> None:
    """Bounded by what a list can hold (an album 20,000 items: 200 pages and a margin; here a
    smaller album limit keeps the test quick)."""
    monkeypatch.setattr("immich_gphotos.gphotos.media_item_calls.ALBUM_LIMIT", 500)
    monkeypatch.setattr("immich_gphotos.gphotos.album_calls.MAX_ALBUM_PAGES", 12)
    album = api.create_album("Looping")
    api.batch_create(album.id, [NewItem(api.upload(_bytes(b"abc"), 3, "image/jpeg"), "A.jpg")])
    google.faults.pages = how
    expected = "same page twice" if how == "repeat" else "more pages"
    before = google.library_requests
    with pytest.raises(RemoteError, match=expected):
        list(api.album_items(album.id))
    assert google.library_requests - before == (2 if how == "repeat" else 5 + 10)
    before = google.library_requests
    with pytest.raises(RemoteError, match=f"{expected}.*albums this app made"):
        list(api.list_albums())
    assert google.library_requests - before == (2 if how == "repeat" else 12)


def test_batch_get_answers_none_for_what_this_client_cannot_see(api, google) -> None:
    made = api.batch_create(
        api.create_album("Seen").id,
        [NewItem(api.upload(_bytes(b"abc"), 3, "image/jpeg"), "A.jpg")],
    )[0].media_item_id
    theirs = google.add_preexisting("c2hh", 3, "B.jpg")  # the user's own upload: not app-created
    found = api.batch_get([made, theirs])
    assert found[made] is not None and found[made].file_name == "A.jpg"
    assert found[theirs] is None


def test_remove_by_reference(api, google) -> None:
    album = api.create_album("Trim")
    results = api.batch_create(
        album.id, [NewItem(api.upload(_bytes(b"abc"), 3, "image/jpeg"), "A.jpg")]
    )
    api.batch_remove(album.id, [results[0].media_item_id])
    assert google.albums[album.id].items == []


def test_quota_count_matches_the_stand_in(api, google) -> None:
    album = api.create_album("Counted")
    for i in range(3):
        api.batch_create(
            album.id, [NewItem(api.upload(_bytes(b"x" * (i + 1)), i + 1, "image/jpeg"), "x.jpg")]
        )
    api.get_album(album.id)
    google.faults.fail_next = [(503, "backend error")]
    api.get_album(album.id)  # one retry, which counts too
    assert api.state.requests_on() == google.library_requests == 10


def test_budget_stops_before_sending(google, tmp_path, slept) -> None:
    client = load_client_secrets(google.secrets_path)
    refresh, _ = google.issue_tokens()
    state = StateStore.open(tmp_path / "s")
    budget = RequestBudget(3, state.requests_on, state.add_requests)
    policy = RetryPolicy(sleep=slept)
    with GooglePhotosClient(
        google.url, TokenSource(client, refresh), budget, retry=policy
    ) as photos:
        photos.create_album("a")
        photos.create_album("b")
        photos.create_album("c")
        with pytest.raises(QuotaReached) as caught:
            photos.create_album("d")
    assert caught.value.exit_code == 6
    assert google.library_requests == 3, "the refused request was never sent"
    assert "daily_request_budget" in str(caught.value)


def test_daily_quota_error_stops_without_retrying(api, google, slept) -> None:
    google.faults.fail_next = [(429, DAILY_QUOTA_MESSAGE)]
    with pytest.raises(QuotaReached) as caught:
        api.create_album("x")
    assert caught.value.exit_code == 6
    assert slept == [] and google.library_requests == 1


def test_per_minute_429_waits_at_least_30_seconds(api, google, slept) -> None:
    google.faults.fail_next = [(429, MINUTE_QUOTA_MESSAGE), (429, MINUTE_QUOTA_MESSAGE)]
    assert api.create_album("patient").title == "patient"
    assert len(slept) == 2 and all(s >= 30 for s in slept)
    assert google.library_requests == 3, "retried until it went through"


def test_5xx_is_retried_after_at_least_a_second(api, google, slept) -> None:
    google.faults.fail_next = [(500, "Internal error"), (503, "Unavailable")]
    assert api.create_album("persistent").title == "persistent"
    assert len(slept) == 2 and all(s >= 1 for s in slept)
    assert google.library_requests == 3, "retried until it went through"


def test_storage_full_is_exit_8(api, google) -> None:
    google.faults.fail_next = [(400, STORAGE_FULL_MESSAGE)]
    with pytest.raises(StorageFull) as caught:
        api.upload(_bytes(b"abc"), 3, "image/jpeg")
    assert caught.value.exit_code == 8


def test_invalid_grant_explains_testing_status(google, tmp_path) -> None:
    client = load_client_secrets(google.secrets_path)
    refresh, _ = google.issue_tokens()
    google.faults.invalid_grant = True
    with (
        GooglePhotosClient(google.url, TokenSource(client, refresh)) as photos,
        pytest.raises(AuthError) as caught,
    ):
        photos.create_album("x")
    assert caught.value.exit_code == 4
    assert "immich-gphotos auth" in str(caught.value) and "7 days" in str(caught.value)


def _refresher(slept: list[float]):  # type: ignore[no-untyped-def]
    from immich_gphotos.gphotos.oauth import TESTING_HINT
    from immich_gphotos.gphotos.token_refresh import refresh, refresh_policy

    return lambda client, token: refresh(client, token, TESTING_HINT, refresh_policy(slept.append))


def test_an_unreachable_token_endpoint_is_exit_7_naming_it(google) -> None:
    """The refresh goes through httpx; a refused connection is tried again, then reported as
    the network's problem, naming the endpoint, not as a refused login."""
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = dataclasses.replace(
        load_client_secrets(google.secrets_path), token_uri=f"http://127.0.0.1:{port}/token"
    )
    refresh, _ = google.issue_tokens()
    slept: list[float] = []
    with pytest.raises(Unreachable) as caught:
        TokenSource(client, refresh, refresh=_refresher(slept)).token()
    assert caught.value.exit_code == 7
    assert f"127.0.0.1:{port}/token" in str(caught.value)
    assert len(slept) == 2, "three tries"


def test_an_untrusted_token_endpoint_certificate_is_not_tried_again(google, tmp_path) -> None:
    """A TLS refusal stays a refusal: exit 7 naming the certificate, at once, no sleeps."""
    from tests.helpers import scenario_library, self_signed_cert
    from tests.standins.immich import ImmichStandIn

    cert, key = self_signed_cert(tmp_path)
    library = scenario_library(big=False).library
    with ImmichStandIn(library, version=3, tls=(str(cert), str(key))) as untrusted:
        client = dataclasses.replace(
            load_client_secrets(google.secrets_path), token_uri=f"{untrusted.url}/token"
        )
        refresh, _ = google.issue_tokens()
        slept: list[float] = []
        with pytest.raises(Unreachable) as caught:
            TokenSource(client, refresh, refresh=_refresher(slept)).token()
    assert caught.value.exit_code == 7 and "certificate" in str(caught.value)
    assert slept == [], "not tried again"


def test_a_token_endpoint_hiccup_is_tried_again(google) -> None:
    client = load_client_secrets(google.secrets_path)
    refresh, _ = google.issue_tokens()
    google.faults.token_fail_next = [503, 500]
    slept: list[float] = []
    token = TokenSource(client, refresh, refresh=_refresher(slept)).token()
    assert token and len(slept) == 2
    google.faults.token_fail_next = [503, 503, 503]
    with pytest.raises(Unreachable, match="answered 503"):
        TokenSource(client, refresh, refresh=_refresher(slept)).token()
    slept.clear()
    google.faults.token_fail_next = [429]
    with pytest.raises(Unreachable, match="slow down") as caught:
        TokenSource(client, refresh, refresh=_refresher(slept)).token()
    assert caught.value.exit_code == 7 and slept == [], "a 429 is not tried again within seconds"


def test_a_refused_refresh_names_googles_reason_made_inert(google) -> None:
    client = dataclasses.replace(
        load_client_secrets(google.secrets_path), client_secret="not-the-secret"
    )
    refresh, _ = google.issue_tokens()
    with pytest.raises(AuthError) as caught:
        TokenSource(client, refresh, refresh=_refresher([])).token()
    assert caught.value.exit_code == 4
    assert "invalid_client" in str(caught.value) and "immich-gphotos auth" in str(caught.value)


def test_insufficient_scopes_names_auth(google, slept) -> None:
    client = load_client_secrets(google.secrets_path)
    refresh, _ = google.issue_tokens(scopes={APPEND})
    with GooglePhotosClient(
        google.url, TokenSource(client, refresh), retry=RetryPolicy(sleep=slept)
    ) as photos:
        album = photos.create_album("fine")
        with pytest.raises(AuthError) as caught:
            photos.get_album(album.id)
    assert caught.value.exit_code == 4 and "immich-gphotos auth" in str(caught.value)


def test_refreshes_once_on_a_401_and_before_expiry(google) -> None:
    client = load_client_secrets(google.secrets_path)
    refresh, _ = google.issue_tokens()
    now = [1_000_000.0]
    tokens = TokenSource(client, refresh, clock=lambda: now[0])
    with GooglePhotosClient(google.url, tokens) as photos:
        album = photos.create_album("x")
        assert tokens.refreshes == 1
        google.access_tokens.clear()  # Google forgets the access token early
        photos.get_album(album.id)
        assert tokens.refreshes == 2
        now[0] += 3599 - 30  # within a minute of expiry: refreshed before sending
        photos.get_album(album.id)
        assert tokens.refreshes == 3


@pytest.mark.slow
def test_a_300_mb_resumable_upload_broken_twice_resumes_from_googles_offset(
    google, tmp_path, slept
) -> None:
    scenario = scenario_library(big=False)
    size = 300 * 1024 * 1024 + 12345
    asset_id, content = large_asset(scenario.library, scenario.me, size, "BIG.mp4")
    client = load_client_secrets(google.secrets_path)
    refresh, _ = google.issue_tokens()
    google.faults.upload_breaks = 2
    with (
        ImmichStandIn(scenario.library, version=3) as immich_server,
        ImmichClient(immich_server.url, GOOD_KEY) as immich,
        GooglePhotosClient(
            google.url, TokenSource(client, refresh), retry=RetryPolicy(sleep=slept)
        ) as photos,
    ):

        @contextmanager
        def open_stream(offset: int):
            with immich.open_original(asset_id, offset) as stream:
                yield stream.iter_bytes()

        tracemalloc.start()
        try:
            token = photos.upload(open_stream, size, "video/mp4")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        album = photos.create_album("Videos")
        [result] = photos.batch_create(album.id, [NewItem(token, "BIG.mp4")])
    assert result.ok
    assert google.media[result.media_item_id].sha1 == content.sha1_base64
    assert google.upload_bytes_received < size * 1.02, "resumed from Google's offset, not from zero"
    offsets = [
        int(r.split("=")[1].rstrip("-")) for a, r in immich_server.ranges if a == asset_id and r
    ]
    assert len(offsets) == 2 and all(0 < o < size for o in offsets), (
        "Range requests to Immich at the offsets"
    )
    assert len(slept) == 2
    assert peak < 64 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB"


def test_raw_upload_retries_after_a_break(api, google, slept) -> None:
    content = Content("raw-break", 2_000_000)
    google.faults.upload_breaks = 1

    @contextmanager
    def open_stream(offset: int):
        yield content.iter_range(offset)

    token = api.upload(open_stream, content.size, "image/jpeg")
    album = api.create_album("r")
    [result] = api.batch_create(album.id, [NewItem(token, "R.jpg")])
    assert google.media[result.media_item_id].sha1 == content.sha1_base64
    assert len(slept) == 1


def test_a_resumable_session_elsewhere_gets_no_bearer_token(
    api, google, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from immich_gphotos.errors import RemoteError
    from immich_gphotos.gphotos import uploads as uploads_mod

    seen: list[dict[str, str]] = []

    class Catcher(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            seen.append(dict(self.headers))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    elsewhere = ThreadingHTTPServer(("127.0.0.1", 0), Catcher)
    threading.Thread(target=elsewhere.serve_forever, daemon=True).start()
    try:
        monkeypatch.setattr(uploads_mod, "RAW_UPLOAD_LIMIT", 1000)  # resumable for a small file
        data = b"v" * 5000
        for base in (
            f"http://localhost:{elsewhere.server_address[1]}",  # another host
            f"http://127.0.0.1:{elsewhere.server_address[1]}",  # another port
            google.url.replace("http://", "https://"),  # another scheme
        ):
            google.faults.upload_url_base = base
            with pytest.raises(RemoteError, match="upload URL points outside"):
                api.upload(_bytes(data), len(data), "video/mp4")
        assert seen == [], "nothing, least of all the token, went to the other place"
        google.faults.upload_url_base = None
        assert api.upload(_bytes(data), len(data), "video/mp4")  # Google's own URL still works
    finally:
        elsewhere.shutdown()
        elsewhere.server_close()


def test_a_resumable_upload_is_two_requests_and_resumes_from_googles_offset(
    api, google, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The start, then the whole file in one "upload, finalize" (issue 13, item 2); a break
    costs one query and one more send of what Google does not hold, not the whole file."""
    from immich_gphotos.gphotos import uploads as uploads_mod

    monkeypatch.setattr(uploads_mod, "RAW_UPLOAD_LIMIT", 1000)  # resumable for a small file
    # were the file sent in pieces of any size (as it was, 128 MiB), a small piece shows it here
    monkeypatch.setattr(uploads_mod, "RESUMABLE_CHUNK", 262144, raising=False)
    data = bytes(range(256)) * 12_000  # 3 MB: more than one 1 MiB piece, many granules
    before = google.library_requests
    token = api.upload(_bytes(data), len(data), "video/mp4")
    assert google.library_requests - before == 2, "start, then upload+finalize in one request"
    album = api.create_album("Videos")
    [result] = api.batch_create(album.id, [NewItem(token, "V.mp4")])
    assert google.media[result.media_item_id].sha1 == _sha1(data)

    google.faults.upload_breaks = 1
    sent_before, before = google.upload_bytes_received, google.library_requests
    token = api.upload(_bytes(data), len(data), "video/mp4")
    assert google.library_requests - before == 4, "start, broken send, query, the rest"
    assert google.upload_bytes_received - sent_before < len(data) * 1.1, "resumed, not restarted"
    [again] = api.batch_create(album.id, [NewItem(token, "V2.mp4")])
    assert google.media[again.media_item_id].sha1 == _sha1(data)


def test_budget_reads_the_days_count_once_then_keeps_it(tmp_path) -> None:
    """The state is read at the first request and again only on a new Pacific day; every
    request is still added to the state (a later run sees them all)."""
    state = StateStore.open(tmp_path / "s")
    state.add_requests(5, date(2026, 11, 30))
    loads: list[date] = []
    today = [date(2026, 11, 30)]

    def load(day: date) -> int:
        loads.append(day)
        return state.requests_on(day)

    budget = RequestBudget(8, load, state.add_requests, today=lambda: today[0])
    for _ in range(3):
        budget.take()
    with pytest.raises(QuotaReached):
        budget.take()
    assert loads == [date(2026, 11, 30)]
    assert state.requests_on(date(2026, 11, 30)) == 8
    today[0] = date(2026, 12, 1)  # midnight Pacific: a new day's count
    budget.take()
    assert loads == [date(2026, 11, 30), date(2026, 12, 1)]
    assert budget.used_today() == 1 and budget.sent == 4
