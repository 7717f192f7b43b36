"""WSGI entry point: the gateway route in front of Django (see installcheck.ping).

Refuses to load when the master key cannot open the stored secrets (security.startup).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

django_application = get_wsgi_application()

from installcheck.ping import GatewayRoute  # noqa: E402  (needs the apps loaded)
from security.startup import check_at_start  # noqa: E402

check_at_start()

application = GatewayRoute(django_application)
