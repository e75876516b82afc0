"""The control API under /sandbox/api/: permissions per endpoint, controls, filters, query counts."""

from __future__ import annotations

import pytest

from apps.sandbox.models import SandboxBatch, SandboxCompany, SandboxEmployee, SandboxWebhookDelivery

API = "/sandbox/api"
LISTS = ["companies", "employees", "webhook-deliveries", "batches"]
PERSONAS = [
    ("consultant", 403),
    ("support_agent", 403),
    ("no_role_user", 403),
    ("outsider", 403),
    ("admin_user", 200),
]


def _employee(company: str, employee_id: str) -> SandboxEmployee:
    return SandboxEmployee.objects.get(company__external_id=company, employee_id=employee_id)


@pytest.mark.parametrize("resource", LISTS)
def test_lists_need_authentication(seeded, api, resource):
    assert api().get(f"{API}/{resource}/").status_code == 401


@pytest.mark.parametrize("resource", [r for r in LISTS if r != "companies"])
@pytest.mark.parametrize(("persona", "status"), PERSONAS)
def test_lists_are_for_admins_only(request, seeded, api, resource, persona, status):
    user = request.getfixturevalue(persona)

    assert api(user).get(f"{API}/{resource}/").status_code == status


# Consultants create sandbox companies themselves (self-service onboarding), so they may list them too.
@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("consultant", 200),
        ("outsider", 200),
        *[p for p in PERSONAS if "consultant" not in p and "outsider" not in p],
    ],
)
def test_sandbox_companies_are_listed_for_admins_and_consultants(request, seeded, api, persona, status):
    user = request.getfixturevalue(persona)

    assert api(user).get(f"{API}/companies/").status_code == status


@pytest.mark.parametrize(("persona", "status"), PERSONAS)
def test_controls_are_for_admins_only(request, seeded, api, persona, status):
    user = request.getfixturevalue(persona)
    employee = _employee("6700", "1001")

    response = api(user).post(f"{API}/employees/{employee.pk}/terminate/", {}, format="json")

    assert response.status_code == status
    assert _employee("6700", "1001").status_code == ("T" if status == 200 else "A")


def test_anonymous_controls_are_401(seeded, api):
    company = SandboxCompany.objects.get(external_id="6700")

    assert (
        api().post(f"{API}/companies/{company.pk}/fault/", {"mode": "error_500"}, format="json").status_code
        == 401
    )


