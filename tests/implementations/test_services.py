"""Services: projects from templates, ticking deliverables, phase moves with their history."""

from __future__ import annotations

import pytest

from apps.core.errors import ApplicationError, NotPermitted
from apps.implementations import services
from apps.implementations.models import (
    ChecklistTemplate,
    Deliverable,
    DeliverableChange,
    ImplementationProject,
    PhaseChange,
)
from apps.implementations.phases import Phase
from tests.implementations.factories import (
    ChecklistTemplateFactory,
    ChecklistTemplateItemFactory,
    make_project,
)
from tests.integrations.factories import ConnectionFactory

pytestmark = pytest.mark.django_db

TEMPLATE_SLUGS = ["deliverables-by-phase", "web-api", "file-based", "customer-engagement"]


def _line(obj):
    return (
        obj.phase,
        obj.section,
        obj.order,
        obj.owner_role,
        obj.co_owner_role,
        obj.owner_join,
        obj.responsibility,
        obj.evidence_kind,
    )


@pytest.mark.parametrize("slug", TEMPLATE_SLUGS)
def test_a_project_gets_exactly_its_templates_lines(customer, consultant, slug):
    # given a seeded template
    template = ChecklistTemplate.objects.get(slug=slug)
    # when a project is created from it
    project = services.project_create(
        customer=customer, name=f"P {slug}", template=template, acting_user=consultant
    )
    # then its deliverables are the template's lines, per phase and owner, nothing more or less
    expected = [_line(item) for item in template.items.all()]
    got = [_line(d) for d in project.deliverables.order_by("order", "id")]
    assert got == expected
    assert len(got) > 0
    assert all(not d.done for d in project.deliverables.all())
    assert project.phase == Phase.DISCOVERY
    assert project.integration_method == (template.integration_method or "web_api")
    creation = project.phase_changes.get()
    assert creation.actor == "consultant" and slug in creation.reason


def test_editing_a_template_later_leaves_running_projects_alone(customer):
    # given a project made from the web API template
    project = make_project(customer, template_slug="web-api")
    # when a line of the template is reworded later
    item = ChecklistTemplate.objects.get(slug="web-api").items.first()
    item.responsibility = "Changed later"
    item.save()
    # then the project keeps its own copy of the line
    assert not project.deliverables.filter(responsibility="Changed later").exists()


def test_sections_copy_only_the_chosen_path(customer):
    # when a project is made from the engagement template for new customers only
    project = make_project(customer, template_slug="customer-engagement", sections=["New customer"])
    # then it holds only the new-customer line
    assert list(project.deliverables.values_list("section", flat=True)) == ["New customer"]


def test_an_unknown_section_is_refused_naming_the_known_ones(customer):
    # when a project is made with a section the template does not have
    with pytest.raises(ApplicationError) as caught:
        make_project(customer, template_slug="customer-engagement", sections=["Old customer"])
    # then it is refused naming that section and the sections there are
    assert "Old customer" in caught.value.message
    assert caught.value.extra["sections"] == ["Existing customer", "New customer"]


def test_a_duplicate_project_name_is_a_clear_error(customer):
    # given a project named Payroll feed
    make_project(customer, name="Payroll feed")
    # when another project of the customer gets the same name, then it is refused
    with pytest.raises(ApplicationError, match="already has a project named"):
        make_project(customer, name="Payroll feed")


def test_connections_of_another_customer_are_refused(customer, other_customer):
    # given a connection of another customer
    foreign = ConnectionFactory(customer=other_customer)
    # when a project is made with it, then it is refused
    with pytest.raises(ApplicationError, match="another customer"):
        make_project(customer, connections=[foreign])
    # and no project is made
    assert not ImplementationProject.objects.exists()


def test_an_inactive_template_is_not_offered(customer):
    # given an inactive template with a line
    template = ChecklistTemplateFactory(active=False)
    ChecklistTemplateItemFactory(template=template)
    # when a project is made from it, then it is refused as not offered
    with pytest.raises(ApplicationError, match="not offered"):
        services.project_create(customer=customer, name="X", template=template)


