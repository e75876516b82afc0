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
    # given twelve batches with their pay groups, vouchers, queue records and rules, and an admin signed in
    # when the model's changelist is opened
    with django_assert_max_num_queries(14):
        response = signed_in.get(reverse(f"admin:payroll_{model}_changelist"))
    # then it loads within a fixed number of queries
    assert response.status_code == 200


def test_a_batch_page_shows_its_history_pay_groups_and_queue_and_edits_nothing(signed_in, rows):
    from apps.payroll.models import PayrollBatch

    # given a batch with its pay group, voucher and queue record
    batch = PayrollBatch.objects.first()
    # when the admin opens the batch page
    response = signed_in.get(reverse("admin:payroll_payrollbatch_change", args=[batch.pk]))
    # then it shows the status history, the batch and its voucher lines, and offers no save
    assert response.status_code == 200
    body = response.content.decode()
    assert "Status history" in body and batch.batch_id in body and "voucher line(s)" in body
    assert 'name="_save"' not in body


def test_the_replay_action_puts_records_back_to_pending(signed_in, rows):
    # given completed queue records
    ImportQueueRecord.objects.update(state="completed", message="done")
    # when the admin replays two of them
    ids = list(ImportQueueRecord.objects.values_list("pk", flat=True)[:2])
    response = signed_in.post(
        reverse("admin:payroll_importqueuerecord_changelist"),
        {"action": "replay", "_selected_action": ids},
        follow=True,
    )
    # then the page says both were replayed
    assert response.status_code == 200
    assert "2 queue record(s) replayed" in response.content.decode()


def test_a_consultant_sees_batches_but_has_no_replay_action(consultant, rows):
    # given payroll rows and a consultant signed in
    client = Client()
    client.force_login(consultant)
    # when the consultant opens the batches, then they are listed
    assert client.get(reverse("admin:payroll_payrollbatch_changelist")).status_code == 200
    # when the consultant opens the import queue
    response = client.get(reverse("admin:payroll_importqueuerecord_changelist"))
    # then there is no replay action
    assert response.status_code == 200 and "Replay" not in response.content.decode()


def test_the_notifications_page_lists_the_users_notices_and_marks_them_read(consultant, rows):
    from django.utils import timezone

    from apps.payroll.models import BatchStatusChange, Notification, PayrollBatch

    # given a rejected batch the consultant was notified of in the app
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
    # when the consultant opens the notifications page
    client = Client()
    client.force_login(consultant)
    page = client.get(reverse("payroll:notifications"))
    # then the notice is listed
    assert page.status_code == 200 and "Batch rejected by client" in page.content.decode()
    # when the consultant marks them read, then the notice is read
    client.post(reverse("payroll:notifications"))
    assert Notification.objects.get().read_at is not None
