"""Seed 004 rule by rule through the sandbox on a live server: real sockets, real PrismHR-shaped JSON.

The sandbox is seeded with one batch per rule (complete, pending, no pay date, no billing-code totals, no
vouchers, a void, a deleted batch, a batch of an unknown client); its controls move batches and send the
provider's subscription webhooks to the hub, which processes them as it would PrismHR's.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from apps.companies.models import Provider
from apps.integrations.models import Connection, SyncRun, WebhookEvent
from apps.payroll import rules
from apps.payroll.models import (
    BatchStatusChange,
    BillingVoucher,
    EmployeeCount,
    ImportQueueRecord,
    Notification,
    PayGroup,
    PayrollBatch,
)
from apps.sandbox.models import SandboxBatch
from apps.sandbox.services import payroll as sandbox_payroll
from apps.sandbox.services import sandbox_seed
from tests.companies.factories import CompanyFactory, CompanySetFactory, CustomerFactory
from tests.integrations.factories import ConnectionFactory
from tests.live import wait_for
from tests.payroll.fake_prism import run_kind

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

ONGOING, SYNC = SyncRun.Kind.PAYROLL_ONGOING, SyncRun.Kind.PAYROLL_SYNC


@pytest.fixture
def world(live_server, settings):
    """The seeded sandbox, and the hub's PrismHR connection to it with client 100100 (not 100900)."""
    from django.apps import apps

    from apps.users.roles import sync_role_permissions

    settings.HUB_PUBLIC_URL = live_server.url
    sync_role_permissions(apps)  # a transactional test starts from a flushed database: no role groups
    sandbox_seed()
    customer = CustomerFactory(name="Summit", slug="summit")
    company_set = CompanySetFactory(customer=customer, provider=Provider.PRISMHR)
    company = CompanyFactory(company_set=company_set, external_id="100100", name="Summit Staffing")
    conn = ConnectionFactory(
        customer=customer,
        provider=Provider.PRISMHR,
        base_url=f"{live_server.url}/sandbox/prismhr/prismhr-api/services/rest",
        client_id="",
        client_secret="",
        username="sandbox-prism-user",
        password="sandbox-prism-password",
        peo_id="SANDBOXPEO",
        webhook_auth=Connection.WebhookAuth.NONE,
        state=Connection.State.LIVE,
    )
    conn.companies.add(company)
    return conn, company


def settle() -> None:
    """Wait until the hub has processed every webhook the sandbox sent (the live server acks first)."""
    busy = [WebhookEvent.State.PENDING, WebhookEvent.State.PROCESSING]
    assert wait_for(lambda: not WebhookEvent.objects.filter(state__in=busy).exists(), timeout=30)


def sandbox_batch(batch_id: str) -> SandboxBatch:
    return SandboxBatch.objects.get(batch_id=batch_id)


def hub_batch(batch_id: str) -> PayrollBatch:
    return PayrollBatch.objects.get(batch_id=batch_id)


def import_record(batch_id: str) -> ImportQueueRecord:
    return ImportQueueRecord.objects.get(source="import", batch_number=batch_id)


def test_ongoing_creates_each_batch_the_provider_has_and_flags_only_complete_ones(world):
    conn, _ = world
    run = run_kind(conn, ONGOING)
    assert run.state == SyncRun.State.SUCCEEDED, run.message
    batches = {b.batch_id: b for b in PayrollBatch.objects.all()}
    # the window finds every dated batch of the known client; the deleted one is gone from the provider
    assert set(batches) == {"41001", "41002", "41004", "41005", "41006"}
    assert batches["41002"].status == "Payroll reports are ready for review"
    assert not batches["41002"].sync_with_provider
    assert all(batches[b].sync_with_provider for b in ("41001", "41004", "41005", "41006"))


def test_a_batch_that_is_not_complete_is_not_processed_by_the_sync(world):
    conn, _ = world
    run_kind(conn, ONGOING)
    run_kind(conn, SYNC)
    pending = hub_batch("41002")
    assert pending.status_code == "INITOK" and pending.import_state == "pending"
    assert not ImportQueueRecord.objects.filter(source="import", batch_number="41002").exists()
    assert not BillingVoucher.objects.filter(batch=pending).exists()


