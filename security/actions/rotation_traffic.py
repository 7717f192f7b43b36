"""Counting the traffic of a platform since its secret was rotated (issue 17 #2).

The fold calls ``add_rotation_traffic`` inside its own transaction with the identified
requests it applies, so each batch is counted once, like DailyCount. Only rotations that
are rotated and still open count (``ROTATED_STATES``): from support's rotation until the
customer turns enforcement back on (gap) or the old secret is retired (overlap). The
boundary is the fold's, a few seconds after the request (VERITY_COUNT_FLUSH_SECONDS plus
VERITY_FOLD_SECONDS), not the request's own time; a request made just before the rotation
may be counted after it. Statistics, not a setting: no audit event."""

from collections import defaultdict

from django.db import connection

from ..models import RotationRequest, RotationTraffic
from ..vocabulary import IDENTIFIED_OUTCOMES, ROTATED_STATES

COLUMNS = ("request_id", "outcome", "proof", "count")


def add_rotation_traffic(counts):
    """Add ``counts`` ({(workspace_id, platform, outcome, proof): n}) to the open, rotated
    rotation of each platform. Rows are upserted in a fixed order (no deadlock between
    concurrent folds) and the rotation rows themselves are never locked."""
    counts = {key: n for key, n in counts.items() if key[2] in IDENTIFIED_OUTCOMES and n}
    if not counts:
        return 0
    rotations = RotationRequest.objects.filter(
        state__in=ROTATED_STATES, workspace_id__in={key[0] for key in counts}
    ).values_list("pk", "workspace_id", "platform")
    request_of = {(ws, platform): pk for pk, ws, platform in rotations}
    rows = defaultdict(int)
    for (ws, platform, outcome, proof), n in counts.items():
        pk = request_of.get((ws, platform))
        if pk is not None:
            rows[(pk, outcome, proof)] += n
    if not rows:
        return 0
    table = connection.ops.quote_name(RotationTraffic._meta.db_table)
    items = sorted(rows.items())
    placeholders = ", ".join(["(%s, %s, %s, %s)"] * len(items))
    params = [value for key, n in items for value in (*key, n)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES {placeholders} "  # noqa: S608
            f"ON CONFLICT (request_id, outcome, proof) "
            f"DO UPDATE SET count = {table}.count + EXCLUDED.count",
            params,
        )
    return sum(rows.values())
