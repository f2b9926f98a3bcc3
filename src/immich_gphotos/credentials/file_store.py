"""Secrets in one Fernet-encrypted file, the key derived with scrypt from a passphrase.

For cron and headless servers, where no keyring is unlocked. The passphrase comes from
``$IMMICH_GPHOTOS_PASSPHRASE`` or the file named by ``$IMMICH_GPHOTOS_PASSPHRASE_FILE`` (which
works with systemd's ``LoadCredential=``). The salt and scrypt cost are stored with the file,
so a file made with an older, lower cost still opens; new files get ``SCRYPT_N``. Next to the
data is a key-check value (an HMAC of a fixed text under the derived key): it tells a wrong
passphrase (the check fails) from a damaged file (the check passes, the data does not). It
helps a guesser no more than the encrypted data itself, which Fernet authenticates anyway.

The derivation is the costly step of a run's start (about 0.3 s of CPU). ``prefetch`` starts it
on a thread as soon as the command knows the file (OpenSSL's scrypt releases the GIL, so the
imports and set-up that follow run beside it), and a derived key is kept for the life of the
process (a ``sync --every`` loop derives it once). Anything wrong is reported by the read that
needs the key, as without a prefetch.
"""

from __future__ import annotations

import base64
import hmac
import json
import os
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from immich_gphotos.errors import SecretsUnavailable
from immich_gphotos.fileio import atomic_write, state_writes
from immich_gphotos.text import clean

ENV_PASSPHRASE = "IMMICH_GPHOTOS_PASSPHRASE"
ENV_PASSPHRASE_FILE = "IMMICH_GPHOTOS_PASSPHRASE_FILE"
FORMAT = "immich-gphotos-secrets"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**17, 8, 1  # 128 MiB, about 0.3 s: current guidance for new files
VERSION = 2  # 2 added "check"; version 1 files (no check) are read, and upgraded on the next save
_CHECK_TEXT = b"immich-gphotos secrets key check"


def _key_check(fernet_key: bytes) -> str:
    import hashlib
    import hmac

    raw = base64.urlsafe_b64decode(fernet_key)
    return base64.b64encode(hmac.new(raw, _CHECK_TEXT, hashlib.sha256).digest()).decode()


def read_passphrase() -> str | None:
    """The passphrase from the environment or its file, or None when neither is set."""
    direct = os.environ.get(ENV_PASSPHRASE)
    if direct:
        return direct
    named = os.environ.get(ENV_PASSPHRASE_FILE)
    if not named:
        return None
    try:
        text = Path(named).read_text(encoding="utf-8")
    except OSError as exc:
        raise SecretsUnavailable(
            f"Cannot read the passphrase file {named} named by {ENV_PASSPHRASE_FILE} "
            f"({exc.strerror}); check the path and its permissions."
        ) from None
    text = text.rstrip("\r\n")
    if not text:
        raise SecretsUnavailable(
            f"The passphrase file {named} is empty; write the passphrase into it."
        )
    return text


_Params = tuple[bytes, bytes, int, int, int]  # sha-256 of the passphrase, salt, n, r, p
_derived: dict[_Params, Future[bytes]] = {}
_derived_lock = threading.Lock()


def _derive_key(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return _derivation(passphrase, salt, n, r, p).result()


def _derivation(
    passphrase: str, salt: bytes, n: int, r: int, p: int, background: bool = False
) -> Future[bytes]:
    """The key for these parameters: derived once a process, on a thread with ``background``."""
    import hashlib

    params = (hashlib.sha256(passphrase.encode("utf-8")).digest(), salt, n, r, p)
    with _derived_lock:
        future = _derived.get(params)
        if future is not None:
            return future
        future = _derived[params] = Future()

    def derive() -> None:
        from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

        try:
            raw = Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))
        except BaseException as exc:  # e.g. MemoryError: the next read tries again
            with _derived_lock:
                _derived.pop(params, None)
            future.set_exception(exc)
            return
        future.set_result(base64.urlsafe_b64encode(raw))

    if background:
        threading.Thread(target=derive, name="secrets-key", daemon=True).start()
    else:
        derive()
    return future


def _kdf_params(envelope: Any) -> tuple[bytes, int, int, int]:
    """The salt and scrypt cost stored with the file; KeyError, TypeError, ValueError or
    AttributeError when they are missing, malformed or out of range."""
    kdf = envelope["kdf"]
    salt = base64.b64decode(kdf["salt"], validate=True)
    n, r, p = int(kdf["n"]), int(kdf["r"]), int(kdf["p"])
    if not (2 <= n <= 2**20 and 1 <= r <= 32 and 1 <= p <= 16):
        raise ValueError("its scrypt cost is out of range")  # a damaged n could eat all memory
    return salt, n, r, p


def prefetch(path: Path) -> None:
    """Start deriving the key of the secrets file at ``path`` on a thread, when the passphrase
    is at hand and the file looks whole; otherwise do nothing (the read will say why). A
    passphrase file that is not a regular file (a pipe: ``<(pass show ...)``) is left alone: it
    can be read only once, and the command's own read must get it."""
    named = os.environ.get(ENV_PASSPHRASE_FILE)
    if not os.environ.get(ENV_PASSPHRASE) and named and not Path(named).is_file():
        return
    try:
        passphrase = read_passphrase()
        salt, n, r, p = _kdf_params(json.loads(path.read_text(encoding="utf-8")))
    except (SecretsUnavailable, OSError, ValueError, KeyError, TypeError, AttributeError):
        return
    if passphrase:
        _derivation(passphrase, salt, n, r, p, background=True)


