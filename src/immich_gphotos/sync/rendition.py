"""Which rendition an upload streams from Immich, and what it notes for the state.

With ``[sync] edits = "edited"`` an edited asset is uploaded as its edited rendition (what Immich
shows); the upload notes which rendition it sent, its size and ETag, and the description
batchCreate gives it, recorded in the same transaction as the batch (``records.note_upload``),
so a later run can tell when Immich shows something else.
"""

from __future__ import annotations

from immich_gphotos.immich.models import ImmichAsset
from immich_gphotos.immich.originals import OriginalStream
from immich_gphotos.state.views import UploadNote
from immich_gphotos.sync.context import RunContext
from immich_gphotos.sync.sent import (
    digest,
    rendition_of,
    seen,
    sent_description,
    wants_edited,
)


def edited(ctx: RunContext, asset: ImmichAsset) -> bool:
    """Download the edited rendition (``/original?edited=true``) for this upload."""
    return wants_edited(ctx.sync, asset)


def note(ctx: RunContext, asset: ImmichAsset, stream: OriginalStream) -> None:
    kind = rendition_of(ctx.sync, asset)
    ctx.records.note_upload(
        asset.id,
        UploadNote(
            kind,
            stream.tag if kind == "edited" else None,
            seen(asset),
            digest(sent_description(ctx.sync, asset)),
        ),
    )
