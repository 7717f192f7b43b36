from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .access import is_support
from .models import Membership


@login_required
def home(request):
    """The workspace picker."""
    memberships = (
        Membership.objects.filter(user=request.user)
        .select_related("workspace")
        .order_by("workspace__name", "workspace__is_test")
    )
    return render(
        request,
        "workspaces/home.html",
        {"memberships": memberships, "is_support": is_support(request.user)},
    )
