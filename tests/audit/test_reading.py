"""Reading the trail where people work: the audit-events API, the Activity page, each object's history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.employees.services import filter_rule_save, status_mapping_set
from tests.companies.factories import CompanySetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def changes(company_set, other_customer, consultant, admin_user):
    """A mapping set by the consultant through the API and a filter rule by an admin, plus another
    customer's mapping that nobody of this customer may see."""
    from apps.audit.context import audit_context

    with audit_context(channel="api", user=consultant):
        status_mapping_set(company_set=company_set, code="FURL", status_type="leave")
    with audit_context(channel="admin", user=admin_user):
        filter_rule_save(
            company_set=company_set, field="employment_type", operator="in", values=["RFT"], include=True
        )
    other_set = CompanySetFactory(customer=other_customer, name="Globex set")
    status_mapping_set(company_set=other_set, code="SECRETCODE", status_type="terminated")


def test_audit_events_lists_the_customers_changes_with_actor_and_diff(api, consultant, changes, customer):
    response = api(consultant).get("/api/v1/audit-events/", {"customer": customer.pk})
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    by_type = {row["object_type"]: row for row in results}
    mapping = by_type["mappings.statusmapping"]
    assert (mapping["actor"], mapping["channel"], mapping["customer"]) == ("consultant", "api", customer.pk)
    assert mapping["changes"]["status_type"] == [None, "leave"]
    rule = by_type["mappings.filterrule"]
    assert (rule["actor"], rule["channel"]) == ("hubadmin", "admin")
    assert set(results[0]) == {
        "id",
        "time",
        "actor",
        "channel",
        "customer",
        "object_type",
        "object_id",
        "object_repr",
        "action",
        "changes",
    }


def test_audit_events_are_customer_scoped(api, outsider, consultant, changes, customer):
    seen_by_consultant = api(consultant).get("/api/v1/audit-events/").json()["results"]
    assert "SECRETCODE" not in repr(seen_by_consultant)
    assert {row["customer"] for row in seen_by_consultant} == {customer.pk}
    seen_by_outsider = api(outsider).get("/api/v1/audit-events/", {"customer": customer.pk}).json()
    assert seen_by_outsider["count"] == 0


def test_staff_only_events_without_customer_are_hidden_from_scoped_users(
    api, consultant, admin_user, changes
):
    from apps.users.models import User

    User.objects.create_user(username="newcomer", password="x")
    assert api(admin_user).get("/api/v1/audit-events/", {"object_type": "users.user"}).json()["count"] >= 1
    assert api(consultant).get("/api/v1/audit-events/", {"object_type": "users.user"}).json()["count"] == 0


def test_audit_events_filter_by_actor(api, admin_user, changes, customer):
    rows = api(admin_user).get("/api/v1/audit-events/", {"customer": customer.pk, "actor": "hubadmin"}).json()
    types = {row["object_type"] for row in rows["results"]}
    assert "mappings.filterrule" in types
    assert "mappings.statusmapping" not in types
    assert {row["actor"] for row in rows["results"]} == {"hubadmin"}


def test_audit_events_filter_by_object_type(api, admin_user, changes, customer):
    params = {"customer": customer.pk, "object_type": "mappings.statusmapping"}
    rows = api(admin_user).get("/api/v1/audit-events/", params).json()["results"]
    assert [row["object_type"] for row in rows] == ["mappings.statusmapping"]


def test_audit_events_filter_by_object_id_and_time(api, admin_user, changes, customer):
    event = AuditEvent.objects.filter(object_type="mappings.filterrule").get()
    AuditEvent.objects.filter(pk=event.pk).update(time=timezone.now() - dt.timedelta(days=3))
    client = api(admin_user)
    by_id = client.get(
        "/api/v1/audit-events/", {"object_type": "mappings.filterrule", "object_id": event.object_id}
    )
    assert [row["id"] for row in by_id.json()["results"]] == [event.pk]
    two_days_ago = (timezone.now() - dt.timedelta(days=2)).isoformat()
    recent = client.get("/api/v1/audit-events/", {"customer": customer.pk, "since": two_days_ago}).json()
    assert event.pk not in [row["id"] for row in recent["results"]]
    assert recent["count"] >= 1
    older = client.get("/api/v1/audit-events/", {"customer": customer.pk, "until": two_days_ago}).json()
    assert [row["id"] for row in older["results"]] == [event.pk]


