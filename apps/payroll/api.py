"""REST API of payroll batches: batches (with status history), pay groups, billing vouchers, employee
counts, the import queue (with replay), notification rules and the user's notifications."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.companies.selectors import customers_visible_to, user_sees_all_customers
from apps.core.api import ActionPermission, StrictInputMixin

from . import selectors, services
from .models import (
    BatchStatusChange,
    BillingVoucher,
    EmployeeCount,
    ImportQueueRecord,
    Notification,
    NotificationRule,
    PayGroup,
    PayrollBatch,
)

# --- batches ----------------------------------------------------------------------------------------------


class PayrollBatchSerializer(serializers.ModelSerializer):
    company_external_id = serializers.CharField(source="company.external_id", read_only=True)
    voids_batch_id = serializers.CharField(
        source="voids.batch_id", read_only=True, default=None, allow_null=True
    )
    status_known = serializers.BooleanField(read_only=True)

    class Meta:
        model = PayrollBatch
        fields = [
            "id",
            "company",
            "company_external_id",
            "batch_id",
            "description",
            "pay_date",
            "period_start",
            "period_end",
            "batch_type",
            "status_code",
            "status",
            "status_known",
            "status_changed_at",
            "sync_with_provider",
            "active",
            "import_state",
            "import_message",
            "imported_at",
            "voids",
            "voids_batch_id",
            "voucher_count",
            "total_amount",
        ]
        read_only_fields = fields


class BatchStatusChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = BatchStatusChange
        fields = [
            "id",
            "from_code",
            "from_status",
            "to_code",
            "to_status",
            "changed_at",
            "source",
            "queue_record",
        ]
        read_only_fields = fields


class PayrollBatchFilter(django_filters.FilterSet):
    company_external_id = django_filters.CharFilter(field_name="company__external_id")

    class Meta:
        model = PayrollBatch
        fields = [
            "company",
            "company_external_id",
            "batch_id",
            "status_code",
            "active",
            "import_state",
            "batch_type",
        ]


class PayrollBatchViewSet(
    StrictInputMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = PayrollBatch.objects.none()
    serializer_class = PayrollBatchSerializer
    filterset_class = PayrollBatchFilter
    permission_classes = [ActionPermission]
    action_permissions = {
        "status_changes": ["payroll.view_payrollbatch", "payroll.view_batchstatuschange"],
        "sync": ["payroll.change_payrollbatch"],
    }

    def get_queryset(self):
        return selectors.batches_for(self.request.user)

    @extend_schema(responses=BatchStatusChangeSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="status-changes")
    def status_changes(self, request, pk=None):
        """The batch's status history, newest first."""
        batch = self.get_object()
        page = self.paginate_queryset(selectors.status_changes_for(request.user, batch_id=batch.pk))
        return self.get_paginated_response(BatchStatusChangeSerializer(page, many=True).data)

    @extend_schema(request=None, responses=PayrollBatchSerializer)
    @action(detail=True, methods=["post"])
    def sync(self, request, pk=None):
        """Flag the batch for the next Sync again (after a fix in the provider)."""
        batch = services.batch_sync_request(batch=self.get_object(), acting_user=request.user)
        return Response(PayrollBatchSerializer(batch).data)


# --- per batch ----------------------------------------------------------------------------------------------


class PayGroupSerializer(serializers.ModelSerializer):
    class Meta:
        model = PayGroup
        fields = [
            "id",
            "batch",
            "pay_group_id",
            "description",
            "period_start",
            "period_end",
            "employee_count",
            "total_amount",
            "cost_per_employee",
            "active",
        ]
        read_only_fields = fields


