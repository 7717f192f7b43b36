"""The hash checker service: gathers a workspace's candidate secrets, runs the pure
diagnosis, rate-limits and audits each use (the checker is a signing oracle).

Also builds the diagnosis of a gateway failure from the gateway's cached config, so the
verification log explains an ``invalid_user_hash`` with the same codes as the checker.
"""

from dataclasses import dataclass

from workspaces.access import can
from workspaces.actions import record_audit

from . import diagnosis, ratelimit
from .gateway import INVALID_USER_HASH
from .models import IdentitySecret, MessengerKey, SecretState

# Enough for a developer working through a problem, far too few to mint hashes in bulk.
RATE_LIMIT = 20
RATE_WINDOW_SECONDS = 60


class RateLimited(Exception):
    def __init__(self, retry_after):
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


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
        twin_secrets = _this_platform_first(pairs, platform)
    keys = tuple(
        (key.kid, key.plaintext())
        for key in MessengerKey.objects.filter(workspace=workspace).order_by("-created_at")
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

    Raises RateLimited before doing any work once the user's budget is spent.
    """
    retry_after = ratelimit.hit("hash_checker", user.pk, RATE_LIMIT, RATE_WINDOW_SECONDS)
    if retry_after:
        raise RateLimited(retry_after)
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


def gateway_diagnosis(ping, decision, config):
    """The findings (as dicts) of a gateway failure; [] unless it is invalid_user_hash.

    Only called on failures: the retired and twin secrets load on first use per snapshot.
    """
    if decision.code != INVALID_USER_HASH or ping.user_hash is None:
        return []
    platform = config.platforms[ping.platform]
    current = next((s for s in platform.secrets if s.valid_until is None), None)
    extras = config.diagnosis_extras() if config.diagnosis_extras else None
    candidates = diagnosis.Candidates(
        current=current.secret if current else None,
        current_version=_version(current.reference) if current else None,
        other_platforms=tuple(
            (name, s.secret)
            for name, other in config.platforms.items()
            if name != ping.platform
            for s in other.secrets
            if s.valid_until is None
        ),
        twin_name=extras.twin_name if extras else "",
        twin_app_id=extras.twin_app_id if extras else "",
        twin_secrets=_this_platform_first(extras.twin_secrets, ping.platform) if extras else (),
        retired=extras.retired.get(ping.platform, ()) if extras else (),
        jwt_keys=tuple((k.kid, k.key) for k in config.jwt_keys),
    )
    result = diagnosis.diagnose(ping.platform, ping.user_id, ping.email, ping.user_hash, candidates)
    return result.findings_as_dicts()


def _version(reference):
    # "hmac:web:v2" -> 2
    try:
        return int(reference.rsplit(":v", 1)[1])
    except (IndexError, ValueError):
        return None


def _this_platform_first(pairs, platform):
    # The likeliest mix-up is the same platform's secret of the twin: name that one.
    return tuple(sorted(pairs, key=lambda pair: pair[0] != platform))
