"""The payroll admin: changelists in a flat number of queries, read-only batches, replay action."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from apps.payroll.models import ImportQueueRecord
from tests.payroll.factories import (
    BillingVoucherFactory,
    ImportQueueRecordFactory,
    NotificationRuleFactory,
    PayGroupFactory,
    PayrollBatchFactory,
    PrismConnectionFactory,
)

pytestmark = pytest.mark.django_db

MODELS = [
    "payrollbatch",
    "billingvoucher",
    "paygroup",
    "employeecount",
    "importqueuerecord",
    "notificationrule",
    "notification",
    "payrollsettings",
]


@pytest.fixture
def signed_in(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def rows(customer, company):
    conn = PrismConnectionFactory(customer=customer)
    for n in range(12):
        batch = PayrollBatchFactory(company=company, batch_id=f"4{n:04d}")
        group = PayGroupFactory(batch=batch)
        BillingVoucherFactory(batch=batch, pay_group=group)
        ImportQueueRecordFactory(connection=conn, company=company, batch=batch, batch_number=batch.batch_id)
        NotificationRuleFactory(customer=customer)
    return conn


@pytest.mark.parametrize("model", MODELS)
def test_changelists_take_a_flat_number_of_queries(signed_in, rows, model, django_assert_max_num_queries):
    with django_assert_max_num_queries(14):
        response = signed_in.get(reverse(f"admin:payroll_{model}_changelist"))
    assert response.status_code == 200


def test_a_batch_page_shows_its_history_pay_groups_and_queue_and_edits_nothing(signed_in, rows):
    from apps.payroll.models import PayrollBatch

    batch = PayrollBatch.objects.first()
    response = signed_in.get(reverse("admin:payroll_payrollbatch_change", args=[batch.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Status history" in body and batch.batch_id in body and "voucher line(s)" in body
    assert 'name="_save"' not in body


def test_the_replay_action_puts_records_back_to_pending(signed_in, rows):
    ImportQueueRecord.objects.update(state="completed", message="done")
    ids = list(ImportQueueRecord.objects.values_list("pk", flat=True)[:2])
    response = signed_in.post(
        reverse("admin:payroll_importqueuerecord_changelist"),
        {"action": "replay", "_selected_action": ids},
        follow=True,
    )
    assert response.status_code == 200
    assert "2 queue record(s) replayed" in response.content.decode()


def test_a_consultant_sees_batches_but_has_no_replay_action(consultant, rows):
    client = Client()
    client.force_login(consultant)
    assert client.get(reverse("admin:payroll_payrollbatch_changelist")).status_code == 200
    response = client.get(reverse("admin:payroll_importqueuerecord_changelist"))
    assert response.status_code == 200 and "Replay" not in response.content.decode()


def test_the_notifications_page_lists_the_users_notices_and_marks_them_read(consultant, rows):
    from django.utils import timezone

    from apps.payroll.models import BatchStatusChange, Notification, PayrollBatch

    batch = PayrollBatch.objects.first()
    change = BatchStatusChange.objects.create(
        batch=batch, to_code="AP.FAIL", to_status="rejected", changed_at=timezone.now(), source="ongoing"
    )
    Notification.objects.create(
        batch=batch,
        status_change=change,
        channel="in_app",
        recipient=consultant,
        subject="Batch rejected by client",
        body="b",
    )
    client = Client()
    client.force_login(consultant)
    page = client.get(reverse("payroll:notifications"))
    assert page.status_code == 200 and "Batch rejected by client" in page.content.decode()
    client.post(reverse("payroll:notifications"))
    assert Notification.objects.get().read_at is not None
