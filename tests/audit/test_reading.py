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
    # given a mapping set by the consultant through the API and a filter rule saved by an admin
    # when the consultant lists the customer's audit events
    response = api(consultant).get("/api/v1/audit-events/", {"customer": customer.pk})
    # then each change names who made it, through which channel, for which customer, and what changed
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
    # given changes of this customer and a mapping of another customer
    # when the consultant lists the audit events
    seen_by_consultant = api(consultant).get("/api/v1/audit-events/").json()["results"]
    # then only this customer's changes are there
    assert "SECRETCODE" not in repr(seen_by_consultant)
    assert {row["customer"] for row in seen_by_consultant} == {customer.pk}
    # when an outsider asks for this customer's events, then none come back
    seen_by_outsider = api(outsider).get("/api/v1/audit-events/", {"customer": customer.pk}).json()
    assert seen_by_outsider["count"] == 0


def test_staff_only_events_without_customer_are_hidden_from_scoped_users(
    api, consultant, admin_user, changes
):
    from apps.users.models import User

    # given a new user, whose audit event belongs to no customer
    User.objects.create_user(username="newcomer", password="x")
    # when an admin and then a consultant list user events
    # then the admin sees it and the consultant does not
    assert api(admin_user).get("/api/v1/audit-events/", {"object_type": "users.user"}).json()["count"] >= 1
    assert api(consultant).get("/api/v1/audit-events/", {"object_type": "users.user"}).json()["count"] == 0


def test_audit_events_filter_by_actor(api, admin_user, changes, customer):
    # given changes made by the consultant and by the admin
    # when the events are filtered by the admin's name
    rows = api(admin_user).get("/api/v1/audit-events/", {"customer": customer.pk, "actor": "hubadmin"}).json()
    # then only the admin's filter rule change is listed
    types = {row["object_type"] for row in rows["results"]}
    assert "mappings.filterrule" in types
    assert "mappings.statusmapping" not in types
    assert {row["actor"] for row in rows["results"]} == {"hubadmin"}


def test_audit_events_filter_by_object_type(api, admin_user, changes, customer):
    # given a mapping change and a filter rule change
    params = {"customer": customer.pk, "object_type": "mappings.statusmapping"}
    # when the events are filtered by the mapping's type
    rows = api(admin_user).get("/api/v1/audit-events/", params).json()["results"]
    # then only the mapping change is listed
    assert [row["object_type"] for row in rows] == ["mappings.statusmapping"]


def test_audit_events_filter_by_object_id_and_time(api, admin_user, changes, customer):
    # given the filter rule change moved three days back
    event = AuditEvent.objects.filter(object_type="mappings.filterrule").get()
    AuditEvent.objects.filter(pk=event.pk).update(time=timezone.now() - dt.timedelta(days=3))
    client = api(admin_user)
    # when the events are filtered by that rule's id
    by_id = client.get(
        "/api/v1/audit-events/", {"object_type": "mappings.filterrule", "object_id": event.object_id}
    )
    # then only its event comes back
    assert [row["id"] for row in by_id.json()["results"]] == [event.pk]
    # when the events are filtered from two days ago, and then up to two days ago
    two_days_ago = (timezone.now() - dt.timedelta(days=2)).isoformat()
    recent = client.get("/api/v1/audit-events/", {"customer": customer.pk, "since": two_days_ago}).json()
    # then the old change is only in the second list, the recent ones only in the first
    assert event.pk not in [row["id"] for row in recent["results"]]
    assert recent["count"] >= 1
    older = client.get("/api/v1/audit-events/", {"customer": customer.pk, "until": two_days_ago}).json()
    assert [row["id"] for row in older["results"]] == [event.pk]


