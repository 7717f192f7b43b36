"""API fuzzing: schemathesis against the OpenAPI schema of a live server, as two identities.

A real HTTP server (pytest-django's ``live_server``: a socket on a free port, on the test
database) serves two workspaces, Alpha and Bravo, each with the [TEST] twin the product
creates and data in both: secrets, JWT keys (a current one and one in grace), trusted
domains, installations, verification log rows, rotation requests, jobs, audit events.
The admin of Alpha and the viewer of Bravo each get an API token.

The schema is read from the server (authenticated), and its path parameters are narrowed to
the real app_ids, ids and kids of BOTH workspaces (plus one that does not exist), so every
operation is tried against each identity's own objects and the other workspace's. The
negative mode still mangles them. Every built-in check runs (``ignored_auth`` included: it
repeats each accepted request without and with invalid credentials), plus the project's own:

- ``no_server_error``: no 5xx, whatever the input;
- ``no_cross_workspace_access``: no 2xx on a path naming an object of the other workspace,
  and no 2xx body carrying one of its app_ids, kids, domains, names, secrets or keys;
- ``viewer_changes_nothing``: every state-changing or secret-revealing operation by the
  viewer is refused, with 403 on their own workspace, the audit log too, and no response
  ever carries one of their workspaces' secrets or keys;
- ``support_routes_refused``: neither identity is support staff.

Reads and writes run as separate tests, each on freshly seeded data, so an admin write that
deletes a domain or rotates a key cannot starve the reads; and a fixture's teardown asserts
that the fuzzer really reached the objects (2xx on each read of the own workspace), so the
run cannot pass by hitting nothing but 404s. Generation is derandomized with a fixed seed
and a bounded number of examples per operation.
"""

import re
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import requests
import schemathesis
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from installcheck.jobs import CHECK_INSTALLATION
from installcheck.models import Installation, Job, JobState, VerificationFailure
from security.actions.jwt_keys import rotate_messenger_key
from security.actions.secret_rotation import open_request
from security.models import MessengerKey, Platform, RotationRequest
from tests.factories import give_totp, make_user, make_workspace, secret_of
from workspaces.actions import add_member, add_trusted_domain, grant_support
from workspaces.models import ApiToken, Invitation, TrustedDomain, Workspace

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SEED = 20240607
MAX_EXAMPLES = 30
TIMEOUT = 30
# POSTs that read: any member may check a hash or debug a token (SPEC §6).
READ_LIKE_POSTS = {
    ("POST", "/api/v1/workspaces/{app_id}/hash-check"),
    ("POST", "/api/v1/workspaces/{app_id}/jwt-debug"),
}
UNOWNED_PATH_PARAMETERS = {"platform"}
NO_SUCH_APP_ID = "zz000000"
API = "/api/v1/workspaces/{app_id}"
# schemathesis' default expectations for positive_data_acceptance.
POSITIVE_EXPECTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
NO_SUCH_ID = 2_000_000_000
NO_SUCH_KID = "mk_00000000"


@dataclass
class Identity:
    name: str
    token: str
    own: set = field(default_factory=set)  # app_ids of the identity's workspaces
    is_viewer: bool = False
    username: str = ""
    role: str = ""

    @property
    def headers(self):
        return {"Authorization": f"Token {self.token}"}


@dataclass
class World:
    """Who owns what: every seeded path value, by kind, mapped to its workspace family."""

    identities: dict
    owners: dict  # kind -> {value: family}
    foreign_markers: dict  # family -> strings that must never reach the other family
    families: dict  # app_id -> family ("alpha" or "bravo")
    secrets: dict  # family -> plaintext secrets and keys (a viewer sees none, even its own)


