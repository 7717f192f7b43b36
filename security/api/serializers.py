"""The security API's serializers. They validate with the same validators as the
console's forms (``security.validators``) and render what ``security.display`` builds."""

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from workspaces.api.serializers import FlagField, TextField, schema_any_of

from .. import public_keys
from ..actions.jwt_keys import OLDER_KEY_CHOICES
from ..gateway import MAX_BODY_BYTES, MAX_IDENTIFIER_LENGTH, MAX_USER_HASH_LENGTH
from ..models import KeyAlgorithm
from ..reauth import MAX_PASSWORD_LENGTH
from ..tokens import PUBLIC_KEY_ALGORITHMS
from ..validators import (
    DEFAULT_GRACE_HOURS,
    GRACE_HOURS,
    validate_enforce_from_version,
    validate_sunset_at,
)
from ..versions import MAX_VERSION_LENGTH
from ..vocabulary import PLATFORM_CHOICES

# ---- platforms ------------------------------------------------------------------------


class PlatformSerializer(serializers.Serializer):
    platform = serializers.CharField()
    enforced = serializers.BooleanField()
    hmac_allowed = serializers.BooleanField()
    secret_version = serializers.IntegerField(allow_null=True)
    # Only for roles that may see secrets; null otherwise.
    secret_masked = serializers.CharField(allow_null=True)
    enforce_from_version = serializers.CharField(
        allow_null=True,
        help_text="When enforced: versions older than this are served with a warning "
        "(app_version_below_minimum) until sunset_at. null: every version is enforced.",
    )
    sunset_at = serializers.DateTimeField(
        allow_null=True, help_text="From then on older versions are enforced too."
    )
    changed_at = serializers.DateTimeField()
    readiness = serializers.JSONField(help_text="{} until the installation check saw traffic.")
    since_rotation = serializers.JSONField(
        allow_null=True,
        help_text="While a rotation of this platform's secret is rotated and open: the "
        "identified requests since the rotation (identified, new_secret, old_secret, "
        "old_secret_verified, other_proof, unproven, would_be_rejected, "
        "rejected_once_old_retired, since, new_reference, old_reference, mode); else null.",
    )


def platform_data(card):
    settings = card["settings"]
    return PlatformSerializer(
        {
            "platform": card["platform"],
            "enforced": settings.enforced,
            "hmac_allowed": settings.hmac_allowed,
            "enforce_from_version": settings.enforce_from_version,
            "sunset_at": settings.sunset_at,
            "secret_version": card["secret_version"],
            "secret_masked": card["masked"],
            "changed_at": settings.changed_at,
            "readiness": settings.readiness,
            "since_rotation": card.get("rotation"),
        }
    ).data


class PlatformPatchSerializer(serializers.Serializer):
    enforced = FlagField(required=False)
    hmac_allowed = FlagField(required=False)
    enforce_from_version = TextField(
        required=False,
        allow_null=True,
        trim_whitespace=False,
        max_length=MAX_VERSION_LENGTH,
        validators=[validate_enforce_from_version],
        help_text="A release such as 5.2.0 (one to four numbers); null clears the policy.",
    )
    sunset_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        validators=[validate_sunset_at],
        help_text="In the future; needs enforce_from_version. null: older versions are "
        "served until the policy changes.",
    )
    confirm = FlagField(
        required=False, default=False, help_text="Confirm a change that answered 409."
    )

    def validate(self, attrs):
        if not any(name in attrs for name in CHANGEABLE):
            raise serializers.ValidationError(
                "Send enforced, hmac_allowed, enforce_from_version and/or sunset_at."
            )
        return attrs


CHANGEABLE = ("enforced", "hmac_allowed", "enforce_from_version", "sunset_at")
schema_any_of(PlatformPatchSerializer, *({"required": [name]} for name in CHANGEABLE))


# ---- revealing --------------------------------------------------------------------------


class RevealRequestSerializer(serializers.Serializer):
    """The proof: ``password`` for a user without two-factor, ``code`` (a TOTP code or
    a recovery code) for a user with it."""

    password = TextField(
        required=False, min_length=1, max_length=MAX_PASSWORD_LENGTH, trim_whitespace=False
    )
    code = TextField(
        required=False,
        min_length=1,
        max_length=64,
        help_text="Once the user has two-factor: a TOTP code or an unused recovery code.",
    )


schema_any_of(RevealRequestSerializer, {"required": ["password"]}, {"required": ["code"]})


class RevealedSecretSerializer(serializers.Serializer):
    secret = serializers.CharField()
    version = serializers.IntegerField()


class RevealedKeySerializer(serializers.Serializer):
    kid = serializers.CharField()
    key = serializers.CharField()


# ---- messenger keys ---------------------------------------------------------------------


class JwksStateSerializer(serializers.Serializer):
    keys = serializers.ListField(
        child=serializers.DictField(), help_text="The last good set: kid, alg, public_key."
    )
    skipped = serializers.ListField(
        child=serializers.DictField(), help_text="JWKs of that set not used: kid, reason."
    )
    fetched_at = serializers.DateTimeField(allow_null=True, help_text="The last good fetch.")
    checked_at = serializers.DateTimeField(allow_null=True, help_text="The last attempt.")
    failing_since = serializers.DateTimeField(
        allow_null=True, help_text="Fetches fail since then (the last good set stays in use)."
    )
    error = serializers.CharField(allow_blank=True, help_text="Why the last fetch failed.")


