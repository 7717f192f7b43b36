"""``{{ value|platform_label }}``: a platform as people write it (iOS, Web, Android), the one
label of security.vocabulary, in every table, filter and card."""

from django import template

from ..vocabulary import platform_label as label

register = template.Library()


@register.filter
def platform_label(platform):
    return label(platform)
