"""The printable roles-and-responsibilities page."""

from __future__ import annotations

import pytest

from apps.implementations import services
from tests.implementations.factories import PartyContactFactory, PartyFactory, make_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(customer):
    project = make_project(customer, template_slug="deliverables-by-phase", name="Acme feed")
    cit = PartyFactory(project=project, role="customer_integration_team", team_name="Acme HR systems")
    PartyContactFactory(party=cit, name="Jo Bloggs", email="jo@acme.test", phone="+1 555 0101", primary=True)
    PartyFactory(project=project, role="provider", team_name="Paylocity Web Services")
    return project


def _url(project):
    return f"/implementations/{project.pk}/roles/"


def test_roles_page_shows_phases_teams_contacts_and_state(client, consultant, project):
    # given a project with its teams and contacts, and one deliverable completed
    services.deliverable_complete(deliverable=project.deliverables.first(), acting_user=consultant)
    # when the consultant opens the roles page
    client.force_login(consultant)
    response = client.get(_url(project))
    # then it shows phase progress, teams, contacts and the missing team, printable, in the admin chrome
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "Roles and responsibilities: Acme feed",
        "Discovery — 1/3 done",
        "Move to Production — 0/1 done",
        "Acme HR systems",
        "Jo Bloggs",
        "jo@acme.test",
        "+1 555 0101",
        "Paylocity Web Services",
        "Third-party associate: no team named",
        "business case",
        "@media print",
        "Active",
    ):
        assert text in html, text
    assert "extends" not in html and "site-name" in html  # rendered inside the admin chrome


def test_roles_page_needs_a_staff_login(client, project):
    # given a project
    # when someone not signed in opens its roles page
    response = client.get(_url(project))
    # then they are sent to the admin login
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_roles_page_is_scoped_to_the_users_customers(client, outsider, project):
    # given a project of a customer the outsider does not serve
    # when the outsider opens its roles page, then it is not found
    client.force_login(outsider)
    assert client.get(_url(project)).status_code == 404


def test_roles_page_needs_the_view_permission(client, no_role_user, project):
    # given a user without a role
    # when the user opens the roles page, then it is forbidden
    client.force_login(no_role_user)
    assert client.get(_url(project)).status_code == 403


def test_roles_page_query_count_does_not_grow_with_lines(
    client, consultant, customer, django_assert_max_num_queries
):
    # given a project from the longer engagement template
    project = make_project(customer, template_slug="customer-engagement", name="Engagement")
    PartyFactory(project=project, role="provider", team_name="Affinity")
    # when the consultant opens the roles page
    client.force_login(consultant)
    # then it loads within a fixed number of queries
    with django_assert_max_num_queries(14):
        assert client.get(_url(project)).status_code == 200
