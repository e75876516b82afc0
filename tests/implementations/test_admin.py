"""Admin: projects by phase with progress, the checklist ticked through the services, advance and override."""

from __future__ import annotations

import pytest

from apps.implementations import services
from apps.implementations.models import (
    ChecklistTemplate,
    Deliverable,
    ExtractDownload,
    ImplementationProject,
    Party,
)
from apps.implementations.phases import PHASE_ORDER
from tests.implementations.factories import PartyFactory, make_project

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/implementations/implementationproject/"


@pytest.fixture
def project(customer):
    return make_project(customer, template_slug="deliverables-by-phase", name="Acme feed")


def test_changelist_shows_progress_per_phase_with_flat_queries(
    client, consultant, customer, django_assert_max_num_queries
):
    # given many projects with some lines done
    for n in range(15):
        project = make_project(customer, template_slug="deliverables-by-phase", name=f"P{n:02}")
        services.deliverable_complete(deliverable=project.deliverables.first(), acting_user=None)
    client.force_login(consultant)
    # when the list is shown, then the query count does not grow with the projects
    with django_assert_max_num_queries(12):
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Discovery 1/3" in html and "Implementation 0/2" in html and "Ongoing Support 0/2" in html
    assert html.count("Discovery 1/3") == 15


def test_changelist_is_ordered_by_phase(client, admin_user, customer):
    # given a project already moved to implementation, named to sort first, and a later one still in discovery
    later = make_project(customer, template_slug="web-api", name="A later project")
    services.project_advance(project=later, acting_user=admin_user)
    make_project(customer, template_slug="web-api", name="Z early project")
    # when the admin opens the project list
    client.force_login(admin_user)
    html = client.get(CHANGELIST).content.decode()
    # then the project in the earlier phase comes first, whatever the names
    assert html.index("Z early project") < html.index("A later project")


def test_outsider_does_not_see_the_project(client, outsider, project):
    # given a project of a customer the outsider does not serve
    # when the outsider opens the project list and the project's page
    client.force_login(outsider)
    html = client.get(CHANGELIST).content.decode()
    # then neither the project nor its customer is named, and the page is treated as absent
    assert "Acme feed" not in html
    assert "Acme" not in html  # not even in the customer filter
    assert client.get(f"{CHANGELIST}{project.pk}/change/").status_code == 302  # "does not exist" redirect


def test_project_page_groups_the_checklist_by_phase(client, consultant, project):
    # given a project with a third-party team named
    PartyFactory(project=project, role="third_party", team_name="Benefits broker")
    # when the consultant opens the project page
    client.force_login(consultant)
    response = client.get(f"{CHANGELIST}{project.pk}/change/")
    # then the checklist is grouped by phase, owners read with team names, and the related pages are linked
    assert response.status_code == 200
    html = response.content.decode()
    positions = [html.index(f"{label} deliverables") for label in ("Discovery", "Implementation", "Testing")]
    assert positions == sorted(positions)
    assert "CIT or Benefits broker" in html
    assert "Roles and responsibilities page" in html and "Phase and state history" in html


def _inline_post(client, project, changes: dict[int, dict]):
    """Post the project's change form back, with some deliverable forms changed."""
    response = client.get(f"{CHANGELIST}{project.pk}/change/")
    form = response.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name in form.fields}
    data["connections"] = []
    for formset in response.context["inline_admin_formsets"]:
        fs = formset.formset
        data.update(
            {
                f"{fs.prefix}-TOTAL_FORMS": str(len(fs.forms)),
                f"{fs.prefix}-INITIAL_FORMS": str(len(fs.forms)),
                f"{fs.prefix}-MIN_NUM_FORMS": "0",
                f"{fs.prefix}-MAX_NUM_FORMS": "1000",
            }
        )
        for i, f in enumerate(fs.forms):
            data[f"{fs.prefix}-{i}-id"] = str(f.instance.pk)
            if fs.model is Deliverable:
                data[f"{fs.prefix}-{i}-project"] = str(project.pk)
                values = {"done": f.instance.done, "notes": f.instance.notes} | changes.get(f.instance.pk, {})
                if values["done"]:
                    data[f"{fs.prefix}-{i}-done"] = "on"
                data[f"{fs.prefix}-{i}-notes"] = values["notes"]
            elif fs.model is Party:
                data[f"{fs.prefix}-{i}-project"] = str(project.pk)
                for field in ("role", "team_name", "organisation"):
                    data[f"{fs.prefix}-{i}-{field}"] = getattr(f.instance, field)
    data = {k: v for k, v in data.items() if k not in {"customer", "template"}}
    return client.post(f"{CHANGELIST}{project.pk}/change/", data)


def test_ticking_a_line_in_the_admin_completes_it_through_the_service(client, consultant, project):
    # given two discovery lines of a project
    client.force_login(consultant)
    first, second = project.deliverables.filter(phase="discovery")[:2]
    # when the consultant ticks the first and writes a note on the second in the admin
    response = _inline_post(
        client, project, {first.pk: {"done": True}, second.pk: {"notes": "Broker call Tue"}}
    )
    # then the first is done by the consultant and the second only noted, each recorded as a change
    assert response.status_code == 302, response.context and response.context["errors"]
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.done and first.done_by == consultant
    assert second.notes == "Broker call Tue" and not second.done
    assert first.changes.get().actor == "consultant"
    assert second.changes.get().action == "noted"
    assert project.deliverables.filter(done=True).count() == 1


