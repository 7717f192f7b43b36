"""Ending a user's sessions and token when the user is deactivated, by any path: the
admin, ``manage.py deactivate_user``, or code that saves ``is_active=False``."""

import logging
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db.models.signals import post_save, pre_save
from django.utils import timezone

from .models import ApiToken

log = logging.getLogger("verity.auth")

DATABASE_SESSION_ENGINES = (
    "django.contrib.sessions.backends.db",
    "django.contrib.sessions.backends.cached_db",
)


def end_sessions(user, *, keep=None):
    """Delete every unexpired session of ``user`` but the one keyed ``keep``; returns how
    many. (Django would also refuse an inactive user's session, or one from before a
    password change, on its next request; this removes it outright.)"""
    if settings.SESSION_ENGINE not in DATABASE_SESSION_ENGINES:
        return 0
    SessionStore = import_module(settings.SESSION_ENGINE).SessionStore

    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.session_key == keep:
            continue
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            # Through the store, so a cached_db cache entry goes too.
            SessionStore(session.session_key).delete()
            ended += 1
    return ended


def _note_previous_activity(sender, instance, update_fields=None, **kwargs):
    if instance.pk is None or (update_fields is not None and "is_active" not in update_fields):
        # New, or a save that cannot deactivate (e.g. last_login at each login).
        instance._verity_was_active = False
        return
    instance._verity_was_active = (
        sender.objects.filter(pk=instance.pk).values_list("is_active", flat=True).first()
    )


def _end_access_of_deactivated(sender, instance, created, **kwargs):
    if created or instance.is_active or not getattr(instance, "_verity_was_active", False):
        return
    ApiToken.objects.filter(user=instance).delete()
    ended = end_sessions(instance)
    log.info("user %s deactivated: %s sessions ended, API token deleted", instance.pk, ended)


def connect():
    User = get_user_model()
    pre_save.connect(_note_previous_activity, sender=User, dispatch_uid="verity-was-active")
    post_save.connect(_end_access_of_deactivated, sender=User, dispatch_uid="verity-deactivated")
