"""The sandbox's control API under ``/sandbox/api/``: read the emulated data, drive the controls.

Token or session auth, role model permissions (the Admins role has every sandbox permission; the other roles
have none). Each control is a POST action that calls one service and answers with the changed row.
"""

from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.api import ActionPermission, StrictInputMixin

from . import selectors, services
from .models import (
    FaultMode,
    SandboxBatch,
    SandboxCompany,
    SandboxEmployee,
    SandboxWebhookDelivery,
    StatusType,
)

# --- output ---------------------------------------------------------------------------------------------


class SandboxCompanySerializer(serializers.ModelSerializer):
    fault_mode = serializers.CharField(read_only=True)

    class Meta:
        model = SandboxCompany
        fields = [
            "id",
            "provider",
            "external_id",
            "name",
            "company_set",
            "fault_mode",
            "fault_remaining",
            "fault_delay_seconds",
            "fault_retry_after",
            "rate_limit",
            "rate_window_seconds",
            "request_count",
            "rate_limited_count",
            "webhooks_enabled",
            "webhook_url",
            "webhook_auth",
        ]
        read_only_fields = fields


class SandboxEmployeeSerializer(serializers.ModelSerializer):
    company_external_id = serializers.CharField(source="company.external_id", read_only=True)
    status_type = serializers.CharField(read_only=True, help_text="The provider's type: A, L or T.")

    class Meta:
        model = SandboxEmployee
        fields = [
            "id",
            "company",
            "company_external_id",
            "employee_id",
            "first_name",
            "last_name",
            "work_email",
            "employment_type",
            "full_time",
            "benefit_class",
            "pay_group",
            "status_code",
            "status_type",
            "status_effective_date",
            "change_reason",
            "hire_date",
            "rehire_date",
            "termination_date",
        ]
        read_only_fields = fields


class SandboxDeliverySerializer(serializers.ModelSerializer):
    state = serializers.CharField(read_only=True, help_text="pending, delivered, failed or skipped.")

    class Meta:
        model = SandboxWebhookDelivery
        fields = [
            "id",
            "company",
            "employee",
            "batch",
            "event_type",
            "method",
            "url",
            "payload",
            "state",
            "status_code",
            "error",
            "attempts",
            "sent_at",
            "created_at",
        ]
        read_only_fields = fields


class SandboxBatchSerializer(serializers.ModelSerializer):
    company_external_id = serializers.CharField(source="company.external_id", read_only=True)
    voids_batch_id = serializers.CharField(
        source="voids.batch_id", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = SandboxBatch
        fields = [
            "id",
            "company",
            "company_external_id",
            "batch_id",
            "description",
            "batch_type",
            "status",
            "pay_date",
            "period_start",
            "period_end",
            "post_date",
            "pay_groups",
            "billing_totals",
            "has_billing_totals",
            "voids_batch_id",
            "deleted",
            "scenario",
        ]
        read_only_fields = fields


# --- input ----------------------------------------------------------------------------------------------


class SandboxFaultInput(serializers.Serializer):
    mode = serializers.ChoiceField(choices=FaultMode.choices)
    remaining = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    delay_seconds = serializers.FloatField(min_value=0, required=False, allow_null=True, default=None)
    retry_after = serializers.IntegerField(min_value=0, required=False, allow_null=True, default=None)


class SandboxRateLimitInput(serializers.Serializer):
    limit = serializers.IntegerField(min_value=0, help_text="Requests per window; 0 lifts the limit.")
    window_seconds = serializers.IntegerField(min_value=1, default=1)


class SandboxHireInput(serializers.Serializer):
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    employee_id = serializers.CharField(max_length=64, required=False, default="")
    national_id = serializers.CharField(max_length=20, required=False, default="")
    birth_date = serializers.DateField(required=False, allow_null=True, default=None)
    work_email = serializers.EmailField(required=False, default="")
    employment_type = serializers.CharField(max_length=20, required=False, default="RFT")
    benefit_class = serializers.CharField(max_length=60, required=False, default="")
    pay_group = serializers.CharField(max_length=60, required=False, default="")
    effective_date = serializers.DateField(required=False, allow_null=True, default=None)


class SandboxDatedInput(serializers.Serializer):
    effective_date = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Past: back-dated; future: future-dated."
    )
    reason = serializers.CharField(max_length=200, required=False)


