"""Admin for payroll batches (status history, pay groups, counts, queue), vouchers, the import queue (with
replay), notification rules, notifications and per-connection payroll settings.

Status fields are never edited by hand: a batch changes through the import processes (services), and the
admin's actions call services too.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from apps.companies.scoping import CustomerScopedAdmin
from apps.core.admin import ReadOnlyInline
from apps.core.errors import ApplicationError

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
    PayrollSettings,
)

BATCH_CUSTOMER = "company__company_set__customer"


class ReadOnlyAdmin(CustomerScopedAdmin):
    """Rows the import processes write: shown, filtered, never edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class StatusChangeInline(ReadOnlyInline):
    model = BatchStatusChange
    fields = ("changed_at", "from_code", "from_status", "to_code", "to_status", "source", "queue_record")
    readonly_fields = fields
    show_change_link = False
    verbose_name_plural = "Status history (newest first)"


class PayGroupInline(ReadOnlyInline):
    model = PayGroup
    fields = ("pay_group_id", "description", "employee_count", "total_amount", "cost_per_employee", "active")
    readonly_fields = fields
    show_change_link = False


class EmployeeCountInline(ReadOnlyInline):
    model = EmployeeCount
    fields = (
        "as_of",
        "full_time_active",
        "part_time_active",
        "full_time_terminated",
        "part_time_terminated",
        "full_time_leave",
        "part_time_leave",
        "paid_employees",
    )
    readonly_fields = fields
    show_change_link = False


class QueueRecordInline(ReadOnlyInline):
    model = ImportQueueRecord
    fk_name = "batch"
    fields = ("created_at", "source", "event", "state", "message", "attempts")
    readonly_fields = fields
    ordering = ("-created_at",)


@admin.register(PayrollBatch)
class PayrollBatchAdmin(ReadOnlyAdmin):
    customer_path = BATCH_CUSTOMER
    list_display = (
        "batch_id",
        "company",
        "pay_date",
        "batch_type",
        "status_code",
        "status",
        "sync_with_provider",
        "import_state",
        "active",
        "voucher_count",
    )
    list_filter = ("import_state", "active", "sync_with_provider", "batch_type", "status_code")
    search_fields = ("batch_id", "company__external_id", "company__name", "description")
    list_select_related = ("company",)
    readonly_fields = (
        "company",
        "connection",
        "batch_id",
        "description",
        "batch_type",
        "pay_date",
        "period_start",
        "period_end",
        "status_code",
        "status",
        "status_changed_at",
        "sync_with_provider",
        "active",
        "import_state",
        "import_message",
        "imported_at",
        "voids",
        "voucher_count",
        "total_amount",
        "vouchers_link",
    )
    inlines = (StatusChangeInline, PayGroupInline, EmployeeCountInline, QueueRecordInline)
    actions = ("request_sync",)

    def has_change_permission(self, request, obj=None):
        # The change page is read-only (every field is); viewing it needs only the view permission.
        return False

    @admin.display(description="Billing vouchers")
    def vouchers_link(self, obj):
        url = reverse("admin:payroll_billingvoucher_changelist") + f"?batch__id__exact={obj.pk}"
        return format_html('<a href="{}">{} voucher line(s)</a>', url, obj.billing_vouchers.count())

    @admin.action(description="Flag for the next Sync again", permissions=["sync"])
    def request_sync(self, request, queryset):
        for batch in queryset:
            services.batch_sync_request(batch=batch, acting_user=request.user)
        self.message_user(request, f"{queryset.count()} batch(es) flagged for the next Sync.")

    def has_sync_permission(self, request):
        return request.user.has_perm("payroll.change_payrollbatch")


@admin.register(BillingVoucher)
class BillingVoucherAdmin(ReadOnlyAdmin):
    customer_path = f"batch__{BATCH_CUSTOMER}"
    list_display = (
        "voucher_id",
        "batch",
        "employee_number",
        "pay_group_code",
        "bill_code",
        "amount",
        "pay_date",
        "active",
    )
    list_filter = ("active", "bill_code")
    search_fields = ("voucher_id", "employee_number", "batch__batch_id", "bill_code")
    list_select_related = ("batch__company",)
    autocomplete_fields = ("batch",)
    show_full_result_count = False


