"""The follow-through's entry, the only one the engine calls: ``before_planning`` (finish a
replacement a crash interrupted, let titles follow Immich names), ``after_planning`` (look at
changed edits, then the pure ``followplan``), ``carry_out`` after every album is placed (titles
and descriptions in ``patching``, edits in ``replacing``), and ``unsettled`` (albums listed
again next run).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from immich_gphotos.config import AlbumSelection
from immich_gphotos.state.follow import FollowRecords
from immich_gphotos.sync import patching, replacing
from immich_gphotos.sync.context import RunContext, Stop
from immich_gphotos.sync.followplan import (
    FollowPlan,
    build,
    follow_titles,
    planned_assets,
    to_probe,
)
from immich_gphotos.sync.plan import AlbumSpec, Plan
from immich_gphotos.sync.replacing import MAX_LISTED


def before_planning(
    ctx: RunContext, specs: list[AlbumSpec], selection: Sequence[AlbumSelection]
) -> list[AlbumSpec]:
    """Finish what a run ended in the middle of (replacements), and let titles that only repeat
    the Immich name follow a rename. Before the plan: it reads the state these change."""
    records = FollowRecords(ctx.records.conn)
    if ctx.clients.google is not None and not ctx.ended:
        try:
            replacing.settle(ctx, records)
        except Stop:
            ctx.reporter.log(
                "an interrupted replacement is not finished yet; the next run finishes it"
            )
    return follow_titles(specs, selection, records.followed_titles())


def after_planning(ctx: RunContext, plan: Plan) -> Plan:
    """The follow-through's plan: look at the edited renditions whose asset changed (Immich
    reads only), then decide (pure)."""
    records = FollowRecords(ctx.records.conn)
    view = records.view(planned_assets(plan.albums))
    probed: dict[str, str] = {}
    for asset in to_probe(plan.albums, view, ctx.sync):
        try:
            probed[asset.id] = ctx.clients.immich.rendition_tag(asset.id)
        except Exception as exc:  # one asset Immich cannot show waits for the next run
            ctx.reporter.log(f"{asset.file_name}: could not look at its edit ({exc}); next run")
    uploads_left = ctx.options.limit
    if uploads_left is not None:
        uploads_left = max(0, uploads_left - plan.uploads)
    follow = build(
        plan.albums,
        view,
        ctx.sync,
        probed,
        retry_failed=ctx.options.retry_failed,
        uploads_left=uploads_left,
    )
    waiting = tuple(a.id for a in to_probe(plan.albums, view, ctx.sync) if a.id not in probed)
    return replace(plan, follow=replace(follow, waiting=waiting))


def unsettled(plan: Plan) -> set[str]:
    """The albums whose follow-through may not be done after this run (an edit or description
    to carry over, an edit not looked at, or replacements left by --limit): they are listed
    again next run, not skipped as unchanged (the no-op, ``listing``), even when Immich's album
    list shows nothing new (the edit already moved lastModifiedAssetTimestamp once)."""
    follow = plan.follow
    if not isinstance(follow, FollowPlan):
        return set()
    if follow.deferred:
        return {a.spec.immich_id for a in plan.albums}
    open_ids = {r.asset.id for r in follow.replacements}
    open_ids |= {d.asset.id for d in follow.descriptions} | set(follow.waiting)
    albums = {a.spec.immich_id for a in plan.albums if open_ids & {x.id for x in a.spec.assets}}
    albums |= {r.album.spec.immich_id for r in follow.replacements}
    albums |= {album_id for r in follow.replacements for album_id, _ in r.others}
    return albums


def carry_out(ctx: RunContext, plan: Plan) -> None:
    """After every album is placed: titles, descriptions, then edits; a stop ends it cleanly."""
    follow = plan.follow
    if not isinstance(follow, FollowPlan) or ctx.ended:
        return
    records = FollowRecords(ctx.records.conn)
    records.confirm(
        (c.asset_id, c.rendition, c.tag, c.seen_updated_at, c.description_digest)
        for c in follow.confirms
    )
    for held in follow.held[:MAX_LISTED]:
        ctx.reporter.log(f"{held.asset.file_name}: {held.why}; left as it is")
    ctx.report.kept += len(follow.held)
    for asset in follow.given_up[:MAX_LISTED]:
        ctx.reporter.log(
            f"{asset.file_name}: its new rendition failed 5 runs; `sync --retry-failed` tries again"
        )
    try:
        patching.retitle(ctx, records, follow.renames)
        patching.describe(ctx, records, follow.descriptions)
        replacing.replace_edits(ctx, records, follow.replacements)
        replacing.rescue(ctx, records)  # last: a replacement may just have been given such an item
    except Stop:
        pass
