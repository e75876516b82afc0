"""The employee controls: what each does to the sandbox employee and its history (seed 002's transitions)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from apps.core.errors import ApplicationError
from apps.sandbox import services
from apps.sandbox.models import SandboxCompany, SandboxEmployee, SandboxStatusCode, SandboxWebhookDelivery
from tests.sandbox.factories import SandboxCompanyFactory, SandboxEmployeeFactory

PAST = dt.date(2024, 1, 15)
FUTURE = dt.date(2099, 1, 31)


def _e(company: str, employee_id: str) -> SandboxEmployee:
    return SandboxEmployee.objects.select_related("company").get(
        company__external_id=company, employee_id=employee_id
    )


def _history(employee: SandboxEmployee) -> list[tuple[str, str]]:
    return list(
        employee.status_changes.order_by("recorded_at", "id").values_list("previous_code", "status_code")
    )


def test_hire_creates_an_active_employee_with_the_next_id_and_one_history_row(seeded):
    company = SandboxCompany.objects.get(external_id="6700")

    employee = services.employee_hire(
        company=company, first_name="Rosalind", last_name="Franklin", national_id="900009999", pay_group="BW"
    )

    assert employee.employee_id == "1017"
    assert (employee.status_code, employee.status_type) == ("A", "A")
    assert employee.hire_date == employee.status_effective_date == timezone.localdate()
    assert _history(employee) == [("", "A")]
    assert SandboxWebhookDelivery.objects.filter(employee=employee).count() == 1


def test_hire_refuses_an_existing_id(seeded):
    with pytest.raises(ApplicationError, match="already exists"):
        services.employee_hire(
            company=SandboxCompany.objects.get(external_id="6700"),
            first_name="X",
            last_name="Y",
            employee_id="1001",
        )


@pytest.mark.parametrize(
    "employment_type, full_time", [("RFT", True), ("RPT", False), ("TPT", False), ("SNL", True)]
)
def test_hire_derives_full_time_from_the_employment_type(seeded, employment_type, full_time):
    employee = services.employee_hire(
        company=SandboxCompany.objects.get(external_id="6700"),
        first_name="A",
        last_name="B",
        employment_type=employment_type,
    )

    assert employee.full_time is full_time


@pytest.mark.parametrize("code", ["T", "D", "R"])
def test_terminate_with_each_terminated_code_sets_the_termination_date(seeded, code):
    employee = services.employee_terminate(
        employee=_e("6700", "1001"), code=code, effective_date=PAST, reason="Why"
    )

    assert (employee.status_code, employee.status_type, employee.termination_date) == (code, "T", PAST)
    assert employee.change_reason == "Why"
    assert _history(employee)[-1] == ("A", code)


@pytest.mark.parametrize(
    ("service", "code"), [("employee_terminate", "L"), ("employee_leave", "T"), ("employee_leave", "XT")]
)
def test_terminate_and_leave_refuse_codes_of_another_type(seeded, service, code):
    with pytest.raises(ApplicationError, match="is not a"):
        getattr(services, service)(employee=_e("6700", "1001"), code=code)


def test_leave_with_a_custom_leave_code_then_return(seeded):
    employee = services.employee_leave(employee=_e("6700", "1001"), code="FML", effective_date=PAST)
    assert (employee.status_code, employee.status_type) == ("FML", "L")

    employee = services.employee_return(employee=employee)

    assert (employee.status_code, employee.status_type) == ("A", "A")
    assert _history(employee)[-2:] == [("A", "FML"), ("FML", "A")]


def test_return_needs_an_employee_on_leave_and_rehire_a_terminated_one(seeded):
    with pytest.raises(ApplicationError, match="Cannot return"):
        services.employee_return(employee=_e("6700", "1001"))
    with pytest.raises(ApplicationError, match="Cannot rehire"):
        services.employee_rehire(employee=_e("6700", "1001"))


def test_rehire_after_termination_keeps_the_termination_date_and_sets_the_rehire_date(seeded):
    employee = services.employee_rehire(employee=_e("6700", "1002"), effective_date=dt.date(2025, 6, 2))

    assert (employee.status_code, employee.rehire_date, employee.termination_date) == (
        "A",
        dt.date(2025, 6, 2),
        dt.date(2024, 11, 15),
    )


def test_status_set_takes_an_existing_custom_code(seeded):
    employee = services.employee_status_set(employee=_e("6700", "1001"), code="S", reason="Seasonal layoff")

    assert (employee.status_code, employee.status_type) == ("S", "L")


def test_status_set_adds_a_new_custom_code_when_given_its_type(seeded):
    employee = services.employee_status_set(employee=_e("6700", "1001"), code="SAB", status_type="L")

    assert employee.status_type == "L"
    assert SandboxStatusCode.objects.get(company=employee.company, code="SAB").custom is True


def test_status_set_refuses_an_unknown_code_without_a_type(seeded):
    with pytest.raises(ApplicationError, match="Unknown status code"):
        services.employee_status_set(employee=_e("6700", "1001"), code="ZZ")


def test_status_set_allows_the_fringe_cases_of_seed_002(seeded):
    # T -> L and T -> XT usually mean an admin error or a retro-active correction; the provider allows them
    leave = services.employee_status_set(employee=_e("6700", "1002"), code="L", effective_date=PAST)
    transferred = services.employee_status_set(employee=_e("6701", "2003"), code="XT", effective_date=PAST)

    assert (leave.status_code, leave.status_type) == ("L", "L")
    assert (transferred.status_code, transferred.termination_date) == ("XT", PAST)


def test_back_dated_and_future_dated_changes_keep_their_dates_and_their_order(seeded):
    employee = services.employee_terminate(
        employee=_e("6700", "1001"), effective_date=FUTURE, reason="Planned"
    )
    assert (employee.status_code, employee.status_effective_date) == ("T", FUTURE)

    employee = services.employee_status_set(
        employee=employee, code="L", effective_date=PAST, reason="Correction"
    )

    changes = list(
        employee.status_changes.order_by("recorded_at", "id").values_list("status_code", "effective_date")
    )
    assert changes == [("A", dt.date(2019, 3, 4)), ("T", FUTURE), ("L", PAST)]
    assert employee.status_effective_date == PAST


def test_transfer_keeping_the_id_makes_xt_here_and_a_new_active_record_there(seeded):
    source = _e("6700", "1001")

    target = services.employee_transfer(
        employee=source, to_company=SandboxCompany.objects.get(external_id="6701"), effective_date=PAST
    )

    source.refresh_from_db()
    assert (source.status_code, source.status_type, source.termination_date) == ("XT", "T", PAST)
    assert (target.company.external_id, target.employee_id, target.status_code) == ("6701", "1001", "A")
    assert target.national_id == source.national_id
    assert target.hire_date == PAST
    assert SandboxWebhookDelivery.objects.filter(employee__in=[source, target]).count() == 2


def test_transfer_can_change_the_id(seeded):
    target = services.employee_transfer(
        employee=_e("6700", "1009"),
        to_company=SandboxCompany.objects.get(external_id="6701"),
        new_employee_id="2999",
    )

    assert target.employee_id == "2999"
    assert (target.first_name, target.last_name) == ("John", "Backus")


def test_transfer_back_rehires_the_record_in_the_original_company(seeded):
    # given 1006 was transferred 6700 -> 6701 (XT in 6700, A in 6701)
    back = services.employee_transfer(
        employee=_e("6701", "1006"),
        to_company=SandboxCompany.objects.get(external_id="6700"),
        effective_date=PAST,
    )

    # then 6701's record goes A -> XT and 6700's XT -> A (seed 002's last row)
    assert back.pk == _e("6700", "1006").pk
    assert (back.status_code, back.rehire_date) == ("A", PAST)
    assert _e("6701", "1006").status_code == "XT"


@pytest.mark.parametrize(
    ("employee", "to", "new_id", "message"),
    [
        (("6700", "1001"), "6700", "", "another company"),
        (("6700", "1001"), "100100", "", "same company set"),
        (("6700", "1006"), "6701", "", "already transferred"),
        (("6701", "2013"), "6700", "1013", "already active"),
    ],
)
def test_transfer_refusals(seeded, employee, to, new_id, message):
    to_company = SandboxCompany.objects.get(external_id=to)

    with pytest.raises(ApplicationError, match=message):
        services.employee_transfer(employee=_e(*employee), to_company=to_company, new_employee_id=new_id)


def test_update_changes_plain_fields_and_refuses_status_fields(seeded):
    employee = services.employee_update(
        employee=_e("6700", "1001"), work_email="ada@new.example", pay_group="WK"
    )

    assert (employee.work_email, employee.pay_group) == ("ada@new.example", "WK")
    with pytest.raises(ApplicationError, match="cannot be changed"):
        services.employee_update(employee=employee, status_code="T")
    with pytest.raises(ApplicationError, match="Nothing"):
        services.employee_update(employee=employee)


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        ([], "1001"),
        (["1001", "1016"], "1017"),
        (["P0007", "P0002"], "P0008"),
        (["B00009", "1016"], "1017"),
        (["E999"], "E1000"),
    ],
)
def test_next_employee_id_follows_the_company_style(db, ids, expected):
    company = SandboxCompanyFactory()
    for employee_id in ids:
        SandboxEmployeeFactory(company=company, employee_id=employee_id)

    assert services.next_employee_id(company) == expected


def test_a_rolled_back_control_leaves_nothing_and_sends_nothing(seeded, django_capture_on_commit_callbacks):
    employee = _e("6700", "1001")

    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.employee_terminate(employee=employee)
        raise RuntimeError("abort")

    assert callbacks == []
    assert _e("6700", "1001").status_code == "A"
    assert not SandboxWebhookDelivery.objects.exists()
