"""The console's forms. Each rule a form shares with the API is a validator from
``validators.py`` (or a limit from ``gateway.py``), never a second copy."""

from django import forms
from django.core.exceptions import ValidationError

from . import public_keys
from .actions.jwt_keys import END_NOW, KEEP
from .gateway import MAX_BODY_BYTES, MAX_IDENTIFIER_LENGTH, MAX_USER_HASH_LENGTH
from .models import KeyAlgorithm, RotationMode, RotationReason
from .reauth import MAX_PASSWORD_LENGTH, REAUTH_SECONDS
from .tokens import PUBLIC_KEY_ALGORITHMS
from .validators import (
    DEFAULT_GRACE_HOURS,
    GRACE_HOURS,
    MAX_GRACE_HOURS,
    MAX_OVERLAP_HOURS,
    MAX_TICKET_LENGTH,
    MIN_OVERLAP_HOURS,
    OVERLAP_HOURS,
    validate_enforce_from_version,
    validate_rotation_request,
    validate_sunset_at,
    validate_ticket,
)
from .versions import MAX_VERSION_LENGTH
from .vocabulary import PLATFORM_CHOICES

FLAG_CHOICES = [("enforced", "Enforcement"), ("hmac_allowed", "HMAC allowed")]


class PlatformChangeForm(forms.Form):
    """One flag of one platform switched on or off, possibly already confirmed."""

    flag = forms.ChoiceField(choices=FLAG_CHOICES)
    value = forms.TypedChoiceField(
        choices=[("on", "on"), ("off", "off")], coerce=lambda v: v == "on"
    )
    confirm = forms.BooleanField(required=False)


class VersionPolicyForm(forms.Form):
    """Enforcement by app version: a minimum version and a sunset date; empty clears."""

    enforce_from_version = forms.CharField(
        label="Enforce from app version",
        required=False,
        strip=False,
        max_length=MAX_VERSION_LENGTH,
        validators=[validate_enforce_from_version],
        widget=forms.TextInput(attrs={"placeholder": "5.2.0", "inputmode": "decimal"}),
        help_text="Older versions are served with a warning until the sunset date. Leave "
        "empty to enforce every version.",
    )
    sunset_at = forms.DateTimeField(
        label="Sunset (UTC)",
        required=False,
        validators=[validate_sunset_at],
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="From then on older versions are enforced too. Without one they are "
        "served until you change the policy.",
    )
    confirm = forms.BooleanField(required=False)

    def changes(self):
        """What change_platform takes: empty fields clear the policy."""
        return {
            "enforce_from_version": self.cleaned_data["enforce_from_version"] or None,
            "sunset_at": self.cleaned_data["sunset_at"],
        }


class ReauthForm(forms.Form):
    """The password before a reveal (secrets and keys alike)."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        max_length=MAX_PASSWORD_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
        help_text=f"Revealing needs a fresh confirmation; it lasts {REAUTH_SECONDS // 60} minutes.",
    )


class SecondFactorReauthForm(forms.Form):
    """A reveal's confirmation once the user has two-factor: a code or a passkey."""

    code = forms.CharField(
        label="Code",
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
        help_text="From your authenticator app, or a recovery code. The confirmation lasts "
        f"{REAUTH_SECONDS // 60} minutes.",
    )
    passkey = forms.CharField(required=False, max_length=16_384, widget=forms.HiddenInput)


class RotateForm(forms.Form):
    grace_hours = forms.IntegerField(
        label="Grace period (hours)",
        initial=DEFAULT_GRACE_HOURS,
        validators=GRACE_HOURS,
        widget=forms.NumberInput(attrs={"min": 0, "max": MAX_GRACE_HOURS}),
        help_text=f"How long the current key keeps verifying after rotation: 0 to "
        f"{MAX_GRACE_HOURS} hours. 0 stops it at once.",
    )
    older_key = forms.ChoiceField(
        label="Older key still in its grace period",
        required=False,
        choices=[
            ("", "Choose what happens to it"),
            (END_NOW, "End its grace now (tokens signed with it stop at once)"),
            (KEEP, "Keep its current deadline"),
        ],
    )

    def __init__(self, *args, older_in_grace=(), **kwargs):
        super().__init__(*args, **kwargs)
        if not older_in_grace:
            del self.fields["older_key"]

    def clean_older_key(self):
        # "" is "not answered": the action refuses with the keys in grace (older_key_in_grace).
        return self.cleaned_data.get("older_key") or None


