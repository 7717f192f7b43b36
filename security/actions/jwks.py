"""JWKS URLs: registering one, and recording what each fetch brought.

A JWKS source is a MessengerKey of algorithm ``JWKS`` (listed, revoked and counted like
every key; its kid names the source) with a JwksSet holding the last good key set. The
fetch itself (security.jwks_fetch, security.jwks) runs in a Celery job, outside any
transaction; its outcome is written here: a changed set or a change of health bumps the
config generation, so every gateway process has the new keys within 1 s, and is audited.
A failed fetch never touches the keys: the last good set stays in use.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from workspaces.actions import mark_config_changed, record_audit
from workspaces.refusals import Refused

from .. import jwks, jwks_fetch, jwks_refresh
from ..models import JwksSet, KeyAlgorithm, MessengerKey
from .jwt_keys import new_key_kid

log = logging.getLogger("verity.jwks")

MAX_SOURCES = 5  # active JWKS URLs per workspace


def _actor(actor):
    return actor if actor is not None and actor.is_authenticated else None


@transaction.atomic
def register_jwks_url(workspace, *, jwks_url, kid=None, actor, ip=None, now=None):
    """Register a JWKS URL whose keys verify the customer's tokens; its first fetch is
    queued once the transaction commits. Refuses a URL that is not https (400
    ``jwks_url_not_https``), a malformed one, one already registered (409) and a sixth
    source. Returns the new MessengerKey (algorithm JWKS)."""
    now = now or timezone.now()
    try:
        jwks_fetch.check_url(jwks_url)
    except jwks_fetch.FetchFailed as refusal:
        raise Refused(refusal.code, refusal.reason, status=400, field="jwks_url") from None
    jwks_url = jwks_url.strip()
    kid = new_key_kid(workspace, kid, prefix="jwks_")
    active = MessengerKey.objects.filter(
        workspace=workspace, algorithm=KeyAlgorithm.JWKS, revoked_at__isnull=True
    )
    if active.filter(jwks_url=jwks_url).exists():
        raise Refused(
            "jwks_url_taken", "This JWKS URL is already registered.", status=409, field="jwks_url"
        )
    if active.count() >= MAX_SOURCES:
        raise Refused(
            "too_many_jwks_urls",
            f"A workspace has at most {MAX_SOURCES} JWKS URLs: revoke one first.",
            field="jwks_url",
        )
    source = MessengerKey.objects.create(
        workspace=workspace,
        kid=kid,
        algorithm=KeyAlgorithm.JWKS,
        jwks_url=jwks_url,
        created_at=now,
        created_by=_actor(actor),
    )
    JwksSet.objects.create(source=source)
    mark_config_changed(workspace)
    record_audit(
        "jwt_key.jwks_registered",
        actor=actor,
        workspace=workspace,
        target=kid,
        after={"jwks_url": jwks_url},
        ip=ip,
    )
    # robust: a broker that is down must not turn a committed registration into a 500;
    # the beat's next refresh fetches it then.
    transaction.on_commit(lambda: jwks_refresh.queue_fetch(source.pk, force=True), robust=True)
    return source


def fetch_source(source_id, now=None):
    """Fetch one JWKS source and record the outcome (the Celery job's body; safe to run
    twice). Returns the JwksSet, or None for a source that is gone or revoked."""
    source = MessengerKey.objects.filter(
        pk=source_id, algorithm=KeyAlgorithm.JWKS, revoked_at__isnull=True
    ).first()
    if source is None:
        return None
    try:
        body = jwks_fetch.fetch(
            source.jwks_url,
            timeout=settings.VERITY_JWKS_TIMEOUT_SECONDS,
            max_bytes=settings.VERITY_JWKS_MAX_BYTES,
            allow_private=settings.VERITY_JWKS_ALLOW_PRIVATE_ADDRESSES,
            cafile=settings.VERITY_JWKS_CA_BUNDLE,
        )
        key_set = jwks.parse(body, settings.VERITY_JWKS_MAX_KEYS)
    except jwks_fetch.FetchFailed as exc:
        return record_failure(source_id, exc.reason, now=now)
    except jwks.JwksRefused as exc:
        return record_failure(source_id, str(exc), now=now)
    return record_success(source_id, key_set, now=now)


def _locked(source_id):
    source = (
        MessengerKey.objects.select_for_update()
        .filter(pk=source_id, algorithm=KeyAlgorithm.JWKS, revoked_at__isnull=True)
        .select_related("workspace")
        .first()
    )
    if source is None:
        return None, None
    fetched, _ = JwksSet.objects.select_for_update().get_or_create(source=source)
    return source, fetched


def _kids(keys):
    return [f"{k['kid']} ({k['alg']})" for k in keys]


@transaction.atomic
def record_success(source_id, key_set, now=None):
    """Store a fetched key set; a kid another key of the workspace already answers to is
    skipped (a token's kid must name one key)."""
    now = now or timezone.now()
    source, fetched = _locked(source_id)
    if source is None:
        return None
    taken = set(
        MessengerKey.objects.filter(workspace_id=source.workspace_id)
        .exclude(pk=source.pk)
        .values_list("kid", flat=True)
    )
    for other in JwksSet.objects.filter(
        source__workspace_id=source.workspace_id, source__revoked_at__isnull=True
    ).exclude(pk=fetched.pk):
        taken.update(k["kid"] for k in other.keys)
    keys = [k for k in key_set.keys if k["kid"] not in taken]
    skipped = list(key_set.skipped) + [
        {"kid": k["kid"], "reason": "another key of this workspace already has this kid"}
        for k in key_set.keys
        if k["kid"] in taken
    ]
    changed = keys != fetched.keys
    recovered = fetched.failing_since is not None
    before = {"keys": _kids(fetched.keys), "failing_since": _iso(fetched.failing_since)}
    fetched.keys, fetched.skipped = keys, skipped
    fetched.fetched_at = fetched.checked_at = now
    fetched.failing_since, fetched.error = None, ""
    fetched.save()
    if changed or recovered:
        mark_config_changed(source.workspace)
        record_audit(
            "jwt_key.jwks_fetched",
            workspace=source.workspace,
            target=source.kid,
            before=before,
            after={"keys": _kids(keys), "skipped": [s["kid"] for s in skipped]},
        )
    return fetched


@transaction.atomic
def record_failure(source_id, reason, now=None):
    """Note a failed fetch; the last good keys stay in use."""
    now = now or timezone.now()
    source, fetched = _locked(source_id)
    if source is None:
        return None
    reason = reason[:300]
    started = fetched.failing_since is None
    news = started or reason != fetched.error
    fetched.checked_at = now
    if started:
        fetched.failing_since = now
    fetched.error = reason
    fetched.save(update_fields=["checked_at", "failing_since", "error"])
    log.warning("JWKS %s of workspace %s: %s", source.kid, source.workspace.app_id, reason)
    if news:
        # The diagnosis in every gateway process says since when and why.
        mark_config_changed(source.workspace)
        record_audit(
            "jwt_key.jwks_fetch_failed",
            workspace=source.workspace,
            target=source.kid,
            after={"failing_since": _iso(fetched.failing_since), "error": reason},
        )
    return fetched


def _iso(moment):
    return moment.isoformat() if moment else None


def refresh_all():
    """Queue a fetch of every active JWKS source (beat); a source fetched in the last
    minute is skipped. Returns how many were queued."""
    ids = MessengerKey.objects.filter(
        algorithm=KeyAlgorithm.JWKS, revoked_at__isnull=True
    ).values_list("pk", flat=True)
    return sum(1 for pk in ids if jwks_refresh.queue_fetch(pk))
