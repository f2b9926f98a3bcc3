"""HTTP plumbing shared by both clients: the httpx client, and retry policy written as data."""

from __future__ import annotations

import functools
import os
import random
import ssl
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import TypeVar

import httpx

from immich_gphotos import __version__
from immich_gphotos.errors import RemoteError, Unreachable
from immich_gphotos.text import clean

T = TypeVar("T")

USER_AGENT = f"immich-gphotos/{__version__}"

# What is worth trying again, one reason per code.
RETRY_STATUSES = frozenset(
    {
        408,  # Request Timeout: the server gave up waiting, nothing was done
        429,  # Too Many Requests: slow down, then try again
        500,  # Internal Server Error: often transient on both sides
        502,  # Bad Gateway: a reverse proxy in front of a restarting server
        503,  # Service Unavailable
        504,  # Gateway Timeout
    }
)


@dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff with jitter; ``sleep`` and ``rand`` are injectable for tests."""

    attempts: int = 5
    base: float = 0.5
    cap: float = 30.0
    min_after_5xx: float = 0.0
    min_after_429: float = 0.0
    broken_as_5xx: bool = False  # a broken connection waits as after a 5xx (Google asks so)
    statuses: frozenset[int] = RETRY_STATUSES
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    rand: Callable[[], float] = field(default=random.random, compare=False)

    def delay(
        self, attempt: int, status: int | None = None, retry_after: float | None = None
    ) -> float:
        """Seconds to wait before try ``attempt + 1`` (attempt counts from 1)."""
        backoff = min(self.cap, self.base * (2 ** (attempt - 1)))
        wait = backoff * (0.5 + self.rand() / 2)  # "equal jitter": never less than half the step
        if status == 429:
            wait = max(wait, self.min_after_429, retry_after or 0.0)
        elif status is not None and status >= 500:
            wait = max(wait, self.min_after_5xx, retry_after or 0.0)
        elif retry_after:
            wait = max(wait, retry_after)
        return wait + (self.rand() * 0.25 if status == 429 else 0.0)

    def transient(self, exc: BaseException) -> bool:
        """Worth another try: a connection that broke (not a TLS refusal), a status in
        ``statuses``, or a body that broke off mid-way (a RemoteError without a status)."""
        if isinstance(exc, Unreachable):
            return exc.retryable
        if isinstance(exc, RemoteError):
            return exc.status is None or exc.status in self.statuses
        return False

    def call(
        self,
        once: Callable[[], T],
        *,
        transient: Callable[[BaseException], bool] | None = None,
        before_retry: Callable[[], None] | None = None,
    ) -> T:
        """The one retry loop: run ``once`` until it returns, a non-transient error is raised, or
        the attempts are used up. The wait honours Retry-After and the per-status minimums;
        ``before_retry`` runs between tries (a streamed upload asks Google where to resume)."""
        is_transient = transient or self.transient
        attempt = 0
        while True:
            attempt += 1
            try:
                return once()
            except Exception as exc:
                if attempt >= self.attempts or not is_transient(exc):
                    raise
                status = getattr(exc, "status", None)
                if status is None and self.broken_as_5xx:  # a broken connection
                    status = 500
                self.sleep(self.delay(attempt, status, getattr(exc, "retry_after", None)))
                if before_retry is not None:
                    before_retry()


def retry_after_seconds(response: httpx.Response) -> float | None:
    """Retry-After as seconds, from either of its two forms."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


# A server's answer is read whole only up to these sizes, so a broken or hostile server cannot
# fill the memory. The JSON cap leaves room for a v2 album of 50,000 assets with exif.
MAX_JSON_BYTES = 256 * 1024 * 1024
MAX_ERROR_BYTES = 64 * 1024


def read_capped(response: httpx.Response, limit: int, remote: str) -> httpx.Response:
    """Read a streamed response's body, refusing (RemoteError) one larger than ``limit`` bytes."""
    if response.is_stream_consumed:
        return response
    chunks, size = [], 0
    try:
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise RemoteError(
                    f"{remote} sent an answer larger than {limit // 1024} kB to "
                    f"{response.request.method} {response.request.url.path}; try again later.",
                    status=response.status_code,  # a whole answer came: not a broken transfer
                )
            chunks.append(chunk)
    finally:
        response.close()
    response._content = b"".join(chunks)  # what Response.read() would have kept
    return response


