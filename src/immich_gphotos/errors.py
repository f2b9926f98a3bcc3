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
      RemoteError (1)                a server answered with an error we cannot fix for the user
        NotFound (1)                 an album or asset that the server does not know
      StateError (1)                 the state database is unusable (newer schema, corrupt)

Interruption (130) is not an error: SIGINT/SIGTERM set a stop event and the run report says
"interrupted"; a ^C during a prompt is mapped in ``cli.run``. Messages never contain a secret.
"""

from __future__ import annotations


class AppError(Exception):
    """An error meant for the user: printed as one sentence, no traceback."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(AppError):
    exit_code = 2


class ConfigError(AppError):
    exit_code = 3


class UnsupportedServer(ConfigError):
    pass


class AuthError(AppError):
    exit_code = 4


class SecretsUnavailable(AuthError):
    pass


class AlreadyRunning(AppError):
    exit_code = 5


class QuotaReached(AppError):
    exit_code = 6

    def __init__(self, message: str, kind: str = "quota") -> None:
        super().__init__(message)
        self.kind = kind  # "budget": our daily_request_budget; "quota": Google's daily quota


class Unreachable(AppError):
    exit_code = 7


class StorageFull(AppError):
    exit_code = 8


class RemoteError(AppError):
    """A server answered with an error; carries what helps a bug report."""

    def __init__(
        self, message: str, *, status: int | None = None, correlation_id: str | None = None
    ) -> None:
        if correlation_id:
            message = f"{message} (correlation id {correlation_id})"
        super().__init__(message)
        self.status = status
        self.correlation_id = correlation_id


class NotFound(RemoteError):
    pass


class StateError(AppError):
    pass
