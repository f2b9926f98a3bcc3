"""`check` as plain lines: one per Google album, what differs named, and a summary. Pure."""

from __future__ import annotations

from typing import TYPE_CHECKING

from immich_gphotos.text import clean

if TYPE_CHECKING:
    from immich_gphotos.commands.check import CheckEstimate
    from immich_gphotos.sync.audit import AlbumCheck, CheckReport, ItemNote

MAX_NAMED = 20  # items named per list; --json has them all


def estimate_line(estimate: CheckEstimate) -> str:
    return (
        f"check: about {estimate.requests} Google request(s); {estimate.used_today} of today's "
        f"budget of {estimate.budget} used so far"
    )


def _names(notes: list[ItemNote]) -> str:
    shown = [n.file_name or n.media_item_id for n in notes[:MAX_NAMED]]
    more = f" and {len(notes) - MAX_NAMED} more" if len(notes) > MAX_NAMED else ""
    return ", ".join(shown) + more


def album_lines(album: AlbumCheck) -> list[str]:
    lines = [f'album "{album.name}" -> Google "{album.google_title}"']
    for part in album.parts:
        head = f'  "{part.title}":'
        if part.found == "deleted":
            lines.append(f"{head} deleted in Google Photos")
        elif part.found == "recreated":
            lines.append(
                f"{head} was deleted in Google Photos; made again, {part.put_back} put back"
            )
        elif part.found == "unreadable":
            lines.append(f"{head} could not be read: {part.problem}")
        elif part.found == "not checked":
            lines.append(f"{head} not checked")
        else:
            agrees = not part.removed and not part.unknown
            lines.append(
                f"{head} {part.items} item(s)" + (", agrees with the state" if agrees else "")
            )
            if part.put_back:
                lines.append(f"    {part.put_back} removed in Google Photos, put back")
            if part.matched:
                lines.append(f"    {part.matched} the state did not know, matched and recorded")
        if part.removed:
            lines.append(
                f"    {len(part.removed)} removed in Google Photos: {_names(part.removed)}"
            )
        if part.unknown:
            lines.append(f"    {len(part.unknown)} the state does not know: {_names(part.unknown)}")
        if part.to_place_again:
            lines.append(
                f"    {part.to_place_again} cannot be added by reference; the next sync uploads them"
            )
        if part.not_visible:
            lines.append(f"    {part.not_visible} not visible to this OAuth client (not counted)")
    adoption = album.adoption
    if adoption is not None:
        if adoption.problem:
            lines.append(f"  {adoption.problem}")
        elif adoption.adopted:
            lines.append(
                f"  took over the Google album(s) of that title: {adoption.matched} item(s) matched, "
                f"{adoption.left_for_sync} Immich asset(s) not there (the next sync uploads the eligible ones)"
            )
        else:
            lines.append("  no Google album yet (the next sync makes it)")
        if adoption.unmatched:
            lines.append(
                f"    {len(adoption.unmatched)} in Google matched no Immich asset: {_names(adoption.unmatched)}"
            )
    elif not album.parts:
        lines.append(
            "  no Google album in the state (the next sync makes one; check --repair takes over one of that title)"
        )
    lines += [f"  {p}" for p in album.problems]
    return lines


def check_lines(report: CheckReport) -> list[str]:
    lines: list[str] = []
    for album in report.albums:
        lines += album_lines(album)
    for unknown in report.unknown_albums:
        lines.append(
            f'album "{unknown["title"]}" ({unknown["items"]} item(s)) was made by this tool but '
            "the state does not know it"
        )
    if report.not_checked:
        lines.append(f"not checked ({report.stopped}): {', '.join(report.not_checked)}")
    verdict = {0: "all agrees", 1: "differences found", 6: "stopped early"}.get(
        report.exit_code, "done"
    )
    hint = (
        "; run `immich-gphotos check --repair`"
        if report.exit_code == 1 and not report.repair
        else ""
    )
    lines.append(
        f"check{' --repair' if report.repair else ''}: {verdict}, "
        f"{report.google_requests} Google request(s), exit {report.exit_code}{hint}"
    )
    return [clean(line) for line in lines]
