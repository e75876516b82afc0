"""The employee file and records lose nothing: over-long values, NULs, open quotes and odd dates by line.

Each of these failed a whole file on PostgreSQL (``DataError``) or was kept silently on SQLite before.
"""

from __future__ import annotations

import dataclasses

import pytest

from apps.employees import files
from apps.employees.models import Employee, StatusEvent
from apps.employees.records import MAX_LENGTHS, EmployeeRecord, record_problems
from apps.employees.services import employee_file_import
from apps.mappings.models import StatusCode
from tests.employees.conftest import TODAY
from tests.employees.test_files import csv

pytestmark = pytest.mark.django_db


def test_a_150_character_first_name_rejects_that_row_alone_and_the_others_land(customer, company):
    # given a 3-row file whose second row has a first name longer than the column keeps
    data = csv(
        "123,1001,Ada,L,,,,,,,A,2026-01-05,,,",
        f"123,1002,{'N' * 150},M,,,,,,,A,2026-01-05,,,",
        "123,1003,Cy,N,,,,,,,A,2026-01-05,,,",
    )
    # when it is applied (on PostgreSQL this was a DataError that applied nothing)
    result = employee_file_import(customer=customer, data=data, filename="long.csv", today=TODAY)
    # then line 3 is rejected naming the field, and the two others land
    assert result.errors == [
        {
            "line": 3,
            "employee_id": "1002",
            "reason": "first_name is 150 characters long; at most 100 are kept",
        }
    ]
    assert (result.rows, result.accepted, result.rejected) == (3, 2, 1)
    assert sorted(Employee.objects.values_list("employee_id", flat=True)) == ["1001", "1003"]


def test_a_nul_character_rejects_its_row_with_the_field_named(customer, company):
    # given a file whose second row has a NUL character in a first name
    data = csv("123,1001,Ada,L,,,,,,,A,2026-01-05,,,", "123,1002,Bo\x00b,M,,,,,,,A,2026-01-05,,,")
    # when the file is imported
    result = employee_file_import(customer=customer, data=data, filename="nul.csv", today=TODAY)
    # then that row is refused naming the field, and only the good row lands
    assert [(e["line"], e["reason"]) for e in result.errors] == [(3, "first_name contains a NUL character")]
    assert list(Employee.objects.values_list("employee_id", flat=True)) == ["1001"]


LONG_CODE = "Q" * 21  # one character over StatusCode.code's 20


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("employee_id", "9" * 65, "employee_id is 65 characters long; at most 64 are kept"),
        ("status_code", LONG_CODE, "status_code is 21 characters long; at most 20 are kept"),
        ("work_email", "a" * 255, "work_email is 255 characters long; at most 254 are kept"),
        ("pay_group", "p" * 61, "pay_group is 61 characters long; at most 60 are kept"),
        ("change_reason", "why\x00", "change_reason contains a NUL character"),
        ("national_id", "12\x0034", "national_id contains a NUL character"),
    ],
)
def test_records_from_any_source_are_checked_before_the_database(apply, field, value, reason):
    # given a good record and one with a value too long for its column, or a NUL character
    good = EmployeeRecord(
        company_external_id="123", employee_id="1", status_code="A", status_effective_date=TODAY
    )
    bad = dataclasses.replace(good, **{"employee_id": "2", field: value})
    # when both are applied by a sync
    result = apply([good, bad], source="sync")
    # then only the bad one is refused with the reason, and the good one lands
    assert [(r.index, r.reason) for r in result.rejected] == [(1, reason)]
    assert list(Employee.objects.values_list("employee_id", flat=True)) == ["1"]
    # the refused over-long code never became a custom status code of the set
    assert not StatusCode.objects.filter(code__startswith=LONG_CODE[:4]).exists()


def test_record_problems_accepts_values_at_the_limits():
    record = EmployeeRecord(
        company_external_id="1" * 64,
        employee_id="2" * 64,
        status_code="A" * 20,
        status_effective_date=TODAY,
        first_name="F" * 100,
        last_name="L" * 100,
        work_email="e" * 254,
    )
    assert record_problems(record) is None


