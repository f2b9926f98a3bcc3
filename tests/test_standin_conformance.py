"""The stand-in Immich answers as the official OpenAPI documents say, so it cannot drift from the real server."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import httpx
import pytest
from openapi_schema_validator import OAS30Validator

from tests.helpers import GOOD_KEY, scenario_library, spec_path
from tests.standins.immich import ImmichStandIn, Library

SPEC_FILES = {3: "immich-openapi-specs.json", 2: "immich-openapi-specs-v2.7.5.json"}


@cache
def spec(version: int) -> dict[str, Any]:
    path = spec_path(SPEC_FILES[version])
    return _nullable_compositions(json.loads(path.read_text()))


def _nullable_compositions(node: Any) -> Any:
    """OpenAPI 3.0 writes a nullable reference as ``{allOf: [$ref], nullable: true}``; JSON Schema
    validators apply the allOf to null too, so spell it out: the referenced schema, or null."""
    if isinstance(node, list):
        return [_nullable_compositions(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _nullable_compositions(v) for k, v in node.items()}
    if node.get("nullable") is True and "type" not in node and ("allOf" in node or "$ref" in node):
        rest = {k: v for k, v in node.items() if k != "nullable"}
        return {"anyOf": [rest, {"enum": [None]}]}
    return node


def operation(version: int, method: str, path: str) -> dict[str, Any]:
    return spec(version)["paths"][path][method]


def check(version: int, schema: dict[str, Any], instance: Any) -> None:
    """Validate against a schema of the document, with its components in reach of every $ref."""
    rooted = {**schema, "components": spec(version)["components"]}
    errors = sorted(OAS30Validator(rooted).iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def check_response(version: int, method: str, path: str, response: httpx.Response) -> None:
    responses = operation(version, method, path)["responses"]
    assert str(response.status_code) in responses, (
        f"{method} {path} answered {response.status_code}"
    )
    content = responses[str(response.status_code)].get("content", {})
    if "application/json" in content:
        check(version, content["application/json"]["schema"], response.json())


@pytest.fixture(params=[3, 2], ids=["v3.1", "v2.7"])
def server(request: pytest.FixtureRequest):
    scenario = scenario_library(big=False)
    with ImmichStandIn(scenario.library, version=request.param) as standin:
        standin.lib = scenario.library  # type: ignore[attr-defined]
        yield standin


def _client(server: ImmichStandIn, key: str = GOOD_KEY) -> httpx.Client:
    return httpx.Client(base_url=server.url + "/api", headers={"x-api-key": key})


def test_responses_match_the_openapi_document(server: ImmichStandIn) -> None:
    v = server.version
    lib: Library = server.lib  # type: ignore[attr-defined]
    album = next(a for a in lib.albums.values() if a.name == "Mixed Bag")
    asset_id = album.asset_ids[0]
    with _client(server) as http:
        check_response(v, "get", "/server/ping", http.get("/server/ping"))
        check_response(v, "get", "/server/version", http.get("/server/version"))
        check_response(v, "get", "/users/me", http.get("/users/me"))
        check_response(v, "get", "/api-keys/me", http.get("/api-keys/me"))
        check_response(v, "get", "/albums", http.get("/albums"))
        if v == 2:
            check_response(v, "get", "/albums", http.get("/albums", params={"shared": "true"}))
            check_response(
                v,
                "get",
                "/albums/{id}",
                http.get(f"/albums/{album.id}", params={"withoutAssets": "true"}),
            )
        check_response(v, "get", "/albums/{id}", http.get(f"/albums/{album.id}"))
        for body in (
            {"albumIds": [album.id], "size": 1000, "page": 1, "withExif": True},
            {"albumIds": [album.id], "size": 2, "page": 1},
        ):
            check(
                v,
                operation(v, "post", "/search/metadata")["requestBody"]["content"][
                    "application/json"
                ]["schema"],
                body,
            )
            check_response(v, "post", "/search/metadata", http.post("/search/metadata", json=body))
        check_response(v, "get", "/assets/{id}", http.get(f"/assets/{asset_id}"))
        check_response(v, "get", "/people", http.get("/people"))
        check_response(
            v,
            "get",
            "/people",
            http.get("/people", params={"page": 1, "size": 2, "withHidden": "true"}),
        )
        check_response(v, "get", "/tags", http.get("/tags"))
        original = http.get(f"/assets/{asset_id}/original")
        check_response(v, "get", "/assets/{id}/original", original)
        assert original.content == lib.assets[asset_id].content.read()
        # an edit: isEdited, updatedAt moved, other bytes behind edited=true (Immich >= 2.5)
        asset = lib.assets[asset_id]
        before = http.get(f"/assets/{asset_id}").json()
        assert before["isEdited"] is False
        rendition = lib.edit(asset)
        after = http.get(f"/assets/{asset_id}")
        check_response(v, "get", "/assets/{id}", after)
        assert after.json()["isEdited"] is True
        assert after.json()["updatedAt"] > before["updatedAt"]
        assert after.json()["checksum"] == before["checksum"]  # always the original's
        names = {p["name"] for p in operation(v, "get", "/assets/{id}/original")["parameters"]}
        assert "edited" in names
        edited = http.get(f"/assets/{asset_id}/original", params={"edited": "true"})
        check_response(v, "get", "/assets/{id}/original", edited)
        assert edited.content == rendition.read() != original.content
        assert edited.headers["etag"] != original.headers["etag"]
        assert http.get(f"/assets/{asset_id}/original").content == original.content


def test_album_fields_follow_the_version(server: ImmichStandIn) -> None:
    with _client(server) as http:
        albums = http.get("/albums").json()
        one = http.get(f"/albums/{albums[0]['id']}").json()
    if server.version == 3:
        assert "assets" not in one and "owner" not in one
        assert one["albumUsers"][0]["role"] == "owner"
    else:
        assert "assets" in one and "owner" in one


def test_smart_album_searches_match_the_openapi_document(server: ImmichStandIn) -> None:
    """Every body a smart album sends is a valid MetadataSearchDto, and the answers conform."""
    from immich_gphotos.config import SmartAlbum, as_utc
    from immich_gphotos.sync.smart import searches

    v = server.version
    lib: Library = server.lib  # type: ignore[attr-defined]
    people = [p.id for p in lib.people.values()][:2]
    tag = next(t.id for t in lib.tags.values() if t.value == "Family/Kids")
    album = next(a.id for a in lib.albums.values() if a.name == "Holidays")
    from datetime import date

    smarts = [
        SmartAlbum(
            "smart-a",
            "A",
            people=tuple(people),
            tags=(tag,),
            favorite=True,
            min_rating=4,
            taken_after=as_utc(date(2023, 1, 1)),
            taken_before=as_utc(date(2025, 1, 1)),
            country="Portugal",
            city="Lisbon",
            type="image",
            in_albums=(album,),
        ),
        SmartAlbum("smart-b", "B", people=tuple(people), people_match="all", not_in_any_album=True),
    ]
    schema = operation(v, "post", "/search/metadata")["requestBody"]["content"]["application/json"][
        "schema"
    ]
    with _client(server) as http:
        for smart in smarts:
            for body in searches(smart):
                for exif in (True, False):
                    sent = {**body, "size": 1000, "page": 1, "withExif": exif}
                    check(v, schema, sent)
                    check_response(
                        v, "post", "/search/metadata", http.post("/search/metadata", json=sent)
                    )


@pytest.mark.parametrize(
    ("method", "path", "route"),
    [
        ("get", "/users/me", "/users/me"),
        ("get", "/albums", "/albums"),
        ("get", "/albums/{id}", "/albums/{album}"),
        ("post", "/search/metadata", "/search/metadata"),
        ("get", "/assets/{id}", "/assets/{asset}"),
        ("get", "/assets/{id}/original", "/assets/{asset}/original"),
        ("get", "/people", "/people"),
        ("get", "/tags", "/tags"),
    ],
)
def test_permissions_are_the_documented_ones(
    server: ImmichStandIn, method: str, path: str, route: str
) -> None:
    """A key holding every permission but the documented one gets 403 naming exactly that one."""
    lib: Library = server.lib  # type: ignore[attr-defined]
    permission = operation(server.version, method, path)["x-immich-permission"]
    every = {
        "user.read",
        "album.read",
        "asset.read",
        "asset.download",
        "asset.view",
        "server.about",
        "person.read",
        "tag.read",
    }
    me = next(u for u in lib.users.values() if u.name == "Alex Tester")
    lib.add_key("almost", me, every - {permission})
    album = next(a for a in lib.albums.values() if a.name == "Holidays")
    url = route.format(album=album.id, asset=album.asset_ids[0])
    with _client(server, "almost") as http:
        response = http.request(method.upper(), url, json={} if method == "post" else None)
    assert response.status_code == 403
    assert response.json()["message"] == f"Missing required permission: {permission}"


def test_a_key_reads_its_own_permissions_without_needing_one(server: ImmichStandIn) -> None:
    """GET /api-keys/me has no x-immich-permission: a scoped key can always ask what it holds."""
    assert "x-immich-permission" not in operation(server.version, "get", "/api-keys/me")
    with _client(server, "scoped-no-download") as http:
        response = http.get("/api-keys/me")
    assert response.status_code == 200
    assert set(response.json()["permissions"]) == {"user.read", "album.read", "asset.read"}


def test_error_envelopes(server: ImmichStandIn) -> None:
    with _client(server, "wrong") as http:
        response = http.get("/users/me")
    assert response.status_code == 401
    body = response.json()
    assert body["message"] == "Invalid API key"
    if server.version == 3:
        assert set(body) == {"message"} and response.headers["x-correlation-id"]
    else:
        assert (
            body["statusCode"] == 401 and body["error"] == "Unauthorized" and body["correlationId"]
        )


def test_answers_on_a_kept_alive_connection_are_not_held_back_by_nagle(
    server: ImmichStandIn,
) -> None:
    """Immich (Node's http server) answers with TCP_NODELAY; a stand-in without it adds 40 ms
    (the client's delayed ACK) to every request after the first on a connection, which the
    no-op benchmark would count as the tool's. Read from the server's own sockets."""
    import socket

    with httpx.Client(base_url=server.url + "/api") as client:
        assert client.get("/server/version").status_code == 200
        accepted = list(server.httpd._connections)
        assert accepted, "the kept-alive connection is open"
        for conn in accepted:
            assert conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
