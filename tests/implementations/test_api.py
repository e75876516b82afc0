"""REST API: projects, deliverables, advance, extract; the role table per endpoint; flat query counts."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from apps.employees.models import Employee, StatusEvent
from apps.implementations import services
from apps.implementations.models import ExtractDownload, ImplementationProject, PhaseChange
from apps.implementations.phases import Phase
from tests.companies.factories import CompanyFactory, CompanySetFactory
from tests.implementations.factories import PartyContactFactory, PartyFactory, make_project

pytestmark = pytest.mark.django_db

BASE = "/api/v1/implementations/"


@pytest.fixture
def project(customer):
    return make_project(customer, template_slug="deliverables-by-phase", name="Acme payroll feed")


def _persona(request, name):
    return None if name == "anonymous" else request.getfixturevalue(name)


# --- permission table ---------------------------------------------------------------------------------

# persona -> (list/read, create, patch a deliverable, advance, extract)
TABLE = {
    "anonymous": (401, 401, 401, 401, 401),
    "no_role_user": (403, 403, 403, 403, 403),
    "support_agent": (200, 403, 403, 403, 403),
    "consultant": (200, 201, 200, 200, 200),
    "admin_user": (200, 201, 200, 200, 200),
}


@pytest.mark.parametrize("persona", list(TABLE))
def test_role_table_for_every_endpoint(request, api, project, persona):
    # given a persona
    client = api(_persona(request, persona))
    read, create, patch, advance, extract = TABLE[persona]
    deliverable = project.deliverables.filter(phase=Phase.DISCOVERY).first()
    # when it uses each endpoint, then the status is the table's
    assert client.get(BASE).status_code == read
    assert client.get(f"{BASE}{project.pk}/").status_code == read
    assert client.get(f"{BASE}{project.pk}/deliverables/").status_code == read
    assert client.get(f"{BASE}{project.pk}/history/").status_code == read
    body = {"customer": project.customer_id, "name": f"New {persona}", "template": "web-api"}
    assert client.post(BASE, body, format="json").status_code == create
    url = f"{BASE}{project.pk}/deliverables/{deliverable.pk}/"
    assert client.patch(url, {"done": True}, format="json").status_code == patch
    # web-api projects have no Discovery lines, so advancing one is always allowed by the rule
    free = make_project(project.customer, template_slug="web-api", name=f"Free {persona}")
    assert client.post(f"{BASE}{free.pk}/advance/", {}, format="json").status_code == advance
    assert client.get(f"{BASE}{project.pk}/extract/").status_code == extract


def test_an_outsider_sees_none_of_the_customers_projects(api, outsider, project):
    # given a project of a customer the outsider does not serve
    # when the outsider lists, reads, ticks, advances or extracts it
    client = api(outsider)
    # then each answers as if the project did not exist
    assert client.get(BASE).json()["count"] == 0
    assert client.get(f"{BASE}{project.pk}/").status_code == 404
    assert client.get(f"{BASE}{project.pk}/deliverables/").status_code == 404
    deliverable = project.deliverables.first()
    response = client.patch(
        f"{BASE}{project.pk}/deliverables/{deliverable.pk}/", {"done": True}, format="json"
    )
    assert response.status_code == 404
    assert client.post(f"{BASE}{project.pk}/advance/", {}, format="json").status_code == 404
    assert client.get(f"{BASE}{project.pk}/extract/").status_code == 404
    # when the outsider creates a project for that customer
    body = {"customer": project.customer_id, "name": "Sneaky", "template": "web-api"}
    # then the customer is refused as a field, and the line is still open
    response = client.post(BASE, body, format="json")
    assert response.status_code == 400 and "customer" in response.json()["extra"]["fields"]
    deliverable.refresh_from_db()
    assert not deliverable.done


# --- projects -------------------------------------------------------------------------------------------


def test_create_a_project_from_a_template(api, consultant, customer):
    # when the consultant creates a project from the web API template
    response = api(consultant).post(
        BASE, {"customer": customer.pk, "name": "Affinity feed", "template": "web-api"}, format="json"
    )
    # then it starts active in discovery with the template's method and lines counted per phase
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["name"], body["template"], body["integration_method"], body["phase"], body["state"]) == (
        "Affinity feed",
        "web-api",
        "web_api",
        "discovery",
        "active",
    )
    progress = {row["phase"]: (row["done"], row["total"]) for row in body["progress"]}
    assert progress == {
        "discovery": (0, 0),
        "implementation": (0, 3),
        "testing": (0, 2),
        "move_to_production": (0, 1),
        "ongoing_support": (0, 1),
    }


def test_create_with_an_unknown_template_names_the_field(api, consultant, customer):
    # when a project is created from a template that does not exist
    response = api(consultant).post(
        BASE, {"customer": customer.pk, "name": "X", "template": "nope"}, format="json"
    )
    # then the 400 names the template field
    assert response.status_code == 400
    assert "template" in response.json()["extra"]["fields"]


def test_a_duplicate_name_is_a_400(api, consultant, project):
    # given a project of the customer
    # when another is created with the same name
    body = {"customer": project.customer_id, "name": project.name, "template": "web-api"}
    # then it is refused as a duplicate
    response = api(consultant).post(BASE, body, format="json")
    assert response.status_code == 400 and "already has a project" in response.json()["message"]


def test_filter_projects_by_phase_and_template(api, consultant, project, customer):
    # given a deliverables-by-phase project and a web API project, both in discovery
    make_project(customer, template_slug="web-api", name="Other")
    # when the projects are filtered by template and by phase
    client = api(consultant)
    # then each filter keeps only its matches
    assert client.get(f"{BASE}?template=web-api").json()["count"] == 1
    assert client.get(f"{BASE}?phase=discovery").json()["count"] == 2
    assert client.get(f"{BASE}?phase=testing").json()["count"] == 0


def test_project_list_query_count_is_flat(api, consultant, customer, django_assert_max_num_queries):
    # given twelve projects
    for n in range(12):
        make_project(customer, template_slug="deliverables-by-phase", name=f"P{n}")
    # when the consultant lists them
    client = api(consultant)
    with django_assert_max_num_queries(8):
        response = client.get(BASE)
    # then all are counted within a fixed number of queries
    assert response.json()["count"] == 12


def test_patch_a_project_changes_descriptive_fields(api, consultant, project):
    # when the consultant renames a project and sets its go-live date
    response = api(consultant).patch(
        f"{BASE}{project.pk}/", {"target_go_live": "2026-09-01", "name": "Renamed"}, format="json"
    )
    # then both are saved
    assert response.status_code == 200, response.content
    assert response.json()["target_go_live"] == "2026-09-01"
    project.refresh_from_db()
    assert project.name == "Renamed" and project.target_go_live == dt.date(2026, 9, 1)


# --- deliverables ---------------------------------------------------------------------------------------


def test_deliverables_list_in_phase_order_with_owners_by_team(api, consultant, project):
    # given a project with a third-party team named
    party = PartyFactory(project=project, role="third_party", team_name="Benefits broker")
    PartyContactFactory(party=party)
    # when its deliverables are listed
    rows = api(consultant).get(f"{BASE}{project.pk}/deliverables/").json()["results"]
    # then they come in phase order, owners named by team, with evidence where the system holds it
    assert [row["phase"] for row in rows] == [
        "discovery",
        "discovery",
        "discovery",
        "implementation",
        "implementation",
        "testing",
        "move_to_production",
        "ongoing_support",
        "ongoing_support",
    ]
    assert rows[1]["owner"] == "CIT or Benefits broker"
    assert rows[1]["owner_roles"] == ["customer_integration_team", "third_party"]
    assert rows[3]["evidence"]["kind"] == "credentials_received"
    assert rows[0]["evidence"] is None


def test_patch_done_ticks_through_the_service(api, consultant, project):
    # given an open line of a project
    deliverable = project.deliverables.first()
    url = f"{BASE}{project.pk}/deliverables/{deliverable.pk}/"
    # when the consultant ticks it with a note
    response = api(consultant).patch(url, {"done": True, "notes": "Signed"}, format="json")
    # then it is done by the consultant, with the note and the completion recorded as changes
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["done"] and body["done_by"] == "consultant" and body["notes"] == "Signed"
    assert list(deliverable.changes.order_by("id").values_list("action", flat=True)) == ["noted", "completed"]
    # and false reopens it
    # when it is unticked, then it is open again with no one named
    body = api(consultant).patch(url, {"done": False}, format="json").json()
    assert not body["done"] and body["done_by"] is None


def test_filter_deliverables(api, consultant, project):
    # when a project's deliverables are filtered by phase, then only that phase's line is listed
    rows = api(consultant).get(f"{BASE}{project.pk}/deliverables/?phase=testing").json()["results"]
    assert len(rows) == 1


def test_deliverable_of_another_project_is_not_found_under_this_one(api, consultant, project, customer):
    # given a line of another project of the same customer
    other = make_project(customer, template_slug="web-api", name="Other")
    # when it is ticked under this project, then it is not found
    url = f"{BASE}{project.pk}/deliverables/{other.deliverables.first().pk}/"
    assert api(consultant).patch(url, {"done": True}, format="json").status_code == 404


def test_deliverables_list_query_count_is_flat(api, consultant, customer, django_assert_max_num_queries):
    # given a twelve-line project with half its lines done
    project = make_project(customer, template_slug="customer-engagement", name="Engagement")
    for deliverable in project.deliverables.all()[:6]:
        services.deliverable_complete(deliverable=deliverable, acting_user=None)
    # when the consultant lists its deliverables
    with django_assert_max_num_queries(7):
        response = api(consultant).get(f"{BASE}{project.pk}/deliverables/")
    # then all are counted within a fixed number of queries
    assert response.json()["count"] == 12


# --- advance --------------------------------------------------------------------------------------------


def test_advance_with_an_open_deliverable_is_a_400_naming_it(api, consultant, project):
    # given a project with three open discovery lines
    # when the consultant advances it
    response = api(consultant).post(f"{BASE}{project.pk}/advance/", {}, format="json")
    # then it is refused naming the three open lines
    assert response.status_code == 400
    body = response.json()
    assert "still open" in body["message"]
    assert len(body["extra"]["open_deliverables"]) == 3


def test_a_consultant_override_is_a_403(api, consultant, project):
    # given a project with open discovery lines
    # when a consultant advances it with an override reason
    response = api(consultant).post(
        f"{BASE}{project.pk}/advance/", {"override_reason": "hurry"}, format="json"
    )
    # then only admins may override, and the project stays in discovery
    assert response.status_code == 403
    assert "Only admins" in response.json()["message"]
    project.refresh_from_db()
    assert project.phase == "discovery"


def test_an_admin_override_moves_and_records(api, admin_user, project):
    # given a project with open discovery lines
    # when an admin advances it with an override reason
    response = api(admin_user).post(
        f"{BASE}{project.pk}/advance/", {"override_reason": "Kick-off done offline"}, format="json"
    )
    # then it moves to implementation as an override with the reason, and the history shows it
    assert response.status_code == 200, response.content
    body = response.json()
    assert (
        body["overridden"]
        and body["reason"] == "Kick-off done offline"
        and body["to_phase"] == "implementation"
    )
    history = api(admin_user).get(f"{BASE}{project.pk}/history/").json()
    assert history[0]["overridden"] and len(history) == 2


def test_advance_after_every_line_is_done(api, consultant, project):
    # given a project whose discovery lines are all done
    for deliverable in project.deliverables.filter(phase="discovery"):
        services.deliverable_complete(deliverable=deliverable, acting_user=consultant)
    # when the consultant advances it
    response = api(consultant).post(f"{BASE}{project.pk}/advance/", {}, format="json")
    # then it moves to implementation without an override
    assert response.status_code == 200
    assert PhaseChange.objects.filter(project=project, overridden=False, to_phase="implementation").exists()


def test_refresh_evidence_returns_the_checklist(api, consultant, project):
    # given a project without a connection
    # when the consultant refreshes its evidence
    response = api(consultant).post(f"{BASE}{project.pk}/refresh-evidence/")
    # then the checklist comes back with every evidence line checked and saying there is no connection
    assert response.status_code == 200
    rows = [row for row in response.json() if row["evidence"]]
    assert all(row["evidence"]["checked_at"] for row in rows)
    assert "No connection" in rows[0]["evidence"]["summary"]


def test_support_cannot_refresh_evidence(api, support_agent, project):
    # when a support agent refreshes a project's evidence, then it is forbidden
    assert api(support_agent).post(f"{BASE}{project.pk}/refresh-evidence/").status_code == 403


# --- extract --------------------------------------------------------------------------------------------


@pytest.fixture
def employees(customer, company_set):
    company = CompanyFactory(company_set=company_set, external_id="6700")
    ada = Employee.objects.create(
        company=company,
        employee_id="1001",
        first_name="Ada",
        last_name="Lovelace",
        work_email="ada@acme.test",
        employment_type="RFT",
        benefit_class="FT",
        pay_group="BW",
        hire_date=dt.date(2020, 1, 6),
        status_code="A",
        status_type="active",
        status_effective_date=dt.date(2020, 1, 6),
        identity_key="k" * 64,
        national_id_last4="6789",
    )
    StatusEvent.objects.create(
        employee=ada,
        code="A",
        status_type="active",
        effective_date=dt.date(2020, 1, 6),
        recorded_at=dt.datetime(2020, 1, 6, tzinfo=dt.UTC),
        source="sync",
        change_reason="New hire",
    )
    Employee.objects.create(
        company=company,
        employee_id="1002",
        first_name="Alan",
        last_name="Turing",
        status_code="T",
        status_effective_date=dt.date(2024, 5, 31),
        termination_date=dt.date(2024, 5, 31),
    )
    # another customer's employee never appears
    other_set = CompanySetFactory()
    Employee.objects.create(company=CompanyFactory(company_set=other_set), employee_id="9", status_code="A")
    return company


def _csv(response):
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def test_extract_is_the_standard_file_without_national_id_or_birth_date(api, consultant, project, employees):
    # given a project and the customer's employees, one active and one terminated, and another customer's
    # when the consultant downloads the extract
    response = api(consultant).get(f"{BASE}{project.pk}/extract/")
    # then a CSV of the standard columns without national id or birth date, one row per own employee
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = _csv(response)
    assert rows[0] == [
        "company_id",
        "employee_id",
        "first_name",
        "last_name",
        "work_email",
        "employment_type",
        "benefit_class",
        "pay_group",
        "status_code",
        "status_effective_date",
        "change_reason",
        "hire_date",
        "termination_date",
    ]
    assert "national_id" not in rows[0] and "birth_date" not in rows[0]
    assert rows[1] == [
        "6700",
        "1001",
        "Ada",
        "Lovelace",
        "ada@acme.test",
        "RFT",
        "FT",
        "BW",
        "A",
        "2020-01-06",
        "New hire",
        "2020-01-06",
        "",
    ]
    assert rows[2][:2] == ["6700", "1002"] and rows[2][-1] == "2024-05-31"
    assert len(rows) == 3
    text = "\n".join(",".join(row) for row in rows)
    assert "6789" not in text and "k" * 64 not in text


def test_an_extract_download_is_recorded_as_evidence(api, consultant, project, employees):
    # given a project and the customer's employees
    # when the consultant downloads the extract
    api(consultant).get(f"{BASE}{project.pk}/extract/")
    # then the download is recorded with who and how many rows
    download = ExtractDownload.objects.get()
    assert (download.project, download.actor, download.row_count) == (project, "consultant", 2)


def test_extract_query_count_is_flat(api, consultant, project, employees, django_assert_max_num_queries):
    # given a project and the customer's employees
    client = api(consultant)

    def measure():
        with django_assert_max_num_queries(60) as captured:
            _csv(client.get(f"{BASE}{project.pk}/extract/"))
        return len(captured.captured_queries)

    measure()  # warm-up: the user's permission cache fills on the first request
    # when the extract is measured before and after forty more employees are added
    before = measure()
    for n in range(40):
        Employee.objects.create(company=employees, employee_id=f"2{n:03}", status_code="A")
    # then it takes the same number of queries
    assert measure() == before


def test_extract_of_employees_that_came_in_with_a_national_id_and_birth_date(
    api, consultant, project, company
):
    # given employees applied through the one write path with a national ID and a birth date
    from apps.employees.records import Source
    from apps.employees.services import employee_records_apply
    from tests.employees.factories import record

    result = employee_records_apply(
        company=company,
        records=[record("1001", national_id="123-45-6789", birth_date=dt.date(1990, 4, 1), company="123")],
        source=Source.SYNC,
    )
    assert not result.rejected
    # when the extract is downloaded
    text = "\n".join(",".join(row) for row in _csv(api(consultant).get(f"{BASE}{project.pk}/extract/")))
    # then neither appears in any form
    assert "1001" in text
    for secret in ("123-45-6789", "123456789", "6789", "1990-04-01", "1990"):
        assert secret not in text


def test_extract_of_a_customer_without_employees_is_only_the_header(api, consultant, project):
    # given a project of a customer without employees
    # when the extract is downloaded
    rows = _csv(api(consultant).get(f"{BASE}{project.pk}/extract/"))
    # then it holds only the header
    assert len(rows) == 1


def test_project_creation_is_in_history(api, consultant, customer):
    # when the consultant creates a project
    response = api(consultant).post(
        BASE, {"customer": customer.pk, "name": "Hist", "template": "file-based"}, format="json"
    )
    # then its first phase change names the consultant
    project = ImplementationProject.objects.get(pk=response.json()["id"])
    assert project.phase_changes.get().actor == "consultant"


def test_extract_neutralises_cells_a_spreadsheet_would_run_as_formulas(api, consultant, project, employees):
    # given an employee whose names came from the provider as formulas
    Employee.objects.filter(employee_id="1001").update(first_name="=cmd|' /C calc'!A0", last_name="@SUM(A1)")
    Employee.objects.filter(employee_id="1002").update(first_name="+1", last_name="\tTab")
    # when the extract is downloaded
    rows = {r[1]: r for r in _csv(api(consultant).get(f"{BASE}{project.pk}/extract/"))[1:]}
    # then each such cell starts with an apostrophe, read as text by spreadsheets
    assert rows["1001"][2:4] == ["'=cmd|' /C calc'!A0", "'@SUM(A1)"]
    assert rows["1002"][2:4] == ["'+1", "'\tTab"]
