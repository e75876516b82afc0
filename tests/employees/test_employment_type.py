"""One spelling per employment type: FT, not FT and FULL_TIME, in employees, filter rules and list filters."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps

from apps.employees import services
from apps.employees.models import Employee
from apps.employees.records import employment_type_code
from apps.mappings.models import FilterRule
from tests.employees.factories import record

spelling_migration = importlib.import_module("apps.employees.migrations.0004_employment_type_spelling")


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("FULL_TIME", "FT"),
        ("full_time", "FT"),
        ("Full-Time", "FT"),
        ("full time", "FT"),
        ("FULLTIME", "FT"),
        ("PART_TIME", "PT"),
        ("part-time", "PT"),
        ("FT", "FT"),
        ("ft", "FT"),
        ("RFT", "RFT"),  # Paylocity's codes carry more (regular / temporary): kept
        ("TPT", "TPT"),
        ("SNL", "SNL"),
        ("", ""),
        (None, ""),
        ("CONTRACTOR", "CONTRACTOR"),
    ],
)
def test_spelled_out_employment_types_are_kept_as_their_short_code(given, kept):
    assert employment_type_code(given) == kept


@pytest.mark.django_db
def test_the_write_path_keeps_one_spelling_so_the_list_filter_offers_one_choice(apply, client, admin_user):
    # given a PrismHR-style FT and an Affinity-style full_time employee
    apply([record("1001", "A", "2026-01-05", employment_type="FT")])
    apply([record("1002", "A", "2026-01-05", employment_type="full_time")])
    # then both are kept as FT
    assert set(Employee.objects.values_list("employment_type", flat=True)) == {"FT"}
    # and the employee list's filter offers FT once and no FULL_TIME
    client.force_login(admin_user)
    page = client.get("/admin/employees/employee/").content.decode()
    assert "employment_type=FT" in page
    assert "FULL_TIME" not in page.upper().replace("EMPLOYMENT_TYPE", "")


@pytest.mark.django_db
def test_a_filter_rule_written_with_the_long_spelling_matches_the_short_one(apply, company_set):
    apply([record("1001", "A", "2026-01-05", employment_type="FT", first_name="Ada")])
    apply([record("1002", "A", "2026-01-05", employment_type="PT", first_name="Bob", last_name="Part")])
    rule = services.filter_rule_save(
        company_set=company_set,
        field="employment_type",
        operator="in",
        values=["full_time", "FT"],
        include=True,
    )
    assert rule.values == ["FT"]
    assert set(Employee.objects.filter(in_scope=True).values_list("employee_id", flat=True)) == {"1001"}


@pytest.mark.django_db
def test_the_data_migration_folds_existing_spellings(apply, company_set):
    # given rows written before the change (the old write path kept the provider's words)
    apply([record("1001", "A", "2026-01-05", employment_type="FT")])
    apply([record("1002", "A", "2026-01-05", employment_type="PT", first_name="Bob", last_name="Part")])
    Employee.objects.filter(employee_id="1001").update(employment_type="FULL_TIME")
    Employee.objects.filter(employee_id="1002").update(employment_type="PART_TIME")
    rule = FilterRule.objects.create(
        company_set=company_set, field="employment_type", operator="in", values=["FULL_TIME", "FT"]
    )
    # when the migration runs
    spelling_migration.forwards(django_apps, None)
    # then the employees and the rule hold the short codes
    assert dict(Employee.objects.values_list("employee_id", "employment_type")) == {
        "1001": "FT",
        "1002": "PT",
    }
    rule.refresh_from_db()
    assert rule.values == ["FT"]
