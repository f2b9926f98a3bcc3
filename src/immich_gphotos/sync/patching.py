"""Titles and descriptions: Google albums retitled (``albums.patch``) and Google items given a
new description (``mediaItems.patch``) after Immich changed them; each recorded so it is asked
once. ``follow`` runs these after every album is placed.
"""

from __future__ import annotations

from collections.abc import Sequence

from immich_gphotos.gphotos.models import GoogleApiError, PatchRefused
from immich_gphotos.state.follow import FollowRecords
from immich_gphotos.sync.context import RunContext
from immich_gphotos.sync.followplan import DescriptionPatch, Rename


def retitle(ctx: RunContext, records: FollowRecords, renames: Sequence[Rename]) -> None:
    """Each Google album (part) to its new title; a refused one is not asked again."""
    for rename in renames:
        ctx.check_stop()
        try:
            ctx.call(lambda r=rename: ctx.google.retitle_album(r.google_album_id, r.new_title))  # type: ignore[misc]
        except PatchRefused as exc:  # gone (its next write creates it again) or not ours
            ctx.reporter.log(f'Google album "{rename.old_title}" could not be renamed: {exc}')
        except GoogleApiError as exc:
            ctx.report.follow_failed += 1
            ctx.reporter.log(
                f'Google album "{rename.old_title}": renaming failed ({exc}); next run'
            )
            continue
        else:
            ctx.report.renamed += 1
            ctx.reporter.log(f'renamed Google album "{rename.old_title}" to "{rename.new_title}"')
        records.retitled(rename.google_album_id, rename.new_title)  # never asked twice


def describe(ctx: RunContext, records: FollowRecords, patches: Sequence[DescriptionPatch]) -> None:
    """Each Google item its new description; one not app-created is held, never asked again."""
    for patch in patches:
        ctx.check_stop()
        try:
            ctx.call(
                lambda p=patch: ctx.google.describe_item(p.media_item_id, p.text)  # type: ignore[misc]
            )
        except PatchRefused:  # bytes the library held before: not app-created, never ours
            ctx.report.kept += 1
            records.not_app_created(patch.media_item_id)
            ctx.reporter.log(
                f"{patch.asset.file_name}: its Google item was not created by this tool, so its "
                "description cannot be changed; left as it is"
            )
        except GoogleApiError as exc:
            ctx.report.follow_failed += 1
            ctx.reporter.log(f"{patch.asset.file_name}: description not patched ({exc}); next run")
            continue
        else:
            ctx.report.described += 1
        records.described(patch.asset.id, patch.digest)
