from django import forms

FLAG_CHOICES = [("enforced", "Enforcement"), ("hmac_allowed", "HMAC allowed")]


class PlatformChangeForm(forms.Form):
    """One flag of one platform switched on or off, possibly already confirmed."""

    flag = forms.ChoiceField(choices=FLAG_CHOICES)
    value = forms.TypedChoiceField(
        choices=[("on", "on"), ("off", "off")], coerce=lambda v: v == "on"
    )
    confirm = forms.BooleanField(required=False)


class ReauthForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
        help_text="Revealing a secret needs a fresh confirmation; it lasts 5 minutes.",
    )
