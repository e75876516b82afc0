"""The Affinity file drop writes the standard employee file (INTERFACE.md columns) atomically."""

from __future__ import annotations

import csv
import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.sandbox import services
from apps.sandbox.models import SandboxCompany

COLUMNS = [
    "company_id",
    "employee_id",
    "first_name",
    "last_name",
    "work_email",
    "national_id",
    "birth_date",
    "employment_type",
    "benefit_class",
    "pay_group",
    "status_code",
    "status_effective_date",
    "change_reason",
    "hire_date",
    "termination_date",
]


def test_the_file_has_the_standard_header_and_one_row_per_employee(seeded, tmp_path):
    # given the seeded Affinity company
    company = SandboxCompany.objects.get(external_id="AFF100")

    # when its employee file is dropped
    path = services.company_file_drop(company=company, directory=tmp_path / "drop", today=dt.date(2026, 3, 2))

    # then it is named by company and day, leaves no partial file, and has the standard columns, one row each
    assert path.name == "AFF100_employees_20260302.csv"
    assert not list(path.parent.glob("*.part"))
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == COLUMNS
    assert [r["employee_id"] for r in rows] == [f"E{1000 + n}" for n in range(1, 7)]
    retired = rows[-1]
    assert (retired["status_code"], retired["status_effective_date"], retired["termination_date"]) == (
        "R",
        "2024-12-31",
        "2024-12-31",
    )


def test_the_command_writes_the_file_and_refuses_an_unknown_company(seeded, tmp_path):
    # given the seeded Affinity company
    out = StringIO()

    # when the file drop command runs for it
    call_command("sandbox_file_drop", "AFF100", str(tmp_path), stdout=out)

    # then it reports the employees and writes one file
    assert "6 employees" in out.getvalue()
    assert len(list(tmp_path.glob("AFF100_employees_*.csv"))) == 1
    # and an unknown company is refused
    with pytest.raises(CommandError):
        call_command("sandbox_file_drop", "NOPE", str(tmp_path))


def test_the_file_drop_neutralises_formula_cells(seeded, tmp_path):
    # given an employee whose names look like spreadsheet formulas
    company = SandboxCompany.objects.get(external_id="AFF100")
    company.employees.filter(employee_id="E1001").update(first_name="-2+3", last_name="=HYPERLINK(1)")

    # when the company's file is dropped
    path = services.company_file_drop(company=company, directory=tmp_path, today=dt.date(2026, 3, 2))

    # then the names are written as text, not formulas
    with path.open(encoding="utf-8") as handle:
        row = next(r for r in csv.DictReader(handle) if r["employee_id"] == "E1001")
    assert (row["first_name"], row["last_name"]) == ("'-2+3", "'=HYPERLINK(1)")
