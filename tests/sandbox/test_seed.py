"""Seeding: deterministic, idempotent, covering every code and case the hub must handle; bulk data is fast."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.sandbox import services
from apps.sandbox.models import (
    SandboxBatch,
    SandboxCompany,
    SandboxCredential,
    SandboxEmployee,
    SandboxEvent,
    SandboxStatusChange,
    SandboxVoucher,
)

MODELS = [
    SandboxCompany,
    SandboxCredential,
    SandboxEmployee,
    SandboxStatusChange,
    SandboxBatch,
    SandboxVoucher,
    SandboxEvent,
]


def _snapshot():
    employees = list(
        SandboxEmployee.objects.order_by("company__external_id", "employee_id").values_list(
            "company__external_id",
            "employee_id",
            "status_code",
            "status_effective_date",
            "national_id",
            "updated_at",
        )
    )
    return {m.__name__: m.objects.count() for m in MODELS}, employees


def test_seeding_twice_changes_nothing(db):
    # given a seeded sandbox
    services.sandbox_seed()
    before = _snapshot()

    # when it is seeded again
    report = services.sandbox_seed()

    # then no row changes and nothing is reported as created
    assert _snapshot() == before
    assert (report.companies, report.credentials, report.employees, report.batches) == (0, 0, 0, 0)


def test_seeding_keeps_what_a_control_changed(db):
    # given a seeded sandbox where a control has terminated an employee
    services.sandbox_seed()
    employee = SandboxEmployee.objects.get(company__external_id="6700", employee_id="1001")
    services.employee_terminate(employee=employee)

    # when it is seeded again
    services.sandbox_seed()

    # then the termination stays
    assert SandboxEmployee.objects.get(pk=employee.pk).status_code == "T"


def test_reset_restores_the_seeded_state(db):
    # given a seeded sandbox where a control has terminated an employee
    services.sandbox_seed()
    services.employee_terminate(
        employee=SandboxEmployee.objects.get(company__external_id="6700", employee_id="1001")
    )

    # when it is seeded with reset
    services.sandbox_seed(reset=True)

    # then the employee is active again as seeded
    assert SandboxEmployee.objects.get(company__external_id="6700", employee_id="1001").status_code == "A"


def test_the_demo_companies_match_the_hubs(seeded):
    # given the seeded sandbox
    # when its companies are read
    rows = set(SandboxCompany.objects.values_list("provider", "external_id", "company_set"))

    # then the hub's demo companies are all there under their providers
    assert {
        ("paylocity", "6700", "acme"),
        ("paylocity", "6701", "acme"),
        ("prismhr", "100100", "summit"),
        ("affinity", "AFF100", "affinity"),
    } <= rows


def test_every_standard_and_custom_code_is_present(seeded):
    # given the seeded sandbox
    # when the statuses in company 6700 are read
    codes = set(
        SandboxEmployee.objects.filter(company__external_id="6700").values_list("status_code", flat=True)
    )

    # then every standard and custom code appears
    assert {"A", "T", "D", "R", "L", "XT", "S", "FML"} <= codes


def test_the_same_person_appears_in_both_companies_with_one_national_id(seeded):
    # given the seeded sandbox
    # when the person employed in both companies is looked up
    radia = SandboxEmployee.objects.filter(first_name="Radia", last_name="Perlman")

    # then she has one record in each company and the same national id in both
    assert sorted(radia.values_list("company__external_id", "employee_id")) == [
        ("6700", "1013"),
        ("6701", "2013"),
    ]
    assert len(set(radia.values_list("national_id", flat=True))) == 1


@pytest.mark.parametrize(
    ("source", "target"), [(("6700", "1006"), ("6701", "1006")), (("6700", "1015"), ("6701", "2015"))]
)
def test_transfer_pairs_are_xt_in_6700_and_active_in_6701_from_the_same_date(seeded, source, target):
    # given a transfer pair in the seeded sandbox
    out = SandboxEmployee.objects.get(company__external_id=source[0], employee_id=source[1])
    into = SandboxEmployee.objects.get(company__external_id=target[0], employee_id=target[1])

    # then the leaver is XT and the joiner active from that date, as the same person
    assert (out.status_code, into.status_code) == ("XT", "A")
    assert out.status_effective_date == into.hire_date
    assert out.national_id == into.national_id


def test_history_matches_the_current_status(seeded):
    # given the seeded sandbox, then every employee's last status change is the current status
    for employee in SandboxEmployee.objects.prefetch_related("status_changes"):
        last = list(employee.status_changes.all())[-1]
        assert (last.status_code, last.effective_date) == (
            employee.status_code,
            employee.status_effective_date,
        )


def test_rehired_and_returned_employees_carry_their_dates(seeded):
    # given the seeded sandbox
    # when the rehired employee is looked up
    tim = SandboxEmployee.objects.get(company__external_id="6700", employee_id="1014")

    # then his hire, termination and rehire dates and his history show the return
    assert (tim.hire_date, tim.termination_date, tim.rehire_date) == (
        dt.date(2015, 1, 5),
        dt.date(2022, 3, 31),
        dt.date(2023, 5, 1),
    )
    assert [c.status_code for c in tim.status_changes.all()] == ["A", "T", "A"]


def test_one_batch_per_seed_004_rule(seeded):
    # given the seeded sandbox
    # when its payroll batches are read
    scenarios = dict(SandboxBatch.objects.values_list("batch_id", "scenario"))

    # then there is one batch per seed rule scenario
    assert scenarios == {
        "41001": "complete",
        "41002": "pending",
        "41003": "no_pay_date",
        "41004": "no_billing_totals",
        "41005": "no_vouchers",
        "41006": "void",
        "41007": "deleted",
        "49001": "unknown_client",
    }


def test_bulk_employees_are_created_once(db):
    # given a sandbox seeded with 500 bulk employees
    services.sandbox_seed(bulk_employees=500, bulk_company="6701")
    count = SandboxEmployee.objects.filter(company__external_id="6701").count()

    # when the same bulk seeding runs again
    services.sandbox_seed(bulk_employees=500, bulk_company="6701")

    # then no employee is added twice, and the bulk mixes active, leave and terminated people
    assert count == 6 + 500
    assert SandboxEmployee.objects.filter(company__external_id="6701").count() == count
    assert set(
        SandboxEmployee.objects.filter(employee_id__startswith="B").values_list("status_type", flat=True)
    ) == {"A", "L", "T"}


def test_twenty_thousand_bulk_employees_in_seconds(db):
    import time

    # given an empty sandbox and the time before seeding
    started = time.monotonic()
    # when twenty thousand bulk employees are seeded
    services.sandbox_seed(bulk_employees=20_000)

    # then it takes well under a minute and all of them are there
    assert time.monotonic() - started < 60
    assert (
        SandboxEmployee.objects.filter(company__external_id="6700", employee_id__startswith="B").count()
        == 20_000
    )


def test_the_command_reports_and_refuses_nonsense(db):
    # given an empty sandbox
    out = StringIO()

    # when the seed command asks for ten bulk employees
    call_command("sandbox_seed", "--employees", "10", stdout=out)

    # then it reports them and the demo credentials
    assert "10 bulk employees" in out.getvalue()
    assert "sandbox-paylocity-client / sandbox-paylocity-secret" in out.getvalue()
    # and a negative count or an unknown company is refused
    with pytest.raises(CommandError):
        call_command("sandbox_seed", "--employees", "-1")
    with pytest.raises(CommandError, match="ZZZ"):
        call_command("sandbox_seed", "--employees", "1", "--company", "ZZZ")


def test_the_command_makes_the_large_batch(db):
    # when the seed command asks for a large batch of 300 vouchers
    call_command("sandbox_seed", "--large-batch", "300", stdout=StringIO())

    # then that batch exists, complete, with its 300 vouchers
    batch = SandboxBatch.objects.get(batch_id="41999")
    assert (batch.scenario, batch.status, batch.vouchers.count()) == ("large", "COMP", 300)
