"""The diagnosis of a gateway failure, from the gateway's cached config snapshot, so the
verification log explains an ``invalid_user_hash`` with the same codes as the checker.
No ORM: it runs in the gateway on plain snapshot values."""

from . import diagnosis, hashing, jwks_diagnosis, tokens
from .gateway import INVALID_USER_HASH
from .vocabulary import hmac_reference, parse_reference


def gateway_diagnosis(ping, decision, config):
    """The findings (as dicts) of a gateway failure; [] unless it is invalid_user_hash.

    Only called on failures: the retired and twin secrets load on first use per snapshot.
    """
    if decision.method == "jwt" and config.jwks_sources:
        return token_diagnosis(ping, decision, config)
    if decision.code != INVALID_USER_HASH or ping.user_hash is None:
        return []
    platform = config.platforms[ping.platform]
    current = next((s for s in platform.secrets if s.valid_until is None), None)
    extras = config.diagnosis_extras() if config.diagnosis_extras else None
    candidates = diagnosis.Candidates(
        current=current.secret if current else None,
        current_version=parse_reference(current.reference).version if current else None,
        other_platforms=tuple(
            (name, s.secret)
            for name, other in config.platforms.items()
            if name != ping.platform
            for s in other.secrets
            if s.valid_until is None
        ),
        twin_name=extras.twin_name if extras else "",
        twin_app_id=extras.twin_app_id if extras else "",
        twin_secrets=this_platform_first(extras.twin_secrets, ping.platform) if extras else (),
        retired=extras.retired.get(ping.platform, ()) if extras else (),
        jwt_keys=tuple((k.kid, k.key) for k in config.jwt_keys),
    )
    result = diagnosis.diagnose(ping.platform, ping.user_id, ping.email, ping.user_hash, candidates)
    return result.findings_as_dicts()


def token_diagnosis(ping, decision, config):
    """What the workspace's JWKS URLs say about a refused token: a kid not in the JWKS,
    a JWKS that cannot be reached (since when), an algorithm its key does not allow. A
    lookup in the snapshot: no signature is checked."""
    header = tokens.unverified_header(ping.user_jwt)
    return jwks_diagnosis.findings(decision.code, header, config.jwt_keys, config.jwks_sources)


def this_platform_first(pairs, platform):
    """The likeliest mix-up is the same platform's secret of the twin: name that one."""
    return tuple(sorted(pairs, key=lambda pair: pair[0] != platform))


def retired_secret_reference(ping, decision, config):
    """For an ``invalid_user_hash``: the reference of the platform's most recently retired
    secret (``hmac:web:v1``) when the hash was made with it, else None. One HMAC, on the
    failure path only and without the diagnosis budget: it is how readiness after a
    rotation counts the requests that still use the old secret (issue 17 #2)."""
    if decision.code != INVALID_USER_HASH or ping.user_hash is None:
        return None
    if config.diagnosis_extras is None:
        return None
    retired = config.diagnosis_extras().retired.get(ping.platform, ())
    if not retired:
        return None
    version, secret = retired[0]  # newest first
    _, identifier = hashing.identifier_for(ping.user_id, ping.email)
    if identifier is None or not hashing.hash_matches(secret, identifier, ping.user_hash):
        return None
    return hmac_reference(ping.platform, version)