def test_completing_and_reopening_a_deliverable_is_history(customer, consultant):
    project = make_project(customer)
    deliverable = project.deliverables.first()
    # when a consultant ticks it, then reopens it
    done = services.deliverable_complete(
        deliverable=deliverable, acting_user=consultant, note="credentials sent"
    )
    assert done.done and done.done_by == consultant and done.done_at is not None
    reopened = services.deliverable_reopen(deliverable=done, acting_user=consultant, note="wrong environment")
    # then it is open again and the history names who did what
    assert not reopened.done and reopened.done_by is None and reopened.done_at is None
    history = list(deliverable.changes.order_by("created_at", "id").values_list("action", "actor", "note"))
    assert history == [
        ("completed", "consultant", "credentials sent"),
        ("reopened", "consultant", "wrong environment"),
    ]


def test_ticking_a_done_line_again_changes_nothing(customer, consultant, admin_user):
    # given a line ticked by the consultant
    deliverable = make_project(customer).deliverables.first()
    services.deliverable_complete(deliverable=deliverable, acting_user=consultant)
    # when an admin ticks it again
    again = services.deliverable_complete(deliverable=deliverable, acting_user=admin_user)
    # then it stays done by the consultant, with one change recorded
    assert again.done_by == consultant
    assert deliverable.changes.count() == 1


def test_notes_changes_are_history(customer, consultant):
    # given an open line
    deliverable = make_project(customer).deliverables.first()
    # when the same note is written twice
    services.deliverable_update(
        deliverable=deliverable, notes="Waiting on the broker", acting_user=consultant
    )
    services.deliverable_update(
        deliverable=deliverable, notes="Waiting on the broker", acting_user=consultant
    )
    # then the note is recorded once
    assert list(deliverable.changes.values_list("action", "note")) == [("noted", "Waiting on the broker")]


def _finish_phase(project, user):
    for deliverable in project.deliverables.filter(phase=project.phase):
        services.deliverable_complete(deliverable=deliverable, acting_user=user)


def test_a_phase_moves_on_when_every_deliverable_of_it_is_done(customer, consultant):
    # given a project whose discovery lines are all done
    project = make_project(customer, template_slug="deliverables-by-phase")
    _finish_phase(project, consultant)
    # when the consultant advances it
    change = services.project_advance(project=project, acting_user=consultant)
    # then it is in implementation, recorded as a plain move by the consultant
    project.refresh_from_db()
    assert project.phase == Phase.IMPLEMENTATION
    assert (change.from_phase, change.to_phase, change.overridden, change.actor) == (
        "discovery",
        "implementation",
        False,
        "consultant",
    )


def test_an_open_deliverable_blocks_the_move_and_is_named(customer, consultant):
    # given a project in Discovery with one line still open
    project = make_project(customer, template_slug="deliverables-by-phase")
    lines = list(project.deliverables.filter(phase=Phase.DISCOVERY))
    for deliverable in lines[:-1]:
        services.deliverable_complete(deliverable=deliverable, acting_user=consultant)
    # when someone tries to advance
    with pytest.raises(ApplicationError) as caught:
        services.project_advance(project=project, acting_user=consultant)
    # then it stays, and the error names the open line
    assert "still open" in caught.value.message
    assert "marketplace" in caught.value.message
    assert [row["id"] for row in caught.value.extra["open_deliverables"]] == [lines[-1].pk]
    project.refresh_from_db()
    assert project.phase == Phase.DISCOVERY
    assert project.phase_changes.count() == 1  # only the creation


def test_an_admin_overrides_with_a_reason_and_the_override_is_recorded(customer, admin_user):
    # given a project with its discovery lines open
    project = make_project(customer, template_slug="deliverables-by-phase")
    open_ids = set(project.deliverables.filter(phase=Phase.DISCOVERY).values_list("pk", flat=True))
    # when an admin advances it with a reason
    change = services.project_advance(
        project=project, acting_user=admin_user, override_reason="Business case signed off on paper"
    )
    # then it moves on, recorded as an override by the admin with the reason and the lines left open
    project.refresh_from_db()
    assert project.phase == Phase.IMPLEMENTATION
    assert change.overridden and change.reason == "Business case signed off on paper"
    assert change.actor == "hubadmin" and change.changed_by == admin_user
    assert {row["id"] for row in change.open_deliverables} == open_ids


def test_an_admin_without_a_reason_cannot_override(customer, admin_user):
    # given a project with its discovery lines open
    project = make_project(customer, template_slug="deliverables-by-phase")
    # when an admin advances it with a blank reason, then it is refused
    with pytest.raises(ApplicationError, match="still open"):
        services.project_advance(project=project, acting_user=admin_user, override_reason="   ")


