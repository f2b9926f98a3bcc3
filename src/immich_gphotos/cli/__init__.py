"""The command line: parse, call one core function, print. ``main`` is the only ``sys.exit``."""

from __future__ import annotations

import sys
import traceback

from immich_gphotos.errors import AppError

EXIT_STATUS_HELP = """\
Exit status: 0 success; 1 some items failed; 2 usage error; 3 not configured or invalid config;
4 authentication needed; 5 another run holds the lock; 6 stopped at Google's daily quota or the
budget; 7 Immich or Google unreachable; 8 Google storage full; 130 interrupted."""


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    code = run(args, debug)
    sys.exit(code)


def run(args: list[str], debug: bool = False) -> int:
    """Run the app and map every outcome to an exit code, in this one place."""
    import typer

    from immich_gphotos.cli.app import build_app
    from immich_gphotos.ui.console import warn

    try:
        result = build_app()(args=args, prog_name="immich-gphotos", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except AppError as exc:
        if debug:
            traceback.print_exc()
        warn(f"Error: {exc.message}")
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except typer.TyperException as exc:  # the parser's usage errors (exit 2) and the like
        show = getattr(exc, "show", None)
        if show:
            show()
        else:
            warn(f"Error: {exc.format_message()}")
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt, EOFError):
        warn("Interrupted.")
        return 130
    except Exception as exc:  # a bug: say so briefly; the traceback only with --debug
        if debug:
            traceback.print_exc()
        else:
            warn(
                f"Error: unexpected {exc.__class__.__name__}: {exc}; run again with --debug for "
                "details and report it at https://github.com/immich-gphotos/immich-gphotos/issues."
            )
        return 1