def test_the_sync_imports_vouchers_pay_groups_costs_and_employee_counts(world):
    conn, _ = world
    # given the hub knows the client's employees (a PrismHR employee sync through the sandbox)
    employees = run_kind(conn, SyncRun.Kind.EMPLOYEES)
    assert employees.state in (SyncRun.State.SUCCEEDED, SyncRun.State.PARTIAL), employees.message
    run_kind(conn, ONGOING)
    run = run_kind(conn, SYNC)
    assert run.state == SyncRun.State.SUCCEEDED, run.message
    batch = hub_batch("41001")
    sandbox = sandbox_batch("41001")
    assert batch.import_state == "completed" and batch.voucher_count == sandbox.vouchers.count() == 8
    assert BillingVoucher.objects.filter(batch=batch).count() == 24  # three billing codes a voucher
    expected = {t["billCode"]: Decimal(t["totBillAmt"]) for t in sandbox.billing_totals}
    got: dict[str, Decimal] = {}
    for code, amount in BillingVoucher.objects.filter(batch=batch).values_list("bill_code", "amount"):
        got[code] = got.get(code, Decimal(0)) + amount
    assert got == expected
    groups = {g.pay_group_id: g for g in PayGroup.objects.filter(batch=batch)}
    assert set(groups) == {"BW1", "BW2"}
    assert sum(g.employee_count for g in groups.values()) == 8
    assert groups["BW1"].cost_per_employee == (
        groups["BW1"].total_amount / groups["BW1"].employee_count
    ).quantize(Decimal("0.01"))
    counts = EmployeeCount.objects.get(batch=batch)
    assert counts.paid_employees == 8 and counts.as_of == batch.pay_date
    assert counts.active_employees + counts.full_time_terminated + counts.part_time_terminated >= 6


def test_a_batch_without_a_pay_date_completes_with_the_seeds_message(world):
    conn, _ = world
    # given the provider updates the undated complete batch (a real subscription webhook to the hub)
    sandbox_payroll.batch_status_set(batch=sandbox_batch("41003"), status="COMP")
    settle()
    assert hub_batch("41003").sync_with_provider
    # when the Sync runs
    run_kind(conn, SYNC)
    record = import_record("41003")
    assert (record.state, record.message) == (
        "completed_with_message",
        "Pay date is required to import payroll batches",
    )
    assert hub_batch("41003").import_state == "completed_with_message"


def test_a_batch_whose_totals_list_nothing_has_nothing_to_bill(world):
    conn, _ = world
    # given 41004, whose getBillingCodeTotalsForBatch answers with no totals and no employees
    run_kind(conn, ONGOING)
    run_kind(conn, SYNC)
    # then it ends as a batch with nothing to bill, with seed 004's log line, not the missing-answer message
    record = import_record("41004")
    line = 'No billing vouchers found for client ID "100100" and batch ID "41004"'
    assert (record.state, record.message, record.log[-1]["line"]) == ("completed", line, line)
    assert hub_batch("41004").import_state == "completed"


def test_a_batch_without_vouchers_completes_with_a_log_line(world):
    conn, _ = world
    run_kind(conn, ONGOING)
    run_kind(conn, SYNC)
    record = import_record("41005")
    line = 'No billing vouchers found for client ID "100100" and batch ID "41005"'
    assert record.state == "completed" and record.log[-1]["line"] == line
    assert hub_batch("41005").import_state == "completed"


def test_an_event_of_an_unknown_client_creates_no_queue_record(world):
    _conn, _ = world
    sandbox_payroll.batch_status_set(batch=sandbox_batch("49001"), status="COMP")
    settle()
    event = WebhookEvent.objects.get(object_id="49001")
    assert event.state == WebhookEvent.State.IGNORED and "100900" in event.last_error
    assert not ImportQueueRecord.objects.exists() and not PayrollBatch.objects.exists()


def test_the_sync_completes_a_queue_record_of_an_unknown_client_with_a_note(world):
    conn, company = world
    # given a flagged batch of client 100900, which then stops being one of the connection's clients
    other = CompanyFactory(company_set=company.company_set, external_id="100900", name="Unlisted")
    conn.companies.add(other)
    run_kind(conn, ONGOING)
    assert hub_batch("49001").sync_with_provider
    conn.companies.remove(other)
    # when the Sync runs
    run_kind(conn, SYNC)
    record = import_record("49001")
    assert (record.state, record.message) == (
        "completed_with_message",
        rules.message_unknown_client("100900"),
    )
    assert not BillingVoucher.objects.filter(batch__batch_id="49001").exists()


def test_a_delete_event_deactivates_the_batch_its_pay_groups_and_vouchers_and_keeps_the_rows(world):
    conn, _ = world
    run_kind(conn, ONGOING)
    run_kind(conn, SYNC)
    before = BillingVoucher.objects.filter(batch__batch_id="41001").count()
    # when the provider deletes the batch (its DELETE event reaches the hub's webhook endpoint)
    sandbox_payroll.batch_delete(batch=sandbox_batch("41001"))
    settle()
    # then an import queue record deactivated everything and set the status to Deleted
    record = ImportQueueRecord.objects.get(event="DELETE", batch_number="41001")
    assert (record.source, record.state) == ("import", "completed")
    batch = hub_batch("41001")
    assert (batch.status, batch.active) == ("Deleted", False)
    assert BillingVoucher.objects.filter(batch=batch).count() == before > 0
    assert not BillingVoucher.objects.filter(batch=batch, active=True).exists()
    assert not PayGroup.objects.filter(batch=batch, active=True).exists()


