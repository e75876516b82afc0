"""Seed 004 rule by rule against a fake PrismHR (``responses``): Ongoing, Sync, deletes, voids, counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from apps.employees.models import Employee, StatusEvent
from apps.integrations.models import SyncRun, WebhookEvent
from apps.integrations.services import webhook_event_process
from apps.payroll import rules, services
from apps.payroll.models import (
    BatchStatusChange,
    BillingVoucher,
    EmployeeCount,
    ImportQueueRecord,
    Notification,
    PayGroup,
    PayrollBatch,
)
from apps.support.models import Ticket
from tests.integrations.factories import WebhookEventFactory
from tests.payroll.fake_prism import FakePrism, missing, run_kind

pytestmark = pytest.mark.django_db

ONGOING, SYNC = SyncRun.Kind.PAYROLL_ONGOING, SyncRun.Kind.PAYROLL_SYNC
TODAY = timezone.localdate()
PAY = (TODAY - dt.timedelta(days=3)).isoformat()


def vouchers(n: int, *, employees: int = 3, groups=("BW1", "BW2"), prefix: str = "V") -> list[dict]:
    return [
        FakePrism.voucher(
            f"{prefix}{i:04d}",
            f"P{i % employees:04d}",
            groups[i % len(groups)],
            GROSS="1000.00",
            ERTAX="76.50",
        )
        for i in range(n)
    ]


def batch(batch_id: str = "41001") -> PayrollBatch:
    return PayrollBatch.objects.get(batch_id=batch_id)


def event(connection, action: str, batch_id: str, client: str = "100100") -> WebhookEvent:
    return WebhookEventFactory(
        connection=connection,
        event_type=f"PayrollBatch.{action}",
        object_kind="payroll",
        company_external_id=client,
        object_id=batch_id,
        payload={"schemaName": "Payroll", "className": "PayrollBatch", "action": action},
    )


# --- Ongoing -------------------------------------------------------------------------------------------------


def test_ongoing_creates_the_batch_record_as_soon_as_the_provider_lists_it(prism, prism_connection):
    # given a batch in the provider's pay-date window, still in review
    prism.add_batch("41001", status="INITOK", pay_date=PAY, description="Regular payroll")
    # when the Ongoing process runs
    run = run_kind(prism_connection, ONGOING)
    # then the batch exists with the provider's status in the seed's words
    assert run.state == SyncRun.State.SUCCEEDED, run.message
    found = batch()
    assert (found.status_code, found.status) == ("INITOK", "Payroll reports are ready for review")
    assert found.description == "Regular payroll" and found.pay_date.isoformat() == PAY
    assert found.connection == prism_connection and found.active
    assert ImportQueueRecord.objects.get(batch_number="41001").source == ImportQueueRecord.Source.ONGOING


def test_a_batch_that_is_not_complete_is_not_flagged_for_the_sync(prism, prism_connection):
    prism.add_batch("41002", status="AP.PEND", pay_date=PAY)
    run_kind(prism_connection, ONGOING)
    assert batch("41002").sync_with_provider is False
    assert not ImportQueueRecord.objects.filter(source=ImportQueueRecord.Source.IMPORT).exists()


def test_a_complete_batch_gets_sync_with_provider(prism, prism_connection):
    prism.add_batch("41001", status="COMP", pay_date=PAY)
    run_kind(prism_connection, ONGOING)
    found = batch()
    assert found.sync_with_provider is True and found.import_state == "pending"


def test_every_status_change_is_recorded_in_the_batch_history(prism, prism_connection):
    prism.add_batch("41001", status="TS.READY", pay_date=PAY)
    run_kind(prism_connection, ONGOING)
    for code in ("INITIAL", "INITFAIL", "COMP"):
        prism.batches[("100100", "41001")]["batchStatus"] = code
        run_kind(prism_connection, ONGOING)
    history = list(batch().status_changes.order_by("changed_at", "id").values_list("from_code", "to_code"))
    assert history == [
        ("", "TS.READY"),
        ("TS.READY", "INITIAL"),
        ("INITIAL", "INITFAIL"),
        ("INITFAIL", "COMP"),
    ]


def test_an_unknown_status_code_is_kept_verbatim_and_shown(prism, prism_connection):
    prism.add_batch("41001", status="XQ.NEW", pay_date=PAY)
    run = run_kind(prism_connection, ONGOING)
    assert run.state == SyncRun.State.SUCCEEDED
    found = batch()
    assert (found.status_code, found.status, found.status_known) == ("XQ.NEW", "XQ.NEW", False)
    assert found.sync_with_provider is False


def test_an_unchanged_batch_makes_no_queue_record_and_no_detail_call(prism, prism_connection):
    prism.add_batch("41001", status="INITOK", pay_date=PAY)
    run_kind(prism_connection, ONGOING)
    prism.calls.clear()
    run = run_kind(prism_connection, ONGOING)
    assert run.unchanged == 1 and run.created == run.updated == 0
    assert ImportQueueRecord.objects.count() == 1
    assert "payroll/v1/getBatchInfo" not in prism.calls


def test_ongoing_processes_at_most_the_configured_number_of_batches_per_run(prism, prism_connection):
    # given five new batches and a limit of two per run
    services.payroll_settings_set(connection=prism_connection, ongoing_batch_limit=2)
    for n in range(5):
        prism.add_batch(f"4100{n}", status="INITOK", pay_date=PAY)
    # when the Ongoing process runs three times
    first = run_kind(prism_connection, ONGOING)
    # then each run takes at most two, and says how many wait
    assert PayrollBatch.objects.count() == 2 and first.created == 2
    assert "3 wait for the next run" in first.message
    run_kind(prism_connection, ONGOING)
    run_kind(prism_connection, ONGOING)
    assert PayrollBatch.objects.count() == 5


def test_the_default_limit_is_250_batches_per_run(prism_connection):
    assert services.payroll_settings_for(prism_connection).ongoing_batch_limit == 250


def test_open_batches_outside_the_window_are_followed_with_get_batch_status(prism, prism_connection):
    # given a batch the hub knows whose pay date is now far outside the window
    prism.add_batch("41001", status="INITOK", pay_date=PAY)
    run_kind(prism_connection, ONGOING)
    prism.batches[("100100", "41001")].update(payDate="2020-01-01", batchStatus="AP.FAIL")
    # when the Ongoing process runs
    run_kind(prism_connection, ONGOING)
    # then its status was asked for and recorded
    assert "payroll/v1/getBatchStatus" in prism.calls
    assert batch().status_code == "AP.FAIL"


def test_a_subscription_event_creates_the_batch_from_the_providers_answer(prism, prism_connection):
    prism.add_batch("41010", status="TS.ENTRY", pay_date=None)
    hook = event(prism_connection, "CREATE", "41010")
    webhook_event_process(event_id=hook.pk)
    hook.refresh_from_db()
    assert hook.state == WebhookEvent.State.PROCESSED, hook.last_error
    found = batch("41010")
    assert found.status_code == "TS.ENTRY" and found.pay_date is None
    assert found.status_changes.get().source == BatchStatusChange.Source.WEBHOOK
    assert ImportQueueRecord.objects.get(webhook_event=hook).state == "completed"


def test_the_ongoing_process_checks_the_client_number_before_creating_a_queue_record(prism, prism_connection):
    # given an event for a client the hub does not know
    prism.add_batch("49001", client="100900", status="COMP", pay_date=PAY)
    hook = event(prism_connection, "UPDATE", "49001", client="100900")
    # when it is processed
    webhook_event_process(event_id=hook.pk)
    # then no queue record and no batch exist, and the event says why
    hook.refresh_from_db()
    assert hook.state == WebhookEvent.State.IGNORED and "100900" in hook.last_error
    assert not ImportQueueRecord.objects.exists() and not PayrollBatch.objects.exists()


# --- Deletes ----------------------------------------------------------------------------------------------


def _imported(prism, prism_connection, batch_id="41001", n=4):
    prism.add_batch(batch_id, status="COMP", pay_date=PAY, pay_groups=("BW1", "BW2"), vouchers=vouchers(n))
    run_kind(prism_connection, ONGOING)
    run = run_kind(prism_connection, SYNC)
    assert run.state == SyncRun.State.SUCCEEDED, run.message
    return batch(batch_id)


def test_a_delete_event_creates_an_import_queue_record(prism, prism_connection):
    _imported(prism, prism_connection)
    hook = event(prism_connection, "DELETE", "41001")
    webhook_event_process(event_id=hook.pk)
    record = ImportQueueRecord.objects.get(webhook_event=hook)
    assert (record.source, record.event, record.state) == ("import", "DELETE", "completed")


def test_a_delete_sets_deleted_and_deactivates_batch_pay_groups_and_vouchers_keeping_every_row(
    prism, prism_connection
):
    # given an imported batch with pay groups and vouchers
    found = _imported(prism, prism_connection)
    counts = (PayGroup.objects.count(), BillingVoucher.objects.count())
    assert counts == (2, 8)
    # when the provider sends a DELETE event
    webhook_event_process(event_id=event(prism_connection, "DELETE", "41001").pk)
    # then the batch says Deleted and it, its pay groups and its vouchers are inactive; nothing was removed
    found.refresh_from_db()
    assert (found.status_code, found.status, found.active) == ("DELETED", "Deleted", False)
    assert not PayGroup.objects.filter(active=True).exists()
    assert not BillingVoucher.objects.filter(active=True).exists()
    assert (PayGroup.objects.count(), BillingVoucher.objects.count()) == counts
    assert found.status_changes.filter(to_code="DELETED", source="delete").exists()


def test_a_delete_event_for_an_unknown_client_completes_with_a_note(prism, prism_connection):
    hook = event(prism_connection, "DELETE", "49001", client="100900")
    webhook_event_process(event_id=hook.pk)
    record = ImportQueueRecord.objects.get(webhook_event=hook)
    assert record.state == "completed_with_message"
    assert record.message == rules.message_unknown_client("100900")


def test_a_deleted_batch_is_not_revived_by_the_ongoing_process(prism, prism_connection):
    found = _imported(prism, prism_connection)
    webhook_event_process(event_id=event(prism_connection, "DELETE", "41001").pk)
    prism.batches[("100100", "41001")]["batchStatus"] = "INITOK"
    run_kind(prism_connection, ONGOING)
    found.refresh_from_db()
    assert found.status_code == "DELETED" and not found.active


# --- Sync ---------------------------------------------------------------------------------------------------


def _employee(company, employee_id, employment_type, *history):
    employee = Employee.objects.create(
        company=company, employee_id=employee_id, employment_type=employment_type, pay_group="BW1"
    )
    for n, (code, status_type, on) in enumerate(history):
        StatusEvent.objects.create(
            employee=employee,
            code=code,
            status_type=status_type,
            effective_date=dt.date.fromisoformat(on),
            recorded_at=timezone.now() + dt.timedelta(seconds=n),
            source="sync",
        )
    return employee


def test_sync_imports_billing_vouchers_pay_groups_costs_and_employee_counts(
    prism, prism_connection, prism_company
):
    # given employees whose status on the pay date differs from today's
    _employee(prism_company, "P0000", "RFT", ("A", "active", "2020-01-01"))
    _employee(prism_company, "P0001", "RPT", ("A", "active", "2020-01-01"), ("T", "terminated", "2099-01-01"))
    _employee(prism_company, "P0002", "SNL", ("A", "active", "2020-01-01"), ("L", "leave", "2021-06-01"))
    _employee(prism_company, "P0003", "TFT", ("A", "active", "2020-01-01"), ("T", "terminated", "2022-01-01"))
    _employee(prism_company, "P0004", "RFT", ("A", "active", "2099-01-01"))
    prism.pay_group_codes["100100"] = [{"code": "BW1", "description": "Bi-weekly one"}]
    # when a complete batch of 6 vouchers over 3 employees is imported
    found = _imported(prism, prism_connection, n=6)
    # then every billing line is there with its pay group, amount and employee
    assert BillingVoucher.objects.count() == 12
    line = BillingVoucher.objects.get(voucher_id="V0001", bill_code="ERTAX")
    assert (line.amount, line.pay_group_code, line.employee_number) == (Decimal("76.50"), "BW2", "P0001")
    assert line.employee.employee_id == "P0001" and line.pay_group.pay_group_id == "BW2"
    # and the pay groups carry their costs per employee paid
    bw1 = PayGroup.objects.get(pay_group_id="BW1")
    assert (bw1.description, bw1.employee_count, bw1.total_amount) == ("Bi-weekly one", 3, Decimal("3229.50"))
    assert bw1.cost_per_employee == Decimal("1076.50")
    # and the counts classify status as of the pay date: P0001 still active then, P0004 not yet hired
    counts = EmployeeCount.objects.get(batch=found)
    assert (counts.full_time_active, counts.part_time_active) == (1, 1)
    assert (counts.part_time_leave, counts.full_time_terminated, counts.paid_employees) == (1, 1, 3)
    assert counts.as_of == found.pay_date
    # and the batch and its queue record are completed
    assert (found.import_state, found.voucher_count, found.total_amount) == (
        "completed",
        6,
        Decimal("6459.00"),
    )
    assert ImportQueueRecord.objects.get(source="import").state == "completed"


def test_employee_counts_are_only_for_regular_batches(prism, prism_connection):
    prism.add_batch("41001", status="COMP", pay_date=PAY, batch_type="S", vouchers=vouchers(2))
    run_kind(prism_connection, ONGOING)
    run_kind(prism_connection, SYNC)
    assert batch().import_state == "completed" and not EmployeeCount.objects.exists()


def test_sync_completes_a_batch_of_an_unknown_client_with_a_note(prism, prism_connection, prism_company):
    # given a flagged batch whose client is no longer one of the connection's
    prism.add_batch("41001", status="COMP", pay_date=PAY, vouchers=vouchers(2))
    run_kind(prism_connection, ONGOING)
    prism_connection.companies.remove(prism_company)
    # when the Sync runs
    run_kind(prism_connection, SYNC)
    # then the queue record is completed with a note and nothing was imported
    record = ImportQueueRecord.objects.get(source="import")
    assert (record.state, record.message) == (
        "completed_with_message",
        rules.message_unknown_client("100100"),
    )
    assert not BillingVoucher.objects.exists()


def test_sync_of_a_batch_without_a_pay_date_completes_with_the_seeds_message(prism, prism_connection):
    prism.add_batch("41003", status="COMP", pay_date=None, vouchers=vouchers(2))
    webhook_event_process(event_id=event(prism_connection, "UPDATE", "41003").pk)
    run_kind(prism_connection, SYNC)
    record = ImportQueueRecord.objects.get(source="import")
    assert (record.state, record.message) == (
        "completed_with_message",
        "Pay date is required to import payroll batches",
    )
    assert (batch("41003").import_state, batch("41003").import_message) == (
        "completed_with_message",
        "Pay date is required to import payroll batches",
    )
    assert not BillingVoucher.objects.exists()


def test_totals_that_list_no_totals_and_no_employees_are_a_batch_with_nothing_to_bill(
    prism, prism_connection, django_capture_on_commit_callbacks
):
    # given a complete batch whose getBillingCodeTotalsForBatch answers, but lists nothing
    prism.add_batch("41004", status="COMP", pay_date=PAY, vouchers=vouchers(2), totals=False)
    run_kind(prism_connection, ONGOING)
    # when the Sync runs
    with django_capture_on_commit_callbacks(execute=True):
        run_kind(prism_connection, SYNC)
    # then it ends with seed 004's "No billing vouchers" log line, completed, no voucher asked for, no ticket
    record = ImportQueueRecord.objects.get(source="import")
    line = rules.message_no_vouchers("100100", "41004")
    assert (record.state, record.message, record.log[-1]["line"]) == ("completed", line, line)
    assert batch("41004").import_state == "completed"
    assert "payroll/v1/getBillingVouchersByBatch" not in prism.calls
    assert not Ticket.objects.exists()


def test_a_missing_totals_answer_completes_with_the_no_response_info_message(prism, prism_connection):
    # given a batch the provider knows, but whose getBillingCodeTotalsForBatch answers 404
    prism.add_batch("41004", status="COMP", pay_date=PAY, vouchers=vouchers(2))
    run_kind(prism_connection, ONGOING)
    prism.answers["payroll/v1/getBillingCodeTotalsForBatch"] = missing("No totals.")
    run_kind(prism_connection, SYNC)
    record = ImportQueueRecord.objects.get(source="import")
    assert (record.state, record.message) == (
        "completed_with_message",
        rules.message_no_billing_totals("41004"),
    )
    assert batch("41004").import_state == "completed_with_message"


def test_a_batch_the_provider_no_longer_has_completes_with_the_totals_message(prism, prism_connection):
    prism.add_batch("41004", status="COMP", pay_date=PAY, vouchers=vouchers(2))
    run_kind(prism_connection, ONGOING)
    del prism.batches[("100100", "41004")]
    run_kind(prism_connection, SYNC)
    assert ImportQueueRecord.objects.get(source="import").message == rules.message_no_billing_totals("41004")


def test_sync_without_vouchers_completes_and_logs_that_none_were_found(prism, prism_connection, caplog):
    prism.add_batch("41005", status="COMP", pay_date=PAY, vouchers=[])
    run_kind(prism_connection, ONGOING)
    with caplog.at_level("INFO", logger="apps.payroll.services.queue"):
        run_kind(prism_connection, SYNC)
    record = ImportQueueRecord.objects.get(source="import")
    line = 'No billing vouchers found for client ID "100100" and batch ID "41005"'
    assert record.state == "completed" and record.message == line
    assert record.log[-1]["line"] == line and line in caplog.text
    assert batch("41005").import_state == "completed"
    assert not Ticket.objects.exists()  # no data to process is not a failure


def test_a_queue_record_completed_with_a_message_raises_a_ticket_that_says_so(
    prism, prism_connection, django_capture_on_commit_callbacks
):
    prism.add_batch("41001", status="COMP", pay_date=None, vouchers=vouchers(1))
    webhook_event_process(event_id=event(prism_connection, "UPDATE", "41001").pk)
    with django_capture_on_commit_callbacks(execute=True):
        run_kind(prism_connection, SYNC)
    ticket = Ticket.objects.get()
    company = prism_connection.companies.get()
    assert ticket.automatic_key == f"payroll-import:{company.pk}:41001"
    assert (ticket.category, ticket.priority) == ("payroll_import", "normal")
    assert ticket.actual_result == "Pay date is required to import payroll batches"
    assert ticket.title == "Payroll batch 41001 of company 100100 completed with a message, not imported"
    assert batch("41001").import_state == "completed_with_message"


def test_a_permanent_provider_refusal_fails_the_import_everywhere_and_tickets_it(
    prism, prism_connection, django_capture_on_commit_callbacks
):
    # given a flagged batch whose vouchers the provider refuses for good (HTTP 400)
    prism.add_batch("41001", status="COMP", pay_date=PAY, vouchers=vouchers(1))
    run_kind(prism_connection, ONGOING)
    prism.answers["payroll/v1/getBillingVouchersByBatch"] = (
        400,
        {},
        '{"errorCode": "1", "errorMessage": "Bad"}',
    )
    # when the Sync runs
    with django_capture_on_commit_callbacks(execute=True):
        run = run_kind(prism_connection, SYNC)
    # then the record and the batch say failed, and the ticket says failed to import
    record = ImportQueueRecord.objects.get(source="import")
    assert record.state == "failed" and run.failed == 1
    assert batch().import_state == "failed"
    ticket = Ticket.objects.get()
    company = prism_connection.companies.get()
    assert ticket.title == "Payroll batch 41001 of company 100100 failed to import"
    assert ticket.automatic_key == f"payroll-import:{company.pk}:41001"
    assert (ticket.category, ticket.priority, ticket.customer) == (
        "payroll_import",
        "normal",
        company.company_set.customer,
    )
    assert {e.item for e in ticket.evidence.all()} == {record, batch("41001")}


def test_vouchers_are_fetched_page_by_page(prism, prism_connection):
    prism.add_batch("41001", status="COMP", pay_date=PAY, vouchers=vouchers(7))
    run_kind(prism_connection, ONGOING)
    run = run_kind(prism_connection, SYNC, page_size=3)
    assert prism.calls.count("payroll/v1/getBillingVouchersByBatch") == 3
    assert run.fetched == 7 and BillingVoucher.objects.count() == 14


def _snapshot():
    models = (PayrollBatch, PayGroup, BillingVoucher, EmployeeCount, BatchStatusChange, Notification)
    return {m.__name__: sorted(map(repr, m.objects.values_list())) for m in models}


def test_running_the_sync_again_changes_nothing(prism, prism_connection, prism_company):
    _employee(prism_company, "P0000", "RFT", ("A", "active", "2020-01-01"))
    _imported(prism, prism_connection, n=6)
    before = _snapshot()
    # when the Sync runs again (nothing flagged) and the batch's queue record is replayed in full
    again = run_kind(prism_connection, SYNC)
    record = ImportQueueRecord.objects.get(source="import")
    services.queue_record_replay(record=record)
    services.queue_record_process(record_id=record.pk)
    # then no row of the batch changed (not even its updated_at)
    assert again.progress_total == 0
    assert _snapshot() == before
    record.refresh_from_db()
    assert (
        record.state == "completed" and "0 lines created, 0 updated, 12 unchanged" in record.log[-1]["line"]
    )


def test_a_changed_voucher_is_updated_and_a_vanished_one_deactivated_on_reimport(prism, prism_connection):
    found = _imported(prism, prism_connection, n=3)
    rows = prism.billing[("100100", "41001")]
    rows[0]["sumBilling"][0]["billAmt"] = "999.99"
    rows.pop()
    services.batch_sync_request(batch=found)
    run_kind(prism_connection, SYNC)
    assert BillingVoucher.objects.get(voucher_id="V0000", bill_code="GROSS").amount == Decimal("999.99")
    assert set(BillingVoucher.objects.filter(active=False).values_list("voucher_id", flat=True)) == {"V0002"}
    assert BillingVoucher.objects.count() == 6


def test_a_void_batch_is_built_from_its_employees_pay_groups_and_nets_the_original_to_zero(
    prism, prism_connection
):
    # given an imported original batch whose employees are paid in two pay groups
    original = _imported(prism, prism_connection, n=6)
    # and its void: the same employees and amounts negated, with no pay group on any voucher
    void_rows = []
    for v in prism.billing[("100100", "41001")]:
        void_rows.append(
            {
                **v,
                "voucherId": "X" + v["voucherId"],
                "payGroup": "",
                "sumBilling": [{**line, "billAmt": f"-{line['billAmt']}"} for line in v["sumBilling"]],
            }
        )
    prism.add_batch("41006", status="COMP", pay_date=PAY, batch_type="V", void_of="41001", vouchers=void_rows)
    # when Ongoing and Sync process it
    run_kind(prism_connection, ONGOING)
    run = run_kind(prism_connection, SYNC)
    assert run.state == SyncRun.State.SUCCEEDED, run.message
    void = batch("41006")
    # then it names its original, and original + void is exactly zero per billing code and pay group
    assert void.voids == original
    sums: dict[tuple[str, str], Decimal] = {}
    for code, group, amount in BillingVoucher.objects.values_list("bill_code", "pay_group_code", "amount"):
        sums[(code, group)] = sums.get((code, group), Decimal(0)) + amount
    assert sums and all(total == 0 for total in sums.values())
    assert set(void.pay_groups.values_list("pay_group_id", flat=True)) == {"BW1", "BW2"}
    assert not EmployeeCount.objects.filter(batch=void).exists()


def test_an_outage_during_the_sync_fails_the_run_and_leaves_the_batch_flagged(prism, prism_connection):
    import responses as responses_lib

    prism.add_batch("41001", status="COMP", pay_date=PAY, vouchers=vouchers(2))
    run_kind(prism_connection, ONGOING)
    with responses_lib.RequestsMock(assert_all_requests_are_fired=False) as down:
        down.add(
            responses_lib.POST,
            f"{prism_connection.base_url}/login/v1/createPeoSession",
            json={"errorCode": "0", "sessionId": "s"},
        )
        down.add(responses_lib.GET, f"{prism_connection.base_url}/payroll/v1/getBatchInfo", status=503)
        run = run_kind(prism_connection, SYNC)
    assert run.state == SyncRun.State.FAILED
    found = batch()
    assert found.sync_with_provider and found.import_state == "pending"
    # an outage is no failure of the import: the record waits for the next run, as the batch does
    record = ImportQueueRecord.objects.get(source="import")
    assert record.state == "pending" and record.message.startswith("Will be retried: ")
    # and the next run retries the same record and imports the batch
    again = run_kind(prism_connection, SYNC)
    assert again.state == SyncRun.State.SUCCEEDED, again.message
    assert ImportQueueRecord.objects.filter(source="import").count() == 1
    assert batch().import_state == "completed"


# --- notifications -------------------------------------------------------------------------------------------


def test_status_changes_raise_the_configured_notifications_in_app_and_by_email(
    prism, prism_connection, customer, consultant, outsider, django_capture_on_commit_callbacks
):
    from django.contrib.auth.models import Group

    from apps.users.roles import CONSULTANTS
    from tests.payroll.factories import NotificationRuleFactory

    # given a rule: consultants and the payroll desk hear about failed calculations of this customer
    consultant.email = "consultant@example.com"
    consultant.save()
    NotificationRuleFactory(
        customer=customer,
        status_codes=["INITFAIL"],
        email_addresses="payroll-desk@example.com",
        groups=[Group.objects.get(name=CONSULTANTS)],
    )
    prism.add_batch("41001", status="INITIAL", pay_date=PAY)
    run_kind(prism_connection, ONGOING)
    assert not Notification.objects.exists()  # INITIAL is not a status the rule names
    # when the batch's calculation fails
    prism.batches[("100100", "41001")]["batchStatus"] = "INITFAIL"
    with django_capture_on_commit_callbacks(execute=True):
        run_kind(prism_connection, ONGOING)
    # then the consultant of this customer gets an in-app notice, and both addresses an email
    in_app = Notification.objects.get(channel="in_app")
    assert in_app.recipient == consultant and "Payroll calculation completed with errors" in in_app.subject
    assert not Notification.objects.filter(recipient=outsider).exists()
    assert sorted(m.to[0] for m in mail.outbox) == ["consultant@example.com", "payroll-desk@example.com"]
    assert all(n.sent_at for n in Notification.objects.filter(channel="email"))


def test_a_rule_without_status_codes_hears_every_change_and_inactive_rules_none(
    prism, prism_connection, customer
):
    from tests.payroll.factories import NotificationRuleFactory

    NotificationRuleFactory(customer=customer, email_addresses="all@example.com", in_app=False)
    NotificationRuleFactory(customer=customer, email_addresses="off@example.com", active=False)
    prism.add_batch("41001", status="TS.READY", pay_date=PAY)
    run_kind(prism_connection, ONGOING)
    assert list(Notification.objects.values_list("email_address", flat=True)) == ["all@example.com"]