def test_max_lengths_match_the_columns_they_guard():
    from apps.companies.models import Company

    columns = {
        "company_external_id": Company._meta.get_field("external_id"),
        "employee_id": Employee._meta.get_field("employee_id"),
        "status_code": StatusEvent._meta.get_field("code"),
        **{
            name: Employee._meta.get_field(name)
            for name in MAX_LENGTHS
            if name not in ("company_external_id", "employee_id", "status_code")
        },
    }
    assert {name: field.max_length for name, field in columns.items()} == MAX_LENGTHS
    assert StatusCode._meta.get_field("code").max_length == MAX_LENGTHS["status_code"]


def test_an_unbalanced_quote_is_reported_and_does_not_swallow_silently():
    data = csv(
        "123,1001,Ada,L,,,,,,,A,2026-01-05,,,",
        '123,1002,"Bob,M,,,,,,,A,2026-01-05,,,',  # line 3 opens a quote it never closes
        "123,1003,Cy,N,,,,,,,A,2026-01-05,,,",
    )
    parsed = files.parse(data)
    assert [line for line, _ in parsed.rows] == [2]
    assert parsed.errors == [
        {
            "line": 3,
            "employee_id": "1002",
            "reason": "a quoted field runs from line 3 to line 4: an unbalanced quote or a line break inside "
            "a field (lines 3-4 not applied)",
        }
    ]


def test_a_field_over_the_csv_limit_is_reported_on_its_line_and_the_next_rows_go_on(customer, company):
    # given a file whose second row has a field over the CSV size limit
    data = csv(
        "123,1001,Ada,L,,,,,,,A,2026-01-05,,,",
        f"123,1002,{'x' * 131_073},M,,,,,,,A,2026-01-05,,,",
        "123,1003,Cy,N,,,,,,,A,2026-01-05,,,",
    )
    # when the file is imported
    result = employee_file_import(customer=customer, data=data, filename="huge.csv", today=TODAY)
    # then that line is reported and the rows on both sides land
    assert [(e["line"], e["reason"]) for e in result.errors] == [
        (3, "a field is longer than 131,072 characters")
    ]
    assert sorted(Employee.objects.values_list("employee_id", flat=True)) == ["1001", "1003"]


@pytest.mark.parametrize("value", ["20240101", "9999-12-31", "1899-12-31", "2101-01-01"])
def test_dates_outside_1900_to_2100_or_not_iso_are_refused_with_the_line(value):
    parsed = files.parse(csv("123,1001,Ada,L,,,,,,,A,2026-01-05,,,", f"123,1002,Bo,M,,,,,,,A,{value},,,"))
    assert [(e["line"], e["reason"]) for e in parsed.errors] == [
        (
            3,
            f"status_effective_date {value!r} is not a date between 1900-01-01 and 2100-12-31 (YYYY-MM-DD)",
        )
    ]


@pytest.mark.parametrize("value", ["1900-01-01", "2100-12-31"])
def test_dates_at_the_bounds_are_accepted(value):
    parsed = files.parse(csv(f"123,1001,Ada,L,,,,,,,A,{value},,,"))
    assert parsed.errors == []


def test_a_row_with_more_values_than_columns_is_refused():
    parsed = files.parse(csv("123,1001,Ada,L,,,,,,,A,2026-01-05,,,,surprise"))
    assert [(e["line"], e["reason"]) for e in parsed.errors] == [
        (2, "the row has 16 values but the header names 15 columns")
    ]


def test_the_file_writer_neutralises_formulas_and_the_parser_reads_them_back():
    row = {
        "company_id": "123",
        "employee_id": "1001",
        "first_name": "=cmd|' /C calc'!A0",
        "last_name": "-Lee",
        "status_code": "A",
        "status_effective_date": "2026-01-05",
    }
    text = "".join(files.write([row]))
    assert "'=cmd|' /C calc'!A0" in text
    assert ",'-Lee," in text
    parsed = files.parse(text)
    record = parsed.rows[0][1]
    assert (record.first_name, record.last_name) == ("=cmd|' /C calc'!A0", "-Lee")
