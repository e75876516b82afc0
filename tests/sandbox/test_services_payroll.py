"""Batch controls: create, move through statuses, delete, void; each emits a PrismHR subscription event."""

from __future__ import annotations

import itertools
from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.core.errors import ApplicationError
from apps.sandbox import services
from apps.sandbox.models import SandboxBatch, SandboxCompany, SandboxEvent, SandboxWebhookDelivery
from apps.sandbox.services.payroll import FLOW
from tests.sandbox.factories import SandboxCompanyFactory


@pytest.fixture
def client_100100(seeded):
    return SandboxCompany.objects.get(external_id="100100")


def _events(batch: SandboxBatch) -> list[str]:
    return list(
        SandboxEvent.objects.filter(class_name="PayrollBatch", object_id=batch.batch_id)
        .order_by("pk")
        .values_list("action", flat=True)
    )


def test_create_emits_a_create_event_and_numbers_batches(client_100100):
    batch = services.batch_create(company=client_100100, pay_groups=["BW1"])

    assert batch.batch_id == "41008"
    assert batch.status == "TS.READY"
    assert _events(batch) == ["CREATE"]
    assert batch.pay_groups[0]["payGroupId"] == "BW1"


def test_batches_exist_only_for_prismhr(seeded):
    with pytest.raises(ApplicationError, match="PrismHR"):
        services.batch_create(company=SandboxCompany.objects.get(external_id="6700"))


def test_advance_walks_the_whole_road_to_complete(client_100100):
    batch = services.batch_create(company=client_100100)

    seen = [batch.status]
    while batch.status != "COMP":
        batch = services.batch_advance(batch=batch)
        seen.append(batch.status)

    assert seen == list(FLOW)
    assert _events(batch) == ["CREATE"] + ["UPDATE"] * (len(FLOW) - 1)
    with pytest.raises(ApplicationError, match="already complete"):
        services.batch_advance(batch=batch)


def test_an_off_road_status_rejoins_the_road_at_the_start(client_100100):
    batch = services.batch_create(company=client_100100, status="INITFAIL")

    assert services.batch_advance(batch=batch).status == "TS.READY"


def test_any_status_code_is_kept_verbatim(client_100100):
    batch = services.batch_status_set(batch=SandboxBatch.objects.get(batch_id="41002"), status="PAY.PEND")

    assert SandboxBatch.objects.get(pk=batch.pk).status == "PAY.PEND"
    assert _events(batch)[-1] == "UPDATE"


def test_status_set_refuses_an_empty_code_and_a_deleted_batch(client_100100):
    with pytest.raises(ApplicationError, match="required"):
        services.batch_status_set(batch=SandboxBatch.objects.get(batch_id="41002"), status=" ")
    with pytest.raises(ApplicationError, match="deleted"):
        services.batch_status_set(batch=SandboxBatch.objects.get(batch_id="41007"), status="COMP")


def test_delete_marks_the_batch_deleted_and_emits_delete(client_100100):
    batch = services.batch_delete(batch=SandboxBatch.objects.get(batch_id="41002"))

    assert batch.deleted is True
    assert _events(batch) == ["CREATE", "DELETE"]
    with pytest.raises(ApplicationError, match="already deleted"):
        services.batch_delete(batch=batch)


def test_the_seeded_deleted_batch_has_its_delete_event(client_100100):
    assert _events(SandboxBatch.objects.get(batch_id="41007")) == ["CREATE", "DELETE"]


def test_moves_send_the_prismhr_hook(client_100100, receiver, django_capture_on_commit_callbacks):
    client_100100.webhook_url = receiver.url
    client_100100.save()

    with django_capture_on_commit_callbacks(execute=True):
        services.batch_advance(batch=SandboxBatch.objects.get(batch_id="41002"))

    [hook] = receiver.requests
    [event] = hook.json()["events"]
    assert (event["schemaName"], event["className"], event["objectId"], event["action"]) == (
        "Payroll",
        "PayrollBatch",
        "41002",
        "UPDATE",
    )
    assert SandboxWebhookDelivery.objects.get().batch.batch_id == "41002"


def test_void_refusals(client_100100):
    with pytest.raises(ApplicationError, match="already voided"):
        services.batch_void(batch=SandboxBatch.objects.get(batch_id="41001"))
    with pytest.raises(ApplicationError, match="cannot be voided"):
        services.batch_void(batch=SandboxBatch.objects.get(batch_id="41006"))


def test_vouchers_are_deterministic(db):
    company = SandboxCompanyFactory(provider="prismhr")
    one = services.batch_create(company=company, batch_id="1", pay_groups=["A", "B"])
    two = services.batch_create(company=company, batch_id="2", pay_groups=["A", "B"])

    services.batch_vouchers_generate(batch=one, count=30, employee_count=7)
    services.batch_vouchers_generate(batch=two, count=30, employee_count=7)

    def fields(batch):
        return list(
            batch.vouchers.order_by("voucher_id").values_list(
                "employee_id", "pay_group", "total_earnings", "billing"
            )
        )

    assert fields(one) == fields(two)
    assert one.billing_totals == two.billing_totals


_batch_numbers = itertools.count(1)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(count=st.integers(min_value=0, max_value=40), employees=st.integers(min_value=1, max_value=9))
def test_a_void_nets_its_original_to_zero_per_billing_code_and_employee(db, count, employees):
    # given any batch of vouchers
    company = SandboxCompanyFactory(provider="prismhr", external_id="PROP")
    number = next(_batch_numbers)
    original = services.batch_create(company=company, batch_id=f"O{number}", pay_groups=["BW1", "BW2", "WK1"])
    services.batch_vouchers_generate(batch=original, count=count, employee_count=employees)

    # when it is voided
    void = services.batch_void(batch=original, batch_id=f"V{number}")

    # then original + void is exactly zero per billing code, per employee and billing code, and in the totals
    net: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for batch in (original, void):
        for employee_id, billing in batch.vouchers.values_list("employee_id", "billing"):
            for line in billing:
                net[(employee_id, line["billCode"])] += Decimal(line["billAmt"])
    assert all(amount == 0 for amount in net.values())
    original.refresh_from_db()
    totals = defaultdict(Decimal)
    for line in original.billing_totals + void.billing_totals:
        totals[line["billCode"]] += Decimal(line["totBillAmt"])
    assert all(amount == 0 for amount in totals.values())
    assert void.vouchers.count() == count
    assert not void.vouchers.exclude(pay_group="").exists()
