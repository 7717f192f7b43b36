"""Demo data: a workspace with its [TEST] twin, four users, and gateway traffic."""

import json
import secrets

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test import RequestFactory

from installcheck.counting import buffer
from installcheck.fold import fold
from installcheck.ping import ping as gateway_view
from security.actions.platforms import set_enforcement
from security.actions.secrets import create_workspace
from security.hashing import user_hash
from security.models import IdentitySecret, MessengerKey, SecretState
from workspaces.actions import add_member, add_trusted_domain, get_or_create_user, grant_support
from workspaces.models import Role, TrustedDomain, Workspace

DEMO_NAME = "Acme Demo"
DEMO_USERS = (
    ("admin", Role.ADMIN),
    ("developer", Role.DEVELOPER),
    ("viewer", Role.VIEWER),
    ("support", None),
)
LOGINS_FILE = "demo-logins.json"
# The demo shop (demo/shop.py) reads its app_id, web secret and messenger key from here,
# as a customer's server reads them from its environment. Development only, never committed.
SHOP_FILE = "demo-shop.json"
DEMO_DOMAINS = ("*.acme.test", "shop.localhost")


def _logins_path():
    return settings.VAR_DIR / LOGINS_FILE


def _demo_passwords():
    """One random password per demo user, made once and kept in var/ (never committed)."""
    path = _logins_path()
    if path.exists():
        return json.loads(path.read_text())
    passwords = {username: secrets.token_urlsafe(9) for username, _ in DEMO_USERS}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(passwords))
    path.chmod(0o600)
    return passwords


def _send_traffic(workspace):
    """Pings through the real gateway: verified, missing and invalid hashes, visitors."""
    factory = RequestFactory()
    secret = {
        s.platform: s.plaintext()
        for s in IdentitySecret.objects.filter(workspace=workspace, state=SecretState.CURRENT)
    }

    def ping(platform, origin=None, **fields):
        headers = {"HTTP_ORIGIN": origin} if origin else {}
        body = {"app_id": workspace.app_id, "platform": platform, **fields}
        request = factory.post(
            "/messenger/v1/ping", json.dumps(body), "application/json", **headers
        )
        gateway_view(request)

    for n in range(40):
        uid = f"user-{n}"
        ping("web", "https://app.acme.test", user_id=uid, user_hash=user_hash(secret["web"], uid))
    for n in range(12):
        ping("web", "https://www.acme.test")
        ping("web", "https://www.acme.test", email=f"lead{n}@acme.test")
    for n in range(5):
        ping("web", "https://staging.acme.test", user_id=f"u{n}", user_hash="0" * 64)
    for n in range(30):
        uid = f"mobile-{n}"
        good = user_hash(secret["ios"], uid)
        ping("ios", app_bundle="com.acme.app", app_version="5.2.0", user_id=uid, user_hash=good)
    for n in range(8):
        ping("ios", app_bundle="com.acme.app", app_version="5.1.0", user_id=f"old-{n}")
    for n in range(20):
        uid = f"droid-{n}"
        good = user_hash(secret["android"], uid)
        ping(
            "android",
            app_bundle="com.acme.android",
            app_version="3.0.1",
            user_id=uid,
            user_hash=good,
        )
    buffer.flush()


def _trust_demo_domains(workspace, admin):
    """The seeded traffic's domains and the demo shop's (idempotent)."""
    present = set(
        TrustedDomain.objects.filter(workspace=workspace).values_list("domain", flat=True)
    )
    for domain in DEMO_DOMAINS:
        if domain not in present:
            # Chosen to cover the seeded traffic: no confirmation to ask anyone for.
            add_trusted_domain(workspace, domain, confirm=True, actor=admin)


def _write_shop_config(workspace):
    key = MessengerKey.objects.get(workspace=workspace, is_current=True)
    secret = IdentitySecret.objects.get(
        workspace=workspace, platform="web", state=SecretState.CURRENT
    )
    config = {
        "app_id": workspace.app_id,
        "identity_secret": secret.plaintext(),
        "jwt_key": key.plaintext(),
        "jwt_kid": key.kid,
    }
    path = settings.VAR_DIR / SHOP_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(json.dumps(config))


class Command(BaseCommand):
    help = "Create the demo workspace, its users and some traffic (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="allow outside DEBUG")

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates known accounts: run it with VERITY_DEBUG=1 or --force."
            )
        passwords = _demo_passwords()
        users = {}
        for username, _role in DEMO_USERS:
            users[username], _ = get_or_create_user(
                username, password=passwords[username], email=f"{username}@verity.test"
            )
        workspace = Workspace.objects.filter(name=DEMO_NAME, is_test=False).first()
        created = workspace is None
        if created:
            workspace = create_workspace(DEMO_NAME)
            for username, role in DEMO_USERS:
                if role is not None:
                    add_member(workspace, users[username], role)  # and of the twin: one list
            grant_support(users["support"])
            set_enforcement(workspace, "android", True, actor=users["admin"])
            _send_traffic(workspace)
        _trust_demo_domains(workspace, users["admin"])
        _write_shop_config(workspace)
        # Fold now (not only on the next beat tick) so the installation table and the
        # readiness figures show the demo traffic as soon as the console opens.
        folded = fold()
        if folded.counts:
            self.stdout.write(f"Folded {folded.counts} demo requests into the installation table.")
        self.stdout.write(f"Demo workspace: {workspace.display_name} (app_id {workspace.app_id})")
        self.stdout.write(f"[TEST] twin: app_id {workspace.twin.app_id}")
        self.stdout.write("Demo logins (username / password):")
        for username, role in DEMO_USERS:
            label = role or "support staff"
            self.stdout.write(f"  {username:<10} {passwords[username]:<16} {label}")
