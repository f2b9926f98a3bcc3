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


def day(moment: datetime | str | None) -> str:
    """Just the local date, where a table has no room for the time."""
    full = when(moment)
    return full[:10] if full[:4].isdigit() else full


_NAME_ROOM = 20  # a name column narrower than this (or than the longest name) drops other columns


def _album_label(row: dict[str, Any]) -> str:
    if row.get("kind") == "smart":  # listed after the Immich albums, with what it matches
        label = f"{row['name']} (smart: {row['criteria']})"
        if row.get("problem"):
            label += f" ({row['problem']})"
        return clean(label)
    shared = "" if row["owned"] else f" (shared by {row['owner'] or 'someone'})"
    return clean(row["name"] + shared)


def _count(row: dict[str, Any]) -> str:
    return "?" if row["asset_count"] is None else str(row["asset_count"])


def albums_table(rows: list[dict[str, Any]], width: int = 80) -> Table:
    """The albums as a table that fits ``width``: names are never cut. The link, the id and the
    dates give way first (the dates shortened, then dropped); names and titles wrap last."""
    from rich.table import Table
    from rich.text import Text

    labels = [_album_label(r) for r in rows]
    titles = [clean(r["google_title"] or "") for r in rows]
    name_w = max([len("Name"), *map(len, labels)])
    title_w = max([len("Google album"), *map(len, titles)])
    links = [r.get("google_url") or "" for r in rows]
    # what Name and Google album need before other columns are kept: a longer name wraps
    core = min(name_w, 24) + 6 + 8 + min(title_w, 14)

    def fits(*extra: int) -> bool:
        columns = 4 + len(extra)
        return core + sum(extra) + 3 * columns + 1 <= width

    link_w = max([len("Google link"), *map(len, links)]) if any(links) else 0
    layouts: list[tuple[int, bool, bool]] = [  # (date width, id shown, link shown)
        (16, True, bool(link_w)),
        (16, True, False),
        (16, False, False),
        (10, False, False),
    ]
    date_w, show_id, show_link = 0, False, False
    for dates, with_id, with_link in layouts:
        if fits(dates, dates, *([36] if with_id else []), *([link_w] if with_link else [])):
            date_w, show_id, show_link = dates, with_id, with_link
            break
    else:  # the last sync goes before the last change: `status` shows it too
        date_w = 10 if fits(10) else 0
    show_sync = bool(date_w) and fits(date_w, date_w)

    others = [w for w, shown in ((date_w, date_w), (date_w, show_sync), (36, show_id)) if shown]
    if show_link:
        others.append(link_w)
    room = width - (3 * (4 + len(others)) + 1) - 6 - 8 - sum(others)  # Name + Google album
    name_col, title_col = _share(room, name_w, title_w)

    table = Table(title="Immich albums", title_justify="left")
    # names wrap (folding a long word) but are never cut short with an ellipsis
    table.add_column("Name", overflow="fold", width=name_col)
    table.add_column("Assets", justify="right", no_wrap=True, width=6)
    table.add_column("Selected", justify="center", no_wrap=True, width=8)
    table.add_column("Google album", overflow="fold", width=title_col)
    if date_w:
        table.add_column("Changed", no_wrap=True)
    if show_sync:
        table.add_column("Synced", no_wrap=True)
    if show_id:  # whole, so it can be copied into `albums add`
        table.add_column("Id", no_wrap=True, min_width=36)
    if show_link:
        table.add_column("Google link", no_wrap=True)
    hidden = [
        what
        for what, shown in (
            ("ids", show_id),
            ("when changed", bool(date_w)),
            ("when synced", show_sync),
        )
        if not shown
    ]
    if hidden:
        table.caption = f"Not shown at this width: {', '.join(hidden)} (see `albums --json`)."
        table.caption_justify = "left"
    stamp = when if date_w == 16 else day
    for row, label, title, url in zip(rows, labels, titles, links, strict=True):
        google = Text(title)
        if url:  # a terminal that knows hyperlinks opens the Google album from its title
            google.stylize(f"link {url}")
        cells: list[Text] = [
            Text(label),
            Text(_count(row)),
            Text("yes" if row["selected"] else ""),
            google,
        ]
        if date_w:
            cells.append(Text(stamp(row["last_change"])))
        if show_sync:
            cells.append(Text(stamp(row["last_synced"]) if row["selected"] else ""))
        if show_id:
            cells.append(Text(clean(row["id"])))
        if show_link:
            cells.append(Text(url))
        # names are other people's text: never markup, never a control character
        table.add_row(*cells)
    return table