class SandboxCodeInput(SandboxDatedInput):
    code = serializers.CharField(max_length=20, required=False)


class SandboxStatusInput(SandboxDatedInput):
    code = serializers.CharField(max_length=20)
    status_type = serializers.CharField(
        max_length=1,
        required=False,
        allow_null=True,
        default=None,
        help_text="A, L or T; only for a new custom code.",
    )

    def validate_status_type(self, value):
        if value not in (None, "", *StatusType.values):
            raise serializers.ValidationError("Use A, L or T.")
        return value or None


class SandboxTransferInput(SandboxDatedInput):
    to_company = serializers.PrimaryKeyRelatedField(queryset=SandboxCompany.objects.all())
    new_employee_id = serializers.CharField(
        max_length=64, required=False, default="", help_text="Empty: keep the ID."
    )


class SandboxUpdateInput(serializers.Serializer):
    first_name = serializers.CharField(max_length=100, required=False)
    last_name = serializers.CharField(max_length=100, required=False)
    work_email = serializers.EmailField(required=False)
    employment_type = serializers.CharField(max_length=20, required=False)
    benefit_class = serializers.CharField(max_length=60, required=False)
    pay_group = serializers.CharField(max_length=60, required=False)


class SandboxBatchCreateInput(serializers.Serializer):
    company = serializers.PrimaryKeyRelatedField(queryset=SandboxCompany.objects.all())
    batch_id = serializers.CharField(max_length=30, required=False, default="")
    batch_type = serializers.ChoiceField(choices=SandboxBatch.BatchType.choices, default="R")
    status = serializers.CharField(max_length=20, required=False, default="TS.READY")
    pay_date = serializers.DateField(required=False, allow_null=True, default=None)
    period_start = serializers.DateField(required=False, allow_null=True, default=None)
    period_end = serializers.DateField(required=False, allow_null=True, default=None)
    pay_groups = serializers.ListField(
        child=serializers.CharField(max_length=60), required=False, default=list
    )
    has_billing_totals = serializers.BooleanField(default=True)
    vouchers = serializers.IntegerField(min_value=0, max_value=100_000, default=0)
    employee_count = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)


class SandboxBatchStatusInput(serializers.Serializer):
    status = serializers.CharField(max_length=20, help_text="Any code; unknown codes are kept verbatim.")


class SandboxVoidInput(serializers.Serializer):
    batch_id = serializers.CharField(max_length=30, required=False, default="")
    pay_date = serializers.DateField(required=False, allow_null=True, default=None)