@pytest.mark.parametrize(
    ("path", "body", "code"),
    [
        ("terminate", {"code": "D", "effective_date": "2024-02-01", "reason": "Deceased"}, "D"),
        ("leave", {"code": "FML"}, "FML"),
        ("status", {"code": "S", "effective_date": "2099-01-01"}, "S"),
        ("status", {"code": "NEW", "status_type": "T"}, "NEW"),
    ],
)
def test_employee_controls_through_the_api(seeded, api, admin_user, path, body, code):
    employee = _employee("6700", "1001")

    response = api(admin_user).post(f"{API}/employees/{employee.pk}/{path}/", body, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["status_code"] == code
    if "effective_date" in body:
        assert response.json()["status_effective_date"] == body["effective_date"]


def test_return_rehire_transfer_and_update_through_the_api(seeded, api, admin_user):
    client = api(admin_user)
    on_leave, terminated = _employee("6700", "1005"), _employee("6700", "1002")
    active = _employee("6700", "1009")
    target = SandboxCompany.objects.get(external_id="6701")

    returned = client.post(f"{API}/employees/{on_leave.pk}/return/", {}, format="json")
    rehired = client.post(
        f"{API}/employees/{terminated.pk}/rehire/", {"effective_date": "2025-07-01"}, format="json"
    )
    moved = client.post(
        f"{API}/employees/{active.pk}/transfer/",
        {"to_company": target.pk, "new_employee_id": "2100"},
        format="json",
    )
    updated = client.post(f"{API}/employees/{active.pk}/update/", {"pay_group": "WK"}, format="json")

    assert returned.json()["status_code"] == "A"
    assert rehired.json()["rehire_date"] == "2025-07-01"
    assert (moved.json()["company_external_id"], moved.json()["employee_id"]) == ("6701", "2100")
    assert updated.json()["pay_group"] == "WK"


def test_a_refused_control_is_a_400_with_the_message(seeded, api, admin_user):
    employee = _employee("6700", "1001")

    response = api(admin_user).post(f"{API}/employees/{employee.pk}/return/", {}, format="json")

    assert response.status_code == 400
    assert "Cannot return" in response.json()["message"]


def test_hire_fault_and_rate_limit_through_the_api(seeded, api, admin_user):
    client = api(admin_user)
    company = SandboxCompany.objects.get(external_id="6700")

    hired = client.post(
        f"{API}/companies/{company.pk}/hire/", {"first_name": "Ida", "last_name": "Rhodes"}, format="json"
    )
    fault = client.post(
        f"{API}/companies/{company.pk}/fault/",
        {"mode": "rate_limit", "remaining": 3, "retry_after": 9},
        format="json",
    )
    limit = client.post(
        f"{API}/companies/{company.pk}/rate-limit/", {"limit": 25, "window_seconds": 1}, format="json"
    )

    assert hired.status_code == 201
    assert hired.json()["employee_id"] == "1017"
    assert fault.json()["fault_mode"] == "rate_limit"
    assert (fault.json()["fault_remaining"], fault.json()["fault_retry_after"]) == (3, 9)
    assert limit.json()["rate_limit"] == 25


def test_bad_fault_mode_is_a_validation_error(seeded, api, admin_user):
    company = SandboxCompany.objects.get(external_id="6700")

    response = api(admin_user).post(f"{API}/companies/{company.pk}/fault/", {"mode": "nope"}, format="json")

    assert response.status_code == 400
    assert "mode" in response.json()["extra"]["fields"]


def test_batch_controls_through_the_api(seeded, api, admin_user):
    client = api(admin_user)
    company = SandboxCompany.objects.get(external_id="100100")

    created = client.post(
        f"{API}/batches/",
        {
            "company": company.pk,
            "pay_date": "2026-02-06",
            "pay_groups": ["BW1"],
            "vouchers": 5,
            "employee_count": 3,
        },
        format="json",
    )
    batch_pk = created.json()["id"]
    advanced = client.post(f"{API}/batches/{batch_pk}/advance/", format="json")
    odd = client.post(f"{API}/batches/{batch_pk}/status/", {"status": "XYZ.9"}, format="json")
    voided = client.post(f"{API}/batches/{batch_pk}/void/", {}, format="json")
    deleted = client.post(f"{API}/batches/{batch_pk}/delete/", format="json")

    assert created.status_code == 201
    assert SandboxBatch.objects.get(pk=batch_pk).vouchers.count() == 5
    assert advanced.json()["status"] == "TS.ENTRY"
    assert odd.json()["status"] == "XYZ.9"
    assert voided.status_code == 201
    assert voided.json()["voids_batch_id"] == created.json()["batch_id"]
    assert deleted.json()["deleted"] is True


def test_resend_through_the_api(seeded, api, admin_user, receiver, django_capture_on_commit_callbacks):
    SandboxCompany.objects.filter(external_id="6700").update(webhook_url=receiver.url, webhook_auth="none")
    employee = _employee("6700", "1001")
    with django_capture_on_commit_callbacks(execute=True):
        api(admin_user).post(f"{API}/employees/{employee.pk}/terminate/", {}, format="json")
    delivery = SandboxWebhookDelivery.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = api(admin_user).post(f"{API}/webhook-deliveries/{delivery.pk}/resend/", format="json")

    assert response.status_code == 200
    assert len(receiver.requests) == 2


def test_employee_filters(seeded, api, admin_user):
    response = api(admin_user).get(f"{API}/employees/", {"company_external_id": "6701", "status_type": "A"})

    ids = [row["employee_id"] for row in response.json()["results"]]
    assert ids == ["1006", "2001", "2013", "2015"]


@pytest.mark.parametrize("resource", LISTS)
def test_lists_cost_a_bounded_number_of_queries(
    seeded, api, admin_user, resource, django_assert_max_num_queries
):
    # given some deliveries to list (hooks without a target are recorded as skipped)
    from apps.sandbox import services

    for employee_id in ("1001", "1009", "1010"):
        services.employee_terminate(employee=_employee("6700", employee_id))
    client = api(admin_user)
    with django_assert_max_num_queries(8):
        response = client.get(f"{API}/{resource}/", {"page_size": 200})
    assert response.status_code == 200
