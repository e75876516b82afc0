"""``GET /api/v1/audit-events/``: who changed what, customer-scoped, with the INTERFACE filters."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from apps.core.api import StrictInputMixin

from . import selectors
from .models import AuditEvent, Channel

FILTERS = ("customer", "actor", "object_type", "object_id", "since", "until")
PAGING = ("page", "page_size")


class AuditEventSerializer(serializers.ModelSerializer):
    customer = serializers.IntegerField(source="customer_id", allow_null=True, read_only=True)
    channel = serializers.ChoiceField(choices=Channel.choices, read_only=True)
    changes = serializers.JSONField(
        read_only=True, help_text='{field: [old, new]}; a secret as {field: "changed"} only.'
    )

    class Meta:
        model = AuditEvent
        fields = (
            "id",
            "time",
            "actor",
            "channel",
            "customer",
            "object_type",
            "object_id",
            "object_repr",
            "action",
            "changes",
        )
        read_only_fields = fields


class AuditEventFilters(serializers.Serializer):
    customer = serializers.IntegerField(required=False, min_value=1)
    actor = serializers.CharField(required=False, help_text="A username, or 'system: <job>'.")
    object_type = serializers.ChoiceField(choices=(), required=False)
    object_id = serializers.CharField(required=False)
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["object_type"].choices = selectors.object_types()

    def validate(self, attrs):
        unknown = sorted(set(self.initial_data) - set(FILTERS) - set(PAGING))
        if unknown:
            raise serializers.ValidationError({name: "Unknown query parameter." for name in unknown})
        if attrs.get("since") and attrs.get("until") and attrs["since"] > attrs["until"]:
            raise serializers.ValidationError({"until": "Must not be before since."})
        return attrs


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("customer", OpenApiTypes.INT),
            OpenApiParameter("actor", OpenApiTypes.STR),
            OpenApiParameter("object_type", OpenApiTypes.STR, description="e.g. mappings.statusmapping"),
            OpenApiParameter("object_id", OpenApiTypes.STR),
            OpenApiParameter("since", OpenApiTypes.DATETIME),
            OpenApiParameter("until", OpenApiTypes.DATETIME),
        ]
    )
)
class AuditEventViewSet(
    StrictInputMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Every recorded change of configuration and decisions: actor, channel, object and fields old -> new."""

    queryset = AuditEvent.objects.none()
    serializer_class = AuditEventSerializer
    filter_backends = []
    extra_query_params = ("customer", "actor", "object_type", "object_id", "since", "until")

    def get_queryset(self):
        return selectors.audit_events_for(self.request.user)

    def list(self, request, *args, **kwargs):
        filters = AuditEventFilters(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        events = selectors.audit_events_for(request.user, **filters.validated_data)
        page = self.paginate_queryset(events)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
