"""The request pipeline every Immich call goes through: the HTTP client, the retry policy, and
errors typed (unreachable, not Immich, the server's own answer as an ``AppError``).

``Sender`` is the base of the ``ImmichClient`` mixins: each sends through ``_send`` (a response,
streamed or not) or ``_json`` (a parsed body, its size capped), so every call is retried and its
failures say what to fix.
"""

from __future__ import annotations

from typing import Any, Self

import httpx

from immich_gphotos.errors import Unreachable
from immich_gphotos.immich.failures import error_for
from immich_gphotos.immich.models import ServerVersion
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


def immich_retry_policy() -> RetryPolicy:
    # at least 1 s after a 5xx: a restarting server (or the proxy before it) needs a moment
    return RetryPolicy(attempts=4, base=0.25, cap=8.0, min_after_5xx=1.0)


class Sender:
    """The connection to one Immich server and the one way to send to it."""

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
        self._version: ServerVersion | None = None  # read once, by server.ServerInfo
        self.requests = 0  # every request sent, retries included (the benchmark reports it)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
