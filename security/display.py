"""What the console and the API show about security settings, built once: the platform
cards of the overview, the readiness of a platform (wherever it appears), the next step of
a rotation request, and the HMAC→JWT migration figures."""

from django.utils import timezone

from workspaces.access import can

from . import crypto
from .confirmations import enforcement_figures
from .models import IdentitySecret, PlatformSettings, RotationMode, RotationRequest, SecretState
from .models import RotationState as S
from .policy_display import add_policy
from .vocabulary import (
    HMAC,
    OPEN_ROTATION_STATES,
    PLATFORMS,
    ROTATED_STATES,
    hmac_reference,
    parse_reference,
    platform_label,
)

# ---- readiness -------------------------------------------------------------------------


def readiness_view(readiness, *, enforced=False):
    """A platform's readiness summary (installcheck.readiness) prepared for display, or
    None when it had no traffic yet. On an enforced platform the requests without valid
    proof were rejected; otherwise they would have been."""
    if not readiness:
        return None
    share = readiness.get("share")
    return {
        **readiness,
        "percent": None if share is None else round(share * 100, 1),
        "rejected": enforcement_figures(readiness)["would_be_rejected"],
        "enforced": enforced,
        "rejected_label": "were rejected" if enforced else "would be rejected",
    }


def readiness_cards(workspace):
    """One readiness view per platform, in the platforms' order."""
    rows = {row.platform: row for row in PlatformSettings.objects.filter(workspace=workspace)}
    cards = [
        {
            "platform": platform,
            "label": platform_label(platform),
            "r": readiness_view(rows[platform].readiness, enforced=rows[platform].enforced),
        }
        for platform in PLATFORMS
        if platform in rows
    ]
    for card in cards:  # the version policy, in a line and in the figures
        add_policy(card, rows[card["platform"]], "r")
    return cards


# ---- the overview's platform cards -------------------------------------------------------


def platform_cards(workspace):
    may_see_secrets = can(workspace.role, "see_secrets")
    secrets = {
        s.platform: s
        for s in IdentitySecret.objects.filter(workspace=workspace, state=SecretState.CURRENT)
    }
    rows = {
        row.platform: row
        for row in PlatformSettings.objects.filter(workspace=workspace).select_related("changed_by")
    }
    cards = []
    for platform in PLATFORMS:
        row = rows.get(platform)
        if row is None:
            continue
        secret = secrets.get(platform)
        cards.append(
            {
                "settings": row,
                "platform": platform,
                "label": platform_label(platform),
                "secret_version": secret.version if secret else None,
                "masked": crypto.mask(secret.plaintext()) if secret and may_see_secrets else None,
                "readiness": readiness_view(row.readiness, enforced=row.enforced),
            }
        )
        add_policy(cards[-1], row, "readiness")  # the version policy in the readiness
    return cards


# ---- rotation requests ---------------------------------------------------------------

# What the customer's admin must do now, shown as a banner on the security overview.
NEXT_STEP = {
    (RotationMode.GAP, S.REQUESTED): (
        "Support is ready to rotate your {platform} identity secret. Turn off enforcement on "
        "{platform} so support can rotate it."
    ),
    (RotationMode.GAP, S.READY): (
        "Enforcement on {platform} is off. Support will now rotate the secret; users on "
        "{platform} are impersonable until you turn enforcement back on."
    ),
    (RotationMode.GAP, S.ROTATED): (
        "Support rotated your {platform} secret. Reveal the new secret and deploy it to your "
        "servers."
    ),
    (RotationMode.GAP, S.SECRET_VIEWED): (
        "Once your servers sign with the new {platform} secret, turn enforcement back on."
    ),
    (RotationMode.OVERLAP, S.REQUESTED): (
        "Support asks to rotate your {platform} secret without turning enforcement off. The "
        "old secret would keep working for a while after the rotation, and you would deploy "
        "the new one meanwhile. Accept the request to let support rotate."
    ),
    (RotationMode.OVERLAP, S.ACCEPTED): (
        "Support will now rotate your {platform} secret without turning enforcement off; the "
        "old secret keeps working for a while after the rotation."
    ),
    (RotationMode.OVERLAP, S.ROTATED): (
        "Support rotated your {platform} secret. Reveal the new secret and deploy it before "
        "{deadline}, when the old secret stops working."
    ),
    (RotationMode.OVERLAP, S.SECRET_VIEWED): (
        "Deploy the new {platform} secret, then confirm to retire the old one (it stops "
        "working at {deadline} in any case)."
    ),
}


