"""System check: the master keys open the stored secrets (see security/startup.py).

It asks the database, yet it is not tagged ``database``: Django runs such checks only
with ``check --database``, and a plain ``manage.py check`` (like ``check --deploy``, and
every command that runs the system checks: runserver, migrate, ...) must refuse a wrong
master key too. A few small queries; a database that cannot be reached is a warning.
"""

import logging

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from . import startup


def _check(using):
    try:
        if not startup.verify_master_key(using, success_level=logging.DEBUG):
            return [
                checks.Warning(
                    "The master key could not be checked: the database cannot be reached.",
                    hint="Run the check again once the database is up.",
                    id="verity.W001",
                )
            ]
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="verity.E001")]
    return []


@checks.register(checks.Tags.security)
def master_key_opens_stored_secrets(app_configs=None, databases=None, **kwargs):
    if databases is not None and "default" not in databases:
        return []  # `check --database other`: not the database the secrets live in
    return _check("default")
