"""URL converters, each registered once on import: every route that names a workspace
uses ``app_id`` (security adds ``platform``), so a malformed value is a 404 before any
view runs, at both doors."""

from django.urls import register_converter

# Workspaces' app_ids are 8 lowercase letters and digits (models.new_app_id); the
# gateway accepts up to 64 characters, and so does the route, to answer alike.
APP_ID_PATTERN = "[a-z0-9]{1,64}"


class PatternConverter:
    """A path segment that must match ``regex``, passed on as it is."""

    regex = ""

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


class AppIdConverter(PatternConverter):
    regex = APP_ID_PATTERN


register_converter(AppIdConverter, "app_id")
