"""The developer tools: the hash checker and the token debugger. Each gathers the
workspace's candidate secrets and keys, runs the pure diagnosis (diagnosis.py,
jwt_debug.py), and is rate-limited and audited: both are signing oracles' cousins."""

from dataclasses import dataclass

from django.utils import timezone

from workspaces.access import can
from workspaces.actions import record_audit

from .. import diagnosis, jwt_debug, ratelimit, snapshots
from ..gateway_diagnosis import this_platform_first
from ..models import IdentitySecret, KeyAlgorithm, MessengerKey, SecretState

# Enough for a developer working through a problem, far too few to mint hashes in bulk.
RATE_LIMIT = 20
RATE_WINDOW_SECONDS = 60
DEBUG_RATE_LIMIT = 30  # tokens per user per window
DEBUG_RATE_WINDOW = 60


@dataclass(frozen=True)
class CheckResult:
    """What the console and the API show; ``expected_hash`` is None unless allowed."""

    platform: str
    identifier_type: str | None
    identifier_reason: str
    expected_hash: str | None
    secret_version: int | None
    match: bool | None
    diagnosis: list

    def as_dict(self):
        return {
            "platform": self.platform,
            "identifier_type": self.identifier_type,
            "identifier_reason": self.identifier_reason,
            "expected_hash": self.expected_hash,
            "secret_version": self.secret_version,
            "match": self.match,
            "diagnosis": self.diagnosis,
        }


def candidates_for(workspace, platform):
    """Every secret a hash for ``platform`` of ``workspace`` could have been made with."""
    current, current_version, others, retired = None, None, [], []
    for secret in IdentitySecret.objects.filter(workspace=workspace).order_by("-version"):
        if secret.state == SecretState.CURRENT and secret.platform == platform:
            current, current_version = secret.plaintext(), secret.version
        elif secret.state == SecretState.CURRENT:
            others.append((secret.platform, secret.plaintext()))
        elif secret.platform == platform:
            retired.append((secret.version, secret.plaintext()))
    twin = workspace.twin
    twin_secrets = ()
    if twin is not None:
        rows = IdentitySecret.objects.filter(workspace=twin, state=SecretState.CURRENT)
        pairs = [(s.platform, s.plaintext()) for s in rows.order_by("platform")]
        twin_secrets = this_platform_first(pairs, platform)
    keys = tuple(
        (key.kid, key.plaintext())
        for key in MessengerKey.objects.filter(
            workspace=workspace, algorithm=KeyAlgorithm.HS256
        ).order_by("-created_at")
    )
    return diagnosis.Candidates(
        current=current,
        current_version=current_version,
        other_platforms=tuple(others),
        twin_name=twin.display_name if twin else "",
        twin_app_id=twin.app_id if twin else "",
        twin_secrets=twin_secrets,
        retired=tuple(retired),
        jwt_keys=keys,
    )


def check_hash(workspace, user, *, platform, user_id=None, email=None, user_hash=None, ip=None):
    """Run one check for ``user`` (a member with the "check" capability).

    Refuses (429) before doing any work once the user's budget is spent.
    """
    ratelimit.limit(
        "hash_checker", user.pk, RATE_LIMIT, RATE_WINDOW_SECONDS, what="Too many checks"
    )
    candidates = candidates_for(workspace, platform)
    result = diagnosis.diagnose(platform, user_id, email, user_hash, candidates)
    may_see = can(workspace.role, "see_secrets")
    record_audit(
        "hash_checker.used",
        actor=user,
        workspace=workspace,
        target=platform,
        # Never the hash, the identifier or a secret: the audit log is widely readable.
        after={
            "platform": platform,
            "identifier_type": result.identifier_type,
            "hash_given": user_hash is not None,
            "match": result.match,
            "diagnosis": result.codes,
        },
        ip=ip,
    )
    return CheckResult(
        platform=platform,
        identifier_type=result.identifier_type,
        identifier_reason=result.identifier_reason,
        expected_hash=result.expected_hash if may_see else None,
        secret_version=candidates.current_version,
        match=result.match,
        diagnosis=result.findings_as_dicts(),
    )


def debug_token(workspace, token, *, actor, ip=None, now=None):
    """Run the token debugger against this workspace's keys and secrets; audited without
    the token (it may be a live credential)."""
    ratelimit.limit(
        "jwt-debug", actor.pk, DEBUG_RATE_LIMIT, DEBUG_RATE_WINDOW, what="Too many tokens debugged"
    )
    now = now or timezone.now()
    rows = list(MessengerKey.objects.filter(workspace=workspace).select_related("jwks"))
    keys = [
        jwt_debug.DebugKey(
            kid=k.kid,
            key=k.public_key if k.is_public else k.plaintext(),
            state=k.state(now),
            valid_until=k.valid_until,
            revoked_at=k.revoked_at,
            algorithm=k.algorithm,
        )
        for k in rows
        if not k.is_jwks
    ]
    sources = [k for k in rows if k.is_jwks and k.revoked_at is None]
    keys += [
        jwt_debug.DebugKey(
            kid=c.kid, key=c.key, state=jwt_debug.ACTIVE, algorithm=c.algorithm, source=c.source
        )
        for c in snapshots.jwks_candidates(sources, {k.kid for k in keys})
    ]
    secrets = [
        (s.platform, s.plaintext())
        for s in IdentitySecret.objects.filter(workspace=workspace, state=SecretState.CURRENT)
    ]
    states = [snapshots.source_state(source) for source in sources]
    result = jwt_debug.debug(token, keys, secrets, now, jwks_sources=states)
    record_audit(
        "jwt.debugged",
        actor=actor,
        workspace=workspace,
        target=(result.key or {}).get("kid", ""),
        after={"valid": result.valid, "codes": result.codes},
        ip=ip,
    )
    return result