def _seed_family(name, domain, actor, member, role, support):
    production = make_workspace(name)
    twin = production.test_workspace
    values = {
        "workspace": [],
        "domain": [],
        "key": [],
        "rotation": [],
        "job": [],
        "member": [],
        "invitation": [],
        "resendable": [],
    }
    markers = {domain, name}
    secrets = set()
    for n, workspace in enumerate((production, twin)):
        add_member(workspace, member, role)
        values["workspace"].append(workspace.app_id)
        markers.add(workspace.app_id)
        for value in (f"{'test.' if n else ''}{domain}", f"*.cdn.{domain}"):
            entry = add_trusted_domain(workspace, value, actor=actor)
            values["domain"].append(entry.pk)
            markers.add(entry.domain)
        rotate_messenger_key(workspace, grace_hours=24, actor=actor)
        for key in MessengerKey.objects.filter(workspace=workspace).order_by("pk"):
            values["key"].append(key.kid)
            markers.add(key.kid)
            secrets.add(key.plaintext())
        secrets.update(secret_of(workspace, platform) for platform in Platform.values)
        rotation = open_request(
            workspace,
            Platform.WEB,
            mode="overlap",
            reason="routine",
            ticket=f"T-{workspace.app_id}",
            overlap_hours=24,
            actor=support,
        )
        values["rotation"].append(rotation.pk)
        for state in (JobState.QUEUED, JobState.SUCCEEDED):
            job = Job.objects.create(kind=CHECK_INSTALLATION, workspace=workspace, state=state)
            values["job"].append(job.pk)
        installation = Installation.objects.create(
            workspace=workspace,
            platform=Platform.WEB,
            name=f"shop.{domain}",
            first_seen=rotation.created_at,
            last_seen=rotation.created_at,
            identified=3,
            verified=2,
            invalid=1,
            visitors=3,
            status="warning",
            top_reason="invalid_user_hash",
        )
        markers.add(installation.name)
        VerificationFailure.objects.create(
            workspace=workspace,
            platform=Platform.WEB,
            installation=installation.name,
            identifier_type="user_id",
            identifier="u-1",
            code="invalid_user_hash",
            rejected=True,
            request_id=f"req{workspace.pk:08d}",
            diagnosis=[{"code": "wrong_secret", "message": "Another secret."}],
        )
    # One member list for the workspace and its twin: a developer and a viewer besides,
    # and two open invitations (to resend, revoke, and for the other family to miss).
    slug = name.split()[0].lower()
    for extra_role in ("developer", "viewer"):
        extra = make_user(f"fuzz-{extra_role}-of-{slug}")
        add_member(production, extra, extra_role)
    values["member"] = [
        m.user.username for m in production.memberships.select_related("user").order_by("pk")
    ]
    markers.update(values["member"])
    # Resending gets invitations of its own: the fuzzed DELETEs revoke the others, in an
    # order the test does not choose.
    for n, kind in enumerate(("invitation", "invitation", "resendable", "resendable")):
        invitation = Invitation.objects.create(
            workspace=production,
            email=f"invitee-{n}@{domain}",
            role="viewer",
            invited_by=actor,
            expires_at=timezone.now() + timedelta(days=7),
        )
        values[kind].append(invitation.pk)
    markers |= secrets
    return values, markers, secrets


ID_GAP = 1_000_000


def _far_ids(*models):
    """What the fuzz itself creates (an invitation, a domain, a rotation, a job) gets an id
    far past the seeded ones. The negative phase sends ids outside each enum, near the
    seeded ones; were one of them a fuzz-made object, its 200 would be reported as a
    schema-violating request accepted (seen when pytest-xdist shifted the ids)."""
    with connection.cursor() as cursor:
        for model in models:
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
            far = cursor.fetchone()[0] + ID_GAP
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
                    [model._meta.db_table, far],
                )
            else:  # SQLite: Django's AutoField is AUTOINCREMENT, counted in sqlite_sequence
                cursor.execute(
                    "INSERT OR REPLACE INTO sqlite_sequence (name, seq) VALUES (%s, %s)",
                    [model._meta.db_table, far],
                )


