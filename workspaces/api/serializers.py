from django.http import QueryDict
from drf_spectacular.extensions import (
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

from ..domains import MAX_PATTERN_LENGTH, PATTERN_RULES, PATTERN_SYNTAX


class WorkspaceSerializer(serializers.Serializer):
    app_id = serializers.CharField()
    name = serializers.CharField()
    display_name = serializers.CharField()
    is_test = serializers.BooleanField()
    role = serializers.CharField()
    twin_app_id = serializers.CharField(allow_null=True)


class TextField(serializers.CharField):
    """A CharField that takes only strings: DRF's would quietly turn 42 into "42"."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class TextFieldSchema(OpenApiSerializerFieldExtension):
    """The schema says what DRF refuses in every CharField: a NUL character."""

    target_class = TextField

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        return {**schema, "pattern": r"^[^\x00]*$"}


class DomainField(TextField):
    """A trusted-domain entry as typed; workspaces.domains.normalize_pattern judges it
    (in the action). Untrimmed here, so that maxLength counts what was sent."""

    def __init__(self, **kwargs):
        super().__init__(
            min_length=1,
            max_length=MAX_PATTERN_LENGTH,
            trim_whitespace=False,
            help_text=PATTERN_RULES,
            **kwargs,
        )


class DomainFieldSchema(OpenApiSerializerFieldExtension):
    """The syntax every accepted entry has (a superset: IDNA is more than a pattern)."""

    target_class = DomainField

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        return {**schema, "pattern": PATTERN_SYNTAX}


class FlagField(serializers.BooleanField):
    """true or false. In a JSON body nothing else (DRF's would take 0, "yes" or "on"); a
    form, where every value is text, may still send "true" or "false"."""

    def to_internal_value(self, data):
        if not isinstance(data, bool) and not isinstance(self.root.initial_data, QueryDict):
            self.fail("invalid")
        return super().to_internal_value(data)


class BodyRequiredSchema(AutoSchema):
    """For a PATCH whose body must hold something: drf-spectacular marks every PATCH body
    optional, as DRF's partial updates would allow."""

    def _get_request_body(self, direction="request"):
        body = super()._get_request_body(direction)
        if body:
            body["required"] = True
        return body


def schema_any_of(serializer_class, *branches):
    """Tell the schema what ``serializer_class.validate`` demands beyond single fields, as
    JSON-schema ``anyOf`` branches (one of them must hold)."""

    def map_serializer(self, auto_schema, direction):
        schema = OpenApiSerializerExtension.map_serializer(self, auto_schema, direction)
        return {**schema, "anyOf": list(branches)}

    return type(
        f"{serializer_class.__name__}Schema",
        (OpenApiSerializerExtension,),
        {"target_class": serializer_class, "map_serializer": map_serializer},
    )