def test_a_consultant_may_not_override(customer, consultant):
    # given a project with its discovery lines open
    project = make_project(customer, template_slug="deliverables-by-phase")
    # when a consultant advances it with a reason, then only admins may override
    with pytest.raises(NotPermitted, match="Only admins"):
        services.project_advance(project=project, acting_user=consultant, override_reason="in a hurry")
    # and it stays in discovery
    project.refresh_from_db()
    assert project.phase == Phase.DISCOVERY


def test_a_phase_without_deliverables_moves_on(customer, consultant):
    # web-api has no Discovery lines
    # given a web API project, whose first phase has no lines
    project = make_project(customer, template_slug="web-api")
    # when the consultant advances it
    services.project_advance(project=project, acting_user=consultant)
    # then it is in implementation
    project.refresh_from_db()
    assert project.phase == Phase.IMPLEMENTATION


def test_the_last_phase_does_not_move(customer, admin_user):
    # given a web API project moved through to ongoing support by overrides
    project = make_project(customer, template_slug="web-api")
    for _ in range(4):
        services.project_advance(project=project, acting_user=admin_user, override_reason="walkthrough")
    project.refresh_from_db()
    # then it is in the last phase
    assert project.phase == Phase.ONGOING_SUPPORT
    # when it is advanced once more, then it is refused
    with pytest.raises(ApplicationError, match="last phase"):
        services.project_advance(project=project, acting_user=admin_user, override_reason="walkthrough")


def test_a_project_on_hold_does_not_move_and_state_changes_are_history(customer, consultant):
    # given a project put on hold
    project = make_project(customer, template_slug="web-api")
    services.project_state_set(
        project=project, state="on_hold", reason="Customer paused", acting_user=consultant
    )
    # when it is advanced, then it is refused
    with pytest.raises(ApplicationError, match="on hold"):
        services.project_advance(project=project, acting_user=consultant)
    # and the hold is in the project's history with its reason
    change = project.phase_changes.first()
    assert (change.from_state, change.to_state, change.reason) == ("active", "on_hold", "Customer paused")


def test_a_state_change_needs_a_reason(customer, consultant):
    # given a project
    project = make_project(customer)
    # when it is closed without a reason, then it is refused asking why
    with pytest.raises(ApplicationError, match="why"):
        services.project_state_set(project=project, state="closed", reason="", acting_user=consultant)


def test_an_override_without_a_reason_is_refused_by_the_database_too(customer):
    # given a project
    project = make_project(customer)
    from django.db import IntegrityError

    # when an override without a reason is written to the database directly, then the database refuses it
    with pytest.raises(IntegrityError):
        PhaseChange.objects.create(
            project=project, from_phase="discovery", to_phase="implementation", actor="x", overridden=True
        )


def test_done_fields_must_agree_in_the_database(customer):
    # given an open line
    deliverable = make_project(customer).deliverables.first()
    from django.db import IntegrityError

    # when it is marked done directly in the database without who and when, then the database refuses it
    with pytest.raises(IntegrityError):
        Deliverable.objects.filter(pk=deliverable.pk).update(done=True)


def test_parties_bind_roles_to_teams_and_one_primary_contact(customer, consultant):
    # given a project
    project = make_project(customer)
    # when its integration team is named twice
    party = services.party_set(project=project, role="customer_integration_team", team_name="Acme HR systems")
    again = services.party_set(project=project, role="customer_integration_team", team_name="Acme People Ops")
    # then one party holds the latest team name
    assert again.pk == party.pk and again.team_name == "Acme People Ops"
    # when two contacts are each made primary
    first = services.party_contact_set(party=party, name="Jo", email="jo@acme.test", phone="1", primary=True)
    second = services.party_contact_set(party=party, name="Sam", email="sam@acme.test", primary=True)
    # then only the latest is primary
    first.refresh_from_db()
    assert second.primary and not first.primary


def test_project_update_changes_only_descriptive_fields(customer, consultant):
    # given a project
    project = make_project(customer)
    # when its phase is changed as a descriptive field, then it is refused
    with pytest.raises(ApplicationError, match="phase"):
        services.project_update(project=project, phase="testing")
    # when it is renamed
    services.project_update(project=project, name="Renamed", acting_user=consultant)
    # then the new name is saved and no checklist change is recorded
    project.refresh_from_db()
    assert project.name == "Renamed"
    assert DeliverableChange.objects.count() == 0
