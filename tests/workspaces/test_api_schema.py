"""The OpenAPI schema says what the API answers: what the fuzzer (test_api_fuzz.py) found
missing or wrong, pinned here one by one."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from workspaces.domains import (
    MAX_PATTERN_LENGTH,
    PATTERN_SYNTAX,
    InvalidDomain,
    normalize_pattern,
)

pytestmark = pytest.mark.django_db

PAGED = [
    "/api/v1/workspaces/{app_id}/audit/",
    "/api/v1/workspaces/{app_id}/installations/",
    "/api/v1/workspaces/{app_id}/verification-log/",
]


@pytest.fixture
def schema(personas):
    api = APIClient()
    api.force_authenticate(personas["viewer"])
    response = api.get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def operations(schema):
    """The API's operations; the gateway, also in the schema, answers in its own shapes
    (tests/installcheck/test_gateway_schema.py)."""
    for path, item in schema["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in item.items():
            if method != "parameters":
                yield f"{method.upper()} {path}", path, operation


def test_every_operation_documents_its_refusals_as_json_errors(schema):
    missing = []
    for label, path, operation in operations(schema):
        codes = {"403"} | ({"404"} if "{" in path else set())
        for code in codes:
            content = operation["responses"].get(code, {}).get("content", {})
            if content.get("application/json", {}).get("schema") != {
                "$ref": "#/components/schemas/Error"
            }:
                missing.append(f"{label} {code}")
    assert not missing
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"error", "message"}


def test_every_operation_with_a_body_documents_a_400(schema):
    for label, _, operation in operations(schema):
        if "requestBody" in operation:
            assert "400" in operation["responses"], label


def test_request_bodies_are_documented_as_json(schema):
    # The contract is JSON (SPEC §7); DRF's form parsers are a convenience, not documented.
    for label, _, operation in operations(schema):
        if "requestBody" in operation:
            assert list(operation["requestBody"]["content"]) == ["application/json"], label


@pytest.mark.parametrize("path", PAGED)
def test_paged_lists_are_documented_as_pages(schema, path):
    operation = schema["paths"][path]["get"]
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    page = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(page["properties"]) == {"count", "next", "previous", "results"}
    parameters = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert parameters["limit"] == {"type": "integer", "minimum": 1, "maximum": 1000}
    assert parameters["offset"]["minimum"] == 0


@pytest.mark.parametrize(
    "path", ["/api/v1/support/rotations/", "/api/v1/workspaces/{app_id}/rotations/"]
)
def test_rotation_lists_read_with_200_and_open_with_201(schema, path):
    assert "201" not in schema["paths"][path]["get"]["responses"]
    assert "200" in schema["paths"][path]["get"]["responses"]
    assert "200" not in schema["paths"][path]["post"]["responses"]
    assert "201" in schema["paths"][path]["post"]["responses"]


def test_the_platform_patch_body_is_required(schema):
    operation = schema["paths"]["/api/v1/workspaces/{app_id}/platforms/{platform}/"]["patch"]
    assert operation["requestBody"]["required"] is True


def test_platform_path_parameters_name_the_three_platforms(schema):
    for path in (
        "/api/v1/workspaces/{app_id}/platforms/{platform}/",
        "/api/v1/workspaces/{app_id}/platforms/{platform}/secret/reveal",
    ):
        item = schema["paths"][path]
        operation = item.get("patch") or item["post"]
        platform = next(p for p in operation["parameters"] if p["name"] == "platform")
        assert sorted(platform["schema"]["enum"]) == ["android", "ios", "web"]


def test_bodies_document_what_validation_demands(schema):
    components = schema["components"]["schemas"]
    assert components["TrustedDomain"]["properties"]["domain"]["minLength"] == 1
    assert {"required": ["enforced"]} in components["PatchedPlatformPatch"]["anyOf"]
    assert {"required": ["overlap_hours"]} in components["OpenRotation"]["anyOf"]
    hash_check = components["HashCheck"]["anyOf"]
    assert [branch["required"] for branch in hash_check] == [["user_id"], ["email"], ["user_hash"]]
    assert components["Rotate"]["properties"]["grace_hours"]["nullable"] is True
    sort = next(
        p
        for p in schema["paths"]["/api/v1/workspaces/{app_id}/installations/"]["get"]["parameters"]
        if p["name"] == "sort"
    )
    # Empty means the default, as the console's filter form sends it.
    assert {"", "name", "-name"} <= set(sort["schema"]["enum"])
    assert "--name" not in sort["schema"]["enum"]


def test_the_trusted_domain_is_described_as_exactly_as_a_pattern_can(schema):
    domain = schema["components"]["schemas"]["TrustedDomain"]["properties"]["domain"]
    assert domain["type"] == "string"
    assert (domain["minLength"], domain["maxLength"]) == (1, MAX_PATTERN_LENGTH)
    for rule in ("*.example.com", "IDNA", "63", "253", "trailing dot", "invalid_domain"):
        assert rule in domain["description"], rule
    syntax = re.compile(domain["pattern"])
    # Accepted by the server, so the schema must allow them (the fuzzer sends such values).
    for entry in [
        "shop.example.com",
        "*.example.com",
        " \t*.Example.COM. \n",
        "*. example.com",
        "Bücher.de",
        "пример.рф",
        "ｅｘａｍｐｌｅ。com",
        "example.com\u3000",
        "127.0.0.1",
    ]:
        normalize_pattern(entry)
        assert syntax.search(entry), entry
    # What can never be a host is outside the schema, not only refused by the server.
    for entry in [
        "https://shop.example.com",
        "shop.example.com/login",
        "shop.example.com:443",
        "ann@example.com",
        "shop example.com",
        "app.*.example.com",
        "**.example.com",
        "*example.com",
        "app_1.example.com",
        "shop.example.com\x00",
        "",
        "   ",
    ]:
        assert not syntax.search(entry), entry


_ENTRY_CHARACTERS = st.sampled_from(
    list("abzAZ09-.*:/@_ \t\n\x1c\x85\xa0\u2000\u3000\u3002\uff0e\uff41\u00fc\u00df\u200b\u00ad")
    + [chr(code) for code in range(128)]
)


@settings(max_examples=1000, deadline=None)
@given(st.lists(_ENTRY_CHARACTERS, max_size=14).map("".join))
def test_every_entry_the_server_accepts_matches_the_schema_pattern(entry):
    # The pattern must never be narrower than normalize_pattern: the API fuzzer would then
    # see a valid request refused by the schema (or a "schema-violating" one accepted).
    try:
        normalize_pattern(entry)
    except InvalidDomain:
        return
    assert re.search(PATTERN_SYNTAX, entry), repr(entry)