@pytest.fixture
def world(transactional_db, settings):
    # A private cache: the rate limits of earlier runs (and other tests) start at zero.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    cache.clear()
    support = make_user("fuzz-support")
    grant_support(support)
    give_totp(support)  # support needs a second factor
    admin = make_user("fuzz-admin-alpha")
    viewer = make_user("fuzz-viewer-bravo")
    alpha, alpha_markers, alpha_secrets = _seed_family(
        "Alpha Fuzz", "alpha-fuzz.example", admin, admin, "admin", support
    )
    bravo, bravo_markers, bravo_secrets = _seed_family(
        "Bravo Fuzz", "bravo-fuzz.example", support, viewer, "viewer", support
    )
    _far_ids(Invitation, TrustedDomain, RotationRequest, Job)
    owners = {}
    for family, values in (("alpha", alpha), ("bravo", bravo)):
        for kind, items in values.items():
            owners.setdefault(kind, {}).update({str(v): family for v in items})
    identities = {
        "admin_of_alpha": Identity(
            "admin_of_alpha",
            ApiToken.issue(admin)[1],
            set(alpha["workspace"]),
            username=admin.username,
            role="admin",
        ),
        "viewer_of_bravo": Identity(
            "viewer_of_bravo",
            ApiToken.issue(viewer)[1],
            set(bravo["workspace"]),
            is_viewer=True,
            username=viewer.username,
            role="viewer",
        ),
    }
    families = dict.fromkeys(alpha["workspace"], "alpha")
    families.update(dict.fromkeys(bravo["workspace"], "bravo"))
    return World(
        identities,
        owners,
        {"alpha": alpha_markers, "bravo": bravo_markers},
        families,
        {"alpha": alpha_secrets, "bravo": bravo_secrets},
    )


# ---- the schema, narrowed to real objects -------------------------------------------------


def _kind_of(path, name):
    """Which kind of seeded object a path parameter names."""
    if name == "app_id":
        return "workspace"
    if name == "kid":
        return "key"
    if name == "job_id":
        return "job"
    if name == "username":
        return "member"
    if name in ("id", "pk"):
        if "/trusted-domains/" in path:
            return "domain"
        if "/invitations/" in path:
            return "resendable" if path.endswith("/resend/") else "invitation"
        if "/rotations/" in path:
            return "rotation"
    return None


NONE_SUCH = {
    "workspace": NO_SUCH_APP_ID,
    "key": NO_SUCH_KID,
    "job": NO_SUCH_ID,
    "domain": NO_SUCH_ID,
    "rotation": NO_SUCH_ID,
    "member": "fuzz-no-such-member",
    "invitation": NO_SUCH_ID,
    "resendable": NO_SUCH_ID,
}


def _owners_of(world, kind):
    """{value: family} of a kind. Every invitation may be resent (the resendable ones
    first): one left out would be "schema-violating" to the negative phase, yet real."""
    if kind == "resendable":
        return {**world.owners["resendable"], **world.owners["invitation"]}
    return world.owners[kind]


def narrow_path_parameters(raw, world, identity):
    """Each known path parameter may take every seeded value of its kind (both workspaces)
    and one that does not exist. The order is by role, never by the random values: the
    identity's own objects first (the coverage phase starts from the first value), then the
    other workspace's, in the order they were seeded; so every run draws the same roles."""
    family = world.families[next(iter(identity.own))]
    for path, item in raw["paths"].items():
        operations = [op for method, op in item.items() if method != "parameters"]
        for parameter in [p for op in operations for p in op.get("parameters", [])]:
            if parameter.get("in") != "path":
                continue
            kind = _kind_of(path, parameter["name"])
            if kind is None:
                # Not an object (a platform name): the schema's own enum is the truth.
                assert parameter["name"] in UNOWNED_PATH_PARAMETERS, (path, parameter["name"])
                continue
            owners = _owners_of(world, kind)
            values = [v for v in owners if owners[v] == family]
            values += [v for v in owners if owners[v] != family] + [str(NONE_SUCH[kind])]
            if parameter["schema"].get("type") == "integer":
                parameter["schema"] = {"type": "integer", "enum": [int(v) for v in values]}
            else:
                parameter["schema"] = {"type": "string", "enum": values}
    return raw


