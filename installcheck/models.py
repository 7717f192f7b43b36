from django.conf import settings
from django.db import models
from django.utils import timezone

from workspaces.models import Workspace


class PendingCount(models.Model):
    """Counts buffered by gateway processes when there is no Redis, waiting to be folded."""

    field = models.TextField()
    count = models.BigIntegerField()

    def __str__(self):
        return f"{self.field} +{self.count}"


class VerificationFailure(models.Model):
    """One failed verification, kept in a capped per-workspace log (the verbose log)."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="verification_failures"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    platform = models.CharField(max_length=8)
    installation = models.CharField(max_length=255, blank=True)
    identifier_type = models.CharField(max_length=8, blank=True)
    identifier = models.CharField(max_length=255, blank=True)
    code = models.CharField(max_length=40, db_index=True)
    rejected = models.BooleanField(default=False)
    app_version = models.CharField(max_length=64, blank=True)
    diagnosis = models.JSONField(default=list, blank=True)
    request_id = models.CharField(max_length=32, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-created_at"])]

    def __str__(self):
        return f"{self.request_id} {self.code}"


class InstallationStatus(models.TextChoices):
    VERIFIED = "verified", "Verified"
    WARNING = "warning", "Warning"
    INACTIVE = "inactive", "Inactive"


# The name of the row that counts every installation beyond VERITY_MAX_INSTALLATIONS.
OVERFLOW_NAME = "(other)"


class Installation(models.Model):
    """A (platform, domain or app bundle) of a workspace the gateway has heard from."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="installations")
    platform = models.CharField(max_length=8)
    name = models.CharField(max_length=255)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)
    # Cached by the fold and the check job over the last 7 days (see installcheck.status).
    status = models.CharField(
        max_length=8, choices=InstallationStatus.choices, default=InstallationStatus.INACTIVE
    )
    top_reason = models.CharField(max_length=40, blank=True)
    identified = models.PositiveIntegerField(default=0)
    verified = models.PositiveIntegerField(default=0)
    missing = models.PositiveIntegerField(default=0)
    invalid = models.PositiveIntegerField(default=0)
    visitors = models.PositiveIntegerField(default=0)
    # The catch-all row for installations past the per-workspace cap.
    is_overflow = models.BooleanField(default=False)

    class Meta:
        ordering = ["platform", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "platform", "name"], name="unique_installation"
            ),
        ]

    def __str__(self):
        return f"{self.platform}:{self.name}"


class DailyCount(models.Model):
    """Requests of one kind from one installation on one day (folded from the gateway)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    platform = models.CharField(max_length=8)
    installation = models.ForeignKey(
        Installation, on_delete=models.CASCADE, related_name="daily_counts"
    )
    day = models.DateField()
    outcome = models.CharField(max_length=20)
    code = models.CharField(max_length=40, blank=True)
    proof = models.CharField(max_length=64, blank=True)
    app_version = models.CharField(max_length=64, blank=True)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "workspace",
                    "platform",
                    "installation",
                    "day",
                    "outcome",
                    "code",
                    "proof",
                    "app_version",
                ],
                name="unique_daily_count",
            ),
        ]
        indexes = [models.Index(fields=["workspace", "platform", "day"])]

    def __str__(self):
        return f"{self.day} {self.installation_id} {self.outcome} +{self.count}"


class FoldBatch(models.Model):
    """A batch of counts already applied: applying the same batch again is a no-op."""

    batch_id = models.CharField(max_length=80, unique=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    counts = models.BigIntegerField(default=0)

    def __str__(self):
        return self.batch_id


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


# Allowed transitions; a redelivered task (worker lost) may restart a running job.
JOB_TRANSITIONS = {
    JobState.QUEUED: {JobState.RUNNING, JobState.FAILED},
    JobState.RUNNING: {JobState.RUNNING, JobState.SUCCEEDED, JobState.FAILED},
    JobState.SUCCEEDED: set(),
    JobState.FAILED: set(),
}


class Job(models.Model):
    """A background job started from the console (the installation check), with its outcome."""

    kind = models.CharField(max_length=32)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="jobs")
    state = models.CharField(max_length=10, choices=JobState.choices, default=JobState.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.kind} #{self.pk} {self.state}"

    @property
    def duration_seconds(self):
        if self.started_at and self.finished_at:
            return round((self.finished_at - self.started_at).total_seconds(), 2)
        return None
