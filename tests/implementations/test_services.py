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
    project = make_project(customer, template_slug="web-api")
    item = ChecklistTemplate.objects.get(slug="web-api").items.first()
    item.responsibility = "Changed later"
    item.save()
    assert not project.deliverables.filter(responsibility="Changed later").exists()


def test_sections_copy_only_the_chosen_path(customer):
    project = make_project(customer, template_slug="customer-engagement", sections=["New customer"])
    assert list(project.deliverables.values_list("section", flat=True)) == ["New customer"]


def test_an_unknown_section_is_refused_naming_the_known_ones(customer):
    with pytest.raises(ApplicationError) as caught:
        make_project(customer, template_slug="customer-engagement", sections=["Old customer"])
    assert "Old customer" in caught.value.message
    assert caught.value.extra["sections"] == ["Existing customer", "New customer"]


def test_a_duplicate_project_name_is_a_clear_error(customer):
    make_project(customer, name="Payroll feed")
    with pytest.raises(ApplicationError, match="already has a project named"):
        make_project(customer, name="Payroll feed")


def test_connections_of_another_customer_are_refused(customer, other_customer):
    foreign = ConnectionFactory(customer=other_customer)
    with pytest.raises(ApplicationError, match="another customer"):
        make_project(customer, connections=[foreign])
    assert not ImplementationProject.objects.exists()


def test_an_inactive_template_is_not_offered(customer):
    template = ChecklistTemplateFactory(active=False)
    ChecklistTemplateItemFactory(template=template)
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
    deliverable = make_project(customer).deliverables.first()
    services.deliverable_complete(deliverable=deliverable, acting_user=consultant)
    again = services.deliverable_complete(deliverable=deliverable, acting_user=admin_user)
    assert again.done_by == consultant
    assert deliverable.changes.count() == 1


def test_notes_changes_are_history(customer, consultant):
    deliverable = make_project(customer).deliverables.first()
    services.deliverable_update(
        deliverable=deliverable, notes="Waiting on the broker", acting_user=consultant
    )
    services.deliverable_update(
        deliverable=deliverable, notes="Waiting on the broker", acting_user=consultant
    )
    assert list(deliverable.changes.values_list("action", "note")) == [("noted", "Waiting on the broker")]


def _finish_phase(project, user):
    for deliverable in project.deliverables.filter(phase=project.phase):
        services.deliverable_complete(deliverable=deliverable, acting_user=user)


def test_a_phase_moves_on_when_every_deliverable_of_it_is_done(customer, consultant):
    project = make_project(customer, template_slug="deliverables-by-phase")
    _finish_phase(project, consultant)
    change = services.project_advance(project=project, acting_user=consultant)
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
    project = make_project(customer, template_slug="deliverables-by-phase")
    open_ids = set(project.deliverables.filter(phase=Phase.DISCOVERY).values_list("pk", flat=True))
    change = services.project_advance(
        project=project, acting_user=admin_user, override_reason="Business case signed off on paper"
    )
    project.refresh_from_db()
    assert project.phase == Phase.IMPLEMENTATION
    assert change.overridden and change.reason == "Business case signed off on paper"
    assert change.actor == "hubadmin" and change.changed_by == admin_user
    assert {row["id"] for row in change.open_deliverables} == open_ids


def test_an_admin_without_a_reason_cannot_override(customer, admin_user):
    project = make_project(customer, template_slug="deliverables-by-phase")
    with pytest.raises(ApplicationError, match="still open"):
        services.project_advance(project=project, acting_user=admin_user, override_reason="   ")


def test_a_consultant_may_not_override(customer, consultant):
    project = make_project(customer, template_slug="deliverables-by-phase")
    with pytest.raises(NotPermitted, match="Only admins"):
        services.project_advance(project=project, acting_user=consultant, override_reason="in a hurry")
    project.refresh_from_db()
    assert project.phase == Phase.DISCOVERY


def test_a_phase_without_deliverables_moves_on(customer, consultant):
    # web-api has no Discovery lines
    project = make_project(customer, template_slug="web-api")
    services.project_advance(project=project, acting_user=consultant)
    project.refresh_from_db()
    assert project.phase == Phase.IMPLEMENTATION


def test_the_last_phase_does_not_move(customer, admin_user):
    project = make_project(customer, template_slug="web-api")
    for _ in range(4):
        services.project_advance(project=project, acting_user=admin_user, override_reason="walkthrough")
    project.refresh_from_db()
    assert project.phase == Phase.ONGOING_SUPPORT
    with pytest.raises(ApplicationError, match="last phase"):
        services.project_advance(project=project, acting_user=admin_user, override_reason="walkthrough")


def test_a_project_on_hold_does_not_move_and_state_changes_are_history(customer, consultant):
    project = make_project(customer, template_slug="web-api")
    services.project_state_set(
        project=project, state="on_hold", reason="Customer paused", acting_user=consultant
    )
    with pytest.raises(ApplicationError, match="on hold"):
        services.project_advance(project=project, acting_user=consultant)
    change = project.phase_changes.first()
    assert (change.from_state, change.to_state, change.reason) == ("active", "on_hold", "Customer paused")


def test_a_state_change_needs_a_reason(customer, consultant):
    project = make_project(customer)
    with pytest.raises(ApplicationError, match="why"):
        services.project_state_set(project=project, state="closed", reason="", acting_user=consultant)


def test_an_override_without_a_reason_is_refused_by_the_database_too(customer):
    project = make_project(customer)
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        PhaseChange.objects.create(
            project=project, from_phase="discovery", to_phase="implementation", actor="x", overridden=True
        )


def test_done_fields_must_agree_in_the_database(customer):
    deliverable = make_project(customer).deliverables.first()
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        Deliverable.objects.filter(pk=deliverable.pk).update(done=True)


def test_parties_bind_roles_to_teams_and_one_primary_contact(customer, consultant):
    project = make_project(customer)
    party = services.party_set(project=project, role="customer_integration_team", team_name="Acme HR systems")
    again = services.party_set(project=project, role="customer_integration_team", team_name="Acme People Ops")
    assert again.pk == party.pk and again.team_name == "Acme People Ops"
    first = services.party_contact_set(party=party, name="Jo", email="jo@acme.test", phone="1", primary=True)
    second = services.party_contact_set(party=party, name="Sam", email="sam@acme.test", primary=True)
    first.refresh_from_db()
    assert second.primary and not first.primary


def test_project_update_changes_only_descriptive_fields(customer, consultant):
    project = make_project(customer)
    with pytest.raises(ApplicationError, match="phase"):
        services.project_update(project=project, phase="testing")
    services.project_update(project=project, name="Renamed", acting_user=consultant)
    project.refresh_from_db()
    assert project.name == "Renamed"
    assert DeliverableChange.objects.count() == 0
