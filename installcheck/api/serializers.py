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
