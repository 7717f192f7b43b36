"""WSGI entry point. Refuses to load when the master key cannot open the stored secrets."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

from security.startup import check_at_start  # noqa: E402  (needs the apps loaded)

check_at_start()