def _share(room: int, name_w: int, title_w: int) -> tuple[int, int]:
    """Split the room between the name and the Google title: both whole when they fit, else the
    name first (at least _NAME_ROOM wide, or its whole length when shorter)."""
    if name_w + title_w <= room:
        return name_w, title_w
    title = min(title_w, max(12, room - name_w, room * 2 // 5))
    name = room - title
    if name < min(name_w, _NAME_ROOM):
        name = min(name_w, _NAME_ROOM)
        title = room - name
    return max(name, 8), max(title, 6)


def albums_lines(rows: list[dict[str, Any]]) -> list[str]:
    """The albums for a pipe: one line per album, tab-separated, the name first (so `grep` and
    `cut -f1` work): name, assets, selected|-, Google title|-, last change, last sync, owner,
    id, Google link|-. Times are local, like the table's. Names hold no tab: ``clean`` shows
    one as a visible stand-in."""
    lines = []
    for r in rows:
        fields = [
            r["name"],
            _count(r),
            "selected" if r["selected"] else "-",
            r["google_title"] or "-",
            when(r["last_change"]),
            when(r["last_synced"]) if r["selected"] else "-",
            "smart"
            if r.get("kind") == "smart"
            else ("owned" if r["owned"] else f"shared by {r['owner'] or 'someone'}"),
            r["id"],
            r.get("google_url") or "-",
        ]
        lines.append("\t".join(clean(f) for f in fields))
    return lines


def _backup_note(report: StatusReport) -> str:
    if report.state_backup is None:
        return "never"
    made = f"made {when(report.state_backup)}"
    if report.state_backup_complete:
        return f"{made}, holds every change"
    return f"{made}, behind the state: the next finished sync or check copies it again"


def status_lines(report: StatusReport) -> list[str]:
    """The status report as plain lines (readable in cron mail and on a terminal alike)."""
    from immich_gphotos.sync.report import human_bytes

    im, g = report.immich, report.google
    lines = [
        f"immich-gphotos {report.version}",
        f"Config:   {report.config_file}",
        f"State:    {report.state_dir}",
        f"Backup:   {report.state_backup_file} ({_backup_note(report)})",
        f"Secrets:  {report.secrets_backend}"
        + (f"  ({report.secrets_error})" if report.secrets_error else ""),
        "",
        f"Immich:   {im.url}",
        "          "
        + (
            f"reachable, {im.server_version}"
            if im.reachable
            else "not reachable"
            if im.error
            else "not asked (--offline)"
        )
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
            if a.google_url:  # whole, on its own line, so it can be opened or copied
                lines.append(f"    {a.google_url}")
        if g.runs_for_pending:
            lines.append(
                f"  pending items need about {g.runs_for_pending} daily run(s) at this budget"
            )
    lines.append("")
    if not report.runs:
        lines.append("Runs:     none yet")
    else:
        lines.append("Runs (newest first, local time):")
        for r in report.runs:
            lines.append(
                f"  {when(r['started'])}  exit {r['exit_code'] if r['exit_code'] is not None else '?'}  "
                f"uploaded {r['uploaded']}, added {r['added']}, removed {r['removed']}, failed {r['failed']}, "
                f"{human_bytes(r['bytes'] or 0)}, {r['google_requests']} Google requests"
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
    from immich_gphotos.sync import followplan, followshow

    if isinstance(plan.follow, followplan.FollowPlan):  # edits, descriptions, renames
        lines.extend(followshow.plan_lines(plan.follow))
    lines.append(
        f"dry run: {plan.uploads} uploads ({human_bytes(plan.bytes)}), {plan.adds} adds, {plan.removals} removals, "
        f"about {plan.google_requests()} Google requests; nothing was changed"
    )
    return lines
