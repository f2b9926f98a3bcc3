"""Errors a user can hit, each with its exit code and a one-sentence message naming the fix.

The tree, mapped to exit codes in one place (``cli.main``)::

    AppError (1)
      UsageError (2)                 bad arguments, unknown or ambiguous album name
      ConfigError (3)                not configured, invalid config or client secrets file
        UnsupportedServer (3)        an Immich older than v2
      AuthError (4)                  credentials missing, rejected or unreadable
        SecretsUnavailable (4)       no usable keyring and no passphrase, wrong passphrase
      AlreadyRunning (5)             another run holds the lock
      QuotaReached (6)               Google's daily quota or our request budget
      Unreachable (7)                Immich or Google cannot be reached (DNS, refused, TLS)
      StorageFull (8)                the Google account is out of storage
      StateUnwritable (9)            the state dir cannot be written (full, read-only, permissions)
      RemoteError (1)                a server answered with an error we cannot fix for the user
        NotFound (1)                 an album or asset that the server does not know
      StateError (3)                 the state database cannot be read (damaged, newer schema)

Interruption (130) is not an error: ``signals`` (installed first thing by ``cli.main``) makes a
SIGINT/SIGTERM during the engine set its stop event (the run report says "interrupted") and
anywhere else raise ``signals.Interrupted``, a KeyboardInterrupt that ``cli.run`` maps to 130.
Messages never contain a secret.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Every exit status the tool gives, in one table (shared/SPEC.md "Exit codes")."""

    OK = 0
    FAILED = 1
    USAGE = 2
    CONFIG = 3
    AUTH = 4
    LOCKED = 5
    QUOTA = 6
    UNREACHABLE = 7
    STORAGE_FULL = 8
    STATE_UNWRITABLE = 9
    INTERRUPTED = 130


EXIT_MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "success (everything selected is in sync, or --limit reached)",
    ExitCode.FAILED: "some items failed (retried next run)",
    ExitCode.USAGE: "usage error",
    ExitCode.CONFIG: "not configured or invalid config",
    ExitCode.AUTH: "authentication needed",
    ExitCode.LOCKED: "another run holds the lock",
    ExitCode.QUOTA: "stopped at Google's daily quota or the budget",
    ExitCode.UNREACHABLE: "Immich or Google unreachable",
    ExitCode.STORAGE_FULL: "Google storage full",
    ExitCode.STATE_UNWRITABLE: "the state dir cannot be written",
    ExitCode.INTERRUPTED: "interrupted",
}


def exit_status_help(codes: tuple[ExitCode, ...] = tuple(ExitCode)) -> str:
    """The "Exit status:" paragraph of a command's help, from the one table above."""
    return "Exit status: " + "; ".join(f"{int(c)} {EXIT_MEANINGS[c]}" for c in codes) + "."


class AppError(Exception):
    """An error meant for the user: printed as one sentence, no traceback."""

    exit_code: int = ExitCode.FAILED
    notified: bool = False  # a sync run's notifications and metrics already told of it

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(AppError):
    exit_code = ExitCode.USAGE


class ConfigError(AppError):
    exit_code = ExitCode.CONFIG


class UnsupportedServer(ConfigError):
    pass


class AuthError(AppError):
    exit_code = ExitCode.AUTH


class SecretsUnavailable(AuthError):
    pass


class AlreadyRunning(AppError):
    exit_code = ExitCode.LOCKED


class QuotaReached(AppError):
    exit_code = ExitCode.QUOTA

    def __init__(self, message: str, kind: str = "quota") -> None:
        super().__init__(message)
        self.kind = kind  # "budget": our daily_request_budget; "quota": Google's daily quota


class Unreachable(AppError):
    exit_code = ExitCode.UNREACHABLE

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable  # False for a TLS refusal: trying again cannot help


class StorageFull(AppError):
    exit_code = ExitCode.STORAGE_FULL


class StateUnwritable(AppError):
    """A state file (database, lock, log, secrets) cannot be written. Raised by the state, lock,
    log and file layers from the OS's or SQLite's error; the message names the dir and the fix."""

    exit_code = ExitCode.STATE_UNWRITABLE

    FIXES = {
        "full": "free space on its file system (`df -h {dir}` shows it; a few MB is enough)",
        "read-only": "make it writable again (remount read-write), or point [state] dir elsewhere",
        "permission": "give the user running immich-gphotos write access to it (`ls -ld {dir}`)",
    }

    @classmethod
    def at(cls, state_dir: object, kind: str, reason: str) -> StateUnwritable:
        """``kind``: full | read-only | permission; ``reason``: the system's words."""
        fix = cls.FIXES.get(kind, cls.FIXES["full"]).format(dir=state_dir)
        return cls(
            f"The state dir {state_dir} cannot be written ({reason}); {fix}, then run again. "
            "What was recorded before this is kept, and the next run continues from there."
        )


class RemoteError(AppError):
    """A server answered with an error; carries what helps a bug report."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        correlation_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        if correlation_id:
            message = f"{message} (correlation id {correlation_id})"
        super().__init__(message)
        self.status = status  # None: no answer came whole (a body that broke off mid-way)
        self.correlation_id = correlation_id
        self.retry_after = retry_after  # seconds, from the server's Retry-After


class NotFound(RemoteError):
    pass


class StateError(AppError):
    """The state database cannot be read: never rebuilt silently, the message names the backup."""

    exit_code = ExitCode.CONFIG
