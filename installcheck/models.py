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
