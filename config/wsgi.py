"""WSGI entry point: the gateway route in front of Django (see installcheck.ping).

Refuses to load when the master key cannot open the stored secrets (security.startup).
"""

import gc
import os
import sys

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

django_application = get_wsgi_application()

from installcheck.ping import GatewayRoute  # noqa: E402  (needs the apps loaded)
from security.startup import check_at_start  # noqa: E402

check_at_start()

application = GatewayRoute(django_application)

# What is loaded by now lives as long as the process: frozen out of the garbage collector,
# a full collection no longer walks its ~100k objects, a ~50 ms pause on whichever request
# it lands (BENCHMARKS.md). Frozen before a pre-forking server forks, it also stays shared.
gc.collect()
gc.freeze()

# A background thread (the count flusher packing a batch for Redis, the settings poll)
# holds the GIL in runs of up to the switch interval while requests wait for it. At
# CPython's default 5 ms that wait was the gateway's p99 under load; at 0.5 ms the p99
# halved with the same throughput (BENCHMARKS.md, "Latency").
GIL_SWITCH_INTERVAL = 0.0005
sys.setswitchinterval(GIL_SWITCH_INTERVAL)