def next_step(request):
    template = NEXT_STEP.get((request.mode, request.state))
    if template is None:
        return ""
    deadline = (
        timezone.localtime(request.overlap_until).strftime("%Y-%m-%d %H:%M UTC")
        if request.overlap_until
        else ""
    )
    label = platform_label(request.platform)
    return template.format(platform=label, deadline=deadline)


def _old_secret(request):
    """The secret a rotation retired, with whether it verified a request since then."""
    if request.mode != RotationMode.OVERLAP or request.state not in ROTATED_STATES:
        return None
    old = IdentitySecret.objects.filter(
        workspace=request.workspace, platform=request.platform, version=request.old_version
    ).first()
    if old is None:
        return None
    used_since = bool(old.last_used_at and old.retired_at and old.last_used_at >= old.retired_at)
    return {"secret": old, "used_since_rotation": used_since}


def banners(workspace, role):
    """What the security overview shows about open rotations: the step to take now, and
    in overlap mode how much traffic each secret still verifies (from readiness)."""
    rows = []
    open_requests = RotationRequest.objects.filter(
        workspace=workspace, state__in=OPEN_ROTATION_STATES
    ).prefetch_related("steps")
    readiness = dict(workspace.platforms.values_list("platform", "readiness"))
    for request in open_requests:
        proofs = [
            p
            for p in (readiness.get(request.platform) or {}).get("proofs", [])
            if _is_hmac_of(p.get("reference"), request.platform)
        ]
        total = sum(p.get("count", 0) for p in proofs) or 1
        old_ref = (
            hmac_reference(request.platform, request.old_version) if request.old_version else ""
        )
        rows.append(
            {
                "request": request,
                "next_step": next_step(request),
                "proofs": [
                    {
                        **p,
                        "share": round(100 * p.get("count", 0) / total, 1),
                        "is_old": p.get("reference") == old_ref,
                    }
                    for p in proofs
                ],
                "can_finish": request.mode == RotationMode.OVERLAP
                and request.state in ROTATED_STATES
                and can(role, "admin"),
                "new_verified": request.state in ROTATED_STATES and request.new_secret_verified(),
                "old_secret": _old_secret(request),
                "can_accept": request.mode == RotationMode.OVERLAP
                and request.state == S.REQUESTED
                and can(role, "admin"),
            }
        )
    return rows


def _is_hmac_of(reference, platform):
    parsed = parse_reference(reference)
    return parsed is not None and parsed.method == HMAC and parsed.platform == platform


# ---- HMAC to JWT -----------------------------------------------------------------------


def migration_figures(platform_rows):
    """Per platform, the HMAC→JWT split of verified traffic over 7 days from readiness."""
    rows = []
    for row in platform_rows:
        by_method = (row.readiness or {}).get("by_method") or {}
        hmac = int(by_method.get("hmac") or 0)
        jwt_count = int(by_method.get("jwt") or 0)
        total = hmac + jwt_count
        rows.append(
            {
                "platform": row.platform,
                "hmac_allowed": row.hmac_allowed,
                "has_data": bool(row.readiness),
                "hmac": hmac,
                "jwt": jwt_count,
                "jwt_percent": round(100 * jwt_count / total) if total else None,
                "safe_to_disable_hmac": bool(row.readiness) and total > 0 and hmac == 0,
            }
        )
    return rows
