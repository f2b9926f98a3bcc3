"""A stand-in Google (OAuth endpoints and the Photos Library API) on 127.0.0.1.

It keeps Google's real rules: at most 50 items per batch, only app-created albums can be
written or read, upload tokens are single-use, items that already sat in the user's library
(not app-created) are placed by batchCreate but refused by batchAddMediaItems, albums hold at
most 20,000 items, batchCreate honours albumPosition, access tokens are short-lived, PKCE is
checked at the token endpoint. Identical bytes the app creates twice become two separate items
(``duplicates_apart``, the worst case: Google has been seen both to dedupe and not to), so a
test sees every duplicate a client makes. Fault switches inject 5xx, per-minute and daily 429s,
storage full, invalid_grant, connections dropped mid-upload, and ``hold_batch_answers`` keeps
batchCreate's answer back after Google has acted on it (the window a crash test kills in);
``hold_method_answers`` does the same for any Library method (``":batchRemoveMediaItems"``...).
``mediaItems.patch`` (description) and ``albums.patch`` (title) change only app-created objects,
``mediaItems.batchGet`` sees only app-created items, and with ``refresh_token_lifetime`` set the
token answer carries ``refresh_token_expires_in`` as Google's does for an app left in 'Testing'
(604799 seconds, 7 days).

Run on its own: ``python -m tests.standins.google --port 8765 --client-secrets client.json``.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import random
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.standins.server import StandInServer

SCOPE_PREFIX = "https://www.googleapis.com/auth/"
APPEND = SCOPE_PREFIX + "photoslibrary.appendonly"
READ_APP = SCOPE_PREFIX + "photoslibrary.readonly.appcreateddata"
EDIT_APP = SCOPE_PREFIX + "photoslibrary.edit.appcreateddata"
ALLOWED_SCOPES = {APPEND, READ_APP, EDIT_APP}
GRANULARITY = 262144
DAILY_QUOTA_MESSAGE = (
    "Quota exceeded for quota metric 'All requests' and limit 'All requests per day' of service "
    "'photoslibrary.googleapis.com' for consumer 'project_number:123456'."
)
MINUTE_QUOTA_MESSAGE = (
    "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user' "
    "of service 'photoslibrary.googleapis.com' for consumer 'project_number:123456'."
)
STORAGE_FULL_MESSAGE = (
    "The remaining storage in the user's account is not enough to perform this operation."
)


@dataclass
class Media:
    id: str
    sha1: str
    size: int
    mime: str
    filename: str
    description: str
    app_created: bool
    client_id: str | None
    creation_time: str = "2024-01-01T00:00:00Z"  # from the file's EXIF, as Google reads it


@dataclass
class Album:
    id: str
    title: str
    client_id: str
    items: list[str] = field(default_factory=list)
    deleted: bool = False


@dataclass
class Upload:
    sha1: str
    size: int
    mime: str
    used: bool = False


@dataclass
class Session:
    """A resumable upload. Like Google, it keeps what it received in whole granules; it holds a
    running SHA-1 (and the SHA-1 at the last granule boundary, to go back to after a break)
    rather than the bytes, so a big upload costs the stand-in no more than a raw one."""

    raw_size: int
    mime: str
    received: int = 0
    final: bool = False
    token: str | None = None
    digest: Any = field(default_factory=hashlib.sha1)
    kept: tuple[int, Any] = field(default_factory=lambda: (0, hashlib.sha1()))

    def take(self, piece: bytes) -> None:
        """Add received bytes, noting the digest at each granule boundary crossed."""
        view = memoryview(piece)
        while view:
            room = GRANULARITY - self.received % GRANULARITY
            part, view = view[:room], view[room:]
            self.digest.update(part)
            self.received += len(part)
            if self.received % GRANULARITY == 0:
                self.kept = (self.received, self.digest.copy())

    def break_off(self) -> None:
        """A connection dropped mid-body: what was kept is the last whole granule."""
        self.received, digest = self.kept
        self.digest = digest.copy()


@dataclass
class Faults:
    error_rate: float = 0.0  # Library API requests answer 500
    fail_next: list[tuple[int, str]] = field(
        default_factory=list
    )  # (status, message) for the next requests
    upload_breaks: int = 0  # drop the connection half-way through the next N upload bodies
    upload_break_rate: float = 0.0  # ... or through this share of upload bodies
    batch_answers_lost: int = 0  # the next N batchCreates act, then drop the connection unanswered
    invalid_grant: bool = False  # refresh tokens stop working (revoked, or 'Testing' expiry)
    token_fail_next: list[int] = field(default_factory=list)  # statuses for the next /token calls
    daily_quota: int | None = None  # answer the daily-quota 429 past this many requests
    upload_url_base: str | None = None  # resumable sessions point here instead of at the stand-in
    pages: str | None = None  # albums.list and search pages: "repeat" (the same token again)
    #                           or "endless" (always one more page), as a broken server might
    seed: int = 11
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)


class Link:
    """A simulated uplink for the benchmark: upload bodies are read no faster than ``total``
    bytes/s all together and ``per_stream`` bytes/s each (None: unlimited). A reader that
    wakes late (a busy machine) may catch up by ``BURST`` seconds' worth, as a real link's
    buffers would: the link loses no time to the simulation's own sleeps."""

    BURST = 0.05

    def __init__(self, total: float | None = None, per_stream: float | None = None) -> None:
        self.total, self.per_stream = total, per_stream
        self._lock = threading.Lock()
        self._free_at = 0.0  # when the shared link has sent what it was given

    def pace(self, n: int, stream: list[float]) -> None:
        """``n`` bytes of one upload arrived; wait until the link would have carried them.
        ``stream`` holds that upload's own clock."""
        now = time.monotonic()
        until = now
        if self.per_stream:
            stream[0] = max(stream[0], now - self.BURST) + n / self.per_stream
            until = stream[0]
        if self.total:
            with self._lock:
                self._free_at = max(self._free_at, now - self.BURST) + n / self.total
                until = max(until, self._free_at)
        if until > now:
            time.sleep(until - now)


