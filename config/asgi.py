"""ASGI entry point. Refuses to load when the master key cannot open the stored secrets."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_asgi_application()

from security.startup import check_at_start  # noqa: E402  (needs the apps loaded)

check_at_start()
