"""The lifecycle API: employees, status events, persons, mappings (+ preview), filters, actions, batches."""

from __future__ import annotations

import pytest

from apps.employees.models import ChangeBatch, DownstreamAction, Employee
from tests.employees.factories import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def populated(apply):
    apply([record("1001", "A", "2026-01-05"), record("1002", "A", "2026-01-05")])
    apply([record("1002", "S", "2026-02-01")])  # held: unmapped custom code
    return Employee.objects.get(employee_id="1001")


READ_ENDPOINTS = [
    "employees",
    "persons",
    "status-codes",
    "status-mappings",
    "filter-rules",
    "downstream-actions",
    "change-batches",
    "downstream-targets",
]
TABLE = {"anonymous": 401, "no_role_user": 403, "support_agent": 200, "consultant": 200, "admin_user": 200}


@pytest.mark.parametrize("resource", READ_ENDPOINTS)
@pytest.mark.parametrize("persona", list(TABLE))
def test_read_permission_table(request, api, populated, persona, resource):
    user = None if persona == "anonymous" else request.getfixturevalue(persona)
    assert api(user).get(f"/api/v1/{resource}/").status_code == TABLE[persona]


@pytest.mark.parametrize("resource", ["employees", "persons", "downstream-actions"])
def test_outsider_sees_none_of_the_customers_rows(api, populated, outsider, resource):
    # given the customer's synced employees
    # when an outsider lists the resource or opens one of the employees, then none of them is visible
    assert api(outsider).get(f"/api/v1/{resource}/").json()["count"] == 0
    assert api(outsider).get(f"/api/v1/employees/{populated.pk}/").status_code == 404


def test_employee_fields_and_filters(api, populated, consultant):
    # given two synced employees, one held on an unmapped custom code
    client = api(consultant)
    # when the consultant lists held employees of the company
    rows = client.get("/api/v1/employees/?company_external_id=123&held=true").json()["results"]
    # then only the held one is listed, with no status type yet
    assert [(r["employee_id"], r["status_code"], r["status_type"], r["held"]) for r in rows] == [
        ("1002", "S", None, True)
    ]
    # when the synced employee's status history is read
    events = client.get(f"/api/v1/employees/{populated.pk}/status-events/").json()["results"]
    # then it holds the one new-hire event from the sync
    assert [(e["code"], e["source"], e["transition"]) for e in events] == [("A", "sync", "new_hire")]


def test_mapping_preview_then_save_releases_held_events(api, populated, consultant, company_set):
    # given an employee held on the unmapped code S
    client = api(consultant)
    body = {"company_set": company_set.pk, "code": "S", "status_type": "terminated"}
    # when the consultant previews mapping S to terminated
    preview = client.post("/api/v1/status-mappings/preview/", body, format="json")
    # then the preview counts the released event and its deprovision, and saves nothing
    assert preview.status_code == 200, preview.content
    assert preview.json()["released_events"] == 1
    assert [a["action"] for a in preview.json()["actions"]] == ["deprovision"]
    assert Employee.objects.get(employee_id="1002").held is True  # nothing saved by the preview
    # when the mapping is saved
    saved = client.post("/api/v1/status-mappings/", body, format="json")
    # then the held event is released and the code shows as terminated next to the standard codes
    assert saved.status_code == 201, saved.content
    assert saved.json()["released_events"] == 1
    assert Employee.objects.get(employee_id="1002").status_type == "terminated"
    codes = {
        c["code"]: c["status_type"]
        for c in client.get("/api/v1/status-codes/?page_size=100").json()["results"]
    }
    assert codes["S"] == "terminated" and codes["XT"] == "terminated" and codes["L"] == "leave"


def test_support_agent_cannot_map_codes(api, populated, support_agent, company_set):
    # given an employee held on an unmapped custom code
    # when a support agent tries to map the code
    response = api(support_agent).post(
        "/api/v1/status-mappings/",
        {"company_set": company_set.pk, "code": "S", "status_type": "active"},
        format="json",
    )
    # then it is refused
    assert response.status_code == 403


def test_mapping_a_standard_code_is_a_clear_400(api, consultant, company_set):
    # given the standard code T, whose meaning is fixed
    # when a consultant tries to map it
    response = api(consultant).post(
        "/api/v1/status-mappings/",
        {"company_set": company_set.pk, "code": "T", "status_type": "active"},
        format="json",
    )
    # then a 400 explains that standard codes cannot be mapped
    assert response.status_code == 400
    assert "standard code" in response.json()["message"]


