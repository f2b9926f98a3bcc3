"""A stand-in Immich server (v2.7 or v3.1 behaviour) on 127.0.0.1, for tests, the demo and the benchmark.

It answers as ../shared/specs/ describes, including each version's traps:
- v2: ``GET /albums`` lists owned albums unless ``?shared=true``; ``GET /albums/{id}`` carries
  ``assets`` (every member's); ``/search/metadata`` returns only the caller's own assets and only
  ``timeline`` visibility by default; errors carry ``statusCode`` and ``correlationId`` in the body.
- v3: ``GET /albums`` lists every album the user belongs to; album responses have no ``assets``;
  ``/search/metadata`` with ``albumIds`` returns all members' assets, default visibility
  not-locked; errors are ``{"message"}`` with an ``X-Correlation-ID`` header.
Both: people (``GET /people``, ``person.read``), tags (``GET /tags``, ``tag.read``), favourites,
ratings and places; ``/search/metadata`` filters as the server's ``searchAssetBuilder`` does:
``personIds``, ``tagIds`` (descendant tags count) and ``albumIds`` want all of them, ``rating``
is exact, ``takenAfter``/``takenBefore`` are both inclusive, place and rating need an exif row,
``isNotInAlbum`` is ignored beside ``albumIds``.
Both: unknown or inaccessible ids answer 400, scoped API keys answer 403 naming the permission,
originals honour ``Range`` and carry an Express-style weak ``ETag``. Edits (v2.5+) are kept
beside the original: ``Library.edit`` gives an asset an edited rendition (other bytes, other
size) that ``/original?edited=true`` serves, sets ``isEdited`` and moves ``updatedAt``; the
default download and ``checksum`` stay the original's. Fault switches inject 5xx, connection resets mid-body and slow bodies.

Run on its own: ``python -m tests.standins.immich --port 2283 --version 3 --photos 200``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import mimetypes
import random
import re
import socket
import threading
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from tests.standins.content import Content
from tests.standins.server import StandInServer

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", re.I)
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def new_id(rng: random.Random | None = None) -> str:
    return str(uuid.UUID(int=(rng or random).getrandbits(128), version=4))


def ts(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class User:
    id: str
    name: str
    email: str


@dataclass
class Asset:
    id: str
    owner_id: str
    file_name: str
    content: Content
    type: str = "IMAGE"
    created: datetime = EPOCH
    visibility: str = "timeline"  # timeline | archive | hidden | locked
    trashed: bool = False
    live_photo_video_id: str | None = None
    description: str = ""
    library_id: str | None = None
    has_exif: bool = True
    mime: str | None = None
    favorite: bool = False
    rating: int | None = None
    city: str | None = None
    country: str | None = None
    people: list[str] = field(default_factory=list)  # person ids (faces recognised)
    tags: list[str] = field(default_factory=list)  # tag ids
    edited: Content | None = None  # the edited rendition, served by /original?edited=true
    updated: datetime | None = None  # updatedAt; moves on an edit or a description change
    edit_count: int = 0

    @property
    def updated_at(self) -> datetime:
        return self.updated or self.created

    @property
    def checksum(self) -> str:
        if self.library_id:  # external library: SHA-1 of "path:<originalPath>", not of the contents
            import base64
            import hashlib

            return base64.b64encode(
                hashlib.sha1(f"path:{self.original_path}".encode()).digest()
            ).decode()
        return self.content.sha1_base64

    @property
    def original_path(self) -> str:
        if self.library_id:
            return f"/mnt/external/{self.file_name}"
        return f"/data/upload/{self.owner_id}/{self.id[:2]}/{self.id}{_ext(self.file_name)}"


@dataclass
class Person:
    id: str
    owner_id: str
    name: str = ""  # most people Immich finds have no name until the user gives one
    hidden: bool = False


@dataclass
class Tag:
    id: str
    owner_id: str
    value: str  # the whole path, "Family/Kids"
    parent_id: str | None = None

    @property
    def name(self) -> str:
        return self.value.rsplit("/", 1)[-1]


@dataclass
class Album:
    id: str
    name: str
    owner_id: str
    asset_ids: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)  # users it is shared with
    created: datetime = EPOCH
    updated: datetime = EPOCH
    description: str = ""


@dataclass
class Faults:
    """Fault switches, all off by default. Rates are probabilities per request (seeded)."""

    error_rate: float = 0.0  # answer 500 instead
    reset_rate: float = 0.0  # originals: drop the connection after part of the body
    reset_abort: bool = False  # drop it with a TCP RST (unread data is lost) instead of a FIN
    fail_next: int = 0  # the next N API requests answer 503
    slow_body_seconds: float = 0.0  # originals: pause this long in the middle of the body
    error_text: str | None = None  # every error answer carries this message (hostile-text tests)
    broken_status: int = 500  # what broken_assets answer (404: no retry, the item fails at once)
    hold_body: threading.Event | None = None  # originals: pause mid-body until this is set,
    hold_from: int = 1  # ... from the Nth original request on (earlier ones pass)
    seed: int = 7
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)


def _ext(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:] if dot > 0 else ""


class Library:
    """The stand-in's data: users, API keys (with permissions), albums and assets."""

    def __init__(self, seed: int = 1) -> None:
        self.rng = random.Random(seed)
        self.users: dict[str, User] = {}
        self.keys: dict[str, tuple[str, set[str]]] = {}  # key -> (user id, permissions)
        self.albums: dict[str, Album] = {}
        self.assets: dict[str, Asset] = {}
        self.people: dict[str, Person] = {}
        self.tags: dict[str, Tag] = {}
        self.lock = threading.RLock()

    def add_person(self, owner: User, name: str = "", hidden: bool = False) -> Person:
        person = Person(new_id(self.rng), owner.id, name, hidden)
        self.people[person.id] = person
        return person

    def add_tag(self, owner: User, value: str) -> Tag:
        """A tag by its path; its parents ("Family" for "Family/Kids") are made as Immich does."""
        parent: Tag | None = None
        path = ""
        for part in value.split("/"):
            path = f"{path}/{part}" if path else part
            found = next(
                (t for t in self.tags.values() if t.owner_id == owner.id and t.value == path), None
            )
            if found is None:
                found = Tag(new_id(self.rng), owner.id, path, parent.id if parent else None)
                self.tags[found.id] = found
            parent = found
        assert parent is not None
        return parent

    def tag_and_ancestors(self, tag_id: str) -> set[str]:
        found: set[str] = set()
        tag = self.tags.get(tag_id)
        while tag is not None:
            found.add(tag.id)
            tag = self.tags.get(tag.parent_id or "")
        return found

    def in_any_album(self, asset: Asset) -> bool:
        return any(asset.id in album.asset_ids for album in self.albums.values())

    def add_user(
        self, name: str, key: str | None = None, permissions: set[str] | None = None
    ) -> User:
        user = User(new_id(self.rng), name, f"{name.lower().replace(' ', '.')}@example.org")
        self.users[user.id] = user
        if key:
            self.keys[key] = (user.id, permissions or {"all"})
        return user

    def add_key(self, key: str, user: User, permissions: set[str]) -> None:
        self.keys[key] = (user.id, permissions)

    def add_album(self, name: str, owner: User, shared_with: list[User] | None = None) -> Album:
        created = EPOCH + timedelta(days=len(self.albums))
        album = Album(
            new_id(self.rng),
            name,
            owner.id,
            created=created,
            updated=created,
            members=[u.id for u in shared_with or []],
        )
        self.albums[album.id] = album
        return album

    def add_asset(
        self,
        owner: User,
        file_name: str | None = None,
        size: int = 4096,
        *,
        albums: list[Album] | None = None,
        content: Content | None = None,
        **fields: Any,
    ) -> Asset:
        asset_id = new_id(self.rng)
        index = len(self.assets)
        name = file_name or f"IMG_{index:05d}.jpg"
        if "type" not in fields and (mimetypes.guess_type(name)[0] or "").startswith("video/"):
            fields["type"] = "VIDEO"
        fields.setdefault("created", EPOCH + timedelta(hours=index))
        asset = Asset(asset_id, owner.id, name, content or Content(asset_id, size), **fields)
        self.assets[asset_id] = asset
        for album in albums or []:
            self.add_to_album(album, asset)
        return asset

    def add_to_album(self, album: Album, asset: Asset) -> None:
        with self.lock:
            if asset.id not in album.asset_ids:
                album.asset_ids.append(asset.id)
            album.updated = max(album.updated, EPOCH) + timedelta(seconds=1)

    def edit(self, asset: Asset, size: int | None = None) -> Content:
        """The user edits the asset in Immich (again): a new edited rendition, updatedAt moves."""
        with self.lock:
            asset.edit_count += 1
            asset.edited = Content(
                f"{asset.id}-edit-{asset.edit_count}",
                size or asset.content.size + 100 * asset.edit_count,
            )
            self.touch(asset)
            return asset.edited

    def undo_edit(self, asset: Asset) -> None:
        """The user reverts every edit: the original is what Immich shows again."""
        with self.lock:
            asset.edited = None
            self.touch(asset)

    def describe(self, asset: Asset, text: str) -> None:
        """The user changes the asset's description in Immich."""
        with self.lock:
            asset.description = text
            self.touch(asset)

    def touch(self, asset: Asset) -> None:
        """Something about the asset changed (favourite, metadata...): updatedAt moves to "now",
        later than any other asset's (so its albums' lastModifiedAssetTimestamp moves too)."""
        with self.lock:
            latest = max((a.updated_at for a in self.assets.values()), default=EPOCH)
            asset.updated = max(latest, asset.updated_at, EPOCH) + timedelta(minutes=1)

    def remove_from_album(self, album: Album, asset: Asset) -> None:
        with self.lock:
            album.asset_ids.remove(asset.id)

    def can_see_album(self, user_id: str, album: Album) -> bool:
        return album.owner_id == user_id or user_id in album.members

    def in_any_visible_album(self, user_id: str, asset: Asset) -> bool:
        for album in self.albums.values():
            if self.can_see_album(user_id, album):
                if asset.id in album.asset_ids:
                    return True
                # album access covers the motion part of a live photo in it
                if any(
                    self.assets[a].live_photo_video_id == asset.id
                    for a in album.asset_ids
                    if a in self.assets
                ):
                    return True
        return False