def test_a_void_nets_its_original_to_zero_per_billing_code_and_pay_group(world):
    conn, _ = world
    run_kind(conn, ONGOING)
    run = run_kind(conn, SYNC)
    assert run.state == SyncRun.State.SUCCEEDED, run.message
    void, original = hub_batch("41006"), hub_batch("41001")
    assert void.voids == original and void.import_state == "completed"
    # summed in Python: SQLite's SUM over decimals goes through floats
    sums: dict[tuple[str, str], Decimal] = {}
    for code, group, amount in BillingVoucher.objects.filter(batch__in=[void, original]).values_list(
        "bill_code", "pay_group_code", "amount"
    ):
        sums[(code, group)] = sums.get((code, group), Decimal(0)) + amount
    assert len(sums) == 6 and {total for total in sums.values()} == {Decimal("0.00")}


def test_status_moves_are_recorded_and_notify_as_configured(world, consultant, customer):
    from django.contrib.auth.models import Group

    from apps.users.roles import CONSULTANTS
    from tests.payroll.factories import NotificationRuleFactory

    conn, _ = world
    consultant.customers.add(conn.customer)
    NotificationRuleFactory(
        customer=conn.customer, status_codes=["AP.PEND"], groups=[Group.objects.get(name=CONSULTANTS)]
    )
    run_kind(conn, ONGOING)
    # when the provider moves the pending batch two steps (INITOK -> AP.PEND -> AP.READY), sending events
    batch = sandbox_batch("41002")
    sandbox_payroll.batch_advance(batch=batch)
    settle()
    sandbox_payroll.batch_advance(batch=SandboxBatch.objects.get(pk=batch.pk))
    settle()
    # then the hub recorded both moves and notified the consultant of the one the rule names
    history = list(
        hub_batch("41002").status_changes.order_by("changed_at", "id").values_list("to_code", "source")
    )
    assert history == [("INITOK", "ongoing"), ("AP.PEND", "webhook"), ("AP.READY", "webhook")]
    notice = Notification.objects.get(recipient=consultant)
    assert "Payroll calculation results pending client approval" in notice.subject


def test_an_unknown_status_code_from_the_provider_is_kept_and_shown(world):
    conn, _ = world
    run_kind(conn, ONGOING)
    sandbox_payroll.batch_status_set(batch=sandbox_batch("41002"), status="HOLD.X")
    settle()
    batch = hub_batch("41002")
    assert (batch.status_code, batch.status) == ("HOLD.X", "HOLD.X")
    assert batch.status_changes.filter(to_code="HOLD.X", source=BatchStatusChange.Source.WEBHOOK).exists()


def test_running_the_sync_again_changes_nothing(world):
    conn, _ = world
    run_kind(conn, ONGOING)
    run_kind(conn, SYNC)
    before = sorted(
        BillingVoucher.objects.values_list("id", "amount", "pay_group_code", "active", "updated_at")
    )
    batches = sorted(PayrollBatch.objects.values_list("id", "updated_at"))
    for batch in PayrollBatch.objects.filter(import_state="completed"):
        batch.import_state = "pending"  # as if flagged again
        PayrollBatch.objects.filter(pk=batch.pk).update(import_state="pending")
    run = run_kind(conn, SYNC)
    assert run.created == 0 and run.updated == 0 and run.unchanged > 0
    assert (
        sorted(BillingVoucher.objects.values_list("id", "amount", "pay_group_code", "active", "updated_at"))
        == before
    )
    assert len(batches) == PayrollBatch.objects.count()


def test_the_sync_command_runs_both_kinds_and_prints_the_run(world, capsys):
    conn, _ = world
    call_command("sync", conn.slug, "--kind", "payroll-ongoing")
    call_command("sync", str(conn.pk), "--kind", "payroll-sync")
    out = capsys.readouterr().out
    assert "payroll-ongoing" in out and "payroll-sync" in out and "succeeded" in out
    assert hub_batch("41001").import_state == "completed"


def test_a_large_batch_is_imported_in_chunks(world):
    conn, _ = world
    from apps.sandbox.models import SandboxCompany
    from apps.sandbox.services.seed import seed_large_batch

    seed_large_batch(company=SandboxCompany.objects.get(external_id="100100"), vouchers=1200, employees=300)
    run_kind(conn, ONGOING)
    from apps.payroll.services import payroll_settings_set

    payroll_settings_set(connection=conn, voucher_page_size=500)
    run = run_kind(conn, SYNC)
    assert run.state == SyncRun.State.SUCCEEDED, run.message
    batch = hub_batch("41999")
    assert batch.voucher_count == 1200 and BillingVoucher.objects.filter(batch=batch).count() == 3600
    assert EmployeeCount.objects.get(batch=batch).paid_employees == 300
    assert dt.date.today() - batch.pay_date < dt.timedelta(days=10)