class GoogleStandIn:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        client_id: str = "standin-client.apps.googleusercontent.com",
        client_secret: str = "standin-secret",
    ) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.clients = {client_id: client_secret}
        self.consent = "approve"  # approve | deny | wrong_state
        self.access_token_lifetime = 3599
        # an app in 'Testing' status: Google says how long the refresh token lives (7 days)
        self.refresh_token_lifetime: int | None = None
        self.granted_scopes: set[str] | None = None  # None: grant what was asked
        self.faults = Faults()
        self.latency = 0.0  # seconds before each Library API answer (the benchmark's slow link)
        self.link = Link()  # how fast upload bodies are taken (unlimited unless set)
        self.album_limit = 20_000
        self.lock = threading.RLock()
        self.codes: dict[str, dict[str, Any]] = {}
        self.refresh_tokens: dict[str, dict[str, Any]] = {}
        self.access_tokens: dict[str, dict[str, Any]] = {}
        self.albums: dict[str, Album] = {}
        self.media: dict[str, Media] = {}
        self.by_sha1: dict[str, str] = {}
        self.uploads: dict[str, Upload] = {}
        self.sessions: dict[str, Session] = {}
        self.library_requests = 0  # Library API requests, as Google's quota counts them
        self.requests: list[tuple[str, str]] = []
        self.upload_bytes_received = 0  # all upload body bytes, broken tries included
        self.authorize_requests: list[dict[str, str]] = []
        self.token_requests: list[dict[str, str]] = []
        self.revoked: list[str] = []
        self.batch_created = threading.Event()  # set after the first successful batchCreate
        # set when a batchCreate has changed the library, before its answer goes out
        self.batch_processed = threading.Event()
        self.hold_method: str | None = None  # see hold_method_answers
        self._method_answers = threading.Event()
        self._method_answers.set()
        self.method_processed = threading.Event()
        self._answers = threading.Event()  # clear: batchCreate answers are held back
        self._answers.set()
        # the same for albums.create: set once an album is made, its answer held while clear
        self.album_processed = threading.Event()
        self._album_answers = threading.Event()
        self._album_answers.set()
        self.duplicates_apart = True  # the same bytes created twice by the app: two items
        # sha1 -> capture time (RFC 3339) or None: what Google would read from the file's EXIF
        self.capture_time: Callable[[str], str | None] = lambda sha1: None
        handler = type("Handler", (_Handler,), {"standin": self})
        self.httpd = StandInServer((host, port), handler, name="google-standin")

    # --- lifecycle ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> GoogleStandIn:
        self.httpd.start()
        return self

    def stop(self) -> None:
        self.httpd.release()

    def __enter__(self) -> GoogleStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def client_secrets(self, path: Path, revoke: bool = True) -> Path:
        """A Desktop-app client JSON whose endpoints name this stand-in."""
        installed: dict[str, Any] = {
            "client_id": self.client_id,
            "project_id": "standin",
            "client_secret": self.client_secret,
            "auth_uri": f"{self.url}/o/oauth2/auth",
            "token_uri": f"{self.url}/token",
            "auth_provider_x509_cert_url": f"{self.url}/certs",
            "redirect_uris": ["http://localhost"],
        }
        if revoke:
            installed["revoke_uri"] = f"{self.url}/revoke"
        path.write_text(json.dumps({"installed": installed}))
        path.chmod(0o600)  # as a careful user keeps it (a readable one is warned about)
        return path

    # --- what tests look at -------------------------------------------------------------------

    def hold_batch_answers(self) -> None:
        """From now on batchCreate acts, sets ``batch_processed``, then keeps its answer back
        until ``release_batch_answers``: the client is left between Google acting and knowing."""
        self._answers.clear()

    def release_batch_answers(self) -> None:
        self._answers.set()
        self._method_answers.set()
        self.hold_method = None

    def hold_method_answers(self, method: str) -> None:
        """Like ``hold_batch_answers`` for the Library method whose "VERB path" ends with
        ``method`` (e.g. ``":batchRemoveMediaItems"``): it acts, sets ``method_processed``, and
        its answer waits for ``release_batch_answers`` (batchCreate still answers)."""
        self.hold_method = method
        self._method_answers.clear()

    def hold_album_answers(self) -> None:
        """From now on albums.create makes the album, sets ``album_processed``, then keeps its
        answer back until ``release_album_answers``."""
        self._album_answers.clear()

    def release_album_answers(self) -> None:
        self._album_answers.set()

    def album_by_title(self, title: str) -> Album | None:
        live = [a for a in self.albums.values() if a.title == title and not a.deleted]
        return live[0] if live else None

    def album_files(self, album_id: str) -> list[Media]:
        return [self.media[m] for m in self.albums[album_id].items]

    def delete_album(self, album_id: str) -> None:
        """The user deletes the album in Google Photos (its items stay in the library)."""
        self.albums[album_id].deleted = True

    def add_preexisting(self, data_sha1_b64: str, size: int, filename: str) -> str:
        """An item the user put in their library another way (web, phone): not app-created."""
        media = Media(_new_id("pre"), data_sha1_b64, size, "image/jpeg", filename, "", False, None)
        self.media[media.id] = media
        self.by_sha1[data_sha1_b64] = media.id
        return media.id

    def issue_tokens(self, scopes: set[str] | None = None) -> tuple[str, str]:
        """A refresh token (and its first access token), as a finished login would leave."""
        with self.lock:
            refresh = "1//rt-" + secrets.token_urlsafe(24)
            self.refresh_tokens[refresh] = {
                "client_id": self.client_id,
                "scopes": scopes or set(ALLOWED_SCOPES),
            }
            return refresh, self._access_token(refresh)

    def _access_token(self, refresh: str) -> str:
        token = "ya29.at-" + secrets.token_urlsafe(24)
        entry = self.refresh_tokens[refresh]
        self.access_tokens[token] = {
            "expires": time.time() + self.access_token_lifetime,
            "scopes": entry["scopes"],
            "refresh": refresh,
            "client_id": entry["client_id"],
        }
        return token