def demo_library(
    photos: int = 300, videos: int = 4, seed: int = 1, key: str = "demo-key"
) -> Library:
    """A few albums with photos and videos, one shared by another user; the demo and bench use it."""
    lib = Library(seed)
    me = lib.add_user("Alex Demo", key=key)
    friend = lib.add_user("Sam Friend")
    trips = lib.add_album("Trips 2024", me)
    family = lib.add_album("Family", me)
    shared = lib.add_album("Sam's Garden", friend, shared_with=[me])
    rng = random.Random(seed)
    for i in range(photos):
        album = [trips, family, shared][i % 3]
        owner = friend if album is shared else me
        lib.add_asset(
            owner,
            f"IMG_{i:04d}.jpg",
            size=rng.randint(200_000, 1_200_000),
            albums=[album],
            description="A day out" if i % 10 == 0 else "",
        )
    for i in range(videos):
        lib.add_asset(
            me, f"VID_{i:03d}.mp4", size=rng.randint(8_000_000, 24_000_000), albums=[trips]
        )
    mia = lib.add_person(me, "Mia")  # in every fifth Family photo: the demo's smart album
    for n, asset_id in enumerate(family.asset_ids):
        if n % 5 == 0:
            lib.assets[asset_id].people.append(mia.id)
    return lib


