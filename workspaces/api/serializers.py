from rest_framework import serializers


class WorkspaceSerializer(serializers.Serializer):
    app_id = serializers.CharField()
    name = serializers.CharField()
    display_name = serializers.CharField()
    is_test = serializers.BooleanField()
    role = serializers.CharField()
    twin_app_id = serializers.CharField(allow_null=True)
