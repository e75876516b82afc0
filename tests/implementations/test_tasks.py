"""The periodic evidence check."""

from __future__ import annotations

import pytest

from apps.core.schedules import all_schedules
from apps.implementations import services, tasks
from apps.integrations.models import Connection
from tests.implementations.factories import make_project
from tests.integrations.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


def test_the_schedule_is_registered():
    assert "implementations.refresh_all_evidence" in {spec.name for spec in all_schedules()}


def test_refresh_all_completes_lines_of_active_projects_only(customer, consultant):
    # given an active and an on-hold project on the same live connection
    connection = ConnectionFactory(customer=customer, state=Connection.State.LIVE)
    active = make_project(customer, template_slug="web-api", name="Active", connections=[connection])
    held = make_project(customer, template_slug="web-api", name="Held", connections=[connection])
    services.project_state_set(project=held, state="on_hold", reason="paused", acting_user=consultant)
    # when the periodic evidence check runs
    assert tasks.refresh_all_evidence() == 1
    # then only the active project is refreshed and gets its connection-live line done
    assert active.deliverables.get(evidence_kind="connection_live").done
    assert not held.deliverables.get(evidence_kind="connection_live").done


def test_a_project_that_is_gone_is_skipped_quietly():
    # when the evidence of a project that no longer exists is refreshed, then it is skipped quietly
    assert tasks.refresh_evidence(987654) == 0
