"""What `sync` returns: the plan of a dry run (and its ``--json`` object) or a real run's report."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from immich_gphotos.sync import followplan, followshow
from immich_gphotos.sync.plan import Plan
from immich_gphotos.sync.report import RunReport


@dataclass
class SyncOutcome:
    plan: Plan | None = None
    report: RunReport | None = None

    def plan_json(self) -> dict[str, Any]:
        assert self.plan is not None
        plan = self.plan
        return {
            "dry_run": True,
            "uploads": plan.uploads,
            "adds": plan.adds,
            "skipped": plan.skips,
            "removals": plan.removals,
            "bytes": plan.bytes,
            "google_requests": plan.google_requests(),
            **followshow.plan_json(
                plan.follow
                if isinstance(plan.follow, followplan.FollowPlan)
                else followplan.FollowPlan()
            ),
            "albums": [
                {
                    "kind": a.spec.kind,
                    "immich_id": a.spec.album_id,
                    "smart_id": a.spec.smart_id,
                    "name": a.spec.name,
                    "google_title": a.spec.google_title,
                    "create_album": a.create,
                    "uploads": sum(1 for p in a.place if p.action.value == "upload"),
                    "adds": sum(1 for p in a.place if p.action.value == "add"),
                    "skipped": len(a.skips),
                    "in_sync": a.in_sync,
                    "removals": len(a.removals),
                    "removal_refused": a.removal_refused,
                    "given_up": len(a.given_up),
                    "deferred": a.deferred,
                }
                for a in plan.albums
            ],
        }
