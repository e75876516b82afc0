"""A change page where nothing can be changed offers no Save; an editable one still does."""

from __future__ import annotations

import pytest

from apps.employees.models import Employee
from tests.employees.factories import record

pytestmark = pytest.mark.django_db


def test_a_read_only_employee_page_offers_no_save(client, admin_user, apply):
    # given an employee (every field read-only, its history inlines too) and a user who may change employees
    apply([record("1001", "A", "2026-01-05")])
    employee = Employee.objects.get()
    assert admin_user.has_perm("employees.change_employee")
    client.force_login(admin_user)
    # when the user opens the employee
    page = client.get(f"/admin/employees/employee/{employee.pk}/change/").content.decode()
    # then no Save button is offered, only Close
    assert 'name="_save"' not in page
    assert 'name="_continue"' not in page
    assert "closelink" in page


def test_an_editable_page_of_the_same_kind_of_admin_keeps_its_save_buttons(client, admin_user, company):
    client.force_login(admin_user)
    page = client.get(f"/admin/companies/company/{company.pk}/change/").content.decode()
    assert 'name="_save"' in page
