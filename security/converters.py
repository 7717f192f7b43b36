"""The ``platform`` URL converter, registered once on import: an unknown platform in a
URL is a 404 before any view runs, at both doors."""

from django.urls import register_converter

from .vocabulary import PLATFORM_PATTERN


class PlatformConverter:
    regex = PLATFORM_PATTERN

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(PlatformConverter, "platform")