def load_schema(live_server, world, identity):
    url = f"{live_server.url}/api/schema/?format=json"
    refused = requests.get(url, timeout=TIMEOUT)
    assert refused.status_code == 401, "the schema is for logged-in users only"
    response = requests.get(url, headers=identity.headers, timeout=TIMEOUT)
    assert response.status_code == 200, response.text[:500]
    raw = response.json()
    # The API only: the gateway, in the same schema, has no login and its own fuzz test
    # (tests/installcheck/test_gateway_fuzz.py).
    raw["paths"] = {path: item for path, item in raw["paths"].items() if path.startswith("/api/")}
    raw = narrow_path_parameters(raw, world, identity)
    config = schemathesis.Config.from_dict(
        {
            "operations": [
                {
                    # Which strings are host names (IDNA, labels, one leading "*.") is more
                    # than a JSON schema can say: a schema-valid domain may be refused with a
                    # 400 on the domain field. Only this check, only this operation.
                    "include-name": f"POST {API}/trusted-domains/",
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": [*POSITIVE_EXPECTED, "400"]
                        }
                    },
                },
                {
                    # Which strings are public keys of the algorithm (PEM or JWK, of the
                    # right type, never a private key) is more than a JSON schema can say:
                    # a schema-valid public_key may be a 400 on public_key or kid.
                    "include-name": f"POST {API}/jwt-keys/",
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": [*POSITIVE_EXPECTED, "400"]
                        }
                    },
                },
                {
                    # A sunset_at must lie in the next 10 years, which a JSON schema's
                    # date-time cannot say: a schema-valid date may be a 400 on sunset_at.
                    "include-name": f"PATCH {API}/platforms/{{platform}}/",
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": [*POSITIVE_EXPECTED, "400"]
                        }
                    },
                },
                *(
                    {
                        # Which strings are email addresses Django accepts is more than a
                        # JSON schema says: a schema-valid email may be a 400 on email.
                        "include-name": f"POST {API}/{route}/",
                        "checks": {
                            "positive_data_acceptance": {
                                "expected-statuses": [*POSITIVE_EXPECTED, "400"]
                            }
                        },
                    }
                    for route in ("members", "invitations")
                ),
            ],
            "seed": SEED,
            "base-url": live_server.url,
            # Every example is an HTTP round trip: slow by design, not a generation problem.
            "suppress-health-check": ["too_slow"],
            "generation": {
                "mode": "all",
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "no-shrink": True,
                "database": "none",
                # The identity's token is the credential. Generated values for the declared
                # schemes (a random sessionid cookie next to the valid token) would make
                # `ignored_auth` report the token's success as "invalid auth accepted";
                # the check still probes every declared scheme with missing and invalid
                # credentials on every accepted request.
                "with-security-parameters": False,
            },
            "request-timeout": TIMEOUT,
        }
    )
    return schemathesis.openapi.from_dict(raw, config=config)


# ---- the project's own checks ---------------------------------------------------------------


def _template(case):
    return case.operation.path


def _documented_method(case):
    """False for the probes of methods the operation does not declare (TRACE, OPTIONS...)."""
    return case.method.upper() == case.operation.method.upper()


def _foreign_path_values(case, world, identity):
    """The path values of ``case`` that belong to the other workspace family."""
    family = world.families[next(iter(identity.own))]
    foreign = []
    for name, value in (case.path_parameters or {}).items():
        owner = _owner(case, world, name, value)
        if owner not in (None, "any", family):
            foreign.append(f"{name}={value}")
    return foreign


def _owner(case, world, name, value):
    """The family owning a path value; "any" for a valid value that is no one's object (a
    platform name); None for a value that names nothing."""
    kind = _kind_of(_template(case), name)
    if kind is None:
        return "any" if value in Platform.values else None
    return _owners_of(world, kind).get(str(value))


def _all_seeded(case, world):
    """Every path value of ``case`` names a seeded object (of either family) or a valid
    platform: the route matches, so the answer is the view's own."""
    return all(
        _owner(case, world, name, value) is not None
        for name, value in (case.path_parameters or {}).items()
    )


