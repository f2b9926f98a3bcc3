"""Pure: data in, Rich renderables or plain strings out. No I/O here."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from immich_gphotos.text import clean

if TYPE_CHECKING:
    from rich.table import Table

    from immich_gphotos.commands.status import StatusReport


def when(moment: datetime | str | None) -> str:
    """A timestamp as local wall-clock minutes, the way a person reads a table."""
    if moment is None:
        return "never"
    if isinstance(moment, str):
        try:
            parsed = datetime.fromisoformat(moment.replace("Z", "+00:00"))
        except ValueError:
            return moment
    else:
        parsed = moment
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone()
    return parsed.strftime("%Y-%m-%d %H:%M")


def albums_table(rows: list[dict[str, Any]]) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(title="Immich albums", title_justify="left")
    table.add_column("Name")
    table.add_column("Assets", justify="right")
    table.add_column("Last change", no_wrap=True)
    table.add_column("Selected", justify="center")
    table.add_column("Google album")
    table.add_column("Last sync", no_wrap=True)
    table.add_column(
        "Id", no_wrap=True, min_width=36
    )  # whole, so it can be copied into `albums add`
    for row in rows:
        name = row["name"] + ("" if row["owned"] else f" (shared by {row['owner'] or 'someone'})")
        cells = [
            name,
            str(row["asset_count"]),
            when(row["last_change"]),
            "yes" if row["selected"] else "",
            row["google_title"] or "",
            when(row["last_synced"]) if row["selected"] else "",
            row["id"],
        ]
        # names are other people's text: never markup, never a control character
        table.add_row(*(Text(clean(c)) for c in cells))
    return table


def status_lines(report: StatusReport) -> list[str]:
    """The status report as plain lines (readable in cron mail and on a terminal alike)."""
    im, g = report.immich, report.google
    lines = [
        f"immich-gphotos {report.version}",
        f"Config:   {report.config_file}",
        f"State:    {report.state_dir}",
        f"Secrets:  {report.secrets_backend}"
        + (f"  ({report.secrets_error})" if report.secrets_error else ""),
        "",
        f"Immich:   {im.url}",
        "          "
        + (f"reachable, {im.server_version}" if im.reachable else "not reachable")
        + (f", user {im.user}" if im.user else ""),
        "          API key "
        + {True: "stored", False: "not stored", None: "unknown"}[im.api_key_stored],
    ]
    if im.error:
        lines.append(f"          {im.error}")
    lines += [
        "",
        "Google:   "
        + (
            f"OAuth client {g.client_id}"
            if g.client_id
            else "no OAuth client configured (init --client-secrets FILE)"
        ),
        "          login "
        + {True: "stored", False: "not stored (run `immich-gphotos auth`)", None: "unknown"}[
            g.token_stored
        ],
        f"          requests today {g.requests_today} of {g.daily_request_budget} (Pacific day)",
    ]
    if g.login_expires:  # an app left in 'Testing': Google ends the login on that day
        lines.append(
            f"          login ends {when(g.login_expires)} (app in 'Testing': publish it, then `auth`)"
        )
    if g.replaced_items:
        lines.append(
            f'          {g.replaced_items} replaced item(s) in "immich-gphotos: replaced" '
            "(empty it in Google Photos)"
        )
    if g.error:
        lines.append(f"          {g.error}")
    lines.append("")
    if not report.albums:
        lines.append("Albums:   none selected (`immich-gphotos albums add NAME`)")
    else:
        lines.append("Albums:")
        for a in report.albums:
            skipped = ", ".join(f"{n} {reason}" for reason, n in sorted(a.skipped_reasons.items()))
            lines.append(
                f"  {a.name or a.immich_id} -> {a.google_title or '?'}: {a.in_sync} in sync, {a.pending} pending, "
                f"{a.failed} failed, {a.skipped} skipped"
                + (f" ({skipped})" if skipped else "")
                + f"; last sync {when(a.last_synced)}"
            )
        if g.runs_for_pending:
            lines.append(
                f"  pending items need about {g.runs_for_pending} daily run(s) at this budget"
            )
    lines.append("")
    if not report.runs:
        lines.append("Runs:     none yet")
    else:
        lines.append("Runs (newest first):")
        for r in report.runs:
            lines.append(
                f"  {when(r['started'])}  exit {r['exit_code'] if r['exit_code'] is not None else '?'}  "
                f"uploaded {r['uploaded']}, added {r['added']}, removed {r['removed']}, failed {r['failed']}, "
                f"{r['bytes']} bytes, {r['google_requests']} Google requests"
            )
    # the report keeps names as written (for --json); printed, they are made inert
    return [clean(line) for line in lines]


def plan_lines(plan: Any) -> list[str]:
    """What a dry run would do, one line per album and a total."""
    from immich_gphotos.sync.report import human_bytes

    lines = []
    for a in plan.albums:
        uploads = [p for p in a.place if p.action.value == "upload"]
        adds = len(a.place) - len(uploads)
        reasons: dict[str, int] = {}
        for _, reason in a.skips:
            reasons[reason] = reasons.get(reason, 0) + 1
        skipped = ", ".join(f"{n} {r}" for r, n in sorted(reasons.items()))
        line = (
            f'album "{a.spec.name}" -> "{a.spec.google_title}"'
            + (" (new Google album)" if a.create else "")
            + f": {len(uploads)} to upload ({human_bytes(sum(p.asset.size or 0 for p in uploads))}), "
            f"{adds} to add by reference, {len(a.skips)} skipped"
            + (f" ({skipped})" if skipped else "")
            + f", {a.in_sync} in sync"
        )
        if a.removals:
            line += f", {len(a.removals)} to remove"
        if a.removal_refused:
            line += f", {a.removal_refused} removals held back (needs --allow-mass-removal)"
        if a.given_up:
            line += f", {len(a.given_up)} given up (--retry-failed)"
        if a.deferred:
            line += f", {a.deferred} left for a later run (--limit)"
        lines.append(line)
    from immich_gphotos.sync import followplan

    if isinstance(plan.follow, followplan.FollowPlan):  # edits, descriptions, renames
        lines.extend(followplan.plan_lines(plan.follow))
    lines.append(
        f"dry run: {plan.uploads} uploads ({human_bytes(plan.bytes)}), {plan.adds} adds, {plan.removals} removals, "
        f"about {plan.google_requests()} Google requests; nothing was changed"
    )
    return lines
