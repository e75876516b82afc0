"""The audit trail: every covered change records actor, channel, customer and the fields old -> new."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection as db_connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.audit import context, signals
from apps.audit.models import AuditEvent
from apps.employees.services import employee_records_apply, filter_rule_save, status_mapping_set
from apps.implementations.models import Deliverable
from apps.integrations.models import SECRET_FIELDS
from apps.integrations.services.connections import connection_update
from apps.mappings.models import FilterRule, StatusMapping
from apps.users.roles import SUPPORT
from tests.employees.factories import record
from tests.implementations.factories import make_project
from tests.integrations.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


def _events(object_type: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type=object_type).order_by("time", "id"))


def test_mapping_changed_through_the_api_with_a_token_records_the_user_and_the_diff(company_set, consultant):
    # given a mapping and the consultant's API token
    status_mapping_set(company_set=company_set, code="FURL", status_type="leave")
    token = Token.objects.create(user=consultant)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    # when the consultant remaps the code through the API
    response = client.post(
        "/api/v1/status-mappings/",
        {"company_set": company_set.pk, "code": "FURL", "status_type": "terminated"},
        format="json",
    )

    # then the change is an event by the consultant on the api channel, with the old and new type
    assert response.status_code == 201, response.content
    event = _events("mappings.statusmapping")[-1]
    assert (event.actor, event.channel, event.user) == ("consultant", "api", consultant)
    assert event.customer_id == company_set.customer_id
    assert event.action == "changed"
    assert event.changes["status_type"] == ["leave", "terminated"]
    # and the model's own history row names the same user and channel
    mapping = StatusMapping.objects.get(company_set=company_set, code="FURL")
    latest = mapping.history.latest()
    assert (latest.history_user, latest.history_channel, latest.status_type) == (
        consultant,
        "api",
        "terminated",
    )


def test_filter_changed_through_the_admin_records_the_admin_channel(client, company_set, admin_user):
    # given a filter rule
    rule = filter_rule_save(
        company_set=company_set, field="employment_type", operator="in", values=["RFT"], include=True
    )
    client.force_login(admin_user)

    # when an admin edits it in the admin
    response = client.post(
        f"/admin/mappings/filterrule/{rule.pk}/change/",
        {
            "company_set": company_set.pk,
            "field": "employment_type",
            "operator": "in",
            "values": "RFT, RPT",
            "include": "on",
            "description": "full and part time",
            "active": "on",
            "out_of_scope": "leave",
        },
    )

    # then the event names the admin, the admin channel and the changed values
    assert response.status_code == 302, response.content
    event = _events("mappings.filterrule")[-1]
    assert (event.actor, event.channel) == ("hubadmin", "admin")
    assert event.changes["values"] == [["RFT"], ["RFT", "RPT"]]
    assert event.changes["description"] == ["", "full and part time"]
    assert FilterRule.objects.get(pk=rule.pk).values == ["RFT", "RPT"]


def test_a_command_is_the_command_channel_with_the_command_as_actor(company_set):
    # given the process started as the seed_demo command
    previous = context.install_process_default(["manage.py", "seed_demo"])
    try:
        # when it sets a mapping
        status_mapping_set(company_set=company_set, code="SAB", status_type="leave")
    finally:
        context.install_process_default(["pytest"])
    # then the event names the command as actor on the command channel, with the change
    assert previous.actor == "system: seed_demo"
    event = _events("mappings.statusmapping")[-1]
    assert (event.actor, event.channel, event.action) == ("system: seed_demo", "command", "created")
    assert event.changes["status_type"] == [None, "leave"]


def test_a_scheduled_worker_task_names_its_schedule(company_set):
    # given a worker picking up a scheduled task
    token = context.set_context(None)
    try:
        # when the task sets a mapping
        signals._task_started("django_q", func=None, task={"group": "employees.drain_outbox"})
        status_mapping_set(company_set=company_set, code="SAB", status_type="leave")
    finally:
        context.reset_context(token)
    # then the event names the schedule as actor on the worker channel
    event = _events("mappings.statusmapping")[-1]
    assert (event.actor, event.channel) == ("system: schedule employees.drain_outbox", "worker")


def test_an_inline_task_keeps_its_callers_context(company_set, consultant):
    # given a consultant's API request that runs a task inline
    with context.audit_context(channel="api", user=consultant):
        signals._task_started("django_q", func=None, task={"group": "x", "sync": True})
        # when the task sets a mapping
        status_mapping_set(company_set=company_set, code="SAB", status_type="leave")
    # then the event keeps the consultant and the API channel
    assert (_events("mappings.statusmapping")[-1].actor, _events("mappings.statusmapping")[-1].channel) == (
        "consultant",
        "api",
    )


def test_a_save_that_changes_nothing_writes_no_event(company_set):
    # given a saved filter rule
    rule = filter_rule_save(
        company_set=company_set, field="employment_type", operator="in", values=["RFT"], include=True
    )
    before = AuditEvent.objects.count()
    # when it is saved again without changes
    rule.save()
    rule.save(update_fields=["updated_at"])
    # then no event and no history row is written
    assert AuditEvent.objects.count() == before
    assert rule.history.count() == 1
    # and the instance is not left muted: its next real change is recorded
    # when it really changes afterwards, then that change is recorded
    rule.description = "now described"
    rule.save()
    assert AuditEvent.objects.count() == before + 1


@pytest.mark.parametrize(
    ("argv", "channel", "actor"),
    [
        (["manage.py", "qcluster"], "worker", "system: worker"),
        (["manage.py", "sync", "acme-paylocity"], "command", "system: sync"),
        (["gunicorn", "config.wsgi"], "command", "system: unknown"),
    ],
)
def test_the_process_names_its_default_channel_and_actor(argv, channel, actor):
    try:
        ctx = context.install_process_default(argv)
    finally:
        context.install_process_default(["pytest"])
    assert (ctx.channel, ctx.actor) == (channel, actor)


def test_connection_secrets_never_reach_the_history_table(customer):
    # given a connection with secrets, then every secret rotated and a plain field changed
    conn = ConnectionFactory(customer=customer, client_secret="first-secret-AAA", password="pw-first-BBB")
    original_name = conn.name
    connection_update(
        connection=conn, client_secret="second-secret-CCC", password="pw-second-DDD", name="Renamed"
    )
    conn.webhook_secret = "whsec-third-EEE"
    conn.save()

    # then the raw history rows hold no secret and no ciphertext, not even a column for them
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT * FROM audit_historicalconnection")
        columns = [col[0] for col in cursor.description]
        rows = cursor.fetchall()
    assert len(rows) == 3
    assert not set(SECRET_FIELDS) & set(columns)
    dump = repr(rows)
    for needle in ("first-secret", "second-secret", "pw-first", "pw-second", "whsec-third", "fernet:"):
        assert needle not in dump
    # and the events record each secret change as "changed" only
    events = _events("integrations.connection")
    assert events[1].changes == {
        "client_secret": "changed",
        "password": "changed",
        "name": [original_name, "Renamed"],
    }
    assert events[2].changes == {"webhook_secret": "changed"}
    assert "second-secret" not in repr([e.changes for e in events])


def test_role_and_customer_scope_changes_are_recorded(consultant, other_customer):
    # when a consultant is given the support role and another customer
    consultant.groups.add(Group.objects.get(name=SUPPORT))
    consultant.customers.add(other_customer)
    # then both changes are recorded on the user's trail, old and new
    events = _events("users.user")
    support = Group.objects.get(name=SUPPORT).pk
    assert support in events[-2].changes["groups"][1]
    assert support not in events[-2].changes["groups"][0]
    assert other_customer.pk in events[-1].changes["customers"][1]


def test_a_custom_code_first_seen_in_a_feed_is_on_the_trail(company):
    # when a sync brings a code nobody has described yet
    with context.audit_context(channel="worker", actor="system: schedule integrations.run_nightly_syncs"):
        employee_records_apply(company=company, records=[record("1001", "SEAS", "2026-01-05")], source="sync")
    # then its creation is an event of the worker, for the customer
    event = _events("mappings.statuscode")[-1]
    assert (event.action, event.channel, event.customer_id) == (
        "created",
        "worker",
        company.company_set.customer_id,
    )
    assert event.actor == "system: schedule integrations.run_nightly_syncs"


def test_the_deliverables_copied_into_a_new_project_are_on_the_trail(customer, consultant):
    # when a project is made from a template
    project = make_project(customer, template_slug="web-api", name="Trail")
    # then each deliverable copied into it is recorded as created for the project's customer
    created = [e for e in _events("implementations.deliverable") if e.action == "created"]
    assert len(created) == Deliverable.objects.filter(project=project).count() > 0
    assert {e.customer_id for e in created} == {customer.pk}
