"""The server and the key: Immich's version (read once; v2 and v3 calls differ by it), the
refusal of a version too old, the key's permissions checked before anything is done, the user."""

from __future__ import annotations

from immich_gphotos.errors import RemoteError, Unreachable, UnsupportedServer
from immich_gphotos.immich.failures import NEEDED_PERMISSIONS, lacking
from immich_gphotos.immich.models import ImmichUser, ServerVersion
from immich_gphotos.immich.sending import Sender


class ServerInfo(Sender):
    """What the server is and what the key may do."""

    def server_version(self) -> ServerVersion:
        """The server's version, read once (no authentication needed)."""
        if self._version is None:
            data = self._json("GET", "/server/version")
            try:
                self._version = ServerVersion.from_api(data)
            except (KeyError, TypeError, ValueError):
                raise Unreachable(
                    f"No Immich server answers at {self.url} (its version answer is not Immich's); "
                    f"check {self.url_name}."
                ) from None
        return self._version

    def check_supported(self) -> ServerVersion:
        version = self.server_version()
        if version.major < 2:
            raise UnsupportedServer(
                f"Immich {version} at {self.url} is too old: immich-gphotos supports v2.x and v3.x; "
                "upgrade Immich."
            )
        return version

    @property
    def is_v3(self) -> bool:
        return self.check_supported().major >= 3

    def require_permissions(self, needed: tuple[str, ...] = NEEDED_PERMISSIONS) -> None:
        """Refuse a key without a permission the sync needs, naming it, before anything is done
        with the key. ``GET /api-keys/me`` itself needs no permission; a server that cannot
        answer it (a session instead of a key) leaves each call to say what it lacks."""
        try:
            data = self._json("GET", "/api-keys/me")
        except RemoteError as exc:
            if exc.status in (400, 404):
                return
            raise
        granted = set(data.get("permissions") or []) if isinstance(data, dict) else set()
        if "all" in granted:
            return
        missing = [p for p in needed if p not in granted]
        if missing:
            raise lacking(missing)

    def me(self) -> ImmichUser:
        return ImmichUser.from_api(self._json("GET", "/users/me"))
