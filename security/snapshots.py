"""Per-process, decrypted snapshots of workspace settings for the gateway.

How a settings change reaches every gateway process within 1 second: every action that
changes something the gateway obeys bumps the single-row ConfigGeneration counter and
stamps the workspace with the new value, in the same transaction
(workspaces.actions.mark_config_changed). Each process remembers the last generation it
has seen and, at most every VERITY_CONFIG_POLL_SECONDS (0.5 s), asks the database for the
workspaces stamped later than that, and drops their snapshots. The row lock on the
counter makes versions commit in order, so no change can slip behind the one seen.
Between polls a request costs no database or network round trip at all.

Redis plays no part in the decision: with Redis down the gateway decides exactly as
before. With the database down the poll fails and the gateway answers 503 rather than
deciding on settings that may be stale.
"""

import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from workspaces.models import ConfigGeneration, TrustedDomain, Workspace

from . import public_keys
from .gateway import PlatformConfig, SecretCandidate, VersionPolicy, WorkspaceConfig
from .jwks import SourceState
from .models import IdentitySecret, KeyAlgorithm, MessengerKey, PlatformSettings, SecretState
from .tokens import KeyCandidate
from .vocabulary import PLATFORMS

# Unknown app_ids are remembered too, so random ids cannot turn into database load;
# the negative cache is bounded so they cannot turn into memory either.
_MAX_NEGATIVE = 10_000
_MISSING = object()


def load_config(app_id, now=None):
    """Build the WorkspaceConfig of ``app_id`` from the database, or None."""
    now = now or timezone.now()
    workspace = (
        Workspace.objects.filter(app_id=app_id).only("id", "app_id", "config_version").first()
    )
    if workspace is None:
        return None
    flags = {row.platform: row for row in PlatformSettings.objects.filter(workspace=workspace)}
    secrets = {}
    verifying = IdentitySecret.objects.filter(workspace=workspace).filter(
        Q(state=SecretState.CURRENT) | Q(state=SecretState.RETIRED, valid_until__gt=now)
    )
    for secret in verifying.order_by("platform", "-version"):
        secrets.setdefault(secret.platform, []).append(
            SecretCandidate(
                reference=secret.reference,
                secret=secret.plaintext(),
                valid_until=None if secret.state == SecretState.CURRENT else secret.valid_until,
            )
        )
    platforms = {}
    for platform in PLATFORMS:
        row = flags.get(platform)
        platforms[platform] = PlatformConfig(
            enforced=row.enforced if row else False,
            hmac_allowed=row.hmac_allowed if row else True,
            secrets=tuple(secrets.get(platform, ())),
            version_policy=version_policy(row),
        )
    keys = MessengerKey.objects.filter(workspace=workspace, revoked_at__isnull=True).filter(
        Q(is_current=True) | Q(valid_until__gt=now) | ~Q(algorithm=KeyAlgorithm.HS256)
    )
    rows = list(keys.select_related("jwks").order_by("-is_current", "-created_at"))
    registered = [key_candidate(key) for key in rows if not key.is_jwks]
    sources = [row for row in rows if row.is_jwks]
    jwt_keys = tuple(registered + jwks_candidates(sources, {c.kid for c in registered}))
    domains = tuple(
        TrustedDomain.objects.filter(workspace=workspace).values_list("domain", flat=True)
    )
    return WorkspaceConfig(
        workspace_id=workspace.id,
        app_id=workspace.app_id,
        platforms=platforms,
        jwt_keys=jwt_keys,
        trusted_domains=domains,
        version=workspace.config_version,
        jwks_sources=tuple(source_state(row) for row in sources),
        diagnosis_extras=LazyDiagnosisExtras(workspace.id),
    )


def key_candidate(key):
    """The gateway's view of a MessengerKey: an HS256 secret decrypted, or a public key
    loaded once here so no token pays for parsing it."""
    if key.is_public:
        return KeyCandidate(
            kid=key.kid,
            key=key.public_key,
            algorithm=key.algorithm,
            verifier=public_keys.prepare(key.algorithm, key.public_key),
        )
    return KeyCandidate(
        kid=key.kid,
        key=key.plaintext(),
        valid_until=None if key.is_current else key.valid_until,
    )


def jwks_candidates(sources, taken):
    """The keys of each JWKS source's last good set, loaded once here. A kid already
    taken (by a registered key or an earlier source) is left out: a token's kid must name
    one key only."""
    candidates = []
    for source in sources:
        fetched = getattr(source, "jwks", None)
        for entry in fetched.keys if fetched is not None else ():
            if entry["kid"] in taken:
                continue
            taken.add(entry["kid"])
            candidates.append(
                KeyCandidate(
                    kid=entry["kid"],
                    key=entry["pem"],
                    algorithm=entry["alg"],
                    verifier=public_keys.prepare(entry["alg"], entry["pem"]),
                    source=source.kid,
                )
            )
    return candidates


