"""The OS keyring (Secret Service, macOS Keychain, Windows Credential Locker), with time limits.

Under cron there is often no unlocked keyring, and a Secret Service that never answers would hang
a run forever (jaraco/keyring#620, #569), so every call runs in a daemon thread with a deadline.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from immich_gphotos.credentials.base import SERVICE
from immich_gphotos.errors import SecretsUnavailable

T = TypeVar("T")
TIMEOUT_SECONDS = 10.0
_FIX = (
    'unlock the keyring, or set [secrets] backend = "file" with IMMICH_GPHOTOS_PASSPHRASE '
    "(or IMMICH_GPHOTOS_PASSPHRASE_FILE) for cron and headless machines"
)


def _with_deadline(fn: Callable[[], T], timeout: float = TIMEOUT_SECONDS) -> T:
    result: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        try:
            result["value"] = fn()
        except BaseException as exc:  # handed over to the caller's thread below
            result["error"] = exc
        finally:
            done.set()

    threading.Thread(target=run, name="keyring-call", daemon=True).start()
    if not done.wait(timeout):
        raise SecretsUnavailable(f"The OS keyring did not answer within {timeout:.0f} s; {_FIX}.")
    if "error" in result:
        raise result["error"]
    return result["value"]


def keyring_problem() -> str | None:
    """Why the OS keyring is unusable here, or None when a probe read works."""
    try:
        import keyring
        from keyring.backends import chainer, fail

        backend = _with_deadline(keyring.get_keyring)
    except SecretsUnavailable as exc:
        return str(exc)
    except Exception as exc:  # a broken keyring install is just 'unusable' here
        return f"keyring failed to load: {exc.__class__.__name__}"
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    if isinstance(backend, fail.Keyring) or "null" in name.lower():
        return "no keyring backend is available"
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return "no keyring backend is available"
    try:
        _with_deadline(lambda: keyring.get_password(SERVICE, "__probe__"), timeout=TIMEOUT_SECONDS)
    except SecretsUnavailable:
        return f"the keyring ({name}) did not answer"
    except Exception as exc:
        return f"the keyring ({name}) refused: {exc.__class__.__name__}"
    return None


class KeyringStore:
    name = "keyring"

    def describe(self) -> str:
        import keyring

        backend = keyring.get_keyring()
        return f"keyring ({type(backend).__module__.rsplit('.', 1)[-1]})"

    def _call(self, fn: Callable[[], T]) -> T:
        try:
            return _with_deadline(fn)
        except SecretsUnavailable:
            raise
        except Exception as exc:
            raise SecretsUnavailable(
                f"The OS keyring refused the request ({exc.__class__.__name__}); {_FIX}."
            ) from None

    def get(self, key: str) -> str | None:
        import keyring

        return self._call(lambda: keyring.get_password(SERVICE, key))

    def set(self, key: str, value: str) -> None:
        import keyring

        self._call(lambda: keyring.set_password(SERVICE, key, value))

    def delete(self, key: str) -> None:
        import keyring
        from keyring.errors import PasswordDeleteError

        def remove() -> None:
            with contextlib.suppress(PasswordDeleteError):  # already absent: deleting is idempotent
                keyring.delete_password(SERVICE, key)

        self._call(remove)
