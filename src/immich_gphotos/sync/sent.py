"""Pure: what Google is given for an asset (which rendition, which description) and the marks the
state keeps of it (the description's digest, Immich's ``updatedAt`` when seen). Shared by the
upload (``rendition``) and the follow-through (``followplan``, ``replacing``).
"""

from __future__ import annotations

import hashlib

from immich_gphotos.clock import iso
from immich_gphotos.config import SyncSettings
from immich_gphotos.gphotos.limits import MAX_DESCRIPTION
from immich_gphotos.immich.models import ImmichAsset


def wants_edited(sync: SyncSettings, asset: ImmichAsset) -> bool:
    """Google gets the edited rendition: ``edits = "edited"`` and Immich has an edit."""
    return sync.edits == "edited" and asset.is_edited


def rendition_of(sync: SyncSettings, asset: ImmichAsset) -> str:
    return "edited" if wants_edited(sync, asset) else "original"


def sent_description(sync: SyncSettings, asset: ImmichAsset) -> str | None:
    """The description Google is given for the asset (as written: line breaks belong there)."""
    if not sync.description or not asset.raw_description:
        return None
    return asset.raw_description[:MAX_DESCRIPTION]


def digest(text: str | None) -> str:
    """What the state keeps of a description Google has: enough to see that it changed."""
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()[:32]


def seen(asset: ImmichAsset) -> str | None:
    return iso(asset.updated_at) if asset.updated_at is not None else None