def _parse(serializer_class, request) -> dict:
    view = request.parser_context["view"]
    serializer = view.input_serializer(serializer_class, data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# --- viewsets -------------------------------------------------------------------------------------------

CHANGE_COMPANY = ["sandbox.change_sandboxcompany"]
CHANGE_EMPLOYEE = ["sandbox.change_sandboxemployee"]
ADD_EMPLOYEE = ["sandbox.add_sandboxemployee"]
CHANGE_BATCH = ["sandbox.change_sandboxbatch"]
CHANGE_DELIVERY = ["sandbox.change_sandboxwebhookdelivery"]


class CompanyViewSet(
    StrictInputMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Emulated provider companies; fault mode, rate limit and webhook check controls."""

    serializer_class = SandboxCompanySerializer
    filterset_fields = ["provider", "external_id"]
    action_permissions = {
        "fault": CHANGE_COMPANY,
        "rate_limit": CHANGE_COMPANY,
        "reset_counters": CHANGE_COMPANY,
        "validate_webhook": CHANGE_COMPANY,
        "hire": ADD_EMPLOYEE,
    }

    def get_queryset(self):
        return selectors.companies_list()

    @extend_schema(request=SandboxFaultInput, responses=SandboxCompanySerializer)
    @action(detail=True, methods=["post"], permission_classes=[ActionPermission])
    def fault(self, request, pk=None):
        company = services.company_fault_set(
            company=self.get_object(), acting_user=request.user, **_parse(SandboxFaultInput, request)
        )
        return Response(SandboxCompanySerializer(company).data)

    @extend_schema(request=SandboxRateLimitInput, responses=SandboxCompanySerializer)
    @action(detail=True, methods=["post"], url_path="rate-limit", permission_classes=[ActionPermission])
    def rate_limit(self, request, pk=None):
        company = services.company_rate_limit_set(
            company=self.get_object(), acting_user=request.user, **_parse(SandboxRateLimitInput, request)
        )
        return Response(SandboxCompanySerializer(company).data)

    @extend_schema(request=None, responses=SandboxCompanySerializer)
    @action(detail=True, methods=["post"], url_path="reset-counters", permission_classes=[ActionPermission])
    def reset_counters(self, request, pk=None):
        company = services.company_counters_reset(company=self.get_object(), acting_user=request.user)
        return Response(SandboxCompanySerializer(company).data)

    @extend_schema(request=None, responses=SandboxDeliverySerializer)
    @action(detail=True, methods=["post"], url_path="validate-webhook", permission_classes=[ActionPermission])
    def validate_webhook(self, request, pk=None):
        delivery = services.company_webhook_validate(company=self.get_object(), acting_user=request.user)
        return Response(SandboxDeliverySerializer(delivery).data)

    @extend_schema(request=SandboxHireInput, responses={201: SandboxEmployeeSerializer})
    @action(detail=True, methods=["post"], permission_classes=[ActionPermission])
    def hire(self, request, pk=None):
        employee = services.employee_hire(
            company=self.get_object(), acting_user=request.user, **_parse(SandboxHireInput, request)
        )
        return Response(SandboxEmployeeSerializer(employee).data, status=status.HTTP_201_CREATED)


class SandboxEmployeeFilter(filters.FilterSet):
    company_external_id = filters.CharFilter(field_name="company__external_id")
    status_type = filters.CharFilter(help_text="A, L or T.")

    class Meta:
        model = SandboxEmployee
        fields = ["company", "employee_id", "status_code", "status_type"]


class EmployeeViewSet(
    StrictInputMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Sandbox employees and the controls that change them (each sends the provider's webhook)."""

    serializer_class = SandboxEmployeeSerializer
    filterset_class = SandboxEmployeeFilter
    action_permissions = {
        name: CHANGE_EMPLOYEE
        for name in ("terminate", "leave", "return_", "rehire", "status", "transfer", "update_fields")
    }

    def get_queryset(self):
        return selectors.employees_list()

    def _dated(self, request, service, serializer_class=SandboxDatedInput, **defaults):
        data = {**defaults, **_parse(serializer_class, request)}
        employee = service(employee=self.get_object(), acting_user=request.user, **data)
        return Response(SandboxEmployeeSerializer(employee).data)

    @extend_schema(request=SandboxCodeInput, responses=SandboxEmployeeSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ActionPermission])
    def terminate(self, request, pk=None):
        return self._dated(request, services.employee_terminate, SandboxCodeInput)

    @extend_schema(request=SandboxCodeInput, responses=SandboxEmployeeSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ActionPermission])
    def leave(self, request, pk=None):
        return self._dated(request, services.employee_leave, SandboxCodeInput)

    @extend_schema(request=SandboxDatedInput, responses=SandboxEmployeeSerializer)
    @action(detail=True, methods=["post"], url_path="return", permission_classes=[ActionPermission])
    def return_(self, request, pk=None):
        return self._dated(request, services.employee_return)

    @extend_schema(request=SandboxDatedInput, responses=SandboxEmployeeSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ActionPermission])
    def rehire(self, request, pk=None):
        return self._dated(request, services.employee_rehire)

    @extend_schema(request=SandboxStatusInput, responses=SandboxEmployeeSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ActionPermission])
    def status(self, request, pk=None):
        """Set any code (custom codes too) on any date: the back-dated / future-dated control."""
        return self._dated(request, services.employee_status_set, SandboxStatusInput)

    @extend_schema(request=SandboxTransferInput, responses=SandboxEmployeeSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ActionPermission])
    def transfer(self, request, pk=None):
        """Transfer to another company of the set; answers with the record in the target company."""
        return self._dated(request, services.employee_transfer, SandboxTransferInput)

    @extend_schema(request=SandboxUpdateInput, responses=SandboxEmployeeSerializer)
    @action(detail=True, methods=["post"], url_path="update", permission_classes=[ActionPermission])
    def update_fields(self, request, pk=None):
        employee = services.employee_update(
            employee=self.get_object(), acting_user=request.user, **_parse(SandboxUpdateInput, request)
        )
        return Response(SandboxEmployeeSerializer(employee).data)