def tls_context(verify: bool | str) -> ssl.SSLContext:
    """The TLS context for a ``verify`` setting: True, the CA bundle httpx would use (certifi's,
    or SSL_CERT_FILE / SSL_CERT_DIR); a path, that CA bundle file or directory; False, none
    checked. Made once per process for each setting and bundle: building one reads the whole
    bundle (20-40 ms), and a run's two clients want the same. A bundle file that changed (a
    renewed homelab CA, under `sync --every`) is read again."""
    stamp = None
    if isinstance(verify, str):
        with suppress(OSError):
            found = os.stat(verify)
            stamp = (found.st_mtime_ns, found.st_size)
    env = (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    return _tls_context(verify, stamp, env)


@functools.lru_cache(maxsize=8)
def _tls_context(
    verify: bool | str, stamp: tuple[int, int] | None, env: tuple[str | None, str | None]
) -> ssl.SSLContext:
    # ``stamp`` (the bundle file's mtime and size) and ``env`` only key the cache
    if isinstance(verify, bool):
        return httpx.create_ssl_context(verify=verify)  # its own rules for True, env included
    if os.path.isdir(verify):  # what httpx does with a path (without its deprecation warning)
        return ssl.create_default_context(capath=verify)
    return ssl.create_default_context(cafile=verify)


def make_client(
    base_url: str,
    *,
    headers: dict[str, str] | None = None,
    verify: bool | str = True,
    timeout: httpx.Timeout | None = None,
    event_hooks: dict[str, list[Callable[..., object]]] | None = None,
) -> httpx.Client:
    """One connection pool per remote, explicit timeouts, our User-Agent.

    A plain-http remote (an Immich on the LAN, the stand-ins) never starts TLS: no redirect is
    followed and every request must stay on plain http (checked before it is sent), so no CA
    bundle is loaded for it; loading one costs 20-50 ms of every run's start."""
    hooks = {name: list(funcs) for name, funcs in (event_hooks or {}).items()}
    if httpx.URL(base_url).scheme == "http":
        hooks.setdefault("request", []).insert(0, _stay_plain)
        verify = False
    return httpx.Client(
        base_url=base_url,
        headers={"User-Agent": USER_AGENT, **(headers or {})},
        verify=tls_context(verify),
        timeout=timeout or httpx.Timeout(30.0, connect=10.0),
        follow_redirects=False,
        event_hooks=hooks,
    )


def _stay_plain(request: httpx.Request) -> None:
    if request.url.scheme != "http":
        raise ValueError(
            f"a client made for plain http was asked for {request.url.scheme}: it has no TLS "
            "settings (a bug: every URL is pinned to the client's own)"
        )


def describe_transport_error(exc: httpx.TransportError) -> str:
    """A short, human cause for a connection failure, never the exception's own text where that
    can hold a secret or the server's bytes."""
    if isinstance(exc, httpx.LocalProtocolError):
        # h11 names the offending header *with its value*: "Illegal header value b'<the API key>'"
        return "the request could not be sent (a header value has characters HTTP does not allow)"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the server's answer broke the HTTP protocol"
    text = clean(str(exc) or exc.__class__.__name__)
    if answers_plain_http(exc):
        return "it answers plain http there, not https"
    if is_tls_error(exc):
        return "its TLS certificate is not trusted"
    if (
        "Name or service not known" in text
        or "nodename nor servname" in text
        or "getaddrinfo" in text
    ):
        return "the host name does not resolve"
    if "refused" in text.lower():
        return "the connection was refused"
    if isinstance(exc, httpx.TimeoutException):
        return "it did not answer in time"
    return text


def answers_plain_http(exc: httpx.TransportError) -> bool:
    """An https:// URL whose server speaks plain http: OpenSSL reads its HTTP answer as a broken
    TLS record. That is a wrong URL, not an untrusted certificate."""
    text = str(exc)
    return "WRONG_VERSION_NUMBER" in text or "record layer failure" in text


def is_tls_error(exc: httpx.TransportError) -> bool:
    text = str(exc)
    return "CERTIFICATE_VERIFY_FAILED" in text or "SSL" in text or "certificate" in text.lower()
