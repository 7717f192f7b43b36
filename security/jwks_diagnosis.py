"""What a failed token says about the workspace's JWKS URLs: one set of sentences for the
token debugger (security.jwt_debug) and the gateway's verification log
(security.gateway_diagnosis). Pure: a token's header, the keys and the sources' states
(security.jwks.SourceState) in, findings ({"code", "message"}) out."""

import json

from . import tokens

JWT_KID_NOT_IN_JWKS = "jwt_kid_not_in_jwks"
JWKS_UNREACHABLE = "jwks_unreachable"

KID_NOT_IN_JWKS = (
    "The token's kid {kid} names no key of this workspace, and it is not in the JWKS at "
    "{url} ({kids}). If your server just published it, Verity fetches the JWKS again when "
    "such a token arrives (at most once a minute per URL): retry in a minute. Otherwise "
    "sign with a key your JWKS publishes."
)
UNREACHABLE = (
    "The JWKS at {url} cannot be reached: the last fetch failed since {since}: {error}; {still}."
)
ALGORITHM_NOT_ALLOWED = (
    "The token's alg is {alg}, but key {kid}{origin} allows {key_alg} only: each key "
    "verifies one algorithm. Sign with {key_alg}."
)


def iso(moment):
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def _kids(source):
    if source.fetched_at is None:
        return "no key fetched yet"
    if not source.kids:
        return f"it held no usable key when fetched at {iso(source.fetched_at)}"
    shown = ", ".join(source.kids[:10]) + (", …" if len(source.kids) > 10 else "")
    return f"kids {shown}, fetched at {iso(source.fetched_at)}"


def unreachable(source):
    """The finding of a failing source, or None when its last fetch worked."""
    if source.failing_since is None:
        return None
    still = (
        f"still using the set fetched at {iso(source.fetched_at)}"
        if source.fetched_at
        else "no key set has been fetched from it yet"
    )
    message = UNREACHABLE.format(
        url=source.url, since=iso(source.failing_since), error=source.error, still=still
    )
    return {"code": JWKS_UNREACHABLE, "message": message}


def findings(code, header, keys, sources):
    """Findings about the JWKS sources for a token refused with ``code``.

    ``keys``: objects with kid, algorithm and source (KeyCandidate or DebugKey).
    """
    if not sources or header is None:
        return []
    found = []
    kid = header.get("kid")
    if code == tokens.JWT_UNKNOWN_KEY and isinstance(kid, str):
        for source in sources:
            found.append(
                {
                    "code": JWT_KID_NOT_IN_JWKS,
                    "message": KID_NOT_IN_JWKS.format(
                        kid=json.dumps(kid)[:80], url=source.url, kids=_kids(source)
                    ),
                }
            )
    elif code == tokens.JWT_ALGORITHM_NOT_ALLOWED:
        key = next((k for k in keys if k.kid == kid), None)
        if key is not None:
            found.append(algorithm_not_allowed(header.get("alg"), key, sources))
    for source in sources:
        failing = unreachable(source)
        if failing is not None:
            found.append(failing)
    return found


def algorithm_not_allowed(alg, key, sources):
    url = next((s.url for s in sources if s.kid == getattr(key, "source", None)), None)
    origin = f" (from the JWKS at {url})" if url else ""
    message = ALGORITHM_NOT_ALLOWED.format(
        alg=json.dumps(alg)[:40], kid=key.kid, origin=origin, key_alg=key.algorithm
    )
    return {"code": tokens.JWT_ALGORITHM_NOT_ALLOWED, "message": message}
