"""Every input gets a clear answer: unknown fields and parameters, NULs, and the low 500s of issue 13.

Each test here failed on main before the hardening (a 201 or 200 that ignored the input, or a 500).
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.views import APIView

from apps.companies.models import Customer
from apps.core.api import StrictInputMixin
from apps.employees.models import Employee
from apps.employees.services import employee_records_apply, filter_rule_save
from apps.integrations.models import Connection
from apps.mappings.models import FilterRule
from apps.support.models import Ticket
from tests.employees.conftest import TODAY
from tests.employees.factories import record
from tests.implementations.factories import make_project
from tests.integrations.factories import ApiCallFactory, ConnectionFactory

pytestmark = pytest.mark.django_db


def _views(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _views(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            cls = getattr(p.callback, "cls", None)
            if cls is not None and issubclass(cls, APIView):
                yield prefix + str(p.pattern), cls


def test_every_api_view_in_the_schema_has_the_strict_input_base():
    from rest_framework.routers import APIRootView

    missing = sorted(
        {
            f"{route} {cls.__name__}"
            for route, cls in _views(get_resolver().url_patterns)
            if (route.startswith("api/v1/") or route.startswith("sandbox/api/"))
            and not issubclass(cls, (StrictInputMixin, APIRootView))
        }
    )
    assert missing == []


# --- unknown body fields and query parameters ----------------------------------------------------------


def test_an_unknown_body_field_is_a_400_naming_it(api, admin_user):
    response = api(admin_user).post(
        "/api/v1/customers/", {"name": "Initech", "colour": "blue"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["message"] == "Invalid input: colour."
    assert "Unknown field" in response.json()["extra"]["fields"]["colour"][0]
    assert not Customer.objects.filter(name="Initech").exists()


def test_an_unknown_field_on_a_custom_action_is_a_400(api, admin_user, customer):
    ticket = Ticket.objects.create(customer=customer, title="Broken")
    response = api(admin_user).post(
        f"/api/v1/tickets/{ticket.pk}/log/", {"text": "tried", "colur": "x"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["extra"]["fields"]) == ["colur"]


def test_a_field_sent_to_an_action_that_takes_no_body_is_a_400(api, admin_user, customer):
    connection = ConnectionFactory(customer=customer)
    response = api(admin_user).post(
        f"/api/v1/connections/{connection.pk}/test/", {"base_url": "x"}, format="json"
    )
    assert response.status_code == 400
    assert "Accepted here: none" in response.json()["extra"]["fields"]["base_url"][0]


def test_a_misspelt_query_filter_is_a_400_naming_it(api, admin_user):
    response = api(admin_user).get("/api/v1/employees/", {"statustype": "active"})
    assert response.status_code == 400
    assert response.json()["message"] == "Invalid input: statustype."
    assert "status_type" in response.json()["extra"]["fields"]["statustype"][0]


def test_documented_filters_pagination_and_search_are_accepted(api, admin_user):
    client = api(admin_user)
    assert (
        client.get("/api/v1/employees/", {"status_type": "active", "page": 1, "page_size": 5}).status_code
        == 200
    )
    assert (
        client.get("/api/v1/knowledge-articles/", {"search": "mapping", "category": "other"}).status_code
        == 200
    )
    assert (
        client.get("/api/v1/downstream-actions/", {"state": "pending", "action": "provision"}).status_code
        == 200
    )
    assert client.get("/api/v1/payroll-notifications/", {"unread": "1"}).status_code == 200


def test_a_nul_in_a_query_parameter_is_a_400(api, admin_user):
    response = api(admin_user).get("/api/v1/knowledge-articles/", {"search": "a\x00b"})
    assert response.status_code == 400
    assert list(response.json()["extra"]["fields"]) == ["search"]


def test_patching_a_projects_phase_says_it_is_read_only_and_how_to_advance(api, admin_user, customer):
    project = make_project(customer)
    response = api(admin_user).patch(
        f"/api/v1/implementations/{project.pk}/", {"phase": "build"}, format="json"
    )
    assert response.status_code == 400
    message = response.json()["extra"]["fields"]["phase"][0]
    assert "phase is read-only" in message and "/advance/" in message
    project.refresh_from_db()
    assert project.phase != "build"


# --- NULs in JSON fields ----------------------------------------------------------------------------------


def test_a_nul_in_filter_rule_values_is_a_400_naming_the_field(api, admin_user, company_set):
    response = api(admin_user).post(
        "/api/v1/filter-rules/",
        {"company_set": company_set.pk, "field": "employment_type", "values": ["RFT\x00"], "include": True},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["extra"]["fields"]) == ["values"]
    assert not FilterRule.objects.exists()


def test_a_nul_in_a_connection_json_field_is_a_400_naming_the_field(api, admin_user, customer):
    connection = ConnectionFactory(customer=customer)
    response = api(admin_user).patch(
        f"/api/v1/connections/{connection.pk}/", {"webhook_allowed_ips": ["10.0.0.1\x00"]}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["extra"]["fields"]) == ["webhook_allowed_ips"]
    connection.refresh_from_db()
    assert connection.webhook_allowed_ips != ["10.0.0.1\x00"]


# --- documented fields are accepted -----------------------------------------------------------------------


def test_a_ticket_is_created_with_troubleshooting_text_and_api_call_ids(api, admin_user, customer):
    call = ApiCallFactory(connection=ConnectionFactory(customer=customer))
    response = api(admin_user).post(
        "/api/v1/tickets/",
        {
            "customer": customer.pk,
            "title": "Sync fails",
            "troubleshooting": "Re-ran the sync.",
            "api_calls": [call.pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["api_calls"] == [call.pk]
    assert [e["text"] for e in body["troubleshooting"] if e["kind"] == "note"] == ["Re-ran the sync."]


def test_another_customers_api_call_is_refused_like_an_absent_one(api, admin_user, customer, other_customer):
    foreign = ApiCallFactory(connection=ConnectionFactory(customer=other_customer))
    response = api(admin_user).post(
        "/api/v1/tickets/",
        {"customer": customer.pk, "title": "Sync fails", "api_calls": [foreign.pk]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["extra"]["fields"]["api_calls"] == [
        f'Invalid pk "{foreign.pk}" - object does not exist.'
    ]
    assert not Ticket.objects.exists()


# --- the low 500s -------------------------------------------------------------------------------------------


def test_creating_a_customer_with_active_is_not_a_500(api, admin_user):
    response = api(admin_user).post("/api/v1/customers/", {"name": "Initech", "active": False}, format="json")
    assert response.status_code == 201
    assert Customer.objects.get(name="Initech").active is False


@pytest.mark.parametrize("url", ["/api/v1/filter-rules/", "/api/v1/filter-rules/preview/"])
def test_a_filter_rule_without_values_is_a_400(api, admin_user, company_set, url):
    response = api(admin_user).post(
        url, {"company_set": company_set.pk, "field": "employment_type", "include": True}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["extra"]["fields"]) == ["values"]


def test_evidence_with_a_non_numeric_id_is_a_400(api, admin_user, customer):
    ticket = Ticket.objects.create(customer=customer, title="Broken")
    response = api(admin_user).post(
        f"/api/v1/tickets/{ticket.pk}/evidence/", {"type": "integrations.apicall", "id": "abc"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["extra"] == {"field": "id"}


def test_a_basic_header_with_a_non_ascii_byte_is_a_401(client, customer):
    connection = ConnectionFactory(
        customer=customer,
        webhook_auth=Connection.WebhookAuth.BASIC,
        webhook_username="pcty",
        webhook_password="hook-pass",
    )
    response = client.post(
        connection.webhook_path, data=b"{}", content_type="application/json", HTTP_AUTHORIZATION="Basic \xe9"
    )
    assert response.status_code == 401


def test_deciding_an_absent_change_batch_in_the_admin_is_a_404(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/admin/employees/changebatch/999999/decide/").status_code == 404


def test_the_admin_party_add_page_renders(client, admin_user, customer):
    make_project(customer)
    client.force_login(admin_user)
    assert client.get("/admin/implementations/party/add/").status_code == 200


def test_bulk_deleting_filter_rules_in_the_admin_re_scopes_the_employees(
    client, admin_user, company, company_set
):
    # given an exclusion rule that takes the employee out of scope
    employee_records_apply(
        company=company,
        records=[record("1001", "A", "2026-01-05", employment_type="TPT")],
        source="sync",
        today=TODAY,
    )
    rule = filter_rule_save(
        company_set=company_set,
        field="employment_type",
        operator="in",
        values=["TPT"],
        include=False,
        today=TODAY,
    )
    assert Employee.objects.get().in_scope is False
    # when an admin deletes it with the changelist's bulk action
    client.force_login(admin_user)
    response = client.post(
        "/admin/mappings/filterrule/",
        {"action": "delete_selected", "_selected_action": [rule.pk], "post": "yes"},
    )
    # then the rule is gone and the employee is back in scope
    assert response.status_code == 302
    assert not FilterRule.objects.exists()
    employee = Employee.objects.get()
    assert employee.in_scope is True
    assert str(rule.pk) not in employee.scope_reason
