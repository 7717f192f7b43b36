from rest_framework import serializers

from workspaces.api.serializers import FlagField, TextField, schema_any_of


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
    enforced = FlagField(required=False)
    hmac_allowed = FlagField(required=False)
    confirm = FlagField(
        required=False, default=False, help_text="Confirm a change that answered 409."
    )

    def validate(self, attrs):
        if "enforced" not in attrs and "hmac_allowed" not in attrs:
            raise serializers.ValidationError("Send enforced and/or hmac_allowed.")
        return attrs


schema_any_of(PlatformPatchSerializer, {"required": ["enforced"]}, {"required": ["hmac_allowed"]})


class RevealRequestSerializer(serializers.Serializer):
    password = TextField(min_length=1, max_length=4096, trim_whitespace=False)


class RevealResponseSerializer(serializers.Serializer):
    secret = serializers.CharField()
    version = serializers.IntegerField()
