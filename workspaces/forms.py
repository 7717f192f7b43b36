import logging

from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm

from . import throttle
from .domains import MAX_PATTERN_LENGTH
from .mail import domain_of
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
