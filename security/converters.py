"""The ``platform`` URL converter, registered once on import."""

from django.urls import register_converter

from workspaces.converters import PatternConverter

from .vocabulary import PLATFORM_PATTERN


class PlatformConverter(PatternConverter):
    regex = PLATFORM_PATTERN


register_converter(PlatformConverter, "platform")
