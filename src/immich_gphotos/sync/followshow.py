"""What a dry run says of the follow-through: a line for each change and the Google requests it
takes (``ui.render``), and the same as fields of ``sync --dry-run --json`` (``commands.outcome``).
"""

from __future__ import annotations

from immich_gphotos.sync.followplan import REPLACED_TITLE, FollowPlan


def plan_lines(follow: FollowPlan) -> list[str]:
    """What a dry run says of the follow-through: each change and the Google requests it takes."""
    lines = []
    for r in follow.replacements:
        lines.append(
            f"replace {r.asset.file_name} ({r.why}) in {len(r.targets)} Google album(s): upload "
            f"the {r.rendition} rendition once, batchCreate in place, batchAddMediaItems "
            f'elsewhere, the old item to "{REPLACED_TITLE}" and out (batchRemoveMediaItems)'
        )
    for d in follow.descriptions:
        lines.append(f"patch the description of {d.asset.file_name} (mediaItems.patch)")
    for n in follow.renames:
        lines.append(f'rename Google album "{n.old_title}" to "{n.new_title}" (albums.patch)')
    for h in follow.held:
        lines.append(f"leave {h.asset.file_name} as it is: {h.why}")
    if follow.deferred:
        lines.append(f"{follow.deferred} replacement(s) left for a later run (--limit)")
    if not follow.empty:
        lines.append(
            f"follow-through: {len(follow.replacements)} replacement(s), "
            f"{len(follow.descriptions)} description patch(es), {len(follow.renames)} "
            f"album rename(s), about {follow.google_requests()} Google requests"
        )
    return lines


def plan_json(follow: FollowPlan) -> dict[str, object]:
    return {
        "replacements": [
            {
                "immich_id": r.asset.id,
                "file_name": r.asset.file_name,
                "why": r.why,
                "rendition": r.rendition,
                "albums": len(r.targets),
            }
            for r in follow.replacements
        ],
        "description_patches": [
            {"immich_id": d.asset.id, "file_name": d.asset.file_name} for d in follow.descriptions
        ],
        "renames": [
            {"google_album_id": n.google_album_id, "from": n.old_title, "to": n.new_title}
            for n in follow.renames
        ],
        "not_app_created": len(follow.held),
        "replacements_deferred": follow.deferred,
        "follow_google_requests": follow.google_requests(),
    }