def _all_own(case, world, identity):
    """Every path value of ``case`` is the identity's own object (or a valid platform)."""
    family = world.families[next(iter(identity.own))]
    return all(
        _owner(case, world, name, value) in (family, "any")
        for name, value in (case.path_parameters or {}).items()
    )


def make_checks(world, identity):
    family = world.families[next(iter(identity.own))]
    foreign_markers = {m for f, ms in world.foreign_markers.items() if f != family for m in ms}

    def no_server_error(ctx, response, case):
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} answered {response.status_code}"
        )

    def no_cross_workspace_access(ctx, response, case):
        if not 200 <= response.status_code < 300:
            return
        # DRF answers OPTIONS with the route's description (name, media types), the same for
        # any app_id, existing or not: it names the route, not the object. Its body is still
        # searched for the other workspace's data below.
        foreign = _foreign_path_values(case, world, identity) if case.method != "OPTIONS" else []
        assert not foreign, (
            f"{identity.name} got {response.status_code} on another workspace's object: "
            f"{case.method} {case.formatted_path} ({', '.join(foreign)})"
        )
        leaked = sorted(m for m in foreign_markers if m in response.text)
        assert not leaked, (
            f"{identity.name} received another workspace's data from "
            f"{case.method} {case.formatted_path}: {leaked}"
        )

    def viewer_changes_nothing(ctx, response, case):
        if not identity.is_viewer:
            return
        shown = sorted(s for s in world.secrets[family] if s in response.text)
        assert not shown, f"the viewer received a secret from {case.method} {case.formatted_path}"
        if case.operation.label in VIEWER_FORBIDDEN_READS and _documented_method(case):
            assert not _all_own(case, world, identity) or response.status_code == 403, (
                f"the viewer's {case.method} {case.formatted_path} answered "
                f"{response.status_code}, not 403"
            )
        if case.method in ("GET", "HEAD", "OPTIONS"):
            return
        if (case.method, _template(case)) in READ_LIKE_POSTS:
            return
        assert not 200 <= response.status_code < 300, (
            f"the viewer changed or revealed something: {case.method} {case.formatted_path} "
            f"answered {response.status_code}"
        )
        if (
            _documented_method(case)
            and _all_own(case, world, identity)
            and not _template(case).startswith("/api/v1/support/")
        ):
            assert response.status_code == 403, (
                f"the viewer's {case.method} {case.formatted_path} on their own workspace "
                f"answered {response.status_code}, not 403"
            )

    def support_routes_refused(ctx, response, case):
        if not _template(case).startswith("/api/v1/support/"):
            return
        assert not 200 <= response.status_code < 300 or case.method == "OPTIONS", (
            f"{identity.name} is not support staff, yet {case.method} "
            f"{case.formatted_path} answered {response.status_code}"
        )
        if _documented_method(case) and _all_seeded(case, world):
            assert response.status_code == 403, (
                f"{identity.name} is not support staff, yet {case.method} "
                f"{case.formatted_path} answered {response.status_code}"
            )

    return [
        no_server_error,
        no_cross_workspace_access,
        viewer_changes_nothing,
        support_routes_refused,
    ]


# ---- reach: the fuzzer must really have touched the objects ---------------------------------


# Writes that must succeed at least once for the identity on its own workspace: the fuzzer
# really changed something (or, for the viewer, really used what a viewer may use).
ADMIN_WRITES_THAT_SUCCEED = {
    f"POST {API}/trusted-domains/",
    f"DELETE {API}/trusted-domains/{{id}}/",
    f"PATCH {API}/platforms/{{platform}}/",
    f"POST {API}/jwt-keys/rotate",
    f"POST {API}/jwt-keys/{{kid}}/revoke",
    f"POST {API}/rotations/",
    f"POST {API}/installations/check",
    f"POST {API}/hash-check",
    f"POST {API}/jwt-debug",
    f"PATCH {API}/members/{{username}}/",
    f"DELETE {API}/members/{{username}}/",
    f"DELETE {API}/invitations/{{id}}/",
    f"POST {API}/invitations/{{id}}/resend/",
}
VIEWER_WRITES_THAT_SUCCEED = {f"POST {API}/hash-check", f"POST {API}/jwt-debug"}
# Reads a viewer may not make (SPEC §6: the audit log is for admins; so are pending
# invitations, the addresses of people who are not members).
VIEWER_FORBIDDEN_READS = {f"GET {API}/audit/", f"GET {API}/invitations/"}


