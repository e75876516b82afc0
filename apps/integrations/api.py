"""REST API for connections. Every secret is write-only: reads show only whether it is set."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.companies.models import Company
from apps.companies.selectors import companies_for, customers_visible_to
from apps.core.api import ActionPermission, CustomerScopedMixin

from . import services
from .models import SECRET_FIELDS, Connection


class ConnectionSerializer(serializers.ModelSerializer):
    companies = serializers.PrimaryKeyRelatedField(many=True, queryset=Company.objects.all(), required=False)
    client_secret = serializers.CharField(write_only=True, required=False, allow_blank=True)
    password = serializers.CharField(write_only=True, required=False, allow_blank=True)
    webhook_password = serializers.CharField(write_only=True, required=False, allow_blank=True)
    webhook_secret = serializers.CharField(write_only=True, required=False, allow_blank=True)
    secrets_set = serializers.SerializerMethodField(
        help_text="Which secrets are set (their values are never shown)."
    )
    webhook_url = serializers.SerializerMethodField()

    class Meta:
        model = Connection
        fields = [
            "id",
            "slug",
            "uuid",
            "customer",
            "name",
            "provider",
            "environment",
            "base_url",
            "state",
            "companies",
            "client_id",
            "client_secret",
            "username",
            "password",
            "peo_id",
            "secret_expires_at",
            "webhook_auth",
            "webhook_username",
            "webhook_password",
            "webhook_secret",
            "webhook_signature_header",
            "webhook_signature_encoding",
            "webhook_allowed_ips",
            "rate_limit_per_second",
            "rate_limit_per_minute",
            "secrets_set",
            "webhook_url",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "uuid", "created_at", "updated_at"]
        extra_kwargs = {"slug": {"required": False}}

    def get_secrets_set(self, obj: Connection) -> dict[str, bool]:
        return {name: bool(getattr(obj, name)) for name in SECRET_FIELDS}

    def get_webhook_url(self, obj: Connection) -> str:
        return obj.webhook_path

    def validate_customer(self, customer):
        if not customers_visible_to(self.context["request"].user).filter(pk=customer.pk).exists():
            raise serializers.ValidationError("Unknown customer.")
        return customer

    def validate_companies(self, companies):
        visible = set(companies_for(self.context["request"].user).values_list("pk", flat=True))
        unknown = [c.pk for c in companies if c.pk not in visible]
        if unknown:
            raise serializers.ValidationError(f"Unknown companies: {unknown}.")
        return companies

    def validate_webhook_allowed_ips(self, value):
        import ipaddress

        if not isinstance(value, list):
            raise serializers.ValidationError("A list of IP addresses or networks.")
        for item in value:
            try:
                ipaddress.ip_network(str(item), strict=False)
            except ValueError as exc:
                raise serializers.ValidationError(f"{item!r} is not an IP address or network.") from exc
        return value


class ConnectionViewSet(
    CustomerScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Connection.objects.select_related("customer").prefetch_related("companies")
    serializer_class = ConnectionSerializer
    filterset_fields = ["customer", "provider", "environment", "state", "slug"]
    permission_classes = [ActionPermission]
    action_permissions = {"webhook_secret": ["integrations.change_connection"]}

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.connection_create(acting_user=self.request.user, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.connection_update(
            connection=serializer.instance, acting_user=self.request.user, **data
        )

    @extend_schema(
        request=None,
        responses=inline_serializer("WebhookSecret", {"webhook_secret": serializers.CharField()}),
        description="Generate a new webhook secret. It is returned once, here, and never shown again.",
    )
    @action(detail=True, methods=["post"], url_path="webhook-secret")
    def webhook_secret(self, request, pk=None):
        secret = services.connection_webhook_secret_generate(
            connection=self.get_object(), acting_user=request.user
        )
        return Response({"webhook_secret": secret})
