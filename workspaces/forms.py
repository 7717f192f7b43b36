import logging

from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.password_validation import password_validators_help_texts

from . import throttle
from .domains import MAX_PATTERN_LENGTH
from .mail import domain_of
from .models import Role
from .tasks import queue_password_reset

log = logging.getLogger("verity.mail")


class TrustedDomainForm(forms.Form):
    """The value as typed: the action (add_trusted_domain) normalises and judges it, so
    the console and the API refuse alike."""

    domain = forms.CharField(
        label="Domain",
        max_length=MAX_PATTERN_LENGTH,
        help_text=(
            "A host name such as app.example.com, or *.example.com for any subdomain of "
            "example.com (not example.com itself)."
        ),
        widget=forms.TextInput(attrs={"placeholder": "app.example.com", "autocomplete": "off"}),
    )


class PasswordResetRequestForm(PasswordResetForm):
    """Django's reset form, but its save looks nothing up: it counts the address against
    its hourly limit and queues the task, which finds the accounts (if any) in the
    worker. The page and its timing are therefore the same for every address."""

    def save(self, *, domain, use_https, ip):
        email = self.cleaned_data["email"]
        limit = settings.VERITY_PASSWORD_RESET_LIMIT
        if throttle.over_limit("password-reset-address", email.strip().lower(), limit, 3600):
            log.info("password reset throttled for an address at %s", domain_of(email))
            return
        queue_password_reset(email, domain=domain, use_https=use_https, ip=ip)


class InvitationForm(forms.Form):
    """The address as typed: the action (workspaces.invitations.invite) judges it."""

    email = forms.CharField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"placeholder": "ann@example.com", "autocomplete": "off"}),
    )
    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.DEVELOPER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices)


class AcceptInvitationForm(forms.Form):
    """A new account from an invitation; the action checks the username and runs Django's
    password validators."""

    username = forms.CharField(
        label="Username",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=" ".join(password_validators_help_texts()),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password2") != data.get("password1"):
            self.add_error("password2", "The two passwords differ.")
        return data
