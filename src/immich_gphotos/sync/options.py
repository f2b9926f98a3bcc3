"""RunOptions: one run's choices, resolved once (flags over config) by the command core."""

from __future__ import annotations

from dataclasses import dataclass

from immich_gphotos.sync.plan import Options


@dataclass(frozen=True)
class RunOptions:
    albums: tuple[str, ...] = ()  # NAME_OR_ID restrictions from --album; empty: all selected
    dry_run: bool = False
    limit: int | None = None  # new uploads this run at most
    concurrency: int = 4  # byte uploads in parallel (already resolved: flag, else config)
    retry_failed: bool = False
    allow_mass_removal: bool = False

    @property
    def plan(self) -> Options:
        """What the pure planner needs of these."""
        return Options(
            limit=self.limit,
            retry_failed=self.retry_failed,
            allow_mass_removal=self.allow_mass_removal,
        )
