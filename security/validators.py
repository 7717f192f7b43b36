"""Input rules both doors share, each written once as Django validators: the console's
form fields and the API's serializer fields list the same ones (DRF runs Django
validators, and drf-spectacular turns min/max validators into the schema's bounds), and
actions call them through ``checked`` for callers without a form."""

from datetime import UTC

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone

from workspaces.refusals import Refused

from . import versions

MAX_GRACE_HOURS = 7 * 24
DEFAULT_GRACE_HOURS = 24
MIN_OVERLAP_HOURS = 1
MAX_OVERLAP_HOURS = 7 * 24
MAX_TICKET_LENGTH = 100


GRACE_HOURS_MESSAGE = (
    f"The grace period is a whole number of hours from 0 to {MAX_GRACE_HOURS} (one week)."
)
OVERLAP_HOURS_MESSAGE = (
    f"The overlap lasts from {MIN_OVERLAP_HOURS} hour to {MAX_OVERLAP_HOURS} hours (7 days)."
)
# The bounds as validators that fields list (forms, serializers, and so the schema).
GRACE_HOURS = [
    MinValueValidator(0, GRACE_HOURS_MESSAGE),
    MaxValueValidator(MAX_GRACE_HOURS, GRACE_HOURS_MESSAGE),
]
OVERLAP_HOURS = [
    MinValueValidator(MIN_OVERLAP_HOURS, OVERLAP_HOURS_MESSAGE),
    MaxValueValidator(MAX_OVERLAP_HOURS, OVERLAP_HOURS_MESSAGE),
]


def _bounded(value, validators, message, code):
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationError(message, code=code)
    try:
        for validator in validators:
            validator(value)
    except ValidationError:
        raise ValidationError(message, code=code) from None


def validate_grace_hours(value):
    _bounded(value, GRACE_HOURS, GRACE_HOURS_MESSAGE, "invalid_grace_hours")


def validate_overlap_hours(value):
    _bounded(value, OVERLAP_HOURS, OVERLAP_HOURS_MESSAGE, "invalid_overlap_hours")


def validate_ticket(value):
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TICKET_LENGTH:
        raise ValidationError(
            f"A ticket reference (at most {MAX_TICKET_LENGTH} characters) is required.",
            code="invalid_ticket",
        )


def validate_enforce_from_version(value):
    """A minimum app version is a plain release: 1 to 4 numbers (``5.2.0``)."""
    if not versions.is_release(value):
        raise ValidationError(
            "The minimum app version is a release number such as 5.2.0: one to four "
            "numbers separated by dots, without a pre-release or build suffix.",
            code="invalid_app_version",
        )


MAX_SUNSET_YEARS = 10


def validate_sunset_at(value):
    """A sunset date is a moment in the future (a past one would change nothing), within
    MAX_SUNSET_YEARS: a migration aid has an end, and 9999-12-31T23:59-14:00 is no date
    the database (which stores UTC) can hold."""
    now = timezone.now()
    try:
        ok = (
            getattr(value, "tzinfo", None) is not None
            and now < value
            and value.astimezone(UTC).year <= now.year + MAX_SUNSET_YEARS
        )
    except OverflowError:
        ok = False
    if not ok:
        raise ValidationError(
            f"The sunset date must be in the future (at most {MAX_SUNSET_YEARS} years ahead), "
            "with a time zone.",
            code="invalid_sunset_at",
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
