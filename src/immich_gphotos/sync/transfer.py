"""One item's transfer: an Immich original streamed into a Google upload token.

``upload_one`` opens the rendition Immich shows, skips what Google does not take (by the
download's real size), streams it to Google (``Reopen`` lets a resumable upload pick up at an
offset) and keeps the token on the run's context, so an item whose batchCreate was undone is not
sent twice. ``is_big`` and ``requests_for`` say which protocol an item takes and what it costs the
budget. ``upload_parallel`` is the simple path: one chunk's items, ``concurrency`` at a time, its
outcome as ``Uploads``; a bug in one item never loses the others. The pipeline's scheduler, which
never waits for a batch, is ``uploads.Transfers``.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field

from immich_gphotos.errors import AppError
from immich_gphotos.gphotos.limits import RAW_UPLOAD_LIMIT, RESUMABLE_REQUESTS
from immich_gphotos.immich.client import ImmichClient
from immich_gphotos.immich.models import ImmichAsset
from immich_gphotos.immich.originals import OriginalStream
from immich_gphotos.sync import rendition
from immich_gphotos.sync.context import STOPPING, RunContext
from immich_gphotos.sync.eligibility import skip_reason


@dataclass
class Uploads:
    """What one chunk's byte uploads came to."""

    uploaded: dict[str, tuple[str, int]] = field(default_factory=dict)  # asset id -> (token, bytes)
    failed: list[tuple[ImmichAsset, str]] = field(default_factory=list)
    skipped: list[tuple[ImmichAsset, str]] = field(default_factory=list)
    fatal: Exception | None = None  # stops the run once the chunk is saved


class SkipAtUpload(Exception):
    """The download's real size shows the item is one Google does not take."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def upload_parallel(ctx: RunContext, assets: list[ImmichAsset]) -> Uploads:
    outcome = Uploads()
    queue = list(assets)
    workers = ctx.options.concurrency
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="upload") as pool:
        running: dict[Future[tuple[str, int]], ImmichAsset] = {}
        while queue or running:
            while (
                queue and len(running) < workers and outcome.fatal is None and not ctx.stop.is_set()
            ):
                asset = queue.pop(0)
                running[pool.submit(upload_one, ctx, asset)] = asset
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                asset = running.pop(future)
                try:
                    outcome.uploaded[asset.id] = future.result()
                    if ctx.uploads_left is not None:
                        ctx.uploads_left -= 1
                except SkipAtUpload as skip:
                    outcome.skipped.append((asset, skip.reason))
                except STOPPING as exc:
                    outcome.fatal = outcome.fatal or exc
                except AppError as exc:
                    outcome.failed.append((asset, exc.message))
                except Exception as exc:  # a bug in one item must not lose the batch
                    outcome.failed.append((asset, f"unexpected {exc.__class__.__name__}: {exc}"))
    return outcome


def upload_one(ctx: RunContext, asset: ImmichAsset) -> tuple[str, int]:
    if asset.id in ctx.tokens:  # uploaded earlier in this run, its batchCreate undone
        return ctx.tokens[asset.id]  # (the placer drops a token too old to use)
    immich = ctx.clients.immich
    reporter = ctx.reporter
    edited = rendition.edited(ctx, asset)  # what Immich shows: the edit, where there is one
    with immich.open_original(asset.id, edited=edited) as first:
        size = first.total if first.total is not None else asset.size
        reason = skip_reason(asset, ctx.sync, size)
        if reason:
            raise SkipAtUpload(reason)
        reporter.transfer_started(asset.id, asset.file_name, size)
        ok = False
        try:
            token = ctx.google.upload(
                Reopen(immich, asset.id, first, edited),
                size,
                asset.mime,
                on_bytes=lambda n: reporter.transfer_progress(asset.id, n),
            )
            ok = True
        finally:
            reporter.transfer_done(asset.id, ok)
    ctx.token_born[asset.id] = ctx.monotonic()
    ctx.tokens[asset.id] = (token, size or 0)
    rendition.note(ctx, asset, first)
    return token, size or 0


class Reopen:
    """The Immich download an upload reads: the already-open one first, then reopened at an offset."""

    def __init__(
        self, immich: ImmichClient, asset_id: str, first: OriginalStream, edited: bool = False
    ) -> None:
        self._immich, self._asset_id, self._edited = immich, asset_id, edited
        self._first: OriginalStream | None = first

    @contextmanager
    def __call__(self, offset: int) -> Iterator[Iterator[bytes]]:
        first, self._first = self._first, None
        if offset == 0 and first is not None:
            yield first.iter_bytes()
            return
        with self._immich.open_original(self._asset_id, offset, self._edited) as stream:
            yield stream.iter_bytes()


def is_big(asset: ImmichAsset) -> bool:
    """Sent with the resumable protocol: long transfers, started early."""
    return (asset.size or 0) > RAW_UPLOAD_LIMIT


def requests_for(asset: ImmichAsset) -> int:
    """Google requests one upload takes when nothing breaks."""
    return RESUMABLE_REQUESTS if is_big(asset) else 1