def test_unknown_and_malformed_filters_are_a_400_naming_them(api, admin_user):
    client = api(admin_user)
    response = client.get("/api/v1/audit-events/", {"colour": "blue"})
    assert response.status_code == 400
    assert "colour" in response.json()["extra"]["fields"]
    response = client.get("/api/v1/audit-events/", {"since": "yesterday"})
    assert response.status_code == 400
    assert "since" in response.json()["extra"]["fields"]
    response = client.get("/api/v1/audit-events/", {"object_type": "payroll.nothing"})
    assert response.status_code == 400
    assert "object_type" in response.json()["extra"]["fields"]


def test_a_user_without_a_role_may_not_read_audit_events(api, no_role_user):
    assert api(no_role_user).get("/api/v1/audit-events/").status_code == 403


def test_audit_events_query_count_is_flat(api, admin_user, company_set, django_assert_max_num_queries):
    for n in range(30):
        status_mapping_set(company_set=company_set, code=f"C{n}", status_type="leave")
    client = api(admin_user)
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/audit-events/")
    assert response.json()["count"] >= 30


def test_activity_page_lists_changes_and_filters_by_user_model_and_date(
    client, consultant, changes, customer
):
    client.force_login(consultant)
    url = f"/admin/customers/{customer.pk}/activity/"
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "FURL" in html
    assert "hubadmin" in html
    assert "SECRETCODE" not in html
    by_user = client.get(url, {"user": "hubadmin"}).content.decode()
    assert "mappings.filterrule" in by_user
    assert "mappings.statusmapping #" not in by_user
    by_model = client.get(url, {"model": "mappings.statusmapping"}).content.decode()
    assert "mappings.statusmapping #" in by_model
    assert "mappings.filterrule #" not in by_model
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert "No change recorded for these filters" in client.get(url, {"since": tomorrow}).content.decode()


def test_activity_page_of_another_customer_is_a_404(client, outsider, customer, changes):
    client.force_login(outsider)
    assert client.get(f"/admin/customers/{customer.pk}/activity/").status_code == 404


def test_customer_page_links_to_its_activity(client, admin_user, customer):
    client.force_login(admin_user)
    html = client.get(f"/admin/companies/customer/{customer.pk}/change/").content.decode()
    assert f"/admin/customers/{customer.pk}/activity/" in html


def test_admin_history_of_an_object_shows_the_diff(client, admin_user, company_set):
    rule = filter_rule_save(
        company_set=company_set, field="employment_type", operator="in", values=["RFT"], include=True
    )
    filter_rule_save(
        company_set=company_set,
        field="employment_type",
        operator="in",
        values=["RFT", "XYZ"],
        include=True,
        rule=rule,
    )
    client.force_login(admin_user)
    html = client.get(f"/admin/mappings/filterrule/{rule.pk}/history/").content.decode()
    assert 'id="audit-history"' in html
    assert "XYZ" in html
    assert "system: unknown" in html


@pytest.mark.parametrize("changes_made", [3, 30])
def test_activity_page_query_count_does_not_grow_with_the_trail(
    client, admin_user, company_set, changes_made, django_assert_max_num_queries
):
    for n in range(changes_made):
        status_mapping_set(company_set=company_set, code=f"Q{n}", status_type="leave")
    client.force_login(admin_user)
    with django_assert_max_num_queries(12):
        page = client.get(f"/admin/customers/{company_set.customer_id}/activity/")
    assert page.content.decode().count("mappings.statusmapping #") == changes_made
