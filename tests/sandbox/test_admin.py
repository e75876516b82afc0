"""The sandbox admin: changelists, the employee controls page, the hire page, fault and batch actions."""

from __future__ import annotations

import re

import pytest
from django.apps import apps as django_apps
from django.contrib import admin
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
    # given a seeded sandbox and a signed-in admin
    # when the model's changelist is opened
    with django_assert_max_num_queries(20):
        response = admin_client.get(reverse(f"admin:sandbox_{model}_changelist"))
    # then it loads within a fixed number of queries
    assert response.status_code == 200


def test_change_pages_load(admin_client):
    # given a seeded employee, batch and company
    employee = SandboxEmployee.objects.get(company__external_id="6700", employee_id="1014")
    batch = SandboxBatch.objects.get(batch_id="41001")
    company = SandboxCompany.objects.get(external_id="6700")

    # when the admin opens each change page
    for url in (
        reverse("admin:sandbox_sandboxemployee_change", args=[employee.pk]),
        reverse("admin:sandbox_sandboxbatch_change", args=[batch.pk]),
        reverse("admin:sandbox_sandboxcompany_change", args=[company.pk]),
    ):
        # then each loads
        assert admin_client.get(url).status_code == 200


def test_other_roles_cannot_open_the_sandbox_admin(client, consultant, seeded):
    # given a consultant signed in
    client.force_login(consultant)

    # when the consultant opens the sandbox admin, then it is forbidden
    assert client.get(reverse("admin:sandbox_sandboxemployee_changelist")).status_code == 403


def test_the_controls_page_applies_a_back_dated_custom_code(admin_client):
    # given an active employee and the admin on the controls page
    employee = SandboxEmployee.objects.get(company__external_id="6700", employee_id="1001")
    url = reverse("admin:sandbox_sandboxemployee_controls", args=[employee.pk])
    assert admin_client.get(url).status_code == 200

    # when a back-dated seasonal code is applied
    response = admin_client.post(
        url, {"control": "status", "code": "S", "effective_date": "2024-05-01", "reason": "Seasonal"}
    )

    # then the employee carries it from that date and one webhook delivery is queued
    assert response.status_code == 302
    employee.refresh_from_db()
    assert (employee.status_code, str(employee.status_effective_date)) == ("S", "2024-05-01")
    assert SandboxWebhookDelivery.objects.filter(employee=employee).count() == 1


def test_the_controls_page_transfers_and_shows_refusals(admin_client):
    # given an active employee and another company of the same customer
    employee = SandboxEmployee.objects.get(company__external_id="6700", employee_id="1001")
    url = reverse("admin:sandbox_sandboxemployee_controls", args=[employee.pk])
    target = SandboxCompany.objects.get(external_id="6701")

    # when the admin tries to return the active employee, and then transfers him
    refused = admin_client.post(url, {"control": "return"})
    moved = admin_client.post(
        url, {"control": "transfer", "to_company": target.pk, "new_employee_id": "2500"}
    )

    # then the return is shown as refused and the transfer makes him active under his new id
    assert refused.status_code == 200
    assert "Cannot return" in refused.content.decode()
    assert moved.status_code == 302
    assert SandboxEmployee.objects.get(company=target, employee_id="2500").status_code == "A"


def test_the_hire_page_hires(admin_client):
    # given the Affinity company
    company = SandboxCompany.objects.get(external_id="AFF100")

    # when the admin hires a person on its hire page
    response = admin_client.post(
        reverse("admin:sandbox_sandboxcompany_hire", args=[company.pk]),
        {"first_name": "Alan", "last_name": "Kay", "employment_type": "full_time"},
    )

    # then the new hire is active in that company
    assert response.status_code == 302
    assert company.employees.filter(last_name="Kay", status_code="A").exists()


def test_fault_actions_switch_the_mode(admin_client):
    # given a healthy company
    company = SandboxCompany.objects.get(external_id="6700")

    # when the admin applies the error-500 fault action
    admin_client.post(
        reverse("admin:sandbox_sandboxcompany_changelist"),
        {"action": "fault_error_500", "_selected_action": [company.pk]},
    )

    # then the company answers with that fault from now on
    assert SandboxCompany.objects.get(pk=company.pk).fault_mode == FaultMode.ERROR_500


def test_employee_quick_actions_report_refusals(admin_client):
    # given an active and a terminated employee
    active = SandboxEmployee.objects.get(company__external_id="6700", employee_id="1001")
    terminated = SandboxEmployee.objects.get(company__external_id="6700", employee_id="1002")

    # when the admin rehires both at once
    response = admin_client.post(
        reverse("admin:sandbox_sandboxemployee_changelist"),
        {"action": "quick_rehire", "_selected_action": [active.pk, terminated.pk]},
        follow=True,
    )

    # then the terminated one is rehired and the active one is reported as refused
    assert SandboxEmployee.objects.get(pk=terminated.pk).status_code == "A"
    assert "Cannot rehire" in response.content.decode()


def test_batch_status_page_and_actions(admin_client):
    # given a pending batch
    batch = SandboxBatch.objects.get(batch_id="41002")

    # when the admin sets an odd status by hand, then the batch carries it
    admin_client.post(reverse("admin:sandbox_sandboxbatch_status", args=[batch.pk]), {"other": "ODD.1"})
    assert SandboxBatch.objects.get(pk=batch.pk).status == "ODD.1"
    # when the batch is advanced, then it is ready
    admin_client.post(
        reverse("admin:sandbox_sandboxbatch_changelist"),
        {"action": "advance", "_selected_action": [batch.pk]},
    )
    assert SandboxBatch.objects.get(pk=batch.pk).status == "TS.READY"
    # when it is deleted in the provider, then it is marked deleted
    admin_client.post(
        reverse("admin:sandbox_sandboxbatch_changelist"),
        {"action": "delete_in_provider", "_selected_action": [batch.pk]},
    )
    assert SandboxBatch.objects.get(pk=batch.pk).deleted is True


def test_the_admin_index_names_every_model_in_good_english(admin_client):
    # "Sandbox batchs" was one: a plural made by adding "s" to a word ending in ch, sh, s, x or z
    wrong = [
        str(model._meta.verbose_name_plural)
        for model in admin.site._registry
        if re.search(r"(ch|sh|ss|x|z)s$", str(model._meta.verbose_name_plural))
    ]
    assert wrong == []
    assert "Sandbox batches" in admin_client.get(reverse("admin:index")).content.decode()


def test_every_model_of_ours_has_a_good_plural_admin_or_not():
    # "transfer watchs" was one that no admin index showed (simple-history's generated tables are not ours)

    wrong = [
        f"{model._meta.label}: {model._meta.verbose_name_plural}"
        for model in django_apps.get_models()
        if model.__module__.startswith("apps.")
        and not model.__name__.startswith("Historical")
        and re.search(r"(ch|sh|ss|x|z)s$", str(model._meta.verbose_name_plural))
    ]
    assert wrong == []