@dataclass
class Reach:
    """The statuses each operation answered to the identity on its own objects."""

    identity: Identity
    world: World
    statuses: dict = field(default_factory=dict)

    def record(self, case, response):
        if _documented_method(case) and _all_own(case, self.world, self.identity):
            self.statuses.setdefault(case.operation.label, set()).add(response.status_code)

    def assert_succeeded(self, labels):
        missed = sorted(
            label
            for label in labels
            if not any(200 <= s < 300 for s in self.statuses.get(label, ()))
        )
        assert not missed, (
            f"{self.identity.name} never got a 2xx on its own workspace from {missed}; "
            f"statuses seen: { {label: sorted(self.statuses.get(label, ())) for label in missed} }"
        )


def _reads(schema, identity):
    forbidden = VIEWER_FORBIDDEN_READS if identity.is_viewer else set()
    return {
        f"GET {path}"
        for path, item in schema.raw_schema["paths"].items()
        if "get" in item and not path.startswith("/api/v1/support/")
    } - forbidden


def _reach_fixture(name, schema_fixture, expected):
    @pytest.fixture
    def reach(world, request):
        recorder = Reach(world.identities[name], world)
        yield recorder
        schema = request.getfixturevalue(schema_fixture)
        labels = _reads(schema, recorder.identity) if expected is None else expected
        recorder.assert_succeeded(labels)

    return reach


admin_reads_reach = _reach_fixture("admin_of_alpha", "admin_schema", None)
admin_writes_reach = _reach_fixture("admin_of_alpha", "admin_schema", ADMIN_WRITES_THAT_SUCCEED)
viewer_reads_reach = _reach_fixture("viewer_of_bravo", "viewer_schema", None)
viewer_writes_reach = _reach_fixture("viewer_of_bravo", "viewer_schema", VIEWER_WRITES_THAT_SUCCEED)


@pytest.fixture
def admin_schema(live_server, world):
    return load_schema(live_server, world, world.identities["admin_of_alpha"])


@pytest.fixture
def viewer_schema(live_server, world):
    return load_schema(live_server, world, world.identities["viewer_of_bravo"])


admin = schemathesis.pytest.from_fixture("admin_schema")
viewer = schemathesis.pytest.from_fixture("viewer_schema")


def _keep_identity(identity):
    """Each case runs as the role its identity is named for. The operations of one test
    share one world, and an admin may demote or remove itself once the fuzz has made
    another member admin: every later operation would then see only 403s."""
    user = get_user_model().objects.get(username=identity.username)
    for workspace in Workspace.objects.filter(app_id__in=identity.own, is_test=False):
        add_member(workspace, user, identity.role)


def _run(case, world, name, reach):
    identity = world.identities[name]
    _keep_identity(identity)
    response = case.call_and_validate(
        headers=identity.headers,
        additional_checks=make_checks(world, identity),
        timeout=TIMEOUT,
    )
    reach.record(case, response)
    return response


@admin.include(method="GET").parametrize()
def test_fuzz_reads_as_admin_of_alpha(case, world, admin_reads_reach):
    _run(case, world, "admin_of_alpha", admin_reads_reach)


@admin.exclude(method="GET").parametrize()
def test_fuzz_writes_as_admin_of_alpha(case, world, admin_writes_reach):
    _run(case, world, "admin_of_alpha", admin_writes_reach)


@viewer.include(method="GET").parametrize()
def test_fuzz_reads_as_viewer_of_bravo(case, world, viewer_reads_reach):
    _run(case, world, "viewer_of_bravo", viewer_reads_reach)


