"""The support console (/support/): vendor staff find a workspace, open a rotation
request, follow it, rotate, cancel. Never a secret on any of these pages."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from workspaces.access import is_support, workspace_for
from workspaces.auth import client_ip
from workspaces.models import Workspace

from . import rotation, rotation_display
from .models import OPEN_ROTATION_STATES, Platform, RotationMode, RotationReason, RotationRequest

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


class OpenRotationForm(forms.Form):
    platform = forms.ChoiceField(choices=Platform.choices)
    mode = forms.ChoiceField(choices=RotationMode.choices, widget=forms.RadioSelect)
    reason = forms.ChoiceField(choices=RotationReason.choices)
    ticket = forms.CharField(max_length=100, help_text="Your support ticket reference.")
    overlap_hours = forms.IntegerField(
        required=False,
        min_value=rotation.MIN_OVERLAP_HOURS,
        max_value=rotation.MAX_OVERLAP_HOURS,
        help_text="Overlap mode: how long the old secret keeps working (1 to 168 hours).",
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("mode") == RotationMode.OVERLAP and not cleaned.get("overlap_hours"):
            self.add_error("overlap_hours", "Overlap mode needs a deadline: 1 to 168 hours.")
        return cleaned


def _support_only(user):
    if not is_support(user):
        raise PermissionDenied("The support console is for vendor support staff.")


@login_required
def support_home(request):
    _support_only(request.user)
    query = (request.GET.get("q") or "").strip()[:100]
    workspaces = []
    if query:
        workspaces = (
            Workspace.objects.filter(Q(name__icontains=query) | Q(app_id=query.lower()))
            .prefetch_related("platforms")
            .order_by("name", "is_test")[:50]
        )
    open_requests = (
        RotationRequest.objects.filter(state__in=OPEN_ROTATION_STATES)
        .select_related("workspace")
        .order_by("-updated_at")[:50]
    )
    return render(
        request,
        "security/support_home.html",
        {"query": query, "workspaces": workspaces, "open_requests": open_requests},
    )


@login_required
def support_workspace(request, app_id):
    _support_only(request.user)
    workspace = get_object_or_404(Workspace.objects.prefetch_related("platforms"), app_id=app_id)
    form = OpenRotationForm(request.POST or None, initial={"mode": RotationMode.OVERLAP})
    if request.method == "POST" and form.is_valid():
        try:
            opened = rotation.open_request(
                workspace,
                actor=request.user,
                ip=client_ip(request),
                **form.cleaned_data,
            )
        except (ValueError, rotation.RotationConflict) as exc:
            form.add_error(None, getattr(exc, "message", str(exc)))
        else:
            messages.success(request, f"Rotation request #{opened.pk} opened.")
            return redirect("support-rotation", pk=opened.pk)
    history = workspace.rotations.all().prefetch_related("steps")[:50]
    return render(
        request,
        "security/support_workspace.html",
        {"ws": workspace, "form": form, "history": history, "mode_help": MODE_HELP},
    )


@login_required
def support_rotation(request, pk):
    _support_only(request.user)
    item = get_object_or_404(
        RotationRequest.objects.select_related("workspace").prefetch_related("steps"), pk=pk
    )
    platform_row = item.workspace.platforms.get(platform=item.platform)
    return render(
        request,
        "security/support_rotation.html",
        {"item": item, "platform_row": platform_row, "next_step": rotation_display.next_step(item)},
    )


def _step(request, pk, action, done):
    _support_only(request.user)
    get_object_or_404(RotationRequest, pk=pk)
    try:
        action(pk, actor=request.user, ip=client_ip(request))
    except rotation.RotationConflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("support-rotation", pk=pk)


@login_required
@require_POST
def support_rotate(request, pk):
    return _step(request, pk, rotation.rotate, "Secret rotated. The customer has been told.")


@login_required
@require_POST
def support_cancel(request, pk):
    return _step(request, pk, rotation.cancel, "Rotation request cancelled.")


@login_required
@require_POST
def customer_finish_overlap(request, app_id, pk):
    """The customer's admin confirms the new secret is deployed (overlap mode)."""
    workspace = workspace_for(request.user, app_id, need="admin")
    get_object_or_404(RotationRequest, pk=pk, workspace=workspace)
    try:
        rotation.finish_overlap(pk, actor=request.user, ip=client_ip(request))
    except rotation.RotationConflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "The old secret is retired; only the new one verifies now.")
    return redirect("overview", app_id=app_id)