class KeySerializer(serializers.Serializer):
    kid = serializers.CharField()
    algorithm = serializers.ChoiceField(choices=KeyAlgorithm.choices)
    public_key = serializers.CharField(
        allow_null=True, help_text="A public key's PEM, shown whole; null for an HS256 key."
    )
    state = serializers.ChoiceField(choices=["current", "grace", "expired", "revoked", "active"])
    is_current = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    created_by = serializers.CharField(allow_null=True)
    valid_until = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)
    jwks_url = serializers.CharField(allow_null=True, help_text="A JWKS source's URL, else null.")
    jwks = JwksStateSerializer(allow_null=True, help_text="A JWKS source's keys and fetches.")


class RotateSerializer(serializers.Serializer):
    # null (or absent) means the default, as in the console's form.
    grace_hours = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=DEFAULT_GRACE_HOURS,
        validators=GRACE_HOURS,
    )
    older_key = serializers.ChoiceField(choices=OLDER_KEY_CHOICES, required=False, allow_null=True)


class RegisterKeySerializer(serializers.Serializer):
    """Either ``algorithm`` and ``public_key``, or ``jwks_url``."""

    algorithm = serializers.ChoiceField(choices=PUBLIC_KEY_ALGORITHMS, required=False)
    jwks_url = TextField(
        required=False,
        min_length=1,
        max_length=2048,
        help_text="An https URL serving a JWKS (RFC 7517); instead of algorithm and public_key.",
    )
    public_key = TextField(
        required=False,
        min_length=1,
        max_length=public_keys.MAX_LENGTH,
        trim_whitespace=False,
        help_text="The public key as PEM (-----BEGIN PUBLIC KEY-----) or as a JWK (JSON text). "
        "Never the private key.",
    )
    kid = TextField(
        required=False,
        allow_null=True,
        min_length=1,
        max_length=32,
        help_text="1 to 32 letters, digits, dots, dashes or underscores; generated when absent.",
    )

    def validate(self, attrs):
        if "jwks_url" in attrs:
            if "algorithm" in attrs or "public_key" in attrs:
                raise serializers.ValidationError(
                    {"jwks_url": "Give either a jwks_url or an algorithm and a public_key."}
                )
            return attrs
        missing = {
            name: "This field is required (or give a jwks_url)."
            for name in ("algorithm", "public_key")
            if name not in attrs
        }
        if missing:
            raise serializers.ValidationError(missing)
        return attrs


# ---- tools --------------------------------------------------------------------------------


class TokenSerializer(serializers.Serializer):
    # What the debugger accepts: some non-blank text, at most the gateway's body limit.
    token = TextField(min_length=1, max_length=MAX_BODY_BYTES, trim_whitespace=False)


def _text(max_length, help_text):
    # No trimming: whitespace around a value is one of the mistakes the checker reports.
    return TextField(
        required=False,
        allow_null=True,
        trim_whitespace=False,
        min_length=1,
        max_length=max_length,
        help_text=help_text,
    )


class HashCheckSerializer(serializers.Serializer):
    platform = serializers.ChoiceField(choices=PLATFORM_CHOICES)
    user_id = _text(MAX_IDENTIFIER_LENGTH, "Exactly as sent by the page; wins over email.")
    email = _text(MAX_IDENTIFIER_LENGTH, "Hashed only when no user_id is given.")
    user_hash = _text(MAX_USER_HASH_LENGTH, "The hash to check and diagnose (optional).")

    def validate(self, data):
        if all(data.get(name) is None for name in ("user_id", "email", "user_hash")):
            raise serializers.ValidationError(
                {"user_id": ["Give a user_id or an email (or a user_hash to diagnose)."]}
            )
        return data


# At least one of the three, and not null.
schema_any_of(
    HashCheckSerializer,
    *(
        {"required": [name], "properties": {name: {"type": "string"}}}
        for name in ("user_id", "email", "user_hash")
    ),
)

FINDING = inline_serializer(
    "DiagnosisFinding", {"code": serializers.CharField(), "message": serializers.CharField()}
)
HASH_CHECK_RESULT = inline_serializer(
    "HashCheckResult",
    {
        "platform": serializers.CharField(),
        "identifier_type": serializers.ChoiceField(choices=["user_id", "email"], allow_null=True),
        "identifier_reason": serializers.CharField(),
        "expected_hash": serializers.CharField(
            allow_null=True, help_text="Only for roles that may see secrets (admin, developer)."
        ),
        "secret_version": serializers.IntegerField(allow_null=True),
        "match": serializers.BooleanField(allow_null=True, help_text="null when no hash given"),
        "diagnosis": serializers.ListField(child=FINDING),
    },
)
DEBUG_RESULT = inline_serializer(
    "JwtDebugResult",
    {
        "header": serializers.DictField(allow_null=True),
        "payload": serializers.DictField(allow_null=True),
        "payload_trusted": serializers.BooleanField(
            help_text="The gateway accepts the token: only then is the payload to be trusted."
        ),
        "signature_verified": serializers.BooleanField(
            help_text="A key of the workspace (in any state) made the signature, whether or "
            "not the token is accepted (an expired token is still authentic)."
        ),
        "valid": serializers.BooleanField(),
        "errors": serializers.ListField(child=serializers.DictField()),
        "times": serializers.DictField(),
        "key": serializers.DictField(allow_null=True),
        "gateway_code": serializers.CharField(allow_null=True),
    },
)