def _new_id(prefix: str) -> str:
    return prefix + "-" + secrets.token_urlsafe(18)


def _b64sha1(digest: Any) -> str:
    return base64.b64encode(digest.digest()).decode()


class ApiError(Exception):
    def __init__(self, code: int, message: str, status: str) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _bad(message: str) -> ApiError:
    return ApiError(400, message, "INVALID_ARGUMENT")


class _Handler(BaseHTTPRequestHandler):
    standin: GoogleStandIn
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    @property
    def g(self) -> GoogleStandIn:
        return self.standin

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    # --- plumbing -----------------------------------------------------------------------------

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        self.query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self._body_read = False  # one handler serves every request of a kept-alive connection
        self._late = 0.0  # a Library API answer waits this long (the simulated round trip)
        self._hold = False
        with self.g.lock:
            self.g.requests.append((method, parts.path))
        try:
            if parts.path == "/o/oauth2/auth" and method == "GET":
                return self.authorize()
            if parts.path == "/token" and method == "POST":
                return self.token()
            if parts.path == "/revoke" and method == "POST":
                return self.revoke()
            if parts.path.startswith("/v1/"):
                return self._library(method, parts.path)
            raise ApiError(
                404, f"The requested URL {parts.path} was not found on this server.", "NOT_FOUND"
            )
        except ApiError as exc:
            self._drain()
            self._json(
                {"error": {"code": exc.code, "message": exc.message, "status": exc.status}},
                exc.code,
            )
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _drain(self) -> None:
        """Read an unread request body, so the connection stays usable after an early error."""
        if getattr(self, "_body_read", False):
            return
        length = int(self.headers.get("Content-Length") or 0)
        while length > 0:
            got = self.rfile.read(min(length, 1 << 20))
            if not got:
                break
            length -= len(got)
        self._body_read = True

    def _body(self) -> bytes:
        self._body_read = True
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _form(self) -> dict[str, str]:
        form = {k: v[-1] for k, v in parse_qs(self._body().decode()).items()}
        return {**self.query, **form}

    def _json(self, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
        if status == 200 and getattr(self, "_hold", False):  # acted: hold the answer back
            self._hold = False
            self.g.method_processed.set()
            self.g._method_answers.wait(120)
        payload = json.dumps(data).encode()
        if self._late:
            time.sleep(self._late)
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(payload)

    def _text(self, text: str, status: int = 200, headers: dict[str, str] | None = None) -> None:
        payload = text.encode()
        if self._late:
            time.sleep(self._late)
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(payload)

    def _drop(self) -> None:
        """Close the connection without an answer, as a network failure mid-upload would."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(2)

    # --- OAuth --------------------------------------------------------------------------------

    def authorize(self) -> None:
        q = self.query
        self.g.authorize_requests.append(dict(q))
        problems = []
        if q.get("response_type") != "code":
            problems.append("response_type must be code")
        if q.get("client_id") not in self.g.clients:
            problems.append("unknown client_id")
        redirect = q.get("redirect_uri", "")
        if not re.fullmatch(r"http://(127\.0\.0\.1|localhost|\[::1\]):\d+/?", redirect):
            problems.append("redirect_uri must be a loopback http address")
        scopes = set(q.get("scope", "").split())
        if not scopes or not scopes <= ALLOWED_SCOPES:
            problems.append(
                f"scopes must be among the Library API's post-2025 scopes, got {sorted(scopes)}"
            )
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            problems.append("PKCE with S256 is required")
        if not q.get("state"):
            problems.append("state is required")
        if problems:
            return self._text("Error 400: invalid_request\n" + "\n".join(problems), 400)
        state = q["state"]
        if self.g.consent == "deny":
            params = {"error": "access_denied", "state": state}
        else:
            code = "4/code-" + secrets.token_urlsafe(20)
            granted = scopes if self.g.granted_scopes is None else self.g.granted_scopes
            with self.g.lock:
                self.g.codes[code] = {
                    "challenge": q["code_challenge"],
                    "redirect_uri": redirect,
                    "scopes": granted,
                    "client_id": q["client_id"],
                    "used": False,
                }
            params = {
                "state": "forged-" + state[:4] if self.g.consent == "wrong_state" else state,
                "code": code,
                "scope": " ".join(sorted(granted)),
            }
        self.send_response(302)
        self.send_header("Location", f"{redirect}?{urlencode(params)}")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _client_ok(self, form: dict[str, str]) -> bool:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        return client_id in self.g.clients and self.g.clients[client_id] == secret

    def token(self) -> None:
        form = self._form()
        self.g.token_requests.append({k: v for k, v in form.items() if k != "client_secret"})
        with self.g.lock:
            failing = self.g.faults.token_fail_next
            status = failing.pop(0) if failing else None
        if status is not None:
            return self._json({"error": "internal_failure", "error_description": "Backend"}, status)
        if not self._client_ok(form):
            return self._json({"error": "invalid_client", "error_description": "Unauthorized"}, 401)
        grant = form.get("grant_type")
        with self.g.lock:
            if grant == "authorization_code":
                entry = self.g.codes.get(form.get("code", ""))
                verifier = form.get("code_verifier", "")
                expected = (
                    base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                    .rstrip(b"=")
                    .decode()
                )
                if entry is None or entry["used"]:
                    return self._json(
                        {"error": "invalid_grant", "error_description": "Malformed auth code."}, 400
                    )
                entry["used"] = True  # codes are single-use
                if entry["redirect_uri"] != form.get("redirect_uri"):
                    return self._json(
                        {"error": "redirect_uri_mismatch", "error_description": "Bad Request"}, 400
                    )
                if not verifier or expected != entry["challenge"]:
                    return self._json(
                        {"error": "invalid_grant", "error_description": "Invalid code verifier."},
                        400,
                    )
                refresh = "1//rt-" + secrets.token_urlsafe(24)
                self.g.refresh_tokens[refresh] = {
                    "client_id": entry["client_id"],
                    "scopes": entry["scopes"],
                }
                access = self.g._access_token(refresh)
                answer = {
                    "access_token": access,
                    "expires_in": self.g.access_token_lifetime,
                    "refresh_token": refresh,
                    "scope": " ".join(sorted(entry["scopes"])),
                    "token_type": "Bearer",
                }
                if self.g.refresh_token_lifetime is not None:  # an app in 'Testing' (7 days)
                    answer["refresh_token_expires_in"] = self.g.refresh_token_lifetime
                return self._json(answer)
            if grant == "refresh_token":
                refresh = form.get("refresh_token", "")
                if self.g.faults.invalid_grant or refresh not in self.g.refresh_tokens:
                    return self._json(
                        {
                            "error": "invalid_grant",
                            "error_description": "Token has been expired or revoked.",
                        },
                        400,
                    )
                access = self.g._access_token(refresh)
                scopes = self.g.refresh_tokens[refresh]["scopes"]
                answer = {
                    "access_token": access,
                    "expires_in": self.g.access_token_lifetime,
                    "scope": " ".join(sorted(scopes)),
                    "token_type": "Bearer",
                }
                if self.g.refresh_token_lifetime is not None:
                    answer["refresh_token_expires_in"] = self.g.refresh_token_lifetime
                return self._json(answer)
        return self._json({"error": "unsupported_grant_type"}, 400)

    def revoke(self) -> None:
        token = self._form().get("token", "")
        with self.g.lock:
            if token in self.g.refresh_tokens:
                del self.g.refresh_tokens[token]
                for at, entry in list(self.g.access_tokens.items()):
                    if entry["refresh"] == token:
                        del self.g.access_tokens[at]
            elif token in self.g.access_tokens:
                del self.g.access_tokens[token]
            else:
                return self._json(
                    {"error": "invalid_token", "error_description": "Token expired or revoked"}, 400
                )
            self.g.revoked.append(token)
        self._json({})

    # --- the Library API ----------------------------------------------------------------------

    def _library(self, method: str, path: str) -> None:
        faults = self.g.faults
        self._late = self.g.latency
        with self.g.lock:
            self.g.library_requests += 1
            count = self.g.library_requests
            injected = faults.fail_next.pop(0) if faults.fail_next else None
            if injected is None and faults.daily_quota is not None and count > faults.daily_quota:
                injected = (429, DAILY_QUOTA_MESSAGE)
            if injected is None and faults.error_rate and faults.rng.random() < faults.error_rate:
                injected = (500, "Internal error encountered.")
        if injected:
            status, message = injected
            name = {429: "RESOURCE_EXHAUSTED", 400: "INVALID_ARGUMENT", 503: "UNAVAILABLE"}.get(
                status, "INTERNAL"
            )
            raise ApiError(status, message, name)
        self._token = self._authenticate()
        routes = [
            ("POST", r"/v1/uploads", self.uploads),
            ("POST", r"/v1/mediaItems:batchCreate", self.batch_create),
            ("POST", r"/v1/mediaItems:search", self.search),
            ("GET", r"/v1/mediaItems:batchGet", self.batch_get),
            ("POST", r"/v1/albums", self.create_album),
            ("GET", r"/v1/albums", self.list_albums),
            ("GET", r"/v1/albums/(?P<id>[^/:]+)", self.get_album),
            ("POST", r"/v1/albums/(?P<id>[^/:]+):batchAddMediaItems", self.batch_add),
            ("POST", r"/v1/albums/(?P<id>[^/:]+):batchRemoveMediaItems", self.batch_remove),
            ("PATCH", r"/v1/albums/(?P<id>[^/:]+)", self.patch_album),
            ("PATCH", r"/v1/mediaItems/(?P<id>[^/:]+)", self.patch_media_item),
        ]
        for verb, pattern, handler in routes:
            match = re.fullmatch(pattern, path)
            if match and verb == method:
                self.params = match.groupdict()
                hold = self.g.hold_method
                self._hold = bool(hold) and f"{method} {path}".endswith(hold)  # type: ignore[arg-type]
                return handler()
        raise ApiError(404, f"Method not found: {method} {path}", "NOT_FOUND")

    def _authenticate(self) -> dict[str, Any]:
        auth = self.headers.get("Authorization", "")
        entry = self.g.access_tokens.get(auth[7:]) if auth.startswith("Bearer ") else None
        if entry is None or entry["expires"] < time.time():
            raise ApiError(
                401,
                "Request had invalid authentication credentials. Expected OAuth 2 access token, "
                "login cookie or other valid authentication credential.",
                "UNAUTHENTICATED",
            )
        return entry

    def _need(self, *scopes: str) -> None:
        if not set(scopes) & self._token["scopes"]:
            raise ApiError(
                403, "Request had insufficient authentication scopes.", "PERMISSION_DENIED"
            )

    def _request_json(self) -> dict[str, Any]:
        try:
            data = json.loads(self._body() or b"{}")
        except ValueError:
            raise _bad("Invalid JSON payload received.") from None
        if not isinstance(data, dict):
            raise _bad("Invalid JSON payload received.")
        return data

    def _own_album(self, album_id: str) -> Album:
        album = self.g.albums.get(album_id)
        if album is None or album.deleted:
            raise ApiError(404, "Requested entity was not found.", "NOT_FOUND")
        if album.client_id != self._token["client_id"]:
            raise ApiError(403, "The caller does not have permission", "PERMISSION_DENIED")
        return album

    def _album_json(self, album: Album) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": album.id,
            "title": album.title,
            "isWriteable": True,
            "productUrl": f"https://photos.google.com/lr/album/{album.id}",
        }
        if album.items:
            data["mediaItemsCount"] = str(len(album.items))
        return data

    def _media_json(self, media: Media) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": media.id,
            "productUrl": f"https://photos.google.com/lr/photo/{media.id}",
            "baseUrl": f"https://lh3.googleusercontent.com/lr/{media.id}",
            "mimeType": media.mime,
            "filename": media.filename,
            "mediaMetadata": {
                "creationTime": media.creation_time,
                "width": "4000",
                "height": "3000",
            },
        }
        if media.description:
            data["description"] = media.description
        return data

    # uploads

    def uploads(self) -> None:
        self._need(APPEND, EDIT_APP)
        command = self.headers.get("X-Goog-Upload-Command", "").replace(" ", "")
        session_id = self.query.get("upload_id")
        if session_id:
            return self._session(session_id, command)
        protocol = self.headers.get("X-Goog-Upload-Protocol", "raw")
        mime = self.headers.get("X-Goog-Upload-Content-Type") or "application/octet-stream"
        if protocol == "resumable" and command == "start":
            self._body()
            size = int(self.headers.get("X-Goog-Upload-Raw-Size") or -1)
            if size < 0:
                raise _bad("X-Goog-Upload-Raw-Size is required")
            sid = _new_id("sess")
            with self.g.lock:
                self.g.sessions[sid] = Session(size, mime)
            return self._text(
                "",
                headers={
                    "X-Goog-Upload-URL": f"{self.g.faults.upload_url_base or self.g.url}/v1/uploads?upload_id={sid}&upload_protocol=resumable",
                    "X-Goog-Upload-Chunk-Granularity": str(GRANULARITY),
                    "X-Goog-Upload-Status": "active",
                },
            )
        if protocol != "raw":
            raise _bad(f"unsupported upload protocol {protocol}")
        digest = hashlib.sha1()
        size = 0
        for piece, broken in self._read_body():
            digest.update(piece)
            size += len(piece)
            if broken:
                return self._drop()
        if size == 0:
            raise _bad("The upload is empty.")
        token = "upl-" + secrets.token_urlsafe(30)
        with self.g.lock:
            self.g.uploads[token] = Upload(_b64sha1(digest), size, mime)
        self._text(token)

    def _read_body(self) -> Any:
        """The body in pieces; with an upload break pending, stop half-way and say so."""
        self._body_read = True
        length = int(self.headers.get("Content-Length") or 0)
        chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
        with self.g.lock:
            faults = self.g.faults
            breaking = (length > 1 or chunked) and (
                faults.upload_breaks > 0
                or (faults.upload_break_rate and faults.rng.random() < faults.upload_break_rate)
            )
            if breaking and faults.upload_breaks > 0:
                faults.upload_breaks -= 1
        stop_at = length // 2 if breaking and length else (1 << 20 if breaking else None)
        got = 0
        for piece in self._raw_pieces(length, chunked):
            if stop_at is not None and got + len(piece) >= stop_at:
                piece = piece[: max(0, stop_at - got)]
                with self.g.lock:
                    self.g.upload_bytes_received += len(piece)
                yield piece, True
                return
            got += len(piece)
            with self.g.lock:
                self.g.upload_bytes_received += len(piece)
            yield piece, False

    def _raw_pieces(self, length: int, chunked: bool) -> Any:
        if chunked:
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return
                left = size
                while left:
                    piece = self.rfile.read(min(left, 1 << 20))
                    if not piece:
                        return
                    left -= len(piece)
                    yield piece
                self.rfile.readline()
        link = self.g.link
        paced = link.total or link.per_stream
        clock = [0.0]
        left = length
        while left > 0:
            piece = self.rfile.read(min(left, 65536 if paced else 1 << 20))
            if not piece:
                return
            left -= len(piece)
            if paced:
                link.pace(len(piece), clock)
            yield piece

    def _session(self, sid: str, command: str) -> None:
        session = self.g.sessions.get(sid)
        if session is None:
            raise ApiError(404, "No such upload session.", "NOT_FOUND")
        if command == "query":
            self._body()
            return self._text(
                "",
                headers={
                    "X-Goog-Upload-Status": "final" if session.final else "active",
                    "X-Goog-Upload-Size-Received": str(session.received),
                },
            )
        if command == "cancel":
            self._body()
            session.final = True
            return self._text("", headers={"X-Goog-Upload-Status": "cancelled"})
        if command not in ("upload", "upload,finalize"):
            raise _bad(f"unknown X-Goog-Upload-Command {command}")
        if session.final:
            raise _bad("The upload session is already finalized.")
        offset = int(self.headers.get("X-Goog-Upload-Offset") or -1)
        if offset != session.received:
            raise _bad(
                f"Invalid X-Goog-Upload-Offset {offset}: {session.received} bytes were received."
            )
        for piece, broken in self._read_body():
            session.take(piece)
            if broken:  # Google keeps what it persisted, in whole granules
                session.break_off()
                return self._drop()
        finalize = command == "upload,finalize"
        if not finalize:
            if session.received % GRANULARITY:
                raise _bad(
                    "A chunk that is not the last must be a multiple of the chunk granularity."
                )
            return self._text("", headers={"X-Goog-Upload-Status": "active"})
        if session.received != session.raw_size:
            raise _bad(f"Finalized with {session.received} bytes of {session.raw_size}.")
        token = "upl-" + secrets.token_urlsafe(30)
        with self.g.lock:
            session.final, session.token = True, token
            self.g.uploads[token] = Upload(_b64sha1(session.digest), session.raw_size, session.mime)
        self._text(token, headers={"X-Goog-Upload-Status": "final"})

    # media items

    def batch_create(self) -> None:
        self._need(APPEND)
        body = self._request_json()
        items = body.get("newMediaItems") or []
        if not 1 <= len(items) <= 50:
            raise _bad("Request must contain between 1 and 50 newMediaItems.")
        album = None
        position = body.get("albumPosition")
        if position is not None and not body.get("albumId"):
            raise _bad("albumPosition needs an albumId.")
        if body.get("albumId"):
            album = self.g.albums.get(body["albumId"])
            if album is None or album.deleted:
                raise _bad("Invalid album id.")
            if album.client_id != self._token["client_id"]:
                raise ApiError(
                    403, "No permission to add media items to this album.", "PERMISSION_DENIED"
                )
        results = []
        with self.g.lock:
            at = self._insert_at(album, position) if album is not None else 0
            for item in items:
                simple = item.get("simpleMediaItem") or {}
                token = simple.get("uploadToken", "")
                upload = self.g.uploads.get(token)
                description = item.get("description") or ""
                if len(description) >= 1000:
                    results.append(
                        {
                            "uploadToken": token,
                            "status": {"code": 3, "message": "Description too long."},
                        }
                    )
                    continue
                if upload is None or upload.used:
                    results.append(
                        {
                            "uploadToken": token,
                            "status": {
                                "code": 3,
                                "message": "Failed: There was an error while trying to create this media item.",
                            },
                        }
                    )
                    continue
                if album is not None and len(album.items) >= self.g.album_limit:
                    results.append(
                        {
                            "uploadToken": token,
                            "status": {"code": 3, "message": "The album is full."},
                        }
                    )
                    continue
                upload.used = True
                existing = self.g.by_sha1.get(upload.sha1)
                if existing and (
                    not self.g.duplicates_apart or not self.g.media[existing].app_created
                ):  # identical bytes: Google keeps one copy
                    media = self.g.media[existing]
                else:
                    media = Media(
                        _new_id("mi"),
                        upload.sha1,
                        upload.size,
                        upload.mime,
                        (simple.get("fileName") or "upload")[:255],
                        description,
                        True,
                        self._token["client_id"],
                        self.g.capture_time(upload.sha1) or "2024-01-01T00:00:00Z",
                    )
                    self.g.media[media.id] = media
                    self.g.by_sha1.setdefault(upload.sha1, media.id)
                if album is not None and media.id not in album.items:
                    album.items.insert(at, media.id)
                    at += 1
                results.append(
                    {
                        "uploadToken": token,
                        "status": {"message": "Success"},
                        "mediaItem": self._media_json(media),
                    }
                )
        self.g.batch_processed.set()
        self.g._answers.wait(120)
        with self.g.lock:
            lost = self.g.faults.batch_answers_lost > 0
            self.g.faults.batch_answers_lost -= 1 if lost else 0
        if lost:
            return self._drop()
        self._json({"newMediaItemResults": results})
        self.g.batch_created.set()

    def _insert_at(self, album: Album, position: Any) -> int:
        """Where albumPosition puts the batch's first item (LAST_IN_ALBUM when absent)."""
        if position is None:
            return len(album.items)
        if not isinstance(position, dict):
            raise _bad("Invalid albumPosition.")
        kind = position.get("position", "POSITION_TYPE_UNSPECIFIED")
        if kind == "FIRST_IN_ALBUM":
            return 0
        if kind in ("LAST_IN_ALBUM", "POSITION_TYPE_UNSPECIFIED"):
            return len(album.items)
        if kind == "AFTER_MEDIA_ITEM":
            relative = position.get("relativeMediaItemId")
            if relative not in album.items:
                raise _bad("Invalid relativeMediaItemId: the media item is not in the album.")
            return album.items.index(relative) + 1
        raise _bad(f"Unsupported albumPosition {kind}.")

    def search(self) -> None:
        self._need(READ_APP)
        body = self._request_json()
        if not body.get("albumId"):
            raise _bad("albumId is required by this stand-in.")
        album = self._own_album(body["albumId"])
        size = int(body.get("pageSize") or 25)
        if not 1 <= size <= 100:
            raise _bad("pageSize must be at most 100.")
        start = int(body.get("pageToken") or 0)
        # only app-created items are visible to the app since March 2025
        visible = [
            m
            for m in album.items
            if self.g.media[m].app_created and self.g.media[m].client_id == self._token["client_id"]
        ]
        page = visible[start : start + size]
        data: dict[str, Any] = {"mediaItems": [self._media_json(self.g.media[m]) for m in page]}
        self._next_page(data, start, size, len(visible))
        self._json(data if page or "nextPageToken" in data else {})

    def _next_page(self, data: dict[str, Any], start: int, size: int, total: int) -> None:
        if self.g.faults.pages == "repeat":
            data["nextPageToken"] = "0"
        elif self.g.faults.pages == "endless" or start + size < total:
            data["nextPageToken"] = str(start + size)

    def batch_get(self) -> None:
        """Items by id, in the order asked; one this client did not create is an error entry."""
        self._need(READ_APP)
        self._body()
        ids = parse_qs(urlsplit(self.path).query).get("mediaItemIds") or []
        if not 1 <= len(ids) <= 50 or len(set(ids)) != len(ids):
            raise _bad("Request must contain between 1 and 50 distinct mediaItemIds.")
        results = []
        for media_id in ids:
            media = self.g.media.get(media_id)
            if (
                media is None
                or not media.app_created
                or media.client_id != self._token["client_id"]
            ):
                results.append({"status": {"code": 3, "message": "Invalid media item ID."}})
            else:
                results.append({"mediaItem": self._media_json(media)})
        self._json({"mediaItemResults": results})

    # albums

    def create_album(self) -> None:
        self._need(APPEND)
        title = (self._request_json().get("album") or {}).get("title", "")
        if not title or len(title) > 500:
            raise _bad("The album title must be 1 to 500 characters.")
        with self.g.lock:
            album = Album(_new_id("alb"), title, self._token["client_id"])
            self.g.albums[album.id] = album
        self.g.album_processed.set()
        self.g._album_answers.wait(120)
        self._json(self._album_json(album))

    def list_albums(self) -> None:
        """The app's own albums (since March 2025 no other), 20 a page unless asked, at most 50."""
        self._need(READ_APP)
        self._body()
        size = int(self.query.get("pageSize") or 20)
        if not 1 <= size <= 50:
            raise _bad("pageSize must be at most 50.")
        start = int(self.query.get("pageToken") or 0)
        mine = [
            a
            for a in self.g.albums.values()
            if not a.deleted and a.client_id == self._token["client_id"]
        ]
        page = mine[start : start + size]
        data: dict[str, Any] = {"albums": [self._album_json(a) for a in page]}
        self._next_page(data, start, size, len(mine))
        self._json(data if page or "nextPageToken" in data else {})

    def get_album(self) -> None:
        self._need(READ_APP)
        self._body()
        self._json(self._album_json(self._own_album(self.params["id"])))

    def _ids(self) -> list[str]:
        ids = self._request_json().get("mediaItemIds") or []
        if not 1 <= len(ids) <= 50 or len(set(ids)) != len(ids):
            raise _bad("Request must contain between 1 and 50 distinct mediaItemIds.")
        return ids

    def batch_add(self) -> None:
        self._need(APPEND, EDIT_APP)
        album = self._own_album(self.params["id"])
        ids = self._ids()
        with self.g.lock:
            for media_id in ids:
                media = self.g.media.get(media_id)
                if (
                    media is None
                    or not media.app_created
                    or media.client_id != self._token["client_id"]
                ):
                    raise _bad("Request contains an invalid media item id.")
            if (
                len(album.items) + len([m for m in ids if m not in album.items])
                > self.g.album_limit
            ):
                raise _bad("The album would exceed its maximum number of media items.")
            for media_id in ids:
                if media_id not in album.items:
                    album.items.append(media_id)
        self._json({})

    def batch_remove(self) -> None:
        self._need(EDIT_APP)
        album = self._own_album(self.params["id"])
        ids = self._ids()
        with self.g.lock:
            for media_id in ids:
                media = self.g.media.get(media_id)
                if media is None or not media.app_created or media_id not in album.items:
                    raise _bad("Request contains an invalid media item id.")
            album.items = [m for m in album.items if m not in ids]
        self._json({})

    def patch_album(self) -> None:
        """albums.patch: only ``title`` (and the cover) are read; the album must be ours."""
        self._need(EDIT_APP)
        mask = set(filter(None, self.query.get("updateMask", "").split(",")))
        if not mask or not mask <= {"title", "coverPhotoMediaItemId", "cover_photo_media_item_id"}:
            raise _bad("updateMask is required: title and/or coverPhotoMediaItemId.")
        body = self._request_json()
        album = self._own_album(self.params["id"])
        if "title" in mask:
            title = body.get("title") or ""
            if not title or len(title) > 500:
                raise _bad("The album title must be 1 to 500 characters.")
            with self.g.lock:
                album.title = title
        self._json(self._album_json(album))

    def patch_media_item(self) -> None:
        """mediaItems.patch: only ``description``; the item must be app-created by this client."""
        self._need(EDIT_APP)
        if self.query.get("updateMask") != "description":
            raise _bad("updateMask is required and must be description.")
        body = self._request_json()
        media = self.g.media.get(self.params["id"])
        if media is None or not media.app_created or media.client_id != self._token["client_id"]:
            raise _bad("Request contains an invalid media item id.")
        description = body.get("description") or ""
        if len(description) >= 1000:
            raise _bad("The description must be shorter than 1000 characters.")
        with self.g.lock:
            media.description = description
        self._json(self._media_json(media))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--client-secrets", type=Path, help="write a Desktop-app client JSON naming this stand-in"
    )
    args = parser.parse_args()
    server = GoogleStandIn(args.host, args.port)
    if args.client_secrets:
        server.client_secrets(args.client_secrets)
    print(f"stand-in Google at {server.url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.httpd.serve_forever()


if __name__ == "__main__":
    main()
