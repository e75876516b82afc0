"""The standard employee file: good file, missing required columns, bad rows by line, the safeguard."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from apps.employees.models import DownstreamAction, Employee, FileImport, Person
from apps.employees.services import employee_file_import
from tests.employees.conftest import TODAY
from tests.integrations.factories import ConnectionFactory

pytestmark = pytest.mark.django_db
HEADER = "company_id,employee_id,first_name,last_name,work_email,national_id,birth_date,employment_type,benefit_class,pay_group,status_code,status_effective_date,change_reason,hire_date,termination_date\n"


def csv(*rows: str) -> str:
    return HEADER + "".join(r + "\n" for r in rows)


def test_good_file_lands_every_row(customer, company):
    # given a well-formed file with an active hire and a person on medical leave
    data = csv(
        "123,1001,Ada,Lovelace,ada@example.com,123-45-6789,1990-12-10,RFT,FT,WEEKLY,A,2026-01-05,,2026-01-05,",
        "123,1002,Alan,Turing,alan@example.com,987-65-4321,1985-06-23,RPT,PT,WEEKLY,L,2026-02-01,Medical,2025-01-01,",
    )
    # when the file is imported
    result = employee_file_import(customer=customer, data=data, filename="good.csv", today=TODAY)
    # then both rows land, the leave is mapped, and the events are marked as coming from a file
    assert (result.rows, result.accepted, result.rejected, result.errors) == (2, 2, 0, [])
    assert Employee.objects.get(employee_id="1002").status_type == "leave"
    assert Employee.objects.get(employee_id="1001").status_events.get().source == "file"
    # the national ID and birth date are never stored: only a keyed hash and the last four
    for person in Person.objects.all():
        assert person.national_id_last4 in ("6789", "4321")
    stored = str(list(Employee.objects.values())) + str(list(Person.objects.values()))
    assert "123-45-6789" not in stored and "123456789" not in stored and "1990-12-10" not in stored


def test_file_missing_required_columns_is_refused_whole_naming_them(customer, company):
    # when a file without the employee id and status columns is imported
    result = employee_file_import(
        customer=customer, data="company_id,first_name\n123,Ada\n", filename="bad.csv"
    )
    # then the whole file is refused naming the missing columns, and nothing lands
    assert result.refused == "Required columns missing: employee_id, status_code, status_effective_date."
    assert not Employee.objects.exists()
    assert FileImport.objects.get().refused


def test_bad_rows_are_reported_by_line_and_good_rows_land(customer, company):
    # given a file mixing good rows with rows missing an id, a date or a known company
    data = csv(
        "123,1001,Ada,L,,,,,,,A,2026-01-05,,,",  # line 2: good
        "123,,Bob,M,,,,,,,A,2026-01-05,,,",  # line 3: no employee id
        "123,1003,Cy,N,,,,,,,A,05/01/2026,,,",  # line 4: bad date
        "999,1004,Di,O,,,,,,,A,2026-01-05,,,",  # line 5: unknown company
        "123,1005,Ed,P,,,,,,,T,2026-01-05,,,",  # line 6: good
        "123,1006,Flo,Q,,,,,,,A,,,,",  # line 7: no effective date
    )
    # when the file is imported
    result = employee_file_import(customer=customer, data=data, filename="mixed.csv", today=TODAY)
    # then each bad row is reported with its line and reason, and only the good rows land
    assert [(e["line"], e["reason"]) for e in result.errors] == [
        (3, "employee_id is required"),
        (4, "status_effective_date '05/01/2026' is not a date (YYYY-MM-DD)"),
        (5, "unknown company 999"),
        (7, "status_effective_date is required"),
    ]
    assert (result.accepted, result.rejected) == (2, 4)
    assert sorted(Employee.objects.values_list("employee_id", flat=True)) == ["1001", "1005"]


def test_import_employees_command_prints_lines(customer, company, tmp_path):
    # given a file connection for the company and a feed with one good and one bad row
    connection = ConnectionFactory(customer=customer, slug="acme-files")
    connection.companies.add(company)
    path = tmp_path / "feed.csv"
    path.write_text(csv("123,1001,Ada,L,,,,,,,A,2026-01-05,,,", "123,,Bob,M,,,,,,,A,2026-01-05,,,"))
    out = io.StringIO()
    # when the import command runs on the feed
    call_command("import_employees", "acme-files", str(path), stdout=out)
    # then it prints the counts and the bad row by line
    text = out.getvalue()
    assert "2 rows, 1 accepted, 1 rejected" in text
    assert "line 3: employee ?: employee_id is required" in text


def test_import_employees_command_refuses_a_bad_file(customer, company, tmp_path):
    # given a file connection and a feed without the required columns
    ConnectionFactory(customer=customer, slug="acme-files")
    path = tmp_path / "feed.csv"
    path.write_text("hello,world\n1,2\n")
    # when the import command runs on the feed, then it fails naming the missing columns
    with pytest.raises(CommandError, match="Required columns missing"):
        call_command("import_employees", "acme-files", str(path), stdout=io.StringIO())


def _people(n: int, code: str) -> str:
    return csv(*[f"123,{i},P{i},X,,,,,,,{code},2026-0{1 if code == 'A' else 5}-01,,," for i in range(n)])


def test_file_terminating_30_of_100_active_people_holds_the_30_deprovisions(customer, company):
    # given 100 active people imported from a file
    employee_file_import(customer=customer, data=_people(100, "A"), filename="hire.csv", today=TODAY)
    # when a second file terminates 30 of them
    employee_file_import(customer=customer, data=_people(30, "T"), filename="term.csv", today=TODAY)
    # then the 30 removals are held for approval
    removals = DownstreamAction.objects.filter(action="deprovision")
    assert removals.count() == 30
    assert set(removals.values_list("state", flat=True)) == {"awaiting_approval"}


def test_file_terminating_3_of_100_goes_through(customer, company):
    # given 100 active people imported from a file
    employee_file_import(customer=customer, data=_people(100, "A"), filename="hire.csv", today=TODAY)
    # when a second file terminates only 3 of them
    employee_file_import(customer=customer, data=_people(3, "T"), filename="term.csv", today=TODAY)
    # then the removals go ahead without approval
    assert set(DownstreamAction.objects.filter(action="deprovision").values_list("state", flat=True)) == {
        "pending"
    }
