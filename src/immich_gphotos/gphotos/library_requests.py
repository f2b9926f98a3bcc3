"""LibraryRequests: the request pipeline every Library API call goes through.

One place sends, counts, retries and types the errors of a call to Google (see
shared/notes/google-photos-api.md):
- every request passes the budget's request hook, so it is counted against the daily quota;
- a 429 means wait at least 30 s (or Retry-After); "per day" in it means the daily quota is gone;
- 5xx and broken connections: back off at least 1 s and try again (``google_retry_policy``);
- Google's answers are read capped and their texts made inert (``text.clean``) as they enter.
The calls themselves are in ``album_calls`` and ``media_item_calls``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, Self

import httpx

from immich_gphotos.budget import RequestBudget
from immich_gphotos.errors import AuthError, QuotaReached, RemoteError, StorageFull, Unreachable
from immich_gphotos.gphotos.auth import BearerAuth, TokenSource
from immich_gphotos.gphotos.models import GoogleApiError, GoogleUnauthorized, PatchRefused
from immich_gphotos.text import clean, clean_opt
from immich_gphotos.transport import (
    MAX_ERROR_BYTES,
    MAX_JSON_BYTES,
    RetryPolicy,
    describe_transport_error,
    make_client,
    read_capped,
    retry_after_seconds,
)


def google_retry_policy() -> RetryPolicy:
    return RetryPolicy(
        attempts=5, base=1.0, cap=64.0, min_after_5xx=1.0, min_after_429=30.0, broken_as_5xx=True
    )


class LibraryRequests:
    """The HTTP client, its budget hook and login, the retry policy; ``_send`` and its kin."""

    def __init__(
        self,
        api_url: str,
        tokens: TokenSource,
        budget: RequestBudget | None = None,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> None:
        hooks = {"request": [budget.hook]} if budget else {}
        self.api_url = api_url.rstrip("/")
        self._http = make_client(
            self.api_url,
            timeout=timeout or httpx.Timeout(120.0, connect=15.0),
            event_hooks=hooks,  # type: ignore[arg-type]
        )
        self._http.auth = BearerAuth(tokens)
        self._retry = retry or google_retry_policy()
        self.budget = budget

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(
        self, method: str, url: str, *, replayable: bool = True, **kwargs: Any
    ) -> httpx.Response:
        """One call under the retry policy; ``replayable=False`` (a streamed body) makes exactly
        one attempt: the caller retries it by reopening the source (``_with_reopen``)."""

        def once() -> httpx.Response:
            try:
                response = self._http.send(
                    self._http.build_request(method, url, **kwargs), stream=True
                )
                limit = MAX_JSON_BYTES if response.is_success else MAX_ERROR_BYTES
                read_capped(response, limit, "Google Photos")
            except httpx.TransportError as exc:
                raise Unreachable(
                    f"Cannot reach Google Photos at {self.api_url}: {describe_transport_error(exc)}; "
                    "check the network and try again."
                ) from None
            if response.is_success:
                return response
            raise self._error(response)

        if not replayable:
            return once()
        return self._retry.call(once)

    def _error(self, response: httpx.Response) -> Exception:
        status = response.status_code
        message, reason = _status_details(response)
        lowered = message.lower()
        if status == 429 and "per day" in lowered:
            return QuotaReached(
                "Google's daily quota for this project is used up (10,000 Library API requests per "
                "day); progress is saved and the next run after midnight Pacific time continues."
            )
        if status == 400 and "storage" in lowered:
            return StorageFull(
                "The Google account's storage is full; free space (or buy more) in Google One, then run sync again."
            )
        if status == 401:
            return GoogleUnauthorized(
                f"Google rejected the login ({message}); run `immich-gphotos auth`."
            )
        if status == 403 and "scope" in lowered:
            return AuthError(
                "The Google login lacks a permission this tool needs (insufficient scopes); run "
                "`immich-gphotos auth` and allow all the requested access."
            )
        return GoogleApiError(
            f"Google answered {status} {reason or ''}: {message}".replace("  ", " "),
            status=status,
            reason=reason,
            retry_after=retry_after_seconds(response),
        )

    def _json(self, method: str, url: str, **kwargs: Any) -> Any:
        response = self._send(method, url, **kwargs)
        try:
            return response.json() if response.content else {}
        except ValueError:
            raise RemoteError(
                f"Google answered {method} {url} with something that is not JSON."
            ) from None

    def _pages(
        self, method: str, url: str, query: dict[str, Any], key: str, max_pages: int, what: str
    ) -> Iterator[dict[str, Any]]:
        """The entries of a paged list, each once. A page token seen before, or more pages than
        the list can fill, is Google misbehaving: stop with a clear error, never loop."""
        seen: set[str] = set()
        tokens: set[str] = set()
        token: str | None = None
        for _ in range(max_pages):
            page = query | ({"pageToken": token} if token else {})
            if method == "GET":
                data = self._json(method, url, params=page)
            else:
                data = self._json(method, url, json=page)
            for raw in data.get(key) or []:
                ident = str(raw.get("id")) if isinstance(raw, dict) else ""
                if ident and ident not in seen:  # a page boundary may repeat an entry
                    seen.add(ident)
                    yield raw
            token = data.get("nextPageToken")
            if not token:
                return
            if token in tokens:
                raise RemoteError(
                    f"Google answered the same page twice while listing {what}; try again later."
                )
            tokens.add(token)
        raise RemoteError(
            f"Google kept answering with more pages while listing {what} (more than {max_pages}, "
            "more than it can hold); stopped there, try again later."
        )


def patch_refused(exc: GoogleApiError) -> GoogleApiError:
    """A patch Google refuses for good (not ours, not app-created, gone) vs. one to retry."""
    if exc.status in (400, 403, 404):
        return PatchRefused(str(exc), status=exc.status or 400, reason=exc.reason)
    return exc


def _status_details(response: httpx.Response) -> tuple[str, str | None]:
    """message and status name from a google.rpc.Status body (or the raw text), made inert."""
    message, reason = _raw_status_details(response)
    return clean(message)[:1000], clean_opt(None if reason is None else str(reason))


def _raw_status_details(response: httpx.Response) -> tuple[str, str | None]:
    with contextlib.suppress(ValueError):
        body = response.json()
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            return str(error.get("message") or ""), error.get("status")
        if isinstance(error, str):  # OAuth-style {"error": "...", "error_description": "..."}
            return str(body.get("error_description") or error), error
    return response.text.strip()[:300] or response.reason_phrase, None