class SandboxDeliveryFilter(filters.FilterSet):
    state = filters.CharFilter(help_text="pending, delivered, failed or skipped.")

    class Meta:
        model = SandboxWebhookDelivery
        fields = ["company", "employee", "batch", "state", "event_type"]


class DeliveryViewSet(
    StrictInputMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Every webhook the sandbox sent, with what came back."""

    serializer_class = SandboxDeliverySerializer
    filterset_class = SandboxDeliveryFilter
    action_permissions = {"resend": CHANGE_DELIVERY}

    def get_queryset(self):
        return selectors.deliveries_list()

    @extend_schema(request=None, responses=SandboxDeliverySerializer)
    @action(detail=True, methods=["post"], permission_classes=[ActionPermission])
    def resend(self, request, pk=None):
        delivery = services.webhook_delivery_resend(delivery=self.get_object(), acting_user=request.user)
        return Response(SandboxDeliverySerializer(delivery).data)


class BatchViewSet(
    StrictInputMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """PrismHR payroll batches of the sandbox and the controls that move them (each emits a PrismHR event)."""

    serializer_class = SandboxBatchSerializer
    filterset_fields = ["company", "batch_id", "status", "deleted", "scenario"]
    action_permissions = {name: CHANGE_BATCH for name in ("advance", "set_status", "delete_batch", "void")}

    def get_queryset(self):
        return selectors.batches_list()

    @extend_schema(request=SandboxBatchCreateInput, responses={201: SandboxBatchSerializer})
    def create(self, request, *args, **kwargs):
        data = _parse(SandboxBatchCreateInput, request)
        vouchers, employee_count = data.pop("vouchers"), data.pop("employee_count")
        batch = services.batch_create(acting_user=request.user, **data)
        if vouchers:
            services.batch_vouchers_generate(batch=batch, count=vouchers, employee_count=employee_count)
        return Response(SandboxBatchSerializer(batch).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=SandboxBatchSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ActionPermission])
    def advance(self, request, pk=None):
        batch = services.batch_advance(batch=self.get_object(), acting_user=request.user)
        return Response(SandboxBatchSerializer(batch).data)

    @extend_schema(request=SandboxBatchStatusInput, responses=SandboxBatchSerializer)
    @action(detail=True, methods=["post"], url_path="status", permission_classes=[ActionPermission])
    def set_status(self, request, pk=None):
        batch = services.batch_status_set(
            batch=self.get_object(), acting_user=request.user, **_parse(SandboxBatchStatusInput, request)
        )
        return Response(SandboxBatchSerializer(batch).data)

    @extend_schema(request=None, responses=SandboxBatchSerializer)
    @action(detail=True, methods=["post"], url_path="delete", permission_classes=[ActionPermission])
    def delete_batch(self, request, pk=None):
        batch = services.batch_delete(batch=self.get_object(), acting_user=request.user)
        return Response(SandboxBatchSerializer(batch).data)

    @extend_schema(request=SandboxVoidInput, responses={201: SandboxBatchSerializer})
    @action(detail=True, methods=["post"], permission_classes=[ActionPermission])
    def void(self, request, pk=None):
        """Void the batch: answers with the new void batch."""
        void = services.batch_void(
            batch=self.get_object(), acting_user=request.user, **_parse(SandboxVoidInput, request)
        )
        return Response(SandboxBatchSerializer(void).data, status=status.HTTP_201_CREATED)