class FileStore:
    name = "file"

    def __init__(
        self, path: Path, keyring_problem: str | None = None, passphrase: str | None = None
    ) -> None:
        self.path = path
        self._keyring_problem = keyring_problem
        self._given = passphrase  # typed at `init`; otherwise from the environment
        self._cache: dict[str, str] | None = None
        self._fernet: Any = None
        self._kdf: dict[str, Any] | None = None
        self._check: str | None = None

    def describe(self) -> str:
        return f"file ({self.path})"

    def _passphrase(self) -> str:
        passphrase = self._given or read_passphrase()
        if passphrase:
            return passphrase
        why = (
            f"no OS keyring is usable ({self._keyring_problem}) and "
            if self._keyring_problem
            else ""
        )
        raise SecretsUnavailable(
            f"The secrets file needs a passphrase but {why}neither {ENV_PASSPHRASE} nor "
            f"{ENV_PASSPHRASE_FILE} is set; set one of them (the same passphrase every run)."
        )

    def _load(self) -> dict[str, str]:
        if self._cache is not None:
            return self._cache
        from cryptography.fernet import Fernet, InvalidToken

        passphrase = self._passphrase()
        try:
            envelope = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            salt = os.urandom(16)
            self._kdf = {
                "name": "scrypt",
                "salt": base64.b64encode(salt).decode(),
                "n": SCRYPT_N,
                "r": SCRYPT_R,
                "p": SCRYPT_P,
            }
            key = _derive_key(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
            self._fernet, self._check = Fernet(key), _key_check(key)
            self._cache = {}
            return self._cache
        except (OSError, ValueError) as exc:
            raise SecretsUnavailable(
                f"The secrets file {self.path} is unreadable ({exc.__class__.__name__}); "
                "restore it from a backup, or delete it and run `immich-gphotos init` and `auth` again."
            ) from None

        def damaged(why: str) -> SecretsUnavailable:
            return SecretsUnavailable(
                f"The secrets file {self.path} is damaged ({clean(why)[:100]}); restore it from a "
                "backup, or delete it and run `immich-gphotos init` and `auth` again (the file was "
                "left as it is)."
            )

        try:
            if not isinstance(envelope, dict) or envelope.get("format") != FORMAT:
                raise ValueError("not an immich-gphotos secrets file")
            salt, n, r, p = _kdf_params(envelope)
            kdf = envelope["kdf"]
            key = _derive_key(passphrase, salt, n, r, p)
            fernet = Fernet(key)
            token = envelope["data"].encode("ascii")
            check = envelope.get("check")
            if check is not None and not isinstance(check, str):
                raise ValueError("its key check is not text")
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise damaged(f"missing {exc}" if isinstance(exc, KeyError) else str(exc)) from None
        wrong = (
            f"Wrong passphrase for {self.path}; set {ENV_PASSPHRASE} (or {ENV_PASSPHRASE_FILE}) "
            "to the passphrase it was created with."
        )
        if check is not None and not hmac.compare_digest(
            check.encode("ascii", "replace"), _key_check(key).encode("ascii")
        ):
            raise SecretsUnavailable(wrong)
        try:
            plain = fernet.decrypt(token)
        except InvalidToken:
            if check is None:  # a version 1 file cannot tell the two apart
                raise SecretsUnavailable(
                    wrong[:-1] + " (or the file is damaged: then restore it from a backup)."
                ) from None
            raise damaged("its data does not match its checksum") from None
        try:
            secrets = json.loads(plain)
            if not isinstance(secrets, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in secrets.items()
            ):
                raise ValueError("its contents are not a table of secrets")
        except ValueError as exc:
            raise damaged(str(exc)) from None
        self._fernet, self._kdf, self._check = fernet, kdf, _key_check(key)
        self._cache = secrets
        return self._cache

    def _save(self, secrets: dict[str, str]) -> None:
        token = self._fernet.encrypt(json.dumps(secrets, sort_keys=True).encode("utf-8"))
        envelope = {
            "format": FORMAT,
            "version": VERSION,
            "kdf": self._kdf,
            "check": self._check,
            "data": token.decode("ascii"),
        }
        with state_writes(self.path.parent):
            atomic_write(self.path, json.dumps(envelope, indent=1).encode("utf-8"), mode=0o600)
        self._cache = secrets

    def get(self, key: str) -> str | None:
        if self._cache is None and not self.path.exists():
            return None  # nothing stored yet: no passphrase needed to say so
        return self._load().get(key)

    def set(self, key: str, value: str) -> None:
        secrets = dict(self._load())  # decrypts first: a wrong passphrase never overwrites the file
        secrets[key] = value
        self._save(secrets)

    def delete(self, key: str) -> None:
        if not self.path.exists():
            return
        secrets = dict(self._load())
        if secrets.pop(key, None) is not None:
            self._save(secrets)
