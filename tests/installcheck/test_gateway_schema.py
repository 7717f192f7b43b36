"""The gateway is described in the OpenAPI schema next to the API (SPEC §7), from the
tables the gateway itself parses and answers with."""

import pytest
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from installcheck.openapi import PROOF_FAILURES
from installcheck.ping import PING_PATH
from security import gateway, gateway_codes

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(personas):
    api = APIClient()
    api.force_authenticate(personas["viewer"])
    response = api.get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_the_schema_describes_the_ping_and_its_preflight_without_login(schema):
    item = schema["paths"][PING_PATH]
    assert set(item) == {"post", "options"}
    assert item["post"]["security"] == [] and item["options"]["security"] == []
    assert "gateway" in {tag["name"] for tag in schema["tags"]}
    validate_schema(schema)  # still a valid OpenAPI 3 document


def test_the_body_is_the_fields_the_gateway_parses(schema):
    body = schema["paths"][PING_PATH]["post"]["requestBody"]["content"]["application/json"]
    ping = body["schema"]
    assert set(ping["properties"]) == set(gateway.PING_FIELDS)
    assert ping["required"] == ["app_id", "platform"]
    for name, (max_length, _) in gateway.PING_FIELDS.items():
        assert ping["properties"][name]["maxLength"] == max_length, name
        assert ping["properties"][name]["description"], name
    assert ping["properties"]["platform"]["enum"] == list(gateway.PLATFORMS)
    non_empty = {name for name, prop in ping["properties"].items() if prop.get("minLength")}
    assert non_empty == gateway.NON_EMPTY_FIELDS | {"app_id", "platform"}


def _codes(response):
    schema = response["content"]["application/json"]["schema"]
    return set(schema["properties"].get("error", {}).get("enum", []))


def test_every_answer_code_is_documented_under_its_status(schema):
    responses = schema["paths"][PING_PATH]["post"]["responses"]
    answer = responses["200"]["content"]["application/json"]["schema"]["properties"]
    assert set(answer["identity"]["enum"]) == {"verified", "visitor", "unverified"}
    # Every proof failure is a warning while the platform does not enforce...
    assert set(answer["warning"]["enum"]) == set(PROOF_FAILURES)
    assert set(PROOF_FAILURES) | {
        gateway.UNTRUSTED_DOMAIN,
        gateway.UNKNOWN_APP,
        *gateway_codes.INPUT_ERRORS,
        *gateway_codes.POLICY_WARNINGS,
    } == set(gateway.MESSAGES)
    # An older app version on a platform enforced from a minimum version is served with
    # the proof's warning and the policy's beside it (issue 19).
    assert answer["policy_warning"]["enum"] == [gateway.APP_VERSION_BELOW_MINIMUM]
    assert {"policy_message", "enforce_from_version", "sunset_at"} <= set(answer)
    # ...and a refusal once it does: 403 without a proof, 401 with a wrong one.
    assert _codes(responses["403"]) == {"missing_user_hash", "untrusted_domain", "https_required"}
    assert _codes(responses["401"]) == set(PROOF_FAILURES) - {"missing_user_hash"}
    assert "WWW-Authenticate" in responses["401"]["headers"]
    assert _codes(responses["404"]) == {"unknown_app"}
    assert _codes(responses["400"]) == {"bad_request", "duplicate_key", "invalid_origin"}
    assert {"Retry-After"} <= set(responses["429"]["headers"]) & set(responses["503"]["headers"])
    assert all("X-Request-ID" in response["headers"] for response in responses.values())