class PayGroupViewSet(
    StrictInputMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = PayGroup.objects.none()
    serializer_class = PayGroupSerializer
    filterset_fields = ["batch", "pay_group_id", "active"]

    def get_queryset(self):
        return selectors.pay_groups_for(self.request.user)


class BillingVoucherSerializer(serializers.ModelSerializer):
    class Meta:
        model = BillingVoucher
        fields = [
            "id",
            "batch",
            "voucher_id",
            "employee_number",
            "employee",
            "pay_group",
            "pay_group_code",
            "bill_code",
            "description",
            "amount",
            "pay_date",
            "void_date",
            "voids_voucher_id",
            "active",
        ]
        read_only_fields = fields


class BillingVoucherViewSet(
    StrictInputMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = BillingVoucher.objects.none()
    serializer_class = BillingVoucherSerializer
    filterset_fields = ["batch", "employee_number", "bill_code", "pay_group_code", "active"]

    def get_queryset(self):
        return selectors.billing_vouchers_for(self.request.user)


class EmployeeCountSerializer(serializers.ModelSerializer):
    company_external_id = serializers.CharField(source="batch.company.external_id", read_only=True)
    batch_id = serializers.CharField(source="batch.batch_id", read_only=True)
    active_employees = serializers.IntegerField(read_only=True)

    class Meta:
        model = EmployeeCount
        fields = [
            "id",
            "batch",
            "batch_id",
            "company_external_id",
            "as_of",
            "full_time_active",
            "part_time_active",
            "full_time_terminated",
            "part_time_terminated",
            "full_time_leave",
            "part_time_leave",
            "active_employees",
            "paid_employees",
        ]
        read_only_fields = fields


class EmployeeCountFilter(django_filters.FilterSet):
    company_external_id = django_filters.CharFilter(field_name="batch__company__external_id")

    class Meta:
        model = EmployeeCount
        fields = ["batch", "company_external_id"]


class EmployeeCountViewSet(
    StrictInputMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = EmployeeCount.objects.none()
    serializer_class = EmployeeCountSerializer
    filterset_class = EmployeeCountFilter

    def get_queryset(self):
        return selectors.employee_counts_for(self.request.user)


# --- import queue -------------------------------------------------------------------------------------------


class ImportQueueRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImportQueueRecord
        fields = [
            "id",
            "connection",
            "company",
            "client_number",
            "batch_number",
            "batch",
            "source",
            "event",
            "state",
            "message",
            "log",
            "attempts",
            "processed_at",
            "sync_run",
            "webhook_event",
            "created_at",
        ]
        read_only_fields = fields


class ImportQueueRecordViewSet(
    StrictInputMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = ImportQueueRecord.objects.none()
    serializer_class = ImportQueueRecordSerializer
    filterset_fields = ["batch", "connection", "client_number", "batch_number", "source", "event", "state"]
    permission_classes = [ActionPermission]
    action_permissions = {"replay": ["payroll.change_importqueuerecord"]}

    def get_queryset(self):
        return selectors.queue_records_for(self.request.user)

    @extend_schema(request=None, responses=ImportQueueRecordSerializer)
    @action(detail=True, methods=["post"])
    def replay(self, request, pk=None):
        """Process the record again from the start (it is put back to pending and queued)."""
        record = services.queue_record_replay(record=self.get_object(), acting_user=request.user)
        record.refresh_from_db()
        return Response(ImportQueueRecordSerializer(record).data)


# --- notifications ------------------------------------------------------------------------------------------


class NotificationRuleSerializer(serializers.ModelSerializer):
    status_codes = serializers.ListField(child=serializers.CharField(max_length=30), required=False)

    class Meta:
        model = NotificationRule
        fields = [
            "id",
            "customer",
            "name",
            "status_codes",
            "groups",
            "email_addresses",
            "in_app",
            "email",
            "active",
        ]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            fields["customer"].queryset = customers_visible_to(request.user)
        return fields

    def validate(self, attrs):
        request = self.context.get("request")
        customer = attrs.get("customer", getattr(self.instance, "customer", None))
        if customer is None and request is not None and not user_sees_all_customers(request.user):
            raise serializers.ValidationError({"customer": "Choose one of your customers."})
        return attrs


class NotificationRuleViewSet(StrictInputMixin, viewsets.ModelViewSet):
    queryset = NotificationRule.objects.none()
    serializer_class = NotificationRuleSerializer
    filterset_fields = ["customer", "active"]

    def get_queryset(self):
        return selectors.notification_rules_for(self.request.user)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        groups = data.pop("groups", None)
        serializer.instance = services.notification_rule_save(
            groups=groups, acting_user=self.request.user, **data
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        groups = data.pop("groups", None)
        serializer.instance = services.notification_rule_save(
            rule=serializer.instance, groups=groups, acting_user=self.request.user, **data
        )

    def perform_destroy(self, instance):
        services.notification_rule_delete(rule=instance, acting_user=self.request.user)


class NotificationSerializer(serializers.ModelSerializer):
    batch_id = serializers.CharField(source="batch.batch_id", read_only=True)
    company_external_id = serializers.CharField(source="batch.company.external_id", read_only=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "batch",
            "batch_id",
            "company_external_id",
            "subject",
            "body",
            "created_at",
            "read_at",
        ]
        read_only_fields = fields


class NotificationViewSet(
    StrictInputMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The signed-in user's in-app notifications of batch status changes."""

    queryset = Notification.objects.none()
    serializer_class = NotificationSerializer
    permission_classes = [ActionPermission]
    action_permissions = {"read": ["payroll.view_notification"]}
    extra_query_params = ("unread",)

    def get_queryset(self):
        unread = self.request.query_params.get("unread") in ("1", "true", "yes")
        return selectors.notifications_of(self.request.user, unread_only=unread)

    @extend_schema(
        request=inline_serializer(
            "NotificationReadInput",
            {"ids": serializers.ListField(child=serializers.IntegerField(), required=False)},
        ),
        responses=inline_serializer("NotificationReadOutput", {"marked": serializers.IntegerField()}),
    )
    @action(detail=False, methods=["post"])
    def read(self, request):
        """Mark notifications read: the given ``ids``, or every unread one."""
        self.check_body_keys(request.data, writable={"ids"})
        ids = request.data.get("ids") if isinstance(request.data, dict) else None
        if ids is not None and (not isinstance(ids, list) or not all(isinstance(i, int) for i in ids)):
            raise serializers.ValidationError({"ids": "A list of notification IDs."})
        return Response({"marked": services.notifications_mark_read(user=request.user, ids=ids)})
