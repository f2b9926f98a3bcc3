"""The Library API calls (our client's requests, the stand-in's answers) follow Google's discovery document."""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from functools import cache
from typing import Any

import httpx
import pytest
from jsonschema import Draft7Validator

from immich_gphotos.gphotos.auth import TokenSource
from immich_gphotos.gphotos.client import GooglePhotosClient
from immich_gphotos.gphotos.client_secrets import load_client_secrets
from immich_gphotos.gphotos.models import AlbumPosition, NewItem, PatchRefused, ReferenceRefused
from immich_gphotos.transport import RetryPolicy
from tests.helpers import spec_path
from tests.standins.google import GoogleStandIn


@cache
def discovery() -> dict[str, Any]:
    return json.loads(spec_path("photoslibrary.v1.discovery.json").read_text())


def _convert(node: Any) -> Any:
    """Discovery schema → JSON Schema; objects are closed, so an unknown field is an error."""
    if isinstance(node, list):
        return [_convert(n) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return {"$ref": f"#/definitions/{node['$ref']}"}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in (
            "description",
            "id",
            "readOnly",
            "enumDescriptions",
            "deprecated",
            "format",
            "annotations",
        ):
            continue
        if key == "type" and value == "any":
            continue
        if key == "properties":
            out[key] = {k: _convert(v) for k, v in value.items()}
        elif key in ("items", "additionalProperties"):
            out[key] = _convert(value)
        else:
            out[key] = value
    if "properties" in node and "additionalProperties" not in node:
        out["additionalProperties"] = False
    return out


def validator(schema_name: str) -> Draft7Validator:
    defs = {name: _convert(s) for name, s in discovery()["schemas"].items()}
    return Draft7Validator({"definitions": defs, "$ref": f"#/definitions/{schema_name}"})


def methods() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(resources: dict[str, Any]) -> None:
        for resource in resources.values():
            found.extend(resource.get("methods", {}).values())
            walk(resource.get("resources", {}))

    walk(discovery()["resources"])
    return found


def method_for(verb: str, path: str) -> dict[str, Any]:
    for method in methods():
        pattern = re.sub(r"\{[^}]+\}", r"[^/:]+", method["flatPath"])
        if method["httpMethod"] == verb and re.fullmatch(pattern, path.lstrip("/")):
            return method
    raise AssertionError(f"{verb} {path} is not a method of the Library API")


def check(schema_name: str, instance: Any) -> None:
    errors = list(validator(schema_name).iter_errors(instance))
    assert not errors, f"{schema_name}: " + "; ".join(
        f"{list(e.path)}: {e.message}" for e in errors[:5]
    )


def test_client_requests_and_stand_in_answers_follow_the_discovery_document(
    google: GoogleStandIn,
) -> None:
    calls: list[tuple[httpx.Request, httpx.Response]] = []

    def record(response: httpx.Response) -> None:
        response.read()
        calls.append((response.request, response))

    client = load_client_secrets(google.secrets_path)
    refresh, _ = google.issue_tokens()
    with GooglePhotosClient(
        google.url, TokenSource(client, refresh), retry=RetryPolicy(sleep=lambda s: None)
    ) as photos:
        photos._http.event_hooks["response"].append(record)

        @contextmanager
        def data(offset: int):
            yield [b"picture bytes"[offset:]]

        album = photos.create_album("Conformance")
        token = photos.upload(data, 13, "image/jpeg")
        [made] = photos.batch_create(album.id, [NewItem(token, "C.jpg", "a caption")])
        for position in (AlbumPosition(made.media_item_id), AlbumPosition(None)):
            more = photos.upload(data, 13, "image/jpeg")
            [placed] = photos.batch_create(album.id, [NewItem(more, "D.jpg")], position)
            assert placed.ok
        photos.get_album(album.id)
        other = photos.create_album("Other")
        photos.batch_add(other.id, [made.media_item_id])
        list(photos.album_items(album.id))
        assert {a.title for a in photos.list_albums()} == {"Conformance", "Other"}
        got = photos.batch_get([made.media_item_id, "not-ours"])
        assert got["not-ours"] is None and got[made.media_item_id] is not None
        photos.batch_remove(other.id, [made.media_item_id])
        with pytest.raises(ReferenceRefused):
            photos.batch_add(other.id, ["no-such-item"])
        # follow-through: titles, descriptions, and which items are app-created
        assert (
            photos.retitle_album(album.id, "Conformance, renamed").title == "Conformance, renamed"
        )
        photos.describe_item(made.media_item_id, "a new caption\nwith a second line")
        assert google.media[made.media_item_id].description == "a new caption\nwith a second line"
        preexisting = google.add_preexisting("c29tZSBvdGhlciBieXRlcw==", 9, "P.jpg")
        with pytest.raises(PatchRefused):
            photos.describe_item(preexisting, "not ours to change")
        found = photos.batch_get([made.media_item_id, preexisting])
        assert found[made.media_item_id] is not None and found[preexisting] is None
        google.delete_album(other.id)
        with pytest.raises(PatchRefused):
            photos.retitle_album(other.id, "Gone")

    checked = 0
    seen: set[str] = set()
    for request, response in calls:
        path = request.url.path
        if path == "/v1/uploads":  # the byte upload is documented outside the discovery document
            continue
        method = method_for(request.method, path)
        seen.add(method["id"])
        documented = set(method.get("parameters", {}))
        for name in request.url.params:  # query parameters: documented ones only
            assert name in documented, f"{path}: unknown parameter {name}"
        if "updateMask" in documented:  # "Required" in the text of both patch methods
            assert request.url.params.get("updateMask")
        if request.content:
            check(method["request"]["$ref"], json.loads(request.content))
        if response.status_code == 200:
            check(method["response"]["$ref"], response.json() if response.content else {})
        else:
            error = response.json()["error"]
            assert isinstance(error["code"], int) and error["message"] and error["status"]
        checked += 1
    assert checked >= 15
    assert {
        "photoslibrary.albums.patch",
        "photoslibrary.mediaItems.patch",
        "photoslibrary.mediaItems.batchGet",
    } <= seen


def test_the_checker_catches_a_wrong_field() -> None:
    with pytest.raises(AssertionError):
        check(
            "BatchCreateMediaItemsRequest",
            {"albumId": "a", "newMediaItems": [{"simpleMediaItem": {"token": "x"}}]},
        )
    with pytest.raises(AssertionError):
        method_for("POST", "/v1/albums/x:share2")


def test_scopes_we_request_are_in_the_discovery_document() -> None:
    from immich_gphotos.gphotos.oauth import SCOPES

    documented = set(discovery()["auth"]["oauth2"]["scopes"])
    assert set(SCOPES) <= documented
