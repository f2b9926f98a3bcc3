"""google-auth's HTTP transport, over httpx: the token refresh without importing `requests`.

google-auth asks a transport (``google.auth.transport.Request``) to send its token requests; the
one it ships is built on `requests`, whose import alone costs every run about 60 ms. httpx is
loaded anyway for the API calls, so the refresh goes through it, with the same timeouts, TLS
settings and User-Agent as the rest of the tool.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import google.auth.exceptions
import google.auth.transport
import httpx

from immich_gphotos.transport import make_client

TIMEOUT = 60.0  # seconds for one token request when google-auth gives none


class _Response(google.auth.transport.Response):  # type: ignore[misc]
    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    @property
    def status(self) -> int:
        return self._response.status_code

    @property
    def headers(self) -> Mapping[str, str]:
        return self._response.headers

    @property
    def data(self) -> bytes:
        return self._response.content


class HttpxRequest(google.auth.transport.Request):  # type: ignore[misc]
    """One request to the token endpoint at ``origin`` (scheme://host[:port])."""

    def __init__(self, origin: str) -> None:
        self._origin = origin

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> _Response:
        try:
            with make_client(self._origin) as http:
                response = http.request(
                    method,
                    url,
                    content=body,
                    headers=dict(headers or {}),
                    timeout=timeout or TIMEOUT,
                )
        except httpx.HTTPError as exc:  # google-auth words it as "the transport failed"
            raise google.auth.exceptions.TransportError(exc) from exc
        return _Response(response)
