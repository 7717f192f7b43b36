from django import forms

from .domains import InvalidDomain, normalize_pattern


class TrustedDomainForm(forms.Form):
    domain = forms.CharField(
        label="Domain",
        max_length=300,
        help_text="A host name such as app.example.com, or *.example.com for its subdomains.",
        widget=forms.TextInput(attrs={"placeholder": "app.example.com", "autocomplete": "off"}),
    )

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.workspace = workspace

    def clean_domain(self):
        try:
            domain = normalize_pattern(self.cleaned_data["domain"])
        except InvalidDomain as exc:
            raise forms.ValidationError(str(exc)) from None
        if self.workspace.trusted_domains.filter(domain=domain).exists():
            raise forms.ValidationError(f"{domain} is already on the list.")
        return domain