@viewer.exclude(method="GET").parametrize()
def test_fuzz_writes_as_viewer_of_bravo(case, world, viewer_writes_reach):
    _run(case, world, "viewer_of_bravo", viewer_writes_reach)


def test_the_narrowed_schema_names_objects_of_both_workspaces(live_server, world):
    """The fuzzer's path values really are both workspaces' objects (and one unknown)."""
    schema = load_schema(live_server, world, world.identities["admin_of_alpha"])
    raw = schema.raw_schema
    path = "/api/v1/workspaces/{app_id}/trusted-domains/{id}/"
    parameters = {
        p["name"]: p["schema"]["enum"] for p in raw["paths"][path]["delete"]["parameters"]
    }
    families = {world.owners["domain"].get(str(v)) for v in parameters["id"]}
    assert families == {"alpha", "bravo", None}
    assert {world.families.get(v) for v in parameters["app_id"]} == {"alpha", "bravo", None}
    assert re.fullmatch(r"http://[^/]+:\d+", live_server.url)
    assert urlsplit(live_server.url).hostname in ("localhost", "127.0.0.1")


def _fake(method, template, status, text="{}", **path):
    """A (case, response) pair as the checks see them, without a server."""
    from types import SimpleNamespace

    formatted = template.format(**path)
    operation = SimpleNamespace(path=template, method=method, label=f"{method} {template}")
    case = SimpleNamespace(
        method=method, formatted_path=formatted, path_parameters=path, operation=operation
    )
    return case, SimpleNamespace(status_code=status, text=text)


def test_the_project_checks_catch_what_they_are_for(world):
    """The custom checks are not vacuous: each fails on the answer it exists to catch."""
    admin = world.identities["admin_of_alpha"]
    viewer = world.identities["viewer_of_bravo"]
    checks = {c.__name__: c for c in make_checks(world, admin)}
    viewer_checks = {c.__name__: c for c in make_checks(world, viewer)}
    bravo_app = next(iter(viewer.own))
    alpha_app = next(iter(admin.own))
    bravo_secret = next(iter(world.secrets["bravo"]))
    caught = [
        (checks["no_server_error"], _fake("GET", f"{API}/audit/", 500, app_id=alpha_app)),
        (
            checks["no_cross_workspace_access"],
            _fake("GET", f"{API}/platforms/", 200, app_id=bravo_app),
        ),
        (
            checks["no_cross_workspace_access"],
            _fake("GET", f"{API}/platforms/", 200, f'"{bravo_secret}"', app_id=alpha_app),
        ),
        (
            viewer_checks["viewer_changes_nothing"],
            _fake("POST", f"{API}/jwt-keys/rotate", 201, app_id=bravo_app),
        ),
        (
            viewer_checks["viewer_changes_nothing"],
            _fake("POST", f"{API}/trusted-domains/", 400, app_id=bravo_app),
        ),
        (
            viewer_checks["viewer_changes_nothing"],
            _fake("GET", f"{API}/platforms/", 200, f'"{bravo_secret}"', app_id=bravo_app),
        ),
        (
            checks["support_routes_refused"],
            _fake("GET", "/api/v1/support/workspaces/", 200),
        ),
    ]
    for check, (case, response) in caught:
        with pytest.raises(AssertionError):
            check(None, response, case)
    # ...and pass the answers that are right.
    fine = [
        (
            checks["no_cross_workspace_access"],
            _fake("GET", f"{API}/platforms/", 404, app_id=bravo_app),
        ),
        (
            viewer_checks["viewer_changes_nothing"],
            _fake("POST", f"{API}/jwt-keys/rotate", 403, app_id=bravo_app),
        ),
        (
            viewer_checks["viewer_changes_nothing"],
            _fake("POST", f"{API}/hash-check", 200, app_id=bravo_app),
        ),
        (checks["support_routes_refused"], _fake("GET", "/api/v1/support/workspaces/", 403)),
    ]
    for check, (case, response) in fine:
        check(None, response, case)
