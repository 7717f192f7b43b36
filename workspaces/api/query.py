"""Reading text filters from the query string: a clear 400, never a database error."""

from rest_framework.exceptions import ValidationError


def text_param(request, name, max_length):
    """The ``name`` query parameter ("" when absent); a 400 when it is longer than
    ``max_length`` or holds a NUL character (which PostgreSQL cannot compare)."""
    value = request.query_params.get(name, "")
    if len(value) > max_length:
        raise ValidationError({name: [f"At most {max_length} characters."]})
    if "\x00" in value:
        raise ValidationError({name: ["Null characters are not allowed."]})
    return value