def test_unknown_and_malformed_filters_are_a_400_naming_them(api, admin_user):
    # given an admin reading the audit events
    client = api(admin_user)
    # when a filter is unknown, a date malformed or an object type unknown
    response = client.get("/api/v1/audit-events/", {"colour": "blue"})
    # then each is a 400 naming the field
    assert response.status_code == 400
    assert "colour" in response.json()["extra"]["fields"]
    response = client.get("/api/v1/audit-events/", {"since": "yesterday"})
    assert response.status_code == 400
    assert "since" in response.json()["extra"]["fields"]
    response = client.get("/api/v1/audit-events/", {"object_type": "payroll.nothing"})
    assert response.status_code == 400
    assert "object_type" in response.json()["extra"]["fields"]


def test_a_user_without_a_role_may_not_read_audit_events(api, no_role_user):
    # when a user without a role lists the audit events, then it is forbidden
    assert api(no_role_user).get("/api/v1/audit-events/").status_code == 403


def test_audit_events_query_count_is_flat(api, admin_user, company_set, django_assert_max_num_queries):
    # given thirty mapping changes
    for n in range(30):
        status_mapping_set(company_set=company_set, code=f"C{n}", status_type="leave")
    client = api(admin_user)
    # when an admin lists the audit events
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/audit-events/")
    # then all are there within a fixed number of queries
    assert response.json()["count"] >= 30


def test_activity_page_lists_changes_and_filters_by_user_model_and_date(
    client, consultant, changes, customer
):
    # given the changes of this customer and another customer's secret mapping
    client.force_login(consultant)
    url = f"/admin/customers/{customer.pk}/activity/"
    # when the consultant opens the customer's Activity page
    page = client.get(url)
    # then it shows this customer's changes and who made them, never the other customer's
    assert page.status_code == 200
    html = page.content.decode()
    assert "FURL" in html
    assert "hubadmin" in html
    assert "SECRETCODE" not in html
    # when it is filtered by user, then by model, then from tomorrow on
    by_user = client.get(url, {"user": "hubadmin"}).content.decode()
    # then each filter narrows the list, and an empty result says so
    assert "mappings.filterrule" in by_user
    assert "mappings.statusmapping #" not in by_user
    by_model = client.get(url, {"model": "mappings.statusmapping"}).content.decode()
    assert "mappings.statusmapping #" in by_model
    assert "mappings.filterrule #" not in by_model
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert "No change recorded for these filters" in client.get(url, {"since": tomorrow}).content.decode()


def test_activity_page_of_another_customer_is_a_404(client, outsider, customer, changes):
    # given the changes of a customer
    # when an outsider opens that customer's Activity page, then it is not found
    client.force_login(outsider)
    assert client.get(f"/admin/customers/{customer.pk}/activity/").status_code == 404


def test_customer_page_links_to_its_activity(client, admin_user, customer):
    # given an admin signed in
    client.force_login(admin_user)
    # when the customer's page is opened
    html = client.get(f"/admin/companies/customer/{customer.pk}/change/").content.decode()
    # then it links to the customer's Activity page
    assert f"/admin/customers/{customer.pk}/activity/" in html


def test_admin_history_of_an_object_shows_the_diff(client, admin_user, company_set):
    # given a filter rule saved and then widened by the system
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
    # when an admin opens the rule's history
    client.force_login(admin_user)
    html = client.get(f"/admin/mappings/filterrule/{rule.pk}/history/").content.decode()
    # then the audit history shows the change and that no known user made it
    assert 'id="audit-history"' in html
    assert "XYZ" in html
    assert "system: unknown" in html


@pytest.mark.parametrize("changes_made", [3, 30])
def test_activity_page_query_count_does_not_grow_with_the_trail(
    client, admin_user, company_set, changes_made, django_assert_max_num_queries
):
    # given a few or many mapping changes
    for n in range(changes_made):
        status_mapping_set(company_set=company_set, code=f"Q{n}", status_type="leave")
    # when an admin opens the Activity page
    client.force_login(admin_user)
    with django_assert_max_num_queries(12):
        page = client.get(f"/admin/customers/{company_set.customer_id}/activity/")
    # then every change is listed within a fixed number of queries
    assert page.content.decode().count("mappings.statusmapping #") == changes_made
