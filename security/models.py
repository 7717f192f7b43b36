from django.conf import settings
from django.db import models
from django.utils import timezone

from workspaces.models import Workspace

from . import crypto, vocabulary
from .vocabulary import hmac_reference, jwt_reference


class Platform(models.TextChoices):
    WEB = vocabulary.WEB, vocabulary.PLATFORM_LABELS[vocabulary.WEB]
    IOS = vocabulary.IOS, vocabulary.PLATFORM_LABELS[vocabulary.IOS]
    ANDROID = vocabulary.ANDROID, vocabulary.PLATFORM_LABELS[vocabulary.ANDROID]


class PlatformSettings(models.Model):
    """Enforcement and HMAC-allowed flags, and the app-version policy, of one platform."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="platforms")
    platform = models.CharField(max_length=8, choices=Platform.choices)
    enforced = models.BooleanField(default=False)
    hmac_allowed = models.BooleanField(default=True)
    # Enforcement by app version (security.versions, security.gateway.VersionPolicy): when
    # set and the platform enforces, older versions are served with a warning until
    # sunset_at (forever when null). Both null: every version is enforced.
    enforce_from_version = models.CharField(max_length=64, null=True, blank=True)
    sunset_at = models.DateTimeField(null=True, blank=True)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # Written by installcheck after each fold (security.actions.record_readiness), so the
    # overview, the API and the enforce confirmation read it without an upward import.
    readiness = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["workspace", "platform"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "platform"], name="one_settings_row"),
        ]

    def __str__(self):
        return f"{self.workspace.app_id}/{self.platform}"


class SecretState(models.TextChoices):
    CURRENT = "current", "Current"
    RETIRED = "retired", "Retired"


class IdentitySecret(models.Model):
    """One version of a platform's HMAC identity-verification secret, encrypted."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="identity_secrets"
    )
    platform = models.CharField(max_length=8, choices=Platform.choices)
    version = models.PositiveIntegerField()
    ciphertext = models.TextField()
    state = models.CharField(max_length=8, choices=SecretState.choices)
    created_at = models.DateTimeField(default=timezone.now)
    retired_at = models.DateTimeField(null=True, blank=True)
    # A retired secret still verifies until this moment (overlap rotation).
    valid_until = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["workspace", "platform", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "platform", "version"], name="unique_secret_version"
            ),
            models.UniqueConstraint(
                fields=["workspace", "platform"],
                condition=models.Q(state="current"),
                name="one_current_secret",
            ),
        ]

    def __str__(self):
        return f"{self.workspace.app_id}/{self.platform} v{self.version} ({self.state})"

    @property
    def reference(self):
        """How counts and logs name this secret: ``hmac:web:v2``."""
        return hmac_reference(self.platform, self.version)

    def plaintext(self):
        return crypto.decrypt(self.ciphertext)


class MessengerKey(models.Model):
    """An HS256 messenger JWT signing key of a workspace, encrypted."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="jwt_keys")
    kid = models.CharField(max_length=32)
    ciphertext = models.TextField()
    is_current = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # Set when the key stops being current: it verifies until then (grace period).
    valid_until = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["workspace", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "kid"], name="unique_kid"),
            models.UniqueConstraint(
                fields=["workspace"],
                condition=models.Q(is_current=True),
                name="one_current_key",
            ),
        ]

    def __str__(self):
        return f"{self.workspace.app_id}/{self.kid}"

    @property
    def reference(self):
        return jwt_reference(self.kid)

    def state(self, now=None):
        now = now or timezone.now()
        if self.revoked_at is not None:
            return "revoked"
        if self.is_current:
            return "current"
        if self.valid_until is not None and self.valid_until > now:
            return "grace"
        return "expired"

    def plaintext(self):
        return crypto.decrypt(self.ciphertext)


class RotationState(models.TextChoices):
    REQUESTED = vocabulary.REQUESTED, "Requested"
    # Overlap mode: the customer's admin agreed that support rotates while enforced.
    ACCEPTED = vocabulary.ACCEPTED, "Accepted by the customer"
    READY = vocabulary.READY, "Ready to rotate"
    ROTATED = vocabulary.ROTATED, "Rotated"
    SECRET_VIEWED = vocabulary.SECRET_VIEWED, "New secret viewed"
    COMPLETED = vocabulary.COMPLETED, "Completed"
    CANCELLED = vocabulary.CANCELLED, "Cancelled"


class RotationMode(models.TextChoices):
    # The seed's method: enforcement off while the customer deploys the new secret.
    GAP = "gap", "Enforcement off during the switch"
    # Both secrets verify until a deadline; enforcement stays on throughout.
    OVERLAP = "overlap", "Overlap (no enforcement gap)"


class RotationReason(models.TextChoices):
    ROUTINE = "routine", "Routine rotation"
    SUSPECTED_LEAK = "suspected_leak", "Suspected leak"
    STAFF_DEPARTURE = "staff_departure", "Staff departure"


class RotationRequest(models.Model):
    """A support-run rotation of one platform's HMAC identity secret."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="rotations")
    platform = models.CharField(max_length=8, choices=Platform.choices)
    mode = models.CharField(max_length=8, choices=RotationMode.choices, default=RotationMode.GAP)
    reason = models.CharField(max_length=20, choices=RotationReason.choices)
    ticket = models.CharField(max_length=100)
    state = models.CharField(
        max_length=16, choices=RotationState.choices, default=RotationState.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Overlap mode: the old secret verifies until then.
    overlap_until = models.DateTimeField(null=True, blank=True)
    old_version = models.PositiveIntegerField(null=True, blank=True)
    new_version = models.PositiveIntegerField(null=True, blank=True)
    # Overlap mode: times the deadline moved because the old secret was still in use.
    extensions = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "platform"],
                condition=models.Q(state__in=list(vocabulary.OPEN_ROTATION_STATES)),
                name="one_open_rotation",
            ),
        ]

    def __str__(self):
        return f"rotation {self.pk} {self.workspace.app_id}/{self.platform} {self.state}"

    @property
    def is_open(self):
        return self.state in vocabulary.OPEN_ROTATION_STATES

    def new_secret_verified(self):
        """Whether the secret this rotation issued has verified a request (folded traffic)."""
        if not self.new_version:
            return False
        return IdentitySecret.objects.filter(
            workspace_id=self.workspace_id,
            platform=self.platform,
            version=self.new_version,
            last_used_at__isnull=False,
        ).exists()


class RotationStep(models.Model):
    """One step of a rotation request's timeline, seen by support and the customer."""

    request = models.ForeignKey(RotationRequest, on_delete=models.CASCADE, related_name="steps")
    state = models.CharField(max_length=16, choices=RotationState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    actor_label = models.CharField(max_length=150, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.request_id} → {self.state}"
