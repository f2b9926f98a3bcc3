"""ImmichClient: version-aware calls for Immich v2.x and v3.x, with typed errors and retries.

v2 and v3 differ where it matters (see shared/notes/immich-api.md):
- v2 ``GET /albums`` lists owned albums only; shared-with-me ones need ``?shared=true``.
  v3 lists every album the user belongs to in one call.
- v2 ``/search/metadata`` returns only the caller's own timeline assets, so v2 album contents come
  from ``GET /albums/{id}``; v3 dropped ``assets`` from album responses, so v3 pages
  ``POST /search/metadata`` with one ``albumIds`` entry; from 3.2, where the flat fields are
  deprecated, with the ``filter`` tree, paged by cursor.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from immich_gphotos.errors import (
    NotFound,
    RemoteError,
    Unreachable,
    UnsupportedServer,
)
from immich_gphotos.immich.failures import NEEDED_PERMISSIONS, error_for, lacking
from immich_gphotos.immich.models import (
    ImmichAlbum,
    ImmichAsset,
    ImmichPerson,
    ImmichTag,
    ImmichUser,
    ServerVersion,
)
from immich_gphotos.immich.originals import OriginalStream, total_size
from immich_gphotos.text import clean
from immich_gphotos.transport import (
    MAX_ERROR_BYTES,
    MAX_JSON_BYTES,
    RetryPolicy,
    answers_plain_http,
    describe_transport_error,
    is_tls_error,
    make_client,
    read_capped,
)

PAGE_SIZE = 1000  # the most /search/metadata allows
FILTER_TREE = ServerVersion(3, 2, 0)  # `filter` tree and cursor paging on /search/metadata


def album_filter(album_id: str) -> dict[str, Any]:
    """Immich 3.2's structured filter for one album's assets, trashed ones left out (a filter
    includes them unless it says so). From the 3.2 SDK typings; the server code was not read."""
    return {"albumIds": {"any": [album_id]}, "trashedAt": {"eq": None}}


def search_filter(filters: dict[str, Any]) -> dict[str, Any]:
    """A search body for Immich 3.2+: the album (the one field whose tree form, ``IdsFilter``,
    is known) goes in the ``filter`` tree with trashed assets left out, paged by cursor (no
    ``page``); the other criteria of a smart album (people, tags, dates, place, rating, type,
    visibility) stay flat fields, deprecated but still accepted through 3.3.5."""
    flat = {k: v for k, v in filters.items() if k != "albumIds"}
    tree: dict[str, Any] = {"trashedAt": {"eq": None}}
    if filters.get("albumIds"):
        tree = {"albumIds": {"any": list(filters["albumIds"])}} | tree
    return flat | {"filter": tree}


def immich_retry_policy() -> RetryPolicy:
    # at least 1 s after a 5xx: a restarting server (or the proxy before it) needs a moment
    return RetryPolicy(attempts=4, base=0.25, cap=8.0, min_after_5xx=1.0)


class ImmichClient:
    def __init__(
        self,
        url: str,
        api_key: str | None,
        *,
        verify: bool | str = True,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout | None = None,
        names: tuple[str, str] = ("[immich] url", "set [immich] verify_tls to"),
    ) -> None:
        # how errors name the URL and the CA setting: config keys, or the flags `init` was given
        self.url_name, self.ca_fix = names
        self.url = url.rstrip("/")
        if self.url.endswith("/api"):
            self.url = self.url[: -len("/api")]
        headers = {"Accept": "application/json"}
        if api_key:
            headers["x-api-key"] = api_key
        self._http = make_client(self.url + "/api", headers=headers, verify=verify, timeout=timeout)
        self._retry = retry or immich_retry_policy()
        self._version: ServerVersion | None = None
        self.requests = 0  # every request sent, retries included (the benchmark reports it)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ImmichClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the request pipeline -----------------------------------------------------------------

    def _send(
        self, method: str, path: str, *, stream: bool = False, **kwargs: Any
    ) -> httpx.Response:
        """Send with the retry policy (connection errors, transient statuses); errors typed."""

        def once() -> httpx.Response:
            self.requests += 1
            try:
                request = self._http.build_request(method, path, **kwargs)
                response = self._http.send(request, stream=stream)
            except httpx.TransportError as exc:
                raise self._unreachable(exc) from None
            if response.is_success:
                return response
            if stream:
                read_capped(response, MAX_ERROR_BYTES, "Immich")
            raise self._error(method, path, response)

        return self._retry.call(once)

    def _unreachable(self, exc: httpx.TransportError) -> Unreachable:
        cause = describe_transport_error(exc)
        fix = f"check {self.url_name} and that the server is running"
        if answers_plain_http(exc):
            fix = f"use http:// in {self.url_name} (or the https address of a proxy in front of it)"
        elif is_tls_error(exc):
            fix = f"{self.ca_fix} the CA bundle that signed the server's certificate"
        return Unreachable(
            f"Cannot reach Immich at {self.url}: {cause}; {fix}.", retryable=not is_tls_error(exc)
        )

    def _error(self, method: str, path: str, response: httpx.Response) -> Exception:
        return error_for(self.url, method, path, response, url_name=self.url_name)

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = read_capped(
            self._send(method, path, stream=True, **kwargs), MAX_JSON_BYTES, "Immich"
        )
        try:
            return response.json()
        except ValueError:
            raise Unreachable(
                f"No Immich server answers at {self.url} ({method} {path} did not return JSON); "
                f"check {self.url_name} (the address you open Immich at in a browser)."
            ) from None

    # --- server and user ----------------------------------------------------------------------

    def server_version(self) -> ServerVersion:
        """The server's version, read once (no authentication needed)."""
        if self._version is None:
            data = self._json("GET", "/server/version")
            try:
                self._version = ServerVersion.from_api(data)
            except (KeyError, TypeError, ValueError):
                raise Unreachable(
                    f"No Immich server answers at {self.url} (its version answer is not Immich's); "
                    f"check {self.url_name}."
                ) from None
        return self._version

    def check_supported(self) -> ServerVersion:
        version = self.server_version()
        if version.major < 2:
            raise UnsupportedServer(
                f"Immich {version} at {self.url} is too old: immich-gphotos supports v2.x and v3.x; "
                "upgrade Immich."
            )
        return version

    @property
    def is_v3(self) -> bool:
        return self.check_supported().major >= 3

    def require_permissions(self, needed: tuple[str, ...] = NEEDED_PERMISSIONS) -> None:
        """Refuse a key without a permission the sync needs, naming it, before anything is done
        with the key. ``GET /api-keys/me`` itself needs no permission; a server that cannot
        answer it (a session instead of a key) leaves each call to say what it lacks."""
        try:
            data = self._json("GET", "/api-keys/me")
        except RemoteError as exc:
            if exc.status in (400, 404):
                return
            raise
        granted = set(data.get("permissions") or []) if isinstance(data, dict) else set()
        if "all" in granted:
            return
        missing = [p for p in needed if p not in granted]
        if missing:
            raise lacking(missing)

    def me(self) -> ImmichUser:
        return ImmichUser.from_api(self._json("GET", "/users/me"))

    # --- albums and assets --------------------------------------------------------------------

    def albums(self) -> list[ImmichAlbum]:
        """Owned and shared-with-me albums, each once."""
        if self.is_v3:
            return [ImmichAlbum.from_api(a) for a in self._json("GET", "/albums")]
        merged: dict[str, ImmichAlbum] = {}
        for params in ({}, {"shared": "true"}):
            for raw in self._json("GET", "/albums", params=params):
                album = ImmichAlbum.from_api(raw)
                merged.setdefault(album.id, album)
        return list(merged.values())

    def album(self, album_id: str) -> ImmichAlbum:
        params = {} if self.is_v3 else {"withoutAssets": "true"}
        with _album_lookup(album_id):
            return ImmichAlbum.from_api(self._json("GET", f"/albums/{album_id}", params=params))

    def album_assets(self, album_id: str) -> list[ImmichAsset]:
        """Every asset of the album, whoever owns it, archived ones included; each once."""
        return self.album_with_assets(album_id)[1]

    def album_with_assets(
        self, album_id: str, listed: ImmichAlbum | None = None
    ) -> tuple[ImmichAlbum, list[ImmichAsset]]:
        """The album and its assets in the fewest calls the server version allows (on v3, the
        album itself is not asked for again when ``listed``, from ``albums()``, is given)."""
        if not self.is_v3:
            with _album_lookup(album_id):
                data = self._json("GET", f"/albums/{album_id}", params={"withoutAssets": "false"})
            return ImmichAlbum.from_api(data), _unique(
                ImmichAsset.from_api(a) for a in data.get("assets") or []
            )
        # withExif gives sizes and descriptions but is an INNER join on exif rows, so assets not
        # yet through metadata extraction drop out; when the count falls short of the album's
        # assetCount, list again without it and fill the gaps.
        album = listed or self.album(album_id)  # first: an unknown id fails clearly here
        with_exif = _unique(self._search_album(album_id, with_exif=True))
        if len(with_exif) >= album.asset_count:
            return album, with_exif
        known = {a.id for a in with_exif}
        rest = [a for a in self._search_album(album_id, with_exif=False) if a.id not in known]
        return album, _unique([*with_exif, *rest])

    def asset(self, asset_id: str) -> ImmichAsset:
        """One asset (the motion part of a live photo is in no album listing)."""
        return ImmichAsset.from_api(self._json("GET", f"/assets/{asset_id}"))

    # --- people, tags, searches (smart albums) -------------------------------------------------

    def people(self) -> list[ImmichPerson]:
        """Every person of the key's user, hidden ones included (``person.read``), paged."""
        found: dict[str, ImmichPerson] = {}
        page = 1
        while True:
            params = {"page": page, "size": PAGE_SIZE, "withHidden": "true"}
            data = self._json("GET", "/people", params=params)
            for raw in data.get("people") or []:
                person = ImmichPerson.from_api(raw)
                found.setdefault(person.id, person)
            if not data.get("hasNextPage") or not data.get("people"):
                return list(found.values())
            page += 1

    def tags(self) -> list[ImmichTag]:
        """Every tag of the key's user (``tag.read``)."""
        return [ImmichTag.from_api(t) for t in self._json("GET", "/tags")]

    def search_assets(self, filters: dict[str, Any]) -> list[ImmichAsset]:
        """Every asset ``POST /search/metadata`` matches with these filters, each once, paged as
        album listings are. withExif is an INNER join on exif rows: unless a filter already needs
        exif (place, rating), a second listing without it finds the assets not yet through
        metadata extraction."""
        with_exif = _unique(self._search(filters, with_exif=True))
        if any(filters.get(k) is not None for k in ("country", "city", "rating")):
            return with_exif
        known = {a.id for a in with_exif}
        rest = [a for a in self._search(filters, with_exif=False) if a.id not in known]
        return _unique([*with_exif, *rest])

    def _search_album(self, album_id: str, *, with_exif: bool) -> Iterator[ImmichAsset]:
        return self._search({"albumIds": [album_id]}, with_exif=with_exif, what=f"album {album_id}")

    def _search(
        self, filters: dict[str, Any], *, with_exif: bool, what: str = "a search"
    ) -> Iterator[ImmichAsset]:
        body: dict[str, Any] = {
            **filters,
            "size": PAGE_SIZE,
            "page": 1,
            "withExif": with_exif,
        }
        if self.server_version() >= FILTER_TREE:  # the flat fields are deprecated there
            body = search_filter(filters) | {"size": PAGE_SIZE, "withExif": with_exif}
        seen: set[str] = set()  # a server that hands out the same page again would loop for ever
        while True:
            data = self._json("POST", "/search/metadata", json=body)
            assets = data.get("assets") or {}
            for raw in assets.get("items") or []:
                yield ImmichAsset.from_api(raw)
            cursor = assets.get("nextCursor")  # v3.2 cursor paging, preferred where offered
            next_page = assets.get("nextPage")
            following = f"cursor {cursor}" if cursor else f"page {next_page}" if next_page else ""
            if following and (following in seen or following == f"page {body.get('page')}"):
                raise RemoteError(
                    f"Immich answered the same page twice while listing {what} "
                    f"({clean(following[:60])}); try again later, and report it to Immich if it lasts."
                )
            seen.add(following)
            if cursor:
                body = {k: v for k, v in body.items() if k != "page"} | {"cursor": cursor}
            elif next_page:
                body = body | {"page": int(next_page)}
            else:
                return

    # --- originals ----------------------------------------------------------------------------

    @contextmanager
    def open_original(
        self, asset_id: str, offset: int = 0, edited: bool = False
    ) -> Iterator[OriginalStream]:
        """Stream the untouched original, or with ``edited`` the edited rendition (Immich >= 2.5
        keeps edits beside the original), from ``offset`` (an HTTP Range request) when resuming."""
        headers = {"Accept": "*/*", "Accept-Encoding": "identity"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        params = {"edited": "true"} if edited else None
        response = self._send(
            "GET", f"/assets/{asset_id}/original", stream=True, headers=headers, params=params
        )
        try:
            yield OriginalStream(
                response,
                offset,
                total_size(response, offset),
                response.headers.get("content-type"),
                response.headers.get("etag"),
            )
        finally:
            response.close()

    def rendition_tag(self, asset_id: str) -> str:
        """What identifies the edited rendition now (its size and ETag), read from the download's
        headers; the body is never read."""
        with self.open_original(asset_id, edited=True) as stream:
            return stream.tag


@contextmanager
def _album_lookup(album_id: str) -> Iterator[None]:
    """Immich answers 400 (not 404) for an album that is unknown or not shared with the key's user."""
    try:
        yield
    except RemoteError as exc:
        if exc.status != 400:
            raise
        raise NotFound(
            f"Immich has no album {album_id} visible to this API key; run `immich-gphotos albums` "
            "to list the albums, and `albums remove` for one that was deleted.",
            status=400,
            correlation_id=exc.correlation_id,
        ) from None


def _unique(assets: Any) -> list[ImmichAsset]:
    """De-duplicate by id: v2's offset pages can shift while assets change."""
    seen: dict[str, ImmichAsset] = {}
    for asset in assets:
        seen.setdefault(asset.id, asset)
    return list(seen.values())
