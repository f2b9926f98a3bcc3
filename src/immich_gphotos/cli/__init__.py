"""The command line: parse, call one core function, print. ``main`` is the only ``sys.exit``."""

from __future__ import annotations

import json
import sys
import traceback
from typing import TYPE_CHECKING

from immich_gphotos.errors import AppError, ExitCode, exit_status_help

if TYPE_CHECKING:
    from immich_gphotos.commands.sync import Wiring

EXIT_STATUS_HELP = exit_status_help()


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    code = run(args, debug)
    sys.exit(code)


def wants_json(args: list[str]) -> bool:
    """--json among the options (not after a ``--``): failures then print a JSON object too."""
    options = args[: args.index("--")] if "--" in args else args
    return "--json" in options


def run(args: list[str], debug: bool = False, wiring: Wiring | None = None) -> int:
    """Run the app and map every outcome to an exit code, in this one place. ``wiring`` lets an
    embedding program (the tests) choose how runs reach the servers."""
    code, error = _run(args, debug, wiring)
    if error is not None and wants_json(args):
        # shared/SPEC.md, Output: one JSON value on stdout even when the command fails early
        print(json.dumps({"exit_code": int(code), "error": error}), flush=True)
    return int(code)


def _run(args: list[str], debug: bool, wiring: Wiring | None) -> tuple[int, str | None]:
    import typer

    from immich_gphotos.cli.app import build_app
    from immich_gphotos.cli.common import GlobalOptions
    from immich_gphotos.ui.console import warn

    try:
        app = build_app()
        result = app(
            args=args,
            prog_name="immich-gphotos",
            standalone_mode=False,
            obj=GlobalOptions(wiring=wiring),
        )
        return (result if isinstance(result, int) else ExitCode.OK), None
    except AppError as exc:
        if debug:
            traceback.print_exc()
        warn(f"Error: {exc.message}")
        return exc.exit_code, exc.message
    except typer.Exit as exc:
        return exc.exit_code, None
    except typer.TyperException as exc:  # the parser's usage errors (exit 2) and the like
        show = getattr(exc, "show", None)
        if show:
            show()
        else:
            warn(f"Error: {exc.format_message()}")
        return exc.exit_code, exc.format_message()
    except (typer.Abort, KeyboardInterrupt, EOFError):
        warn("Interrupted.")
        return ExitCode.INTERRUPTED, "interrupted"
    except Exception as exc:  # a bug: say so briefly; the traceback only with --debug
        message = (
            f"unexpected {exc.__class__.__name__}: {exc}; run again with --debug for "
            "details and report it at https://github.com/immich-gphotos/immich-gphotos/issues."
        )
        if debug:
            traceback.print_exc()
        else:
            warn(f"Error: {message}")
        return ExitCode.FAILED, message
