"""What the user commands share (a leading underscore: Django lists no command here)."""

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError


def user_named(username):
    """The user called ``username``, or a CommandError that says there is none."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"No user named {username!r}.")
    return user
