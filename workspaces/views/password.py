"""Password reset by email (Django's views, our form and task) and password change on the
profile page. Both end the user's other sessions and are audited, never with an address."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from ..actions import record_audit
from ..auth import client_ip
from ..forms import PasswordResetRequestForm
from ..models import ApiToken
from ..sessions import end_sessions


class PasswordResetView(auth_views.PasswordResetView):
    """Asks for an address and always answers with the same page."""

    form_class = PasswordResetRequestForm
    success_url = reverse_lazy("workspaces:password-reset-done")

    def form_valid(self, form):
        form.save(
            domain=self.request.get_host(),
            use_https=self.request.is_secure(),
            ip=client_ip(self.request),
        )
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    extra_context = {
        "minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
        "limit": settings.VERITY_PASSWORD_RESET_LIMIT,
    }


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Sets the new password from the emailed link, ends every session of the account."""

    success_url = reverse_lazy("workspaces:password-reset-complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        end_sessions(self.user)
        record_audit(
            "password.reset",
            actor=self.user,
            target=self.user.get_username(),
            ip=client_ip(self.request),
        )
        return response


PasswordResetCompleteView = auth_views.PasswordResetCompleteView


@never_cache
@login_required
@require_POST
def password_change(request):
    """Changes the password on the profile page: this session stays, the others end."""
    form = PasswordChangeForm(request.user, request.POST)
    if not form.is_valid():
        return render(
            request,
            "workspaces/profile.html",
            {"password_form": form, "token": ApiToken.objects.filter(user=request.user).first()},
            status=400,
        )
    user = form.save()
    update_session_auth_hash(request, user)
    ended = end_sessions(user, keep=request.session.session_key)
    record_audit("password.changed", actor=user, target=user.get_username(), ip=client_ip(request))
    messages.success(
        request,
        f"Your password is changed. {ended} other session{'s' if ended != 1 else ''} ended.",
    )
    return redirect("workspaces:profile")
