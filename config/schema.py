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


def add_gateway(result, generator, request, public):
    """The messenger gateway, which is no DRF view, described next to the API (SPEC §7)."""
    # Here, not at the top: drf-spectacular imports this hook from settings, before the
    # app registry that installcheck.openapi's imports need is ready.
    from installcheck.openapi import add_to  # noqa: PLC0415

    return add_to(result)
