"""OpenAPI schema hooks (drf-spectacular)."""


def drop_trailing_slash_aliases(endpoints):
    """Document ``/jobs/{id}`` once: its ``/jobs/{id}/`` alias is accepted, not advertised.

    Two paths to one view would otherwise get colliding operationIds (drf_spectacular.W001).
    """
    paths = {path for path, *_ in endpoints}
    return [
        endpoint
        for endpoint in endpoints
        if not (endpoint[0].endswith("/") and endpoint[0][:-1] in paths)
    ]
