"""Gateway fuzzing: schemathesis drives the WSGI route production serves
(``config.wsgi.application``, the lean route in front of Django) in-process, with pings
generated from the gateway's own OpenAPI description, valid and mangled.

Every built-in check runs: status codes, headers, content types and bodies as documented,
schema-invalid pings refused, schema-valid ones never answered 400, other methods answered
405 with Allow. The project's own checks:

- ``no_server_error``: no 5xx, whatever the body, the Origin or the method;
- ``fails_closed``: random proofs never verify, and an identified ping on an enforced
  platform is never served.

The app_id is drawn from the seeded workspaces (and one unknown), and the Origin from their
trusted domain as well as from anything the schema allows, so the fuzzer gets past "unknown
app" to the decisions; a fixture's teardown checks that it reached each kind of answer.
"""

import pytest
import schemathesis
from rest_framework.test import APIClient

from config.wsgi import application
from installcheck.ping import PING_PATH
from security.actions.platforms import set_enforcement
from security.models import Platform
from tests.factories import make_user, make_workspace
from workspaces.actions import add_trusted_domain

pytestmark = pytest.mark.django_db

SEED = 20261121
MAX_EXAMPLES = 300
TRUSTED = "shop.fuzz.example"
ORIGINS = [f"https://{TRUSTED}", "https://elsewhere.example", "null"]
UNKNOWN_APP_ID = "zz000000"
# What the fuzzer must have been answered, per operation, for the run to count.
MUST_REACH = {
    f"POST {PING_PATH}": {200, 400, 401, 403, 404},
    f"OPTIONS {PING_PATH}": {204},
}


@pytest.fixture
def seeded(db):
    """An enforcing workspace with a trusted domain, and an open one without."""
    admin = make_user("fuzz-gateway-admin")
    enforced = make_workspace("Enforced Fuzz")
    for platform in Platform.values:
        set_enforcement(enforced, platform, True, actor=admin)
    add_trusted_domain(enforced, TRUSTED, actor=admin)
    open_ = make_workspace("Open Fuzz")
    return {"enforced": enforced.app_id, "open": open_.app_id, "admin": admin}


def _either(known, schema):
    """Any of the known values, or anything ``schema`` allows."""
    return {"anyOf": [{"type": "string", "enum": known}, schema]}


@pytest.fixture
def gateway_schema(seeded):
    api = APIClient()
    api.force_authenticate(seeded["admin"])
    raw = api.get("/api/schema/?format=json").json()
    raw["paths"] = {PING_PATH: raw["paths"][PING_PATH]}
    post = raw["paths"][PING_PATH]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    known_apps = [seeded["enforced"], seeded["open"], UNKNOWN_APP_ID]
    # The seeded app_ids (and one unknown): a random one only ever meets "unknown app". The
    # negative mode still mangles them.
    body["properties"]["app_id"] = {"type": "string", "enum": known_apps}
    (origin,) = post["parameters"]
    origin["schema"] = _either(ORIGINS, origin["schema"])
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "operations": [
                {
                    # The whole body is capped at 8 KiB, which a JSON schema cannot say: a
                    # schema-valid ping with long fields may be refused with a 413.
                    "include-name": f"POST {PING_PATH}",
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": ["2xx", "401", "403", "404", "413"]
                        },
                        "negative_data_rejection": {
                            "expected-statuses": ["400", "401", "403", "404", "405", "413"]
                        },
                    },
                }
            ],
            "generation": {
                "mode": "all",
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "no-shrink": True,
                "database": "none",
            },
            "suppress-health-check": ["too_slow"],
        }
    )
    loaded = schemathesis.openapi.from_dict(raw, config=config)
    loaded.app = application  # in-process, through the route production serves
    return loaded


@pytest.fixture
def reached(request):
    seen = {}
    yield seen
    for label, statuses in seen.items():
        missing = MUST_REACH[label] - statuses
        assert not missing, f"{label}: the fuzzer never got {sorted(missing)}; saw {seen}"


def make_checks(seeded):
    def no_server_error(ctx, response, case):
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} answered {response.status_code}: "
            f"{response.text[:300]}"
        )

    def fails_closed(ctx, response, case):
        if case.method != "POST" or response.status_code != 200:
            return
        answer = response.json()
        assert answer.get("identity") != "verified", f"a random proof verified: {case.body}"
        body = case.body if isinstance(case.body, dict) else {}
        identified = bool(body.get("user_id") or body.get("email"))
        assert not (identified and body.get("app_id") == seeded["enforced"]), (
            f"an identified ping without a valid proof was served on an enforced platform: "
            f"{body} -> {answer}"
        )

    return [no_server_error, fails_closed]


gateway = schemathesis.pytest.from_fixture("gateway_schema")


@gateway.parametrize()
def test_fuzz_the_gateway(case, seeded, reached):
    response = case.call_and_validate(additional_checks=make_checks(seeded))
    if case.method.upper() == case.operation.method.upper():
        reached.setdefault(case.operation.label, set()).add(response.status_code)


def test_the_fail_closed_check_catches_what_it_is_for(seeded):
    """The custom check is not vacuous: it fails on the answers it exists to catch."""
    from types import SimpleNamespace

    check = {c.__name__: c for c in make_checks(seeded)}["fails_closed"]

    def answer(identity, **body):
        case = SimpleNamespace(method="POST", body=body, formatted_path=PING_PATH)
        response = SimpleNamespace(status_code=200, json=lambda: {"identity": identity})
        return case, response

    for case, response in (
        answer("verified", app_id=seeded["open"], platform="web", user_id="1", user_hash="x"),
        answer("unverified", app_id=seeded["enforced"], platform="ios", email="a@b.example"),
    ):
        with pytest.raises(AssertionError):
            check(None, response, case)
    case, response = answer("unverified", app_id=seeded["open"], platform="ios", user_id="1")
    check(None, response, case)
