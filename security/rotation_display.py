"""How a rotation request is told to people: the admin's next step (banner and emails)
and the per-secret traffic shown during an overlap."""

from django.utils import timezone

from workspaces.access import can

from .models import OPEN_ROTATION_STATES, Platform, RotationMode, RotationRequest
from .models import RotationState as S

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
        "Support will rotate your {platform} secret without turning enforcement off; the old "
        "secret keeps working until {deadline}."
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
    label = Platform(request.platform).label
    return template.format(platform=label, deadline=deadline)


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
            if p.get("reference", "").startswith(f"hmac:{request.platform}:")
        ]
        total = sum(p.get("count", 0) for p in proofs) or 1
        old_ref = f"hmac:{request.platform}:v{request.old_version}" if request.old_version else ""
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
                and request.state in (S.ROTATED, S.SECRET_VIEWED)
                and can(role, "admin"),
            }
        )
    return rows
