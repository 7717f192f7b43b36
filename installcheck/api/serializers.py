from rest_framework import serializers

from ..models import Installation, Job, VerificationFailure


class InstallationSerializer(serializers.ModelSerializer):
    status = serializers.CharField(source="shown_status")
    failed = serializers.IntegerField()

    class Meta:
        model = Installation
        fields = [
            "id",
            "platform",
            "name",
            "first_seen",
            "last_seen",
            "status",
            "top_reason",
            "identified",
            "verified",
            "missing",
            "invalid",
            "failed",
            "visitors",
            "is_overflow",
        ]


class DiagnosisSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class VerificationFailureSerializer(serializers.ModelSerializer):
    diagnosis = DiagnosisSerializer(many=True)

    class Meta:
        model = VerificationFailure
        fields = [
            "created_at",
            "platform",
            "installation",
            "identifier_type",
            "identifier",
            "code",
            "rejected",
            "app_version",
            "diagnosis",
            "request_id",
        ]


class JobSerializer(serializers.ModelSerializer):
    app_id = serializers.CharField(source="workspace.app_id")
    duration_seconds = serializers.FloatField(allow_null=True)

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "app_id",
            "state",
            "progress",
            "created_at",
            "started_at",
            "finished_at",
            "duration_seconds",
            "result",
            "error",
        ]


class JobCreatedSerializer(serializers.Serializer):
    job_id = serializers.IntegerField()


class TrendBucketSerializer(serializers.Serializer):
    """Identified requests of one day or one app version (installcheck.trends.Bucket)."""

    verified = serializers.IntegerField()
    missing = serializers.IntegerField()
    invalid = serializers.IntegerField()
    identified = serializers.IntegerField()
    share = serializers.FloatField(
        allow_null=True, help_text="Percent with valid proof (one decimal); null: no traffic."
    )


class TrendDaySerializer(TrendBucketSerializer):
    day = serializers.DateField()


class TrendVersionSerializer(TrendBucketSerializer):
    app_version = serializers.CharField(help_text='As sent; "" when none was sent.')


class TrendOtherVersionsSerializer(TrendBucketSerializer):
    versions = serializers.IntegerField(help_text="How many versions are summed here.")


class TrendSecretDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    old = serializers.IntegerField(help_text="Verified by the old secret.")
    old_failed = serializers.IntegerField(
        help_text="Refused although signed with the old secret (no longer valid)."
    )
    new = serializers.IntegerField(help_text="Verified by the new secret.")


class TrendRotationSerializer(serializers.Serializer):
    rotation_id = serializers.IntegerField()
    rotated_at = serializers.DateTimeField()
    old = serializers.CharField(help_text="The old secret's reference, e.g. hmac:web:v1.")
    new = serializers.CharField(help_text="The new secret's reference, e.g. hmac:web:v2.")
    days = TrendSecretDaySerializer(many=True)


class TrendsSerializer(serializers.Serializer):
    platform = serializers.CharField()
    window_days = serializers.IntegerField()
    days = TrendDaySerializer(many=True)
    versions = TrendVersionSerializer(
        many=True, allow_null=True, help_text="iOS and Android only (null on web)."
    )
    other_versions = TrendOtherVersionsSerializer(
        allow_null=True, help_text="The versions past the most used six, summed."
    )
    rotation = TrendRotationSerializer(
        allow_null=True, help_text="The latest rotation of the secret within the window."
    )