class PublicKeyForm(forms.Form):
    algorithm = forms.ChoiceField(
        label="Algorithm",
        choices=[(a, KeyAlgorithm(a).label) for a in PUBLIC_KEY_ALGORITHMS],
    )
    public_key = forms.CharField(
        label="Public key",
        max_length=public_keys.MAX_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "autocomplete": "off"}),
        help_text="PEM (-----BEGIN PUBLIC KEY-----) or a JWK. Never the private key: it stays "
        "on your server.",
    )
    kid = forms.CharField(
        label="kid (optional)",
        required=False,
        max_length=32,
        help_text="The kid your server puts in the token's header; generated when empty.",
    )

    def clean_kid(self):
        return self.cleaned_data.get("kid") or None


class JwksUrlForm(forms.Form):
    jwks_url = forms.CharField(
        label="JWKS URL",
        max_length=2048,
        widget=forms.URLInput(
            attrs={"placeholder": "https://auth.example.com/.well-known/jwks.json"}
        ),
        help_text="https only. Verity fetches it now, every few minutes, and when a token "
        "names a kid it does not know (at most once a minute).",
    )
    kid = forms.CharField(
        label="Name (optional)",
        required=False,
        max_length=32,
        help_text="How the keys list and the counts name this URL; generated when empty. "
        "Tokens name the kids the JWKS publishes.",
    )

    def clean_kid(self):
        return self.cleaned_data.get("kid") or None


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Messenger JWT",
        max_length=MAX_BODY_BYTES,
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false", "autocomplete": "off"}),
        help_text="Paste a user_jwt. It is checked here and not stored.",
    )


class HashCheckForm(forms.Form):
    platform = forms.ChoiceField(choices=PLATFORM_CHOICES, initial="web")
    # strip=False: whitespace around values is one of the mistakes the checker diagnoses.
    user_id = forms.CharField(
        label="user_id",
        required=False,
        strip=False,
        max_length=MAX_IDENTIFIER_LENGTH,
        help_text="Exactly as your page sends it. When present, the user_id is what is hashed.",
    )
    email = forms.CharField(
        label="email",
        required=False,
        strip=False,
        max_length=MAX_IDENTIFIER_LENGTH,
        help_text="Used only when no user_id is sent.",
    )
    user_hash = forms.CharField(
        label="user_hash (optional)",
        required=False,
        strip=False,
        max_length=MAX_USER_HASH_LENGTH,
        help_text="The hash your server made, to find out whether and why it is wrong.",
    )

    def clean(self):
        data = super().clean()
        for name in ("user_id", "email", "user_hash"):
            if data.get(name) == "":
                data[name] = None
        if (
            not self.errors
            and data.get("user_id") is None
            and data.get("email") is None
            and data.get("user_hash") is None
        ):
            self.add_error("user_id", "Enter a user_id or an email (or a hash to diagnose).")
        return data


class OpenRotationForm(forms.Form):
    platform = forms.ChoiceField(choices=PLATFORM_CHOICES)
    mode = forms.ChoiceField(choices=RotationMode.choices, widget=forms.RadioSelect)
    reason = forms.ChoiceField(choices=RotationReason.choices)
    ticket = forms.CharField(
        max_length=MAX_TICKET_LENGTH,
        validators=[validate_ticket],
        help_text="Your support ticket reference.",
    )
    overlap_hours = forms.IntegerField(
        required=False,
        validators=OVERLAP_HOURS,
        widget=forms.NumberInput(attrs={"min": MIN_OVERLAP_HOURS, "max": MAX_OVERLAP_HOURS}),
        help_text=f"Overlap mode: how long the old secret keeps working "
        f"({MIN_OVERLAP_HOURS} to {MAX_OVERLAP_HOURS} hours).",
    )

    def clean(self):
        cleaned = super().clean()
        try:
            validate_rotation_request(cleaned.get("mode"), cleaned.get("overlap_hours"))
        except ValidationError as exc:
            self.add_error(None, exc)
        return cleaned
