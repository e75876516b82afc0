"""The sandbox admin: changelists, the employee controls page, the hire page, fault and batch actions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.sandbox.models import (
    FaultMode,
    SandboxBatch,
    SandboxCompany,
    SandboxEmployee,
    SandboxWebhookDelivery,
)

MODELS = [
    "sandboxcompany",
    "sandboxcredential",
    "sandboxtoken",
    "sandboxemployee",
    "sandboxwebhookdelivery",
    "sandboxevent",
    "sandboxbatch",
    "sandboxvoucher",
]


@pytest.fixture
def admin_client(client, admin_user, seeded):
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize("model", MODELS)
def test_changelists_load_in_bounded_queries(admin_client, model, django_assert_max_num_queries):
    with django_assert_max_num_queries(20):
        response = admin_client.get(reverse(f"admin:sandbox_{model}_changelist"))
    assert response.status_code == 200


def test_change_pages_load(admin_client):
    employee = SandboxEmployee.objects.get(company__external_id="6700", employee_id="1014")
    batch = SandboxBatch.objects.get(batch_id="41001")
    company = SandboxCompany.objects.get(external_id="6700")

    for url in (
        reverse("admin:sandbox_sandboxemployee_change", args=[employee.pk]),
        reverse("admin:sandbox_sandboxbatch_change", args=[batch.pk]),
        reverse("admin:sandbox_sandboxcompany_change", args=[company.pk]),
    ):
        assert admin_client.get(url).status_code == 200


def test_other_roles_cannot_open_the_sandbox_admin(client, consultant, seeded):
    client.force_login(consultant)

    assert client.get(reverse("admin:sandbox_sandboxemployee_changelist")).status_code == 403


def test_the_controls_page_applies_a_back_dated_custom_code(admin_client):
    employee = SandboxEmployee.objects.get(company__external_id="6700", employee_id="1001")
    url = reverse("admin:sandbox_sandboxemployee_controls", args=[employee.pk])
    assert admin_client.get(url).status_code == 200

    response = admin_client.post(
        url, {"control": "status", "code": "S", "effective_date": "2024-05-01", "reason": "Seasonal"}
    )

    assert response.status_code == 302
    employee.refresh_from_db()
    assert (employee.status_code, str(employee.status_effective_date)) == ("S", "2024-05-01")
    assert SandboxWebhookDelivery.objects.filter(employee=employee).count() == 1


def test_the_controls_page_transfers_and_shows_refusals(admin_client):
    employee = SandboxEmployee.objects.get(company__external_id="6700", employee_id="1001")
    url = reverse("admin:sandbox_sandboxemployee_controls", args=[employee.pk])
    target = SandboxCompany.objects.get(external_id="6701")

    refused = admin_client.post(url, {"control": "return"})
    moved = admin_client.post(
        url, {"control": "transfer", "to_company": target.pk, "new_employee_id": "2500"}
    )

    assert refused.status_code == 200
    assert "Cannot return" in refused.content.decode()
    assert moved.status_code == 302
    assert SandboxEmployee.objects.get(company=target, employee_id="2500").status_code == "A"


def test_the_hire_page_hires(admin_client):
    company = SandboxCompany.objects.get(external_id="AFF100")

    response = admin_client.post(
        reverse("admin:sandbox_sandboxcompany_hire", args=[company.pk]),
        {"first_name": "Alan", "last_name": "Kay", "employment_type": "full_time"},
    )

    assert response.status_code == 302
    assert company.employees.filter(last_name="Kay", status_code="A").exists()


def test_fault_actions_switch_the_mode(admin_client):
    company = SandboxCompany.objects.get(external_id="6700")

    admin_client.post(
        reverse("admin:sandbox_sandboxcompany_changelist"),
        {"action": "fault_error_500", "_selected_action": [company.pk]},
    )

    assert SandboxCompany.objects.get(pk=company.pk).fault_mode == FaultMode.ERROR_500


def test_employee_quick_actions_report_refusals(admin_client):
    active = SandboxEmployee.objects.get(company__external_id="6700", employee_id="1001")
    terminated = SandboxEmployee.objects.get(company__external_id="6700", employee_id="1002")

    response = admin_client.post(
        reverse("admin:sandbox_sandboxemployee_changelist"),
        {"action": "quick_rehire", "_selected_action": [active.pk, terminated.pk]},
        follow=True,
    )

    assert SandboxEmployee.objects.get(pk=terminated.pk).status_code == "A"
    assert "Cannot rehire" in response.content.decode()


def test_batch_status_page_and_actions(admin_client):
    batch = SandboxBatch.objects.get(batch_id="41002")

    admin_client.post(reverse("admin:sandbox_sandboxbatch_status", args=[batch.pk]), {"other": "ODD.1"})
    assert SandboxBatch.objects.get(pk=batch.pk).status == "ODD.1"
    admin_client.post(
        reverse("admin:sandbox_sandboxbatch_changelist"),
        {"action": "advance", "_selected_action": [batch.pk]},
    )
    assert SandboxBatch.objects.get(pk=batch.pk).status == "TS.READY"
    admin_client.post(
        reverse("admin:sandbox_sandboxbatch_changelist"),
        {"action": "delete_in_provider", "_selected_action": [batch.pk]},
    )
    assert SandboxBatch.objects.get(pk=batch.pk).deleted is True
