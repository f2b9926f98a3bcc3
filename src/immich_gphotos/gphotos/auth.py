"""Bearer auth for the Library API: an access token refreshed before expiry, and once on a 401."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator

import httpx

from immich_gphotos.gphotos.client_secrets import ClientSecrets
from immich_gphotos.gphotos.oauth import refresh_access_token

EARLY_REFRESH_SECONDS = 60.0


class TokenSource:
    """Hands out a valid access token; refreshes it (thread-safely) through the refresh token."""

    def __init__(
        self,
        client: ClientSecrets,
        refresh_token: str,
        refresh: Callable[[ClientSecrets, str], tuple[str, float | None]] = refresh_access_token,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client, self._refresh_token = client, refresh_token
        self._refresh, self._clock = refresh, clock
        self._token: str | None = None
        self._expiry: float | None = None
        self._lock = threading.Lock()
        self.refreshes = 0

    def token(self, stale: str | None = None) -> str:
        """A token valid for at least a minute; ``stale`` names one the server just refused."""
        with self._lock:
            expiring = (
                self._expiry is not None and self._clock() > self._expiry - EARLY_REFRESH_SECONDS
            )
            if self._token is None or expiring or (stale is not None and stale == self._token):
                self._token, lifetime = self._refresh(self._client, self._refresh_token)
                self._expiry = None if lifetime is None else self._clock() + lifetime
                self.refreshes += 1
            return self._token


class BearerAuth(httpx.Auth):
    """httpx auth flow: sign, and on a 401 refresh once and resend when the body can be replayed.

    A streamed upload body cannot be replayed; its 401 goes back to the caller, whose retry
    reopens the stream (and gets the refreshed token here)."""

    def __init__(self, tokens: TokenSource) -> None:
        self.tokens = tokens

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self.tokens.token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code != 401:
            return
        fresh = self.tokens.token(stale=token)
        if isinstance(request.stream, httpx.ByteStream):
            request.headers["Authorization"] = f"Bearer {fresh}"
            yield request
