"""The refresh-token grant (RFC 6749 section 6): a fresh access token from the stored login.

One form POST to the client's token endpoint, sent with httpx like every other request of a run
(the GUIDE's place for it: a refresh request the auth flow builds). google-auth would send the
same request, at the cost of importing its JWT and crypto modules and `requests` on every run
that uploads (about 0.1 s); it still drives the login itself (`oauth.LoopbackLogin`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

from immich_gphotos.errors import AuthError, Unreachable
from immich_gphotos.gphotos.client_secrets import ClientSecrets
from immich_gphotos.text import clean
from immich_gphotos.transport import (
    MAX_ERROR_BYTES,
    RetryPolicy,
    describe_transport_error,
    is_tls_error,
    make_client,
    read_capped,
)

TIMEOUT = httpx.Timeout(60.0, connect=15.0)


class _Transient(Unreachable):
    """A 5xx or 408 from the token endpoint: tried again, then reported as unreachable."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def refresh_policy(sleep: Callable[[float], None] = time.sleep) -> RetryPolicy:
    """Three tries a second or two apart: a token endpoint's hiccup should not end a run."""
    return RetryPolicy(attempts=3, base=1.0, cap=4.0, sleep=sleep)


def refresh(
    client: ClientSecrets,
    refresh_token: str,
    expired_message: str,
    retry: RetryPolicy | None = None,
) -> tuple[str, float | None]:
    """The new access token and the seconds it stays valid (None when Google does not say).
    A refused login is ``AuthError`` (``expired_message`` for invalid_grant: an expired or
    revoked login); an endpoint that cannot be reached, keeps failing or asks us to slow down
    is ``Unreachable`` (the next run tries again; a 429 is not retried within seconds)."""
    where = urlsplit(client.token_uri)
    form = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": client.client_id,
        "client_secret": client.client_secret,
    }

    def once() -> httpx.Response:
        try:
            with make_client(f"{where.scheme}://{where.netloc}", timeout=TIMEOUT) as http:
                request = http.build_request("POST", client.token_uri, data=form)
                response = read_capped(
                    http.send(request, stream=True), MAX_ERROR_BYTES, "Google's token endpoint"
                )
        except httpx.TransportError as exc:
            raise Unreachable(
                f"Cannot reach Google's token endpoint {client.token_uri} "
                f"({describe_transport_error(exc)}); check the network.",
                retryable=not is_tls_error(exc),  # a refused certificate stays refused
            ) from None
        if response.status_code == 429:
            raise Unreachable(
                f"Google's token endpoint {client.token_uri} asks to slow down (429); the next "
                "run tries again.",
                retryable=False,
            )
        if response.status_code >= 500 or response.status_code == 408:
            raise _Transient(
                f"Google's token endpoint {client.token_uri} answered {response.status_code} "
                "several times; try again later.",
                response.status_code,
            )
        return response

    response = (retry or refresh_policy()).call(once)
    try:
        answer = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        answer = None
    if not isinstance(answer, dict):
        answer = {}
    if response.status_code != 200:
        error = clean(str(answer.get("error") or f"HTTP {response.status_code}"))[:100]
        if error == "invalid_grant":
            raise AuthError(expired_message)
        detail = clean(str(answer.get("error_description") or ""))[:200]
        said = f"{error}: {detail}" if detail else error
        raise AuthError(f"Google refused to refresh the login ({said}); run `immich-gphotos auth`.")
    token = answer.get("access_token")
    if not isinstance(token, str) or not token:
        raise AuthError(
            "Google's token endpoint answered without an access token; run `immich-gphotos auth`."
        )
    lifetime = answer.get("expires_in")
    seconds = float(lifetime) if isinstance(lifetime, int | float) and lifetime > 0 else None
    return token, seconds
