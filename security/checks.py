"""System check: the master keys open the stored secrets (see security/startup.py).

Database-dependent, so it runs with ``manage.py check --database default`` (and in
``migrate``), and with ``manage.py check --deploy``.
"""

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from . import startup


def _check(using):
    try:
        if not startup.verify_master_key(using):
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


@checks.register(checks.Tags.security, checks.Tags.database)
def master_key_opens_stored_secrets(app_configs=None, databases=None, **kwargs):
    if not databases or "default" not in databases:
        return []
    return _check("default")


@checks.register(checks.Tags.security, deploy=True)
def master_key_opens_stored_secrets_deploy(app_configs=None, databases=None, **kwargs):
    if databases and "default" in databases:
        return []  # the database check above already ran
    return _check("default")
