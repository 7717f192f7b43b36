from rest_framework import serializers


class PlatformSerializer(serializers.Serializer):
    platform = serializers.CharField()
    enforced = serializers.BooleanField()
    hmac_allowed = serializers.BooleanField()
    secret_version = serializers.IntegerField(allow_null=True)
    # Only for roles that may see secrets; null otherwise.
    secret_masked = serializers.CharField(allow_null=True)
    changed_at = serializers.DateTimeField()
    readiness = serializers.JSONField(help_text="{} until the installation check saw traffic.")


class PlatformPatchSerializer(serializers.Serializer):
    enforced = serializers.BooleanField(required=False)
    hmac_allowed = serializers.BooleanField(required=False)
    confirm = serializers.BooleanField(
        required=False, default=False, help_text="Confirm a change that answered 409."
    )

    def validate(self, attrs):
        if "enforced" not in attrs and "hmac_allowed" not in attrs:
            raise serializers.ValidationError("Send enforced and/or hmac_allowed.")
        return attrs


class RevealRequestSerializer(serializers.Serializer):
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class RevealResponseSerializer(serializers.Serializer):
    secret = serializers.CharField()
    version = serializers.IntegerField()
