"""Reads of the payroll app, scoped to what a user may see, with their joins already done."""

from __future__ import annotations

from django.db.models import F, QuerySet

from apps.companies.selectors import scope_to_user, user_sees_all_customers

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

BATCH_CUSTOMER = "company__company_set__customer"


def batches_for(user) -> QuerySet[PayrollBatch]:
    return scope_to_user(
        PayrollBatch.objects.select_related("company", "voids"), user, BATCH_CUSTOMER
    ).order_by(F("pay_date").desc(nulls_last=True), "-batch_id", "pk")


def status_changes_for(user, *, batch_id: int) -> QuerySet[BatchStatusChange]:
    return scope_to_user(
        BatchStatusChange.objects.filter(batch_id=batch_id), user, f"batch__{BATCH_CUSTOMER}"
    ).order_by("-changed_at", "-id")


def pay_groups_for(user) -> QuerySet[PayGroup]:
    return scope_to_user(PayGroup.objects.select_related("batch"), user, f"batch__{BATCH_CUSTOMER}").order_by(
        "batch", "pay_group_id"
    )


def billing_vouchers_for(user) -> QuerySet[BillingVoucher]:
    return scope_to_user(
        BillingVoucher.objects.select_related("batch"), user, f"batch__{BATCH_CUSTOMER}"
    ).order_by("batch", "voucher_id", "bill_code", "pay_group_code")


def employee_counts_for(user) -> QuerySet[EmployeeCount]:
    """Headcounts of regular completed batches, newest first (active versus paid, for the dashboard)."""
    return scope_to_user(
        EmployeeCount.objects.select_related("batch__company"), user, f"batch__{BATCH_CUSTOMER}"
    ).order_by("-as_of", "batch__company__external_id")


def queue_records_for(user) -> QuerySet[ImportQueueRecord]:
    return scope_to_user(
        ImportQueueRecord.objects.select_related("company", "batch", "connection"),
        user,
        "connection__customer",
    ).order_by("-created_at", "-id")


def notification_rules_for(user) -> QuerySet[NotificationRule]:
    """Rules of the customers the user sees; rules for every customer only for those who see them all."""
    rules = NotificationRule.objects.select_related("customer").prefetch_related("groups")
    if user_sees_all_customers(user):
        return rules.order_by("name", "pk")
    return scope_to_user(rules, user, "customer").order_by("name", "pk")


def notifications_of(user, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's in-app notifications, newest first."""
    if not user or not user.is_authenticated:
        return Notification.objects.none()
    rows = Notification.objects.filter(recipient=user, channel=Notification.Channel.IN_APP).select_related(
        "batch__company"
    )
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return rows.order_by("-created_at", "-id")