class ImmichStandIn:
    """The HTTP server; ``version`` is 2 or 3 (answering as v2.7.5 or v3.1.0)."""

    def __init__(
        self,
        library: Library,
        version: int = 3,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: tuple[str, str] | None = None,
    ) -> None:
        if version not in (2, 3):
            raise ValueError("version must be 2 or 3")
        self.library = library
        self.version = version
        self.faults = Faults()
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request
        self.version_override: dict[str, Any] | None = None  # answer as another version
        self.cursor_paging = False  # v3.2: /search/metadata also answers nextCursor
        # v3.2 strict: answer as 3.2.0, take the `filter` tree (refusing the deprecated flat
        # albumIds, so a client still sending them shows) and page by cursor only
        self.filter_tree = False
        self.stuck_paging = 0  # a broken server: the next N pages all say the next one is page 2
        # (asset id, Range header) of every original request
        self.ranges: list[tuple[str, str]] = []
        self.broken_assets: set[str] = set()  # originals that always answer 500
        self.broken_edits: set[str] = set()  # edited renditions (edited=true) that answer 500
        self.edited_requests: list[str] = []  # asset ids of every edited=true original request
        self.original_requested = threading.Event()  # set at the first original request
        self.short_assets: set[str] = set()  # originals that announce more bytes than they send
        self.held_assets: dict[str, threading.Event] = {}  # originals paused mid-body until set
        self.on_original: Callable[[str], None] | None = None  # told each original's asset id
        self.body_held = threading.Event()  # set when faults.hold_body first holds a body
        self._lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"standin": self})
        self.httpd = StandInServer((host, port), handler, name="immich-standin")
        self.scheme = "http"
        if tls:  # (certfile, keyfile): a homelab server with its own CA
            import ssl

            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
            self.scheme = "https"

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"{self.scheme}://{host}:{port}"

    def start(self) -> ImmichStandIn:
        self.httpd.start()
        return self

    def stop(self) -> None:
        """Immich goes away: connections are refused from now on (the port stays reserved)."""
        self.httpd.stop()

    def close(self) -> None:
        """Stop, and give the port back."""
        self.httpd.release()

    def __enter__(self) -> ImmichStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def count(self, path_prefix: str = "/api/") -> int:
        with self._lock:
            return sum(1 for _, p in self.requests if p.startswith(path_prefix))

    def log(self, method: str, path: str) -> None:
        with self._lock:
            self.requests.append((method, path))


