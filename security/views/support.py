"""The support console (/support/): vendor staff find a workspace, open a rotation
request, follow it, rotate, cancel; and the customer admin's "new secret deployed".
Never a secret on any of these pages."""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from workspaces.access import require_support, workspace_for
from workspaces.auth import client_ip
from workspaces.models import Workspace
from workspaces.refusals import Refused, show_on_form

from ..actions import secret_rotation
from ..display import next_step
from ..forms import OpenRotationForm
from ..models import RotationMode, RotationRequest
from ..queries import MAX_QUERY_LENGTH, find_workspaces, open_rotations

MODE_HELP = {
    RotationMode.GAP: (
        "The customer turns enforcement off, you rotate, they deploy the new secret and turn "
        "enforcement back on. Simple, but users are impersonable during the gap: use it when "
        "the customer cannot deploy quickly or asks for the documented procedure."
    ),
    RotationMode.OVERLAP: (
        "You rotate while enforcement stays on; the old secret keeps verifying until the "
        "deadline you choose. No gap at all: prefer it, especially after a suspected leak "
        "(pick a short deadline)."
    ),
}


@login_required
def home(request):
    require_support(request.user)
    query = (request.GET.get("q") or "").strip()[:MAX_QUERY_LENGTH]
    return render(
        request,
        "security/support_home.html",
        {
            "query": query,
            "workspaces": find_workspaces(query) if query else [],
            "open_requests": open_rotations().order_by("-updated_at")[:50],
        },
    )


@login_required
def workspace(request, app_id):
    require_support(request.user)
    ws = get_object_or_404(Workspace.objects.prefetch_related("platforms"), app_id=app_id)
    form = OpenRotationForm(request.POST or None, initial={"mode": RotationMode.OVERLAP})
    if request.method == "POST" and form.is_valid():
        try:
            opened = secret_rotation.open_request(
                ws, actor=request.user, ip=client_ip(request), **form.cleaned_data
            )
        except Refused as refusal:
            show_on_form(form, refusal)
        else:
            messages.success(request, f"Rotation request #{opened.pk} opened.")
            return redirect("security:support-rotation", pk=opened.pk)
    history = ws.rotations.all().prefetch_related("steps")[:50]
    return render(
        request,
        "security/support_workspace.html",
        {
            "ws": ws,
            "form": form,
            "history": history,
            "mode_help": [(mode, mode.label, text) for mode, text in MODE_HELP.items()],
        },
        status=400 if form.errors else 200,
    )


@login_required
def rotation(request, pk):
    require_support(request.user)
    item = get_object_or_404(
        RotationRequest.objects.select_related("workspace").prefetch_related("steps"), pk=pk
    )
    platform_row = item.workspace.platforms.get(platform=item.platform)
    version = _rotation_version(item, platform_row)
    if request.headers.get("HX-Request") == "true" and request.GET.get("v") == version:
        return HttpResponse(status=204)  # the page polls while open: nothing new
    return render(
        request,
        "security/support_rotation.html",
        {
            "item": item,
            "platform_row": platform_row,
            "next_step": next_step(item),
            "live_version": version,
        },
    )


def _rotation_version(item, platform_row):
    """What the rotation page shows that the customer (or time) can change: the page's
    poll sends it back and is answered 204 while it is the same (issue 17 #5)."""
    overlap = item.overlap_until.timestamp() if item.overlap_until else 0
    parts = (item.state, len(item.steps.all()), platform_row.enforced, f"{overlap:.0f}")
    return "-".join(str(part) for part in parts)


def _run(request, pk, action, done, then):
    """One step of a request's state machine; its refusal or success becomes a message."""
    try:
        action(pk, actor=request.user, ip=client_ip(request))
    except Refused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, done)
    return then


def _step(request, pk, action, done):
    require_support(request.user)
    get_object_or_404(RotationRequest, pk=pk)
    return _run(request, pk, action, done, redirect("security:support-rotation", pk=pk))


@login_required
@require_POST
def rotate(request, pk):
    return _step(request, pk, secret_rotation.rotate, "Secret rotated. The customer has been told.")


@login_required
@require_POST
def cancel(request, pk):
    return _step(request, pk, secret_rotation.cancel, "Rotation request cancelled.")


def _customer_step(request, app_id, pk, action, done):
    ws = workspace_for(request.user, app_id, need="admin")
    get_object_or_404(RotationRequest, pk=pk, workspace=ws)
    return _run(request, pk, action, done, redirect("security:overview", app_id=app_id))


@login_required
@require_POST
def accept_overlap(request, app_id, pk):
    """The customer's admin lets support rotate while enforcement stays on."""
    return _customer_step(
        request,
        app_id,
        pk,
        secret_rotation.accept,
        "Accepted. Support can now rotate; you will be told when the new secret is ready.",
    )


@login_required
@require_POST
def finish_overlap(request, app_id, pk):
    """The customer's admin confirms the new secret is deployed (overlap mode)."""
    override = request.POST.get("override") == "on"
    return _customer_step(
        request,
        app_id,
        pk,
        partial(secret_rotation.finish_overlap, override=override),
        "The old secret is retired; only the new one verifies now.",
    )