def source_state(source):
    """The gateway's view of a JWKS source: its kids and how its fetches go."""
    fetched = getattr(source, "jwks", None)
    if fetched is None:
        return SourceState(id=source.pk, kid=source.kid, url=source.jwks_url)
    return SourceState(
        id=source.pk,
        kid=source.kid,
        url=source.jwks_url,
        kids=tuple(entry["kid"] for entry in fetched.keys),
        fetched_at=fetched.fetched_at,
        failing_since=fetched.failing_since,
        error=fetched.error,
    )


def version_policy(row):
    """The row's app-version policy for the gateway, or None (every version enforced).
    The action only stores a minimum that parses, so this never raises."""
    if row is None or not row.enforce_from_version:
        return None
    return VersionPolicy(minimum=row.enforce_from_version, sunset_at=row.sunset_at)


@dataclass(frozen=True)
class DiagnosisExtras:
    """Secrets only the diagnosis of a failure needs (see security.diagnosis)."""

    retired: dict  # platform -> ((version, secret), ...)
    twin_name: str = ""
    twin_app_id: str = ""
    twin_secrets: tuple = ()  # ((platform, secret), ...)


class LazyDiagnosisExtras:
    """Loads DiagnosisExtras on the first call and keeps them with the snapshot.

    A change to the twin's secrets does not refresh this workspace's snapshot; the
    diagnosis may then name the twin's old secret until this workspace's next change.
    """

    def __init__(self, workspace_id):
        self.workspace_id = workspace_id
        self._value = None
        self._lock = threading.Lock()

    def __call__(self):
        with self._lock:
            if self._value is None:
                self._value = _load_diagnosis_extras(self.workspace_id)
            return self._value


def _load_diagnosis_extras(workspace_id):
    workspace = Workspace.objects.select_related("production").get(pk=workspace_id)
    retired = {}
    rows = IdentitySecret.objects.filter(workspace=workspace, state=SecretState.RETIRED)
    for secret in rows.order_by("platform", "-version"):
        retired.setdefault(secret.platform, []).append((secret.version, secret.plaintext()))
    twin = workspace.twin
    twin_secrets = ()
    if twin is not None:
        rows = IdentitySecret.objects.filter(workspace=twin, state=SecretState.CURRENT)
        twin_secrets = tuple((s.platform, s.plaintext()) for s in rows.order_by("platform"))
    return DiagnosisExtras(
        retired={platform: tuple(pairs) for platform, pairs in retired.items()},
        twin_name=twin.display_name if twin else "",
        twin_app_id=twin.app_id if twin else "",
        twin_secrets=twin_secrets,
    )


class SnapshotCache:
    """The snapshots of one process, refreshed by polling the config generation."""

    def __init__(self, poll_seconds=None):
        self._poll_seconds = poll_seconds
        self._configs = {}
        self._negative = 0
        self._seen = None
        self._next_poll = 0.0
        self._lock = threading.Lock()

    @property
    def poll_seconds(self):
        if self._poll_seconds is not None:
            return self._poll_seconds
        return settings.VERITY_CONFIG_POLL_SECONDS

    def clear(self):
        with self._lock:
            self._configs = {}
            self._negative = 0
            self._seen = None
            self._next_poll = 0.0

    def _poll(self):
        generation = (
            ConfigGeneration.objects.filter(pk=1).values_list("value", flat=True).first() or 0
        )
        if self._seen is None:
            self._configs = {}
        elif generation != self._seen:
            changed = Workspace.objects.filter(config_version__gt=self._seen).values_list(
                "app_id", flat=True
            )
            for app_id in changed:
                self._configs.pop(app_id, None)
        self._seen = generation

    def refresh_if_due(self):
        """Poll the generation when the interval has passed; raises on database errors."""
        now = time.monotonic()
        if now < self._next_poll:
            return
        with self._lock:
            if now < self._next_poll:
                return
            self._poll()
            self._next_poll = time.monotonic() + self.poll_seconds

    def get(self, app_id):
        """The WorkspaceConfig of ``app_id`` (None if unknown); raises on database errors."""
        self.refresh_if_due()
        config = self._configs.get(app_id)
        if config is None:
            seen = self._seen
            config = load_config(app_id)
            if config is None:
                if self._negative >= _MAX_NEGATIVE:
                    self._configs = {k: v for k, v in self._configs.items() if v is not _MISSING}
                    self._negative = 0
                self._negative += 1
                config = _MISSING
            # A poll by another thread during our read may already have dropped this
            # app_id for a change the read predates: caching it would keep it stale.
            if self._seen == seen:
                self._configs[app_id] = config
        return None if config is _MISSING else config


snapshots = SnapshotCache()