class HttpError(Exception):
    def __init__(self, status: int, message: str | list[str], error: str = "") -> None:
        super().__init__(message)
        self.status, self.message, self.error = status, message, error


REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class _Handler(BaseHTTPRequestHandler):
    standin: ImmichStandIn
    protocol_version = "HTTP/1.1"
    server_version = "immich-standin"

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read outcomes, not logs
        pass

    # --- plumbing -----------------------------------------------------------------------------

    @property
    def lib(self) -> Library:
        return self.standin.library

    @property
    def v3(self) -> bool:
        return self.standin.version == 3

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        self.query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self.correlation_id = uuid.uuid4().hex[:12]
        self.standin.log(method, parts.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        faults = self.standin.faults
        try:
            if parts.path.startswith("/api/") and parts.path not in (
                "/api/server/ping",
                "/api/server/version",
            ):
                with self.standin._lock:
                    if faults.fail_next > 0:
                        faults.fail_next -= 1
                        raise HttpError(503, "Service Unavailable")
                    if faults.error_rate and faults.rng.random() < faults.error_rate:
                        raise HttpError(500, "Internal server error")
            route = self._route(method, parts.path)
            body = json.loads(raw_body) if raw_body else {}
            route(body)
        except HttpError as exc:
            if faults.error_text is not None:
                exc.message = faults.error_text
            self._error(exc)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _route(self, method: str, path: str) -> Any:
        routes: list[tuple[str, str, Any]] = [
            ("GET", r"/\.well-known/immich", self.well_known),
            ("GET", r"/api/server/ping", self.ping),
            ("GET", r"/api/server/version", self.get_server_version),
            ("GET", r"/api/users/me", self.users_me),
            ("GET", r"/api/api-keys/me", self.my_api_key),
            ("GET", r"/api/albums", self.list_albums),
            ("GET", r"/api/albums/(?P<id>[^/]+)", self.get_album),
            ("POST", r"/api/search/metadata", self.search_metadata),
            ("GET", r"/api/people", self.list_people),
            ("GET", r"/api/tags", self.list_tags),
            ("GET", r"/api/assets/(?P<id>[^/]+)", self.get_asset),
            ("GET", r"/api/assets/(?P<id>[^/]+)/original", self.get_original),
        ]
        for verb, pattern, handler in routes:
            match = re.fullmatch(pattern, path)
            if match and verb == method:
                self.params = match.groupdict()
                return handler
        raise HttpError(404, f"Cannot {method} {path}", "Not Found")

    def _send_json(self, data: Any, status: int = 200) -> None:
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        if self.v3:
            self.send_header("X-Correlation-ID", self.correlation_id)
        self.end_headers()
        self.wfile.write(payload)

    def _error(self, exc: HttpError) -> None:
        if self.v3:
            body: dict[str, Any] = {"message": exc.message}
            if exc.status == 400 and isinstance(exc.message, list):
                body = {
                    "message": "Validation failed",
                    "errors": [{"message": m} for m in exc.message],
                }
        else:
            body = {
                "message": exc.message,
                "error": exc.error or REASONS.get(exc.status, "Error"),
                "statusCode": exc.status,
                "correlationId": self.correlation_id,
            }
        self._send_json(body, exc.status)

    def _auth(self, permission: str | None) -> User:
        key = self.headers.get("x-api-key") or self.query.get("apiKey")
        if not key:
            raise HttpError(401, "Authentication required", "Unauthorized")
        entry = self.lib.keys.get(key)
        if entry is None:
            raise HttpError(401, "Invalid API key", "Unauthorized")
        user_id, permissions = entry
        if permission and "all" not in permissions and permission not in permissions:
            raise HttpError(403, f"Missing required permission: {permission}", "Forbidden")
        return self.lib.users[user_id]

    def _uuid_param(self) -> str:
        value = self.params["id"]
        if not UUID4.match(value):
            raise HttpError(400, ["id must be a UUID"], "Bad Request")
        return value

    # --- serialisation ------------------------------------------------------------------------

    def _user_json(self, user: User) -> dict[str, Any]:
        return {
            "id": user.id,
            "name": user.name,
            "email": user.email,
            "avatarColor": "primary",
            "profileImagePath": "",
            "profileChangedAt": ts(EPOCH),
        }

    def _asset_json(self, asset: Asset, with_exif: bool) -> dict[str, Any]:
        mime = asset.mime or mimetypes.guess_type(asset.file_name)[0] or "application/octet-stream"
        video = asset.type == "VIDEO"
        data: dict[str, Any] = {
            "id": asset.id,
            "ownerId": asset.owner_id,
            "type": asset.type,
            "originalFileName": asset.file_name,
            "originalPath": asset.original_path,
            "originalMimeType": mime,
            "checksum": asset.checksum,
            "fileCreatedAt": ts(asset.created),
            "fileModifiedAt": ts(asset.created),
            "localDateTime": ts(asset.created),
            "createdAt": ts(asset.created),
            "updatedAt": ts(asset.updated_at),
            "isFavorite": asset.favorite,
            "isArchived": asset.visibility == "archive",
            "isTrashed": asset.trashed,
            "isOffline": False,
            "isEdited": asset.edited is not None,
            "visibility": asset.visibility,
            "hasMetadata": asset.has_exif,
            "thumbhash": None,
            "width": 4000,
            "height": 3000,
            "libraryId": asset.library_id,
            "livePhotoVideoId": asset.live_photo_video_id,
            "duplicateId": None,
            "stack": None,
        }
        if self.v3:
            data["duration"] = 12000 if video else None
        else:
            data.update(
                duration="0:00:12.00000" if video else "0:00:00.00000",
                deviceAssetId=f"{asset.file_name}-{asset.content.size}",
                deviceId="standin",
            )
        if with_exif and asset.has_exif:
            data["exifInfo"] = {
                "fileSizeInByte": asset.content.size,
                "description": asset.description,
                "dateTimeOriginal": ts(asset.created),
                "make": "Stand-in",
                "model": "One",
                "rating": asset.rating,
                "city": asset.city,
                "country": asset.country,
            }
        return data

    def _album_json(self, album: Album, with_assets: bool) -> dict[str, Any]:
        visible = [
            self.lib.assets[a]
            for a in album.asset_ids
            if not self.lib.assets[a].trashed
            and self.lib.assets[a].visibility in ("timeline", "archive")
        ]
        owner = self.lib.users[album.owner_id]
        members = [
            {"role": "editor", "user": self._user_json(self.lib.users[m])} for m in album.members
        ]
        latest = max((a.updated_at for a in visible), default=None)  # max asset updatedAt
        data: dict[str, Any] = {
            "id": album.id,
            "albumName": album.name,
            "description": album.description,
            "albumThumbnailAssetId": visible[0].id if visible else None,
            "assetCount": len(visible),
            "createdAt": ts(album.created),
            "updatedAt": ts(album.updated),
            "shared": bool(album.members),
            "hasSharedLink": False,
            "isActivityEnabled": True,
            "order": "desc",
        }
        if latest:
            data["lastModifiedAssetTimestamp"] = ts(latest)
        if self.v3:
            data["albumUsers"] = [{"role": "owner", "user": self._user_json(owner)}, *members]
        else:
            data.update(owner=self._user_json(owner), ownerId=owner.id, albumUsers=members)
            ordered = sorted(visible, key=lambda a: a.created, reverse=True)
            data["assets"] = [self._asset_json(a, True) for a in ordered] if with_assets else []
        return data

    # --- routes -------------------------------------------------------------------------------

    def well_known(self, body: Any) -> None:
        self._send_json({"api": {"endpoint": "/api"}})

    def ping(self, body: Any) -> None:
        self._send_json({"res": "pong"})

    def get_server_version(self, body: Any) -> None:
        if self.standin.filter_tree:
            self._send_json({"major": 3, "minor": 2, "patch": 0, "prerelease": None})
        elif self.standin.version_override:
            self._send_json(self.standin.version_override)
        elif self.v3:
            self._send_json({"major": 3, "minor": 1, "patch": 0, "prerelease": None})
        else:
            self._send_json({"major": 2, "minor": 7, "patch": 5})

    def my_api_key(self, body: Any) -> None:
        """The key the request came with and its permissions; no permission is needed."""
        self._auth(None)
        key = self.headers.get("x-api-key") or self.query.get("apiKey") or ""
        _, permissions = self.lib.keys[key]
        key_id = str(uuid.UUID(hashlib.sha256(key.encode()).hexdigest()[:32], version=4))
        self._send_json(
            {
                "id": key_id,
                "name": "immich-gphotos",
                "createdAt": ts(EPOCH),
                "updatedAt": ts(EPOCH),
                "permissions": sorted(permissions),
            }
        )

    def users_me(self, body: Any) -> None:
        user = self._auth("user.read")
        self._send_json(
            {
                **self._user_json(user),
                "createdAt": ts(EPOCH),
                "updatedAt": ts(EPOCH),
                "deletedAt": None,
                "isAdmin": False,
                "license": None,
                "oauthId": "",
                "quotaSizeInBytes": None,
                "quotaUsageInBytes": 0,
                "shouldChangePassword": False,
                "status": "active",
                "storageLabel": None,
            }
        )

    def list_albums(self, body: Any) -> None:
        user = self._auth("album.read")
        albums = sorted(self.lib.albums.values(), key=lambda a: a.created, reverse=True)
        if self.v3:
            chosen = [a for a in albums if self.lib.can_see_album(user.id, a)]
            if self.query.get("isOwned") == "true":
                chosen = [a for a in chosen if a.owner_id == user.id]
            if self.query.get("isShared") == "true":
                chosen = [a for a in chosen if a.members]
        else:
            shared = self.query.get("shared")
            if shared == "true":
                chosen = [
                    a
                    for a in albums
                    if (a.owner_id == user.id and a.members) or user.id in a.members
                ]
            elif shared == "false":
                chosen = [a for a in albums if a.owner_id == user.id and not a.members]
            else:
                chosen = [a for a in albums if a.owner_id == user.id]  # owned only: the v2 trap
        self._send_json([self._album_json(a, with_assets=False) for a in chosen])

    def _visible_album(self, user: User) -> Album:
        album_id = self._uuid_param()
        album = self.lib.albums.get(album_id)
        if album is None or not self.lib.can_see_album(user.id, album):
            raise HttpError(400, "Not found or no album.read access", "Bad Request")
        return album

    def get_album(self, body: Any) -> None:
        user = self._auth("album.read")
        album = self._visible_album(user)
        with_assets = not self.v3 and self.query.get("withoutAssets") != "true"
        self._send_json(self._album_json(album, with_assets))

    def search_metadata(self, body: dict[str, Any]) -> None:
        user = self._auth("asset.read")
        with self.standin._lock:
            stuck = self.standin.stuck_paging > 0
            self.standin.stuck_paging -= 1 if stuck else 0
        size = int(body.get("size") or 250)
        page = int(body.get("page") or 1)
        cursors = self.standin.cursor_paging or self.standin.filter_tree
        if cursors and body.get("cursor"):
            page = int(str(body["cursor"]).removeprefix("cur-"))
        if not 1 <= size <= 1000 or page < 1:
            raise HttpError(400, ["size must not be greater than 1000"], "Bad Request")
        album_ids = body.get("albumIds") or []
        tree = body.get("filter")
        if self.standin.filter_tree:
            if album_ids or body.get("page"):
                raise HttpError(400, ["albumIds and page are deprecated: use filter and cursor"])
            album_ids = ((tree or {}).get("albumIds") or {}).get("any") or []
            body = body | {"withDeleted": (tree or {}).get("trashedAt") != {"eq": None}}
        candidates = list(self.lib.assets.values())
        for album_id in album_ids:
            album = self.lib.albums.get(album_id)
            if self.v3 and (album is None or not self.lib.can_see_album(user.id, album)):
                raise HttpError(400, "Not found or no album.read access", "Bad Request")
            members = set(album.asset_ids) if album else set()
            candidates = [a for a in candidates if a.id in members]  # several ids: intersection
        if not self.v3 or not album_ids:
            candidates = [
                a for a in candidates if a.owner_id == user.id
            ]  # v2: the caller's own only
        visibility = body.get("visibility")
        if visibility:
            candidates = [a for a in candidates if a.visibility == visibility]
        elif self.v3:
            candidates = [a for a in candidates if a.visibility != "locked"]
        else:
            candidates = [
                a for a in candidates if a.visibility == "timeline"
            ]  # the v2 default trap
        if not body.get("withDeleted"):
            candidates = [a for a in candidates if not a.trashed]
        candidates = self._filtered(candidates, body, bool(album_ids))
        with_exif = bool(body.get("withExif"))
        if with_exif:
            candidates = [a for a in candidates if a.has_exif]  # an INNER join on exif rows
        reverse = body.get("order", "desc") != "asc"
        if self.v3:
            candidates.sort(key=lambda a: (a.created, a.id), reverse=reverse)
        else:
            candidates.sort(key=lambda a: a.created, reverse=reverse)
        start = (page - 1) * size
        items = candidates[start : start + size]
        more = len(candidates) > start + size
        assets: dict[str, Any] = {
            "total": len(items),
            "count": len(items),
            "facets": [],
            "items": [self._asset_json(a, with_exif) for a in items],
            "nextPage": "2" if stuck else str(page + 1) if more else None,
        }
        if cursors:  # v3.2 adds an opaque cursor; pages still work (not in strict 3.2)
            assets["nextCursor"] = "cur-2" if stuck else f"cur-{page + 1}" if more else None
            assets["nextPage"] = None if body.get("cursor") else assets["nextPage"]
            if self.standin.filter_tree:
                assets["nextPage"] = None
        self._send_json(
            {
                "albums": {"total": 0, "count": 0, "items": [], "facets": [], "nextPage": None},
                "assets": assets,
            }
        )

    def _filtered(self, candidates: list[Asset], body: dict[str, Any], albums: bool) -> list[Asset]:
        """The smart-album filters, as the server's searchAssetBuilder applies them."""
        lib = self.lib
        for person_id in body.get("personIds") or []:  # all of them
            candidates = [a for a in candidates if person_id in a.people]
        for tag_id in body.get("tagIds") or []:  # all of them, a descendant tag counting
            candidates = [
                a for a in candidates if any(tag_id in lib.tag_and_ancestors(t) for t in a.tags)
            ]
        if body.get("isFavorite") is not None:
            candidates = [a for a in candidates if a.favorite == body["isFavorite"]]
        if body.get("takenAfter"):
            after = datetime.fromisoformat(body["takenAfter"].replace("Z", "+00:00"))
            candidates = [a for a in candidates if a.created >= after]
        if body.get("takenBefore"):  # inclusive, as the server's "<="
            before = datetime.fromisoformat(body["takenBefore"].replace("Z", "+00:00"))
            candidates = [a for a in candidates if a.created <= before]
        for key, attr in (("country", "country"), ("city", "city"), ("rating", "rating")):
            if key in body:  # an INNER join on exif rows, then equality
                candidates = [a for a in candidates if a.has_exif and getattr(a, attr) == body[key]]
        if body.get("type"):
            candidates = [a for a in candidates if a.type == body["type"]]
        if body.get("isNotInAlbum") and not albums:
            candidates = [a for a in candidates if not lib.in_any_album(a)]
        return candidates

    def list_people(self, body: Any) -> None:
        user = self._auth("person.read")
        size = int(self.query.get("size") or 500)
        page = int(self.query.get("page") or 1)
        if not 1 <= size <= 1000 or page < 1:
            raise HttpError(400, ["size must not be greater than 1000"], "Bad Request")
        mine = [p for p in self.lib.people.values() if p.owner_id == user.id]
        shown = (
            mine if self.query.get("withHidden") == "true" else [p for p in mine if not p.hidden]
        )
        start = (page - 1) * size
        self._send_json(
            {
                "people": [
                    {
                        "id": p.id,
                        "name": p.name,
                        "birthDate": None,
                        "isHidden": p.hidden,
                        "thumbnailPath": f"/data/thumbs/{p.id}.jpeg",
                        "isFavorite": False,
                        "color": "#aabbcc",
                        "updatedAt": ts(EPOCH),
                    }
                    for p in shown[start : start + size]
                ],
                "total": len(shown),
                "hidden": sum(1 for p in mine if p.hidden),
                "hasNextPage": len(shown) > start + size,
            }
        )

    def list_tags(self, body: Any) -> None:
        user = self._auth("tag.read")
        tags = []
        for tag in self.lib.tags.values():
            if tag.owner_id != user.id:
                continue
            data = {
                "id": tag.id,
                "name": tag.name,
                "value": tag.value,
                "createdAt": ts(EPOCH),
                "updatedAt": ts(EPOCH),
            }
            if tag.parent_id:
                data["parentId"] = tag.parent_id
            tags.append(data)
        self._send_json(tags)

    def _visible_asset(self, user: User, permission: str) -> Asset:
        asset_id = self._uuid_param()
        asset = self.lib.assets.get(asset_id)
        if asset is None or not (
            asset.owner_id == user.id or self.lib.in_any_visible_album(user.id, asset)
        ):
            raise HttpError(400, f"Not found or no {permission} access", "Bad Request")
        return asset

    def get_asset(self, body: Any) -> None:
        user = self._auth("asset.read")
        self._send_json(self._asset_json(self._visible_asset(user, "asset.read"), True))

    def get_original(self, body: Any) -> None:
        user = self._auth("asset.download")
        asset = self._visible_asset(user, "asset.download")
        # edited=true: the edited rendition where there is one, else the original (Immich >= 2.5)
        edited = self.query.get("edited") == "true" and asset.edited is not None
        content = asset.edited if edited and asset.edited is not None else asset.content
        total = content.size
        with self.standin._lock:
            self.standin.ranges.append((asset.id, self.headers.get("Range", "")))
            if self.query.get("edited") == "true":
                self.standin.edited_requests.append(asset.id)
            number = len(self.standin.ranges)
        self.standin.original_requested.set()
        if self.standin.on_original is not None:
            self.standin.on_original(asset.id)
        if asset.id in self.standin.broken_assets or (
            edited and asset.id in self.standin.broken_edits
        ):
            raise HttpError(self.standin.faults.broken_status, "Internal server error")
        start, end, status = 0, total, 200
        wanted = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        if wanted:
            start = int(wanted.group(1))
            end = int(wanted.group(2)) + 1 if wanted.group(2) else total
            if start >= total:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{total}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            end, status = min(end, total), 206
        self.send_response(status)
        self.send_header(
            "Content-Type", mimetypes.guess_type(asset.file_name)[0] or "application/octet-stream"
        )
        self.send_header("Content-Length", str(end - start))
        self.send_header("Accept-Ranges", "bytes")
        # Express (send) makes a weak ETag of the file's size and mtime: a new edit, a new ETag
        self.send_header("ETag", f'W/"{total:x}-{zlib.crc32(content.seed.encode()):x}"')
        self.send_header("Cache-Control", "private, max-age=86400, no-transform")
        self.send_header(
            "Content-Disposition", f"inline; filename*=UTF-8''{quote(asset.file_name)}"
        )
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{total}")
        self.end_headers()
        faults = self.standin.faults
        with self.standin._lock:
            reset_at = None
            if faults.reset_rate and faults.rng.random() < faults.reset_rate:
                reset_at = start + (end - start) // 2
        hold = faults.hold_body if number >= faults.hold_from else None
        hold = self.standin.held_assets.get(asset.id, hold)
        if asset.id in self.standin.short_assets:  # the body ends early: the connection closes
            end = start + (end - start) // 2
            self.close_connection = True
        slow_at = start + (end - start) // 2 if faults.slow_body_seconds or hold else None
        sent = start
        for piece in content.iter_range(start, end, chunk=1 << 20):
            if reset_at is not None and sent + len(piece) > reset_at:
                self.wfile.write(piece[: reset_at - sent])
                self.wfile.flush()
                self._reset()
                return
            if slow_at is not None and sent + len(piece) > slow_at:
                if hold is not None:
                    self.standin.body_held.set()
                    hold.wait(300)
                else:
                    threading.Event().wait(faults.slow_body_seconds)
                slow_at = None
            self.wfile.write(piece)
            sent += len(piece)

    def _reset(self) -> None:
        """Drop the connection mid-body, as a crashing proxy would: a FIN, or a RST."""
        self.close_connection = True
        try:
            if self.standin.faults.reset_abort:
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                )
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2283)
    parser.add_argument("--version", type=int, choices=(2, 3), default=3)
    parser.add_argument("--photos", type=int, default=300)
    parser.add_argument("--videos", type=int, default=4)
    parser.add_argument(
        "--key", default="demo-key", help="the API key the demo user's requests carry"
    )
    args = parser.parse_args()
    server = ImmichStandIn(
        demo_library(args.photos, args.videos, key=args.key), args.version, args.host, args.port
    )
    print(f"stand-in Immich v{args.version} at {server.url} (API key: {args.key})", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.httpd.serve_forever()


if __name__ == "__main__":
    main()
