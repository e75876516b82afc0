"""The payroll API: permission table per endpoint, customer scoping, filters, replay, flat query counts."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from apps.payroll.models import ImportQueueRecord, Notification, NotificationRule
from apps.users.roles import CONSULTANTS
from tests.companies.factories import CompanyFactory, CompanySetFactory
from tests.payroll.factories import (
    BillingVoucherFactory,
    ImportQueueRecordFactory,
    NotificationRuleFactory,
    PayGroupFactory,
    PayrollBatchFactory,
    PrismConnectionFactory,
)

pytestmark = pytest.mark.django_db

LISTS = [
    "/api/v1/payroll-batches/",
    "/api/v1/pay-groups/",
    "/api/v1/billing-vouchers/",
    "/api/v1/employee-counts/",
    "/api/v1/import-queue/",
    "/api/v1/payroll-notification-rules/",
]


@pytest.fixture
def data(customer, company_set):
    from apps.payroll.models import EmployeeCount

    company = CompanyFactory(company_set=company_set, external_id="100100")
    batch = PayrollBatchFactory(
        company=company, batch_id="41001", status_code="COMP", status="Payroll is complete"
    )
    group = PayGroupFactory(batch=batch, pay_group_id="BW1")
    BillingVoucherFactory(batch=batch, pay_group=group)
    EmployeeCount.objects.create(batch=batch, as_of=batch.pay_date, full_time_active=3, paid_employees=2)
    conn = PrismConnectionFactory(customer=customer)
    record = ImportQueueRecordFactory(connection=conn, company=company, batch=batch, batch_number="41001")
    NotificationRuleFactory(customer=customer)
    return batch, record


@pytest.mark.parametrize("url", LISTS)
def test_anonymous_is_401_and_a_user_without_a_role_403(api, no_role_user, data, url):
    assert api().get(url).status_code == 401
    assert api(no_role_user).get(url).status_code == 403


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("persona", ["consultant", "support_agent", "admin_user"])
def test_every_role_reads_the_customers_payroll_rows(api, request, data, url, persona):
    response = api(request.getfixturevalue(persona)).get(url)
    assert response.status_code == 200, response.data
    assert response.data["count"] == 1


@pytest.mark.parametrize("url", LISTS)
def test_a_user_of_another_customer_sees_none_of_them(api, outsider, data, url):
    # given one batch with its pay group, voucher, count, queue record and notification rule for the customer
    # when a user of another customer lists the resource
    response = api(outsider).get(url)
    # then it answers with none of them
    assert response.status_code == 200 and response.data["count"] == 0


def test_batches_show_the_interface_fields_and_filter(api, consultant, data):
    # given a complete active batch and an inactive one with a status the hub does not know
    batch, _ = data
    PayrollBatchFactory(company=batch.company, batch_id="41002", status_code="XQ", status="XQ", active=False)
    # when the consultant lists the company's active batches
    rows = (
        api(consultant)
        .get("/api/v1/payroll-batches/", {"company_external_id": "100100", "active": "true"})
        .data
    )
    # then only the complete one is listed, with every interface field
    assert rows["count"] == 1
    row = rows["results"][0]
    for field in (
        "id",
        "company",
        "company_external_id",
        "batch_id",
        "pay_date",
        "batch_type",
        "status_code",
        "status",
        "sync_with_provider",
        "active",
        "import_state",
        "import_message",
        "voids",
    ):
        assert field in row
    assert (row["batch_id"], row["status"]) == ("41001", "Payroll is complete")
    # when the batches are filtered by the unknown status
    unknown = api(consultant).get("/api/v1/payroll-batches/", {"status_code": "XQ"}).data["results"][0]
    # then that batch shows the raw status and says it is not known
    assert (unknown["status"], unknown["status_known"]) == ("XQ", False)


@pytest.mark.parametrize(
    "url",
    ["/api/v1/pay-groups/", "/api/v1/billing-vouchers/", "/api/v1/employee-counts/", "/api/v1/import-queue/"],
)
def test_per_batch_resources_filter_by_batch(api, consultant, data, url):
    # given a batch with its per-batch rows and another batch without any
    batch, _ = data
    other = PayrollBatchFactory(company=batch.company, batch_id="41009")
    # when the resource is filtered by each batch
    # then only the first batch's row is listed
    assert api(consultant).get(url, {"batch": other.pk}).data["count"] == 0
    assert api(consultant).get(url, {"batch": batch.pk}).data["count"] == 1


def test_the_status_history_of_a_batch(api, consultant, data):
    from django.utils import timezone

    from apps.payroll.models import BatchStatusChange

    # given a batch that changed to complete
    batch, _ = data
    BatchStatusChange.objects.create(
        batch=batch,
        to_code="COMP",
        to_status="Payroll is complete",
        changed_at=timezone.now(),
        source="ongoing",
    )
    # when the consultant reads the batch's status history
    rows = api(consultant).get(f"/api/v1/payroll-batches/{batch.pk}/status-changes/").data["results"]
    # then the change is listed
    assert [r["to_code"] for r in rows] == ["COMP"]


def test_support_replays_a_queue_record_and_a_consultant_may_not(api, support_agent, consultant, data):
    # given a completed queue record
    _, record = data
    ImportQueueRecord.objects.filter(pk=record.pk).update(state="completed", message="x")
    # when a consultant replays it, then it is forbidden
    assert api(consultant).post(f"/api/v1/import-queue/{record.pk}/replay/").status_code == 403
    # when a support agent replays it
    response = api(support_agent).post(f"/api/v1/import-queue/{record.pk}/replay/")
    # then the record is queued again with its message cleared
    assert response.status_code == 200
    assert response.data["id"] == record.pk and response.data["message"] == ""


def test_a_consultant_manages_notification_rules_of_their_customer_only(
    api, consultant, customer, other_customer
):
    # given a notification rule for the consultant's customer
    group = Group.objects.get(name=CONSULTANTS)
    body = {
        "customer": customer.pk,
        "name": "Failures",
        "status_codes": ["INITFAIL"],
        "groups": [group.pk],
        "email_addresses": "desk@example.com",
        "in_app": True,
        "email": True,
        "active": True,
    }
    # when the consultant creates it
    created = api(consultant).post("/api/v1/payroll-notification-rules/", body, format="json")
    # then it is saved with its status codes and groups
    assert created.status_code == 201, created.data
    rule = NotificationRule.objects.get(pk=created.data["id"])
    assert rule.status_codes == ["INITFAIL"] and list(rule.groups.all()) == [group]
    # when the consultant creates the same rule for another customer, or for no customer, then it is refused
    foreign = api(consultant).post(
        "/api/v1/payroll-notification-rules/", {**body, "customer": other_customer.pk}, format="json"
    )
    assert foreign.status_code == 400
    everyone = api(consultant).post(
        "/api/v1/payroll-notification-rules/", {**body, "customer": None}, format="json"
    )
    assert everyone.status_code == 400


def test_users_read_and_mark_their_own_notifications(api, consultant, support_agent, data):
    from django.utils import timezone

    from apps.payroll.models import BatchStatusChange

    # given a status change of a batch notified in the app to the consultant and to the support agent
    batch, _ = data
    change = BatchStatusChange.objects.create(
        batch=batch,
        to_code="COMP",
        to_status="Payroll is complete",
        changed_at=timezone.now(),
        source="ongoing",
    )
    for user in (consultant, support_agent):
        Notification.objects.create(
            batch=batch,
            status_change=change,
            channel="in_app",
            recipient=user,
            subject=f"for {user}",
            body="b",
        )
    # when the consultant reads the unread notifications
    mine = api(consultant).get("/api/v1/payroll-notifications/", {"unread": "1"}).data
    # then only the consultant's own is listed
    assert [n["subject"] for n in mine["results"]] == ["for consultant"]
    # when the consultant marks them read, then one is marked, none is unread, and the agent's stays unread
    assert api(consultant).post("/api/v1/payroll-notifications/read/", {}, format="json").data == {
        "marked": 1
    }
    assert api(consultant).get("/api/v1/payroll-notifications/", {"unread": "1"}).data["count"] == 0
    assert Notification.objects.filter(recipient=support_agent, read_at__isnull=True).count() == 1


@pytest.mark.parametrize("url", [*LISTS, "/api/v1/payroll-notifications/"])
def test_list_endpoints_take_a_flat_number_of_queries(
    api, admin_user, data, url, django_assert_max_num_queries
):
    # given sixteen batches with pay groups, vouchers and notification rules
    batch, _ = data
    for n in range(15):
        more = PayrollBatchFactory(company=batch.company, batch_id=f"5{n:04d}")
        group = PayGroupFactory(batch=more)
        BillingVoucherFactory(batch=more, pay_group=group)
        NotificationRuleFactory(
            customer=batch.company.company_set.customer, groups=[Group.objects.get(name=CONSULTANTS)]
        )
    # when an admin lists the resource
    client = api(admin_user)
    # then it answers within a fixed number of queries
    with django_assert_max_num_queries(8):
        assert client.get(url).status_code == 200


def test_batches_of_another_company_set_of_the_same_customer_are_visible(api, consultant, customer):
    # given a batch of a second company set of the consultant's customer
    other_set = CompanySetFactory(customer=customer, name="Second")
    PayrollBatchFactory(company=CompanyFactory(company_set=other_set))
    # when the consultant lists the batches, then it is visible
    assert api(consultant).get("/api/v1/payroll-batches/").data["count"] == 1
