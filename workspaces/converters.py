"""The ``app_id`` URL converter, registered once on import: every route that names a
workspace uses it, so a malformed app_id is a 404 before any view runs."""

from django.urls import register_converter

# Workspaces' app_ids are 8 lowercase letters and digits (models.new_app_id); the
# gateway accepts up to 64 characters, and so does the route, to answer alike.
APP_ID_PATTERN = "[a-z0-9]{1,64}"


class AppIdConverter:
    regex = APP_ID_PATTERN

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(AppIdConverter, "app_id")
