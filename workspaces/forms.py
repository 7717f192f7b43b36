from django import forms

from .domains import MAX_PATTERN_LENGTH


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