@admin.register(PayGroup)
class PayGroupAdmin(ReadOnlyAdmin):
    customer_path = f"batch__{BATCH_CUSTOMER}"
    list_display = (
        "pay_group_id",
        "batch",
        "description",
        "employee_count",
        "total_amount",
        "cost_per_employee",
        "active",
    )
    list_filter = ("active",)
    search_fields = ("pay_group_id", "batch__batch_id", "description")
    list_select_related = ("batch__company",)
    autocomplete_fields = ("batch",)


@admin.register(EmployeeCount)
class EmployeeCountAdmin(ReadOnlyAdmin):
    customer_path = f"batch__{BATCH_CUSTOMER}"
    list_display = (
        "batch",
        "as_of",
        "full_time_active",
        "part_time_active",
        "full_time_terminated",
        "part_time_terminated",
        "full_time_leave",
        "part_time_leave",
        "active_employees",
        "paid_employees",
    )
    list_filter = ("as_of",)
    search_fields = ("batch__batch_id", "batch__company__external_id")
    list_select_related = ("batch__company",)
    autocomplete_fields = ("batch",)

    @admin.display(description="Active")
    def active_employees(self, obj):
        return obj.active_employees


@admin.register(ImportQueueRecord)
class ImportQueueRecordAdmin(ReadOnlyAdmin):
    customer_path = "connection__customer"
    list_display = (
        "id",
        "client_number",
        "batch_number",
        "source",
        "event",
        "state",
        "message",
        "attempts",
        "created_at",
    )
    list_filter = ("state", "source", "event")
    search_fields = ("client_number", "batch_number", "message")
    list_select_related = ("connection", "company", "batch")
    autocomplete_fields = ("batch", "company")
    readonly_fields = (
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
    )
    actions = ("replay",)

    @admin.action(description="Replay (process again from the start)", permissions=["replay"])
    def replay(self, request, queryset):
        done = 0
        for record in queryset:
            try:
                services.queue_record_replay(record=record, acting_user=request.user)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"Record {record.pk}: {exc.message}", messages.WARNING)
        self.message_user(request, f"{done} queue record(s) replayed.")

    def has_replay_permission(self, request):
        return request.user.has_perm("payroll.change_importqueuerecord")


@admin.register(NotificationRule)
class NotificationRuleAdmin(CustomerScopedAdmin):
    list_display = ("name", "customer", "codes", "in_app", "email", "active")
    list_filter = ("active", "in_app", "email")
    search_fields = ("name", "customer__name", "email_addresses")
    list_select_related = ("customer",)
    autocomplete_fields = ("customer",)
    filter_horizontal = ("groups",)

    @admin.display(description="Status codes")
    def codes(self, obj):
        return ", ".join(obj.status_codes) or "every change"

    def get_queryset(self, request):
        return selectors.notification_rules_for(request.user)

    def save_model(self, request, obj, form, change):
        values = {
            name: form.cleaned_data[name]
            for name in services.notifications.RULE_FIELDS
            if name in form.cleaned_data
        }
        saved = services.notification_rule_save(
            rule=obj if change else None, acting_user=request.user, **values
        )
        obj.pk = saved.pk

    def save_related(self, request, form, formsets, change):
        form.instance = NotificationRule.objects.get(pk=form.instance.pk)
        super().save_related(request, form, formsets, change)

    def delete_model(self, request, obj):
        services.notification_rule_delete(rule=obj, acting_user=request.user)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    customer_path = f"batch__{BATCH_CUSTOMER}"
    list_display = (
        "subject",
        "channel",
        "recipient",
        "email_address",
        "created_at",
        "read_at",
        "sent_at",
        "error",
    )
    list_filter = ("channel",)
    search_fields = ("subject", "email_address", "recipient__username")
    list_select_related = ("recipient", "batch")
    autocomplete_fields = ("batch",)


@admin.register(PayrollSettings)
class PayrollSettingsAdmin(CustomerScopedAdmin):
    customer_path = "connection__customer"
    list_display = (
        "connection",
        "ongoing_enabled",
        "ongoing_interval_minutes",
        "ongoing_batch_limit",
        "sync_enabled",
        "sync_weekdays",
        "sync_hour",
    )
    list_filter = ("ongoing_enabled", "sync_enabled")
    search_fields = ("connection__name", "connection__slug")
    list_select_related = ("connection",)
    autocomplete_fields = ("connection",)

    def save_model(self, request, obj, form, change):
        values = {k: v for k, v in form.cleaned_data.items() if k != "connection"}
        saved = services.payroll_settings_set(
            connection=form.cleaned_data["connection"], acting_user=request.user, **values
        )
        obj.pk = saved.pk
