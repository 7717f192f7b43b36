"""Two-factor status for templates: ``{% load two_factor %}{{ user|second_factor_label }}``
(the members list's column, the profile)."""

from django import template

from .. import two_factor

register = template.Library()


@register.filter
def second_factor_label(user):
    """ "Passkey, authenticator app", "Authenticator app", or "None"."""
    return two_factor.second_factor_label(user)


@register.filter
def has_second_factor(user):
    return two_factor.has_second_factor(user)
