"""Issue 15's "done when", end to end: a mapping changed through the API and a filter through the admin
both appear, with actor and diff, on the customer's Activity page and in audit-events."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.audit.models import AuditEvent
from apps.employees.services import filter_rule_save, status_mapping_set
from apps.implementations import services as implementation_services
from apps.implementations.models import ChecklistTemplate
from tests.implementations.factories import make_project

pytestmark = pytest.mark.django_db


def test_api_mapping_and_admin_filter_changes_show_on_activity_and_in_audit_events(
    client, company_set, consultant, admin_user
):
    # given a mapping and a filter rule that exist
    status_mapping_set(company_set=company_set, code="SABB", status_type="leave")
    rule = filter_rule_save(
        company_set=company_set, field="benefit_class", operator="in", values=["GOLD"], include=True
    )
    # when the consultant remaps the code with an API token ...
    token = Token.objects.create(user=consultant)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    created = api.post(
        "/api/v1/status-mappings/",
        {"company_set": company_set.pk, "code": "SABB", "status_type": "terminated"},
        format="json",
    )
    assert created.status_code == 201, created.content
    # ... and an admin edits the filter in the admin
    client.force_login(admin_user)
    saved = client.post(
        f"/admin/mappings/filterrule/{rule.pk}/change/",
        {
            "company_set": company_set.pk,
            "field": "benefit_class",
            "operator": "in",
            "values": "GOLD, SILVER",
            "include": "on",
            "description": "",
            "active": "on",
            "out_of_scope": "leave",
        },
    )
    assert saved.status_code == 302

    # then audit-events lists both, with actor, channel and diff
    rows = api.get("/api/v1/audit-events/", {"customer": company_set.customer_id}).json()["results"]
    mapping_row = next(
        r for r in rows if r["object_type"] == "mappings.statusmapping" and r["actor"] == "consultant"
    )
    assert mapping_row["channel"] == "api"
    assert mapping_row["changes"]["status_type"] == ["leave", "terminated"]
    filter_row = next(
        r for r in rows if r["object_type"] == "mappings.filterrule" and r["actor"] == "hubadmin"
    )
    assert filter_row["channel"] == "admin"
    assert filter_row["changes"]["values"] == [["GOLD"], ["GOLD", "SILVER"]]
    # and the customer's Activity page shows both, with who and what
    html = client.get(f"/admin/customers/{company_set.customer_id}/activity/").content.decode()
    table = html[html.index('id="activity"') : html.index('class="paginator"')]
    rows = table.split("<tr><td>")  # one item per event (the diff rows inside start with <tr><th>)
    mapping_html = next(
        r for r in rows if "mappings.statusmapping #" in r and "</td><td>consultant</td>" in r
    )
    assert "leave" in mapping_html
    assert "terminated" in mapping_html
    assert "REST API" in mapping_html
    filter_html = next(r for r in rows if "mappings.filterrule #" in r and "</td><td>hubadmin</td>" in r)
    assert "SILVER" in filter_html
    assert "Admin / web pages" in filter_html


def test_deliverables_and_checklist_templates_are_on_the_trail(customer, consultant):
    from apps.audit.context import audit_context

    # given a project of the customer
    project = make_project(customer)
    deliverable = project.deliverables.first()
    # when the consultant completes a deliverable in the admin
    with audit_context(channel="admin", user=consultant):
        implementation_services.deliverable_complete(deliverable=deliverable, acting_user=consultant)
    # then the trail records who did it, for which customer, and that it became done
    event = AuditEvent.objects.filter(object_type="implementations.deliverable").latest("id")
    assert (event.actor, event.customer_id, event.changes["done"]) == (
        "consultant",
        customer.pk,
        [False, True],
    )

    # when a checklist template is renamed
    template = ChecklistTemplate.objects.get(slug="web-api")
    template.name = "Web API (v2)"
    template.save()
    # then the trail records the new name under no customer
    event = AuditEvent.objects.filter(object_type="implementations.checklisttemplate").latest("id")
    assert event.changes["name"][1] == "Web API (v2)"
    assert event.customer_id is None