def test_filter_rule_preview_and_save(api, populated, consultant, company_set):
    # given two synced full-time employees
    client = api(consultant)
    rule = {"company_set": company_set.pk, "field": "employee_type", "values": ["RFT"]}
    # when a rule naming an unknown field is previewed, then it is refused
    assert (
        client.post("/api/v1/filter-rules/preview/", rule, format="json").status_code == 400
    )  # bad field name
    # given a rule keeping only part-time employees
    rule = {
        "company_set": company_set.pk,
        "field": "employment_type",
        "operator": "in",
        "values": ["RPT"],
        "include": True,
    }
    # when the rule is previewed
    preview = client.post("/api/v1/filter-rules/preview/", rule, format="json").json()
    # then both employees would leave scope and both are counted as held
    assert {k: preview[k] for k in ("records", "in_scope_now", "in_scope_after", "change")} == {
        "records": 2,
        "in_scope_now": 2,
        "in_scope_after": 0,
        "change": -2,
    }
    assert preview["persons_leaving_scope_held"] == 2
    # when the rule is saved
    created = client.post("/api/v1/filter-rules/", rule, format="json")
    # then both are out of scope and, by default, keep their downstream access
    assert created.status_code == 201, created.content
    assert Employee.objects.filter(in_scope=False).count() == 2
    assert not DownstreamAction.objects.filter(action="deprovision").exists()  # default: leave their access


def test_a_filter_rule_can_deprovision_the_people_it_takes_out_of_scope(
    api, populated, consultant, company_set
):
    # given two full-time employees and a part-timers-only rule that deprovisions whoever leaves scope
    rule = {
        "company_set": company_set.pk,
        "field": "employment_type",
        "operator": "in",
        "values": ["RPT"],
        "include": True,
        "out_of_scope": "deprovision",
    }
    # when the consultant saves the rule
    created = api(consultant).post("/api/v1/filter-rules/", rule, format="json")
    # then the choice is not kept on the rule, and each person leaving scope is deprovisioned by it
    assert created.status_code == 201, created.content
    assert "out_of_scope" not in created.json()  # a choice made when saving, not a property of the rule
    deprovisions = DownstreamAction.objects.filter(action="deprovision")
    assert set(deprovisions.values_list("cause_type", "cause_id")) == {
        ("filter_rule", str(created.json()["id"]))
    }
    assert deprovisions.count() == 2
    # when an unknown out-of-scope choice is sent, then it is refused
    wrong = {**rule, "out_of_scope": "remove"}
    assert api(consultant).post("/api/v1/filter-rules/", wrong, format="json").status_code == 400


def test_replay_and_approval_need_the_right_role(
    api, apply, populated, support_agent, consultant, admin_user
):
    # given a downstream action from the sync
    action = DownstreamAction.objects.first()
    # when a consultant and then a support agent replay it, then only the support agent may
    assert api(consultant).post(f"/api/v1/downstream-actions/{action.pk}/replay/").status_code == 403
    replay = api(support_agent).post(f"/api/v1/downstream-actions/{action.pk}/replay/")
    assert replay.status_code == 200 and replay.json()["state"] == "pending"
    # given a mass termination held for approval
    apply([record(str(n), "A", "2026-01-05") for n in range(10, 30)])
    apply([record(str(n), "T", "2026-05-01") for n in range(10, 20)])
    batch = ChangeBatch.objects.get(state="awaiting_approval")
    # when an admin reads the batch, then the held people are listed by name
    listing = api(admin_user).get(f"/api/v1/change-batches/{batch.pk}/").json()
    assert len(listing["held"]) == 10 and listing["held"][0]["name"]
    # when a support agent approves, or an admin rejects without a reason, then both are refused
    assert (
        api(support_agent).post("/api/v1/downstream-actions/approve/", {"batch": batch.pk}).status_code == 403
    )
    rejected = api(admin_user).post("/api/v1/downstream-actions/reject/", {"batch": batch.pk}, format="json")
    assert rejected.status_code == 400 and "why" in rejected.json()["message"]
    # when an admin approves with a reason
    approved = api(admin_user).post(
        "/api/v1/downstream-actions/approve/", {"batch": batch.pk, "reason": "ok"}, format="json"
    )
    # then the batch is approved
    assert approved.status_code == 200 and approved.json()["state"] == "approved"


def test_downstream_target_secret_is_write_only(api, consultant, customer):
    # when a consultant creates a downstream target with a signing secret
    created = api(consultant).post(
        "/api/v1/downstream-targets/",
        {"customer": customer.pk, "url": "https://apps.example.com/hooks", "signing_secret": "whsec_abc"},
        format="json",
    )
    # then the secret is never echoed back, only that one is set
    assert created.status_code == 201, created.content
    assert "whsec_abc" not in created.content.decode() and created.json()["signing_secret_set"] is True


@pytest.mark.parametrize("resource", ["employees", "persons", "downstream-actions", "status-codes"])
def test_list_query_count_is_flat(api, apply, consultant, resource, django_assert_max_num_queries):
    # given forty synced employees
    apply([record(str(n), "A", "2026-01-05") for n in range(40)])
    client = api(consultant)
    # when a page of the resource is listed
    with django_assert_max_num_queries(10):
        response = client.get(f"/api/v1/{resource}/?page_size=100")
    # then it succeeds within a flat number of queries
    assert response.status_code == 200
