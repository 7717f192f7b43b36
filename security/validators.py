"""Input rules both doors share, each written once as a Django validator: the console's
form fields and the API's serializer fields list the same function (DRF runs Django
validators), and actions call it through ``checked`` for callers without a form."""

from django.core.exceptions import ValidationError

from workspaces.refusals import Refused

MAX_GRACE_HOURS = 7 * 24
DEFAULT_GRACE_HOURS = 24
MIN_OVERLAP_HOURS = 1
MAX_OVERLAP_HOURS = 7 * 24
MAX_TICKET_LENGTH = 100


def _whole_number(value):
    return isinstance(value, int) and not isinstance(value, bool)


def validate_grace_hours(value):
    if not _whole_number(value) or not 0 <= value <= MAX_GRACE_HOURS:
        raise ValidationError(
            f"The grace period is a whole number of hours from 0 to {MAX_GRACE_HOURS} (one week).",
            code="invalid_grace_hours",
        )


def validate_overlap_hours(value):
    if not _whole_number(value) or not MIN_OVERLAP_HOURS <= value <= MAX_OVERLAP_HOURS:
        raise ValidationError(
            f"The overlap lasts from {MIN_OVERLAP_HOURS} hour to {MAX_OVERLAP_HOURS} hours "
            "(7 days).",
            code="invalid_overlap_hours",
        )


def validate_ticket(value):
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TICKET_LENGTH:
        raise ValidationError(
            f"A ticket reference (at most {MAX_TICKET_LENGTH} characters) is required.",
            code="invalid_ticket",
        )


def validate_rotation_request(mode, overlap_hours):
    """Overlap mode needs a deadline; gap mode has none."""
    if mode == "overlap" and overlap_hours is None:
        raise ValidationError(
            {"overlap_hours": "Overlap mode needs a deadline: 1 to 168 hours."},
            code="overlap_hours_required",
        )


def checked(validator, value, *, field):
    """Run ``validator`` for an action: its ValidationError becomes Refused (400)."""
    try:
        validator(value)
    except ValidationError as exc:
        raise Refused(exc.code or "invalid", exc.messages[0], status=400, field=field) from None
    return value
