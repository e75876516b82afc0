"""REST API for connections. Every secret is write-only: reads show only whether it is set."""

from __future__ import annotations

import ipaddress

from django.db import transaction
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.companies.models import Company
from apps.companies.scoping import CustomerScopedMixin
from apps.companies.selectors import companies_for, customers_visible_to
from apps.core.api import ActionPermission, StrictInputMixin

from . import services
from .models import SECRET_FIELDS, ApiCall, Connection, SyncRun, WebhookEvent
from .tasks import enqueue_sync_run


class ConnectionSerializer(serializers.ModelSerializer):
    companies = serializers.PrimaryKeyRelatedField(many=True, queryset=Company.objects.all(), required=False)
    client_secret = serializers.CharField(write_only=True, required=False, allow_blank=True)
    password = serializers.CharField(write_only=True, required=False, allow_blank=True)
    webhook_password = serializers.CharField(write_only=True, required=False, allow_blank=True)
    webhook_secret = serializers.CharField(write_only=True, required=False, allow_blank=True)
    sftp_password = serializers.CharField(write_only=True, required=False, allow_blank=True)
    sftp_private_key = serializers.CharField(
        write_only=True, required=False, allow_blank=True, trim_whitespace=False
    )
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
            "webhook_signature_scheme",
            "webhook_allowed_ips",
            "rate_limit_per_second",
            "rate_limit_per_minute",
            "fair_use_per_hour",
            "fair_use_per_day",
            "circuit_threshold",
            "circuit_cooldown_seconds",
            "circuit_state",
            "circuit_failures",
            "circuit_opened_at",
            "last_authenticated_at",
            "last_auth_error",
            "webhook_digest_types",
            "webhook_coalesce_seconds",
            "prismhr_subscription_id",
            "sftp_host",
            "sftp_port",
            "sftp_username",
            "sftp_password",
            "sftp_private_key",
            "sftp_host_key",
            "sftp_folder",
            "sftp_archive_folder",
            "secrets_set",
            "webhook_url",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "uuid",
            "circuit_state",
            "circuit_failures",
            "circuit_opened_at",
            "last_authenticated_at",
            "last_auth_error",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"slug": {"required": False}, "name": {"required": False}}

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

    def validate_webhook_digest_types(self, value):
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise serializers.ValidationError("A list of event type names.")
        return value

    def validate_webhook_allowed_ips(self, value):
        if not isinstance(value, list):
            raise serializers.ValidationError("A list of IP addresses or networks.")
        for item in value:
            try:
                ipaddress.ip_network(str(item), strict=False)
            except ValueError as exc:
                raise serializers.ValidationError(f"{item!r} is not an IP address or network.") from exc
        return value


class SyncRequestSerializer(serializers.Serializer):
    kind = serializers.CharField(default=SyncRun.Kind.EMPLOYEES)
    full = serializers.BooleanField(default=False)
    company_external_id = serializers.CharField(required=False, allow_blank=True)

    def validate(self, attrs):
        external_id = attrs.pop("company_external_id", "")
        if external_id:
            company = self.context["connection"].companies.filter(external_id=external_id).first()
            if company is None:
                raise serializers.ValidationError(
                    {"company_external_id": "Not one of this connection's companies."}
                )
            attrs["company"] = company
        return attrs


class SyncRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = SyncRun
        fields = [
            "id",
            "connection",
            "kind",
            "company",
            "full",
            "state",
            "trigger",
            "requested_by",
            "fetched",
            "details_fetched",
            "created",
            "updated",
            "unchanged",
            "failed",
            "progress_done",
            "progress_total",
            "errors",
            "message",
            "started_at",
            "finished_at",
            "created_at",
        ]
        read_only_fields = fields


CONNECTION_TEST = inline_serializer(
    "ConnectionTest",
    {
        "ok": serializers.BooleanField(),
        "message": serializers.CharField(),
        "authenticated_at": serializers.DateTimeField(allow_null=True),
    },
)


class ConnectionViewSet(
    StrictInputMixin,
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
    action_permissions = {
        "webhook_secret": ["integrations.change_connection"],
        # Authenticating sends the stored secrets: only those who may change the connection may do it.
        "test": ["integrations.change_connection"],
        "sync": ["integrations.add_syncrun"],
    }

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

    @extend_schema(
        request=None,
        responses={code: CONNECTION_TEST for code in (200, 429, 502)},
        description="Authenticate against the provider now and say how it went, in our words (the provider's "
        "own error text is logged, not returned). 429 with Retry-After: the connection's rate limit is in "
        "use, try again.",
    )
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        outcome = services.connection_test(connection=self.get_object(), acting_user=request.user)
        if outcome.get("retry_after") is not None:
            retry_after = outcome.pop("retry_after")
            return Response(outcome, status=429, headers={"Retry-After": str(max(1, round(retry_after)))})
        outcome.pop("retry_after", None)
        return Response(outcome, status=200 if outcome["ok"] else 502)

    @extend_schema(
        request=SyncRequestSerializer,
        responses={202: SyncRunSerializer},
        description="Queue a sync of this connection (409 while one of the same kind is pending or running).",
    )
    @action(detail=True, methods=["post"])
    def sync(self, request, pk=None):
        connection = self.get_object()
        data = self.input_serializer(
            SyncRequestSerializer, data=request.data, context={"connection": connection}
        )
        data.is_valid(raise_exception=True)
        run = services.sync_run_request(
            connection=connection,
            kind=data.validated_data["kind"],
            full=data.validated_data["full"],
            company=data.validated_data.get("company"),
            trigger=SyncRun.Trigger.API,
            acting_user=request.user,
        )
        transaction.on_commit(lambda: enqueue_sync_run(run.pk))
        return Response(SyncRunSerializer(run).data, status=202)


class SyncRunViewSet(
    StrictInputMixin,
    CustomerScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = SyncRun.objects.select_related("connection")
    serializer_class = SyncRunSerializer
    customer_path = "connection__customer"
    filterset_fields = ["connection", "state", "kind"]


class WebhookEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookEvent
        fields = [
            "id",
            "connection",
            "delivery_key",
            "event_type",
            "object_kind",
            "company_external_id",
            "object_id",
            "occurred_at",
            "state",
            "attempts",
            "next_attempt_at",
            "processed_at",
            "last_error",
            "disagreement",
            "coalesced_into",
            "created_at",
        ]
        read_only_fields = fields


class WebhookEventViewSet(
    StrictInputMixin,
    CustomerScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = WebhookEvent.objects.select_related("connection")
    serializer_class = WebhookEventSerializer
    customer_path = "connection__customer"
    filterset_fields = ["connection", "state", "event_type", "company_external_id", "object_id"]
    permission_classes = [ActionPermission]
    action_permissions = {"replay": ["integrations.change_webhookevent"]}

    @extend_schema(request=None, responses=WebhookEventSerializer, description="Process the event again.")
    @action(detail=True, methods=["post"])
    def replay(self, request, pk=None):
        event = services.webhook_event_replay(event=self.get_object(), acting_user=request.user)
        return Response(WebhookEventSerializer(event).data)


class ApiCallSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiCall
        fields = [
            "id",
            "connection",
            "sync_run",
            "webhook_event",
            "method",
            "uri",
            "status_code",
            "duration_ms",
            "attempt",
            "error",
            "created_at",
        ]
        read_only_fields = fields


class ApiCallViewSet(
    StrictInputMixin,
    CustomerScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = ApiCall.objects.all()
    serializer_class = ApiCallSerializer
    customer_path = "connection__customer"
    filterset_fields = ["connection", "sync_run", "webhook_event", "status_code", "method"]