def test_support_sees_the_checklist_but_cannot_tick(client, support_agent, project):
    # given a project
    # when a support agent opens its page
    client.force_login(support_agent)
    response = client.get(f"{CHANGELIST}{project.pk}/change/")
    # then the checklist is shown without tick boxes
    assert response.status_code == 200
    assert b'name="deliverable_set-0-done"' not in response.content


def test_advance_page_refuses_open_lines_for_a_consultant(client, consultant, project):
    # given a project with open discovery lines
    # when a consultant opens the advance page and tries to move on with a reason
    client.force_login(consultant)
    url = f"{CHANGELIST}advance/?ids={project.pk}"
    page = client.get(url)
    # then only admins are offered the override, and the project stays in discovery
    assert page.status_code == 200
    html = page.content.decode()
    assert "Only admins may override" in html and 'name="override_reason"' not in html
    client.post(url, {"ids": str(project.pk), "override_reason": "try anyway"})
    project.refresh_from_db()
    assert project.phase == "discovery"


def test_admin_overrides_from_the_advance_page_with_a_reason(client, admin_user, project):
    # given a project with open discovery lines
    # when an admin opens the advance page and moves on with a reason
    client.force_login(admin_user)
    url = f"{CHANGELIST}advance/"
    assert 'name="override_reason"' in client.get(f"{url}?ids={project.pk}").content.decode()
    response = client.post(url, {"ids": str(project.pk), "override_reason": "Agreed with the customer"})
    # then the project is in implementation and the change is recorded as an override with the reason
    assert response.status_code == 302
    project.refresh_from_db()
    change = project.phase_changes.first()
    assert (
        project.phase == "implementation"
        and change.overridden
        and change.reason == "Agreed with the customer"
    )


def test_advance_action_leads_to_the_advance_page(client, admin_user, project):
    # given a project
    # when the admin runs the advance action on it
    client.force_login(admin_user)
    response = client.post(CHANGELIST, {"action": "advance_selected", "_selected_action": [project.pk]})
    # then the admin is taken to the advance page for it
    assert response.status_code == 302 and response["Location"].endswith(f"advance/?ids={project.pk}")


def test_admin_can_add_a_project_from_a_template(client, consultant, customer):
    # given the customer engagement template
    client.force_login(consultant)
    template = ChecklistTemplate.objects.get(slug="customer-engagement")
    # when the consultant adds a project from it for existing customers only
    response = client.post(
        f"{CHANGELIST}add/",
        {
            "customer": customer.pk,
            "name": "Engagement",
            "template": template.pk,
            "sections": "Existing customer",
            "integration_method": "",
            "notes": "",
        },
    )
    # then the project gets that section's eleven lines and its first phase change names the consultant
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    project = ImplementationProject.objects.get(name="Engagement")
    assert project.deliverables.count() == 11
    assert project.phase_changes.get().actor == "consultant"


def test_extract_button_downloads_and_records(client, consultant, project):
    # given a project
    # when the consultant downloads its extract from the admin
    client.force_login(consultant)
    response = client.get(f"{CHANGELIST}{project.pk}/extract/")
    # then a CSV of the employee file comes back and the download is recorded
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert b"".join(response.streaming_content).startswith(b"company_id,employee_id")
    assert ExtractDownload.objects.filter(project=project, actor="consultant").exists()


def test_support_cannot_download_the_extract_from_the_admin(client, support_agent, project):
    # given a project
    # when a support agent asks for its extract, then it is forbidden and nothing is recorded
    client.force_login(support_agent)
    assert client.get(f"{CHANGELIST}{project.pk}/extract/").status_code == 403
    assert not ExtractDownload.objects.exists()


def test_check_evidence_now_needs_a_post(client, consultant, project):
    # given a project with evidence lines never checked
    client.force_login(consultant)
    url = f"{CHANGELIST}{project.pk}/refresh/"
    # when the check is asked for by a plain link, then nothing is checked
    assert client.get(url).status_code == 302
    assert not project.deliverables.exclude(evidence_checked_at=None).exists()
    # when it is posted, then every evidence line has been checked
    client.post(url)
    assert project.deliverables.exclude(evidence_kind="").filter(evidence_checked_at=None).count() == 0


def test_templates_are_editable_in_the_admin_by_admins_only(client, admin_user, consultant):
    # given the web API template
    template = ChecklistTemplate.objects.get(slug="web-api")
    url = f"/admin/implementations/checklisttemplate/{template.pk}/change/"
    # when a consultant opens it, then it is read-only
    client.force_login(consultant)
    page = client.get(url)
    assert page.status_code == 200 and b'name="name"' not in page.content  # read-only for consultants
    # when an admin opens it, then it is editable with its lines
    client.force_login(admin_user)
    page = client.get(url)
    assert b'name="name"' in page.content
    assert page.content.count(b"items-") > 7


def test_template_changelist_query_count_is_flat(client, admin_user, django_assert_max_num_queries):
    # given an admin signed in
    client.force_login(admin_user)
    # when the template list is opened, then it loads within a fixed number of queries
    with django_assert_max_num_queries(10):
        assert client.get("/admin/implementations/checklisttemplate/").status_code == 200


def test_every_phase_has_an_inline(client, admin_user, project):
    # given a project
    # when the admin opens it
    client.force_login(admin_user)
    response = client.get(f"{CHANGELIST}{project.pk}/change/")
    # then there is one deliverables inline per phase
    titles = [formset.opts.verbose_name_plural for formset in response.context["inline_admin_formsets"]]
    assert sum(1 for t in titles if t.endswith("deliverables")) == len(PHASE_ORDER)
