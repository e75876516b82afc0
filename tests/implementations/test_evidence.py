"""Each evidence kind, from real records, completes its deliverable (and only then)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.implementations import services
from apps.implementations.evidence import REGISTRY, evidence_for
from apps.implementations.models import EvidenceKind, ExtractDownload
from apps.integrations.models import ApiCall, Connection, FairUseCrossing, SyncRun, WebhookEvent
from apps.support.models import Origin, Ticket
from tests.implementations.factories import make_project
from tests.integrations.factories import ConnectionFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def connection(customer):
    return ConnectionFactory(customer=customer, name="Acme Paylocity")


@pytest.fixture
def project(customer, connection):
    return make_project(customer, template_slug="web-api", connections=[connection])


def _line(project, kind):
    return project.deliverables.get(evidence_kind=kind)


def _refresh(project, now=NOW):
    return services.deliverables_refresh_evidence(project=project, now=now)


def test_every_evidence_kind_has_a_check():
    assert set(REGISTRY) == set(EvidenceKind.values)


def test_no_connection_means_no_evidence(customer):
    # given a web API project without a connection
    project = make_project(customer, template_slug="web-api")
    # when each connection-based evidence is checked
    for kind in EvidenceKind.values:
        if kind in (EvidenceKind.DATA_AUDIT_EXTRACT, EvidenceKind.CLEAN_TEST_FILE):
            continue  # extracts and files belong to the project / customer, not to a connection
        result = evidence_for(project, kind, now=NOW)
        # then none is satisfied, and each says there is no connection
        assert not result.satisfied
        assert "No connection" in result.summary


def test_credentials_received_when_the_connection_authenticated(project, connection):
    line = _line(project, "credentials_received")
    # given a connection that never authenticated: nothing is ticked, the reason is shown
    connection.last_auth_error = "invalid_client"
    connection.save()
    assert _refresh(project) == []
    line.refresh_from_db()
    assert not line.done and not line.evidence_satisfied and "invalid_client" in line.evidence_summary
    # when it authenticates
    connection.last_authenticated_at = NOW - dt.timedelta(minutes=5)
    connection.save()
    completed = _refresh(project)
    # then the system ticks the line, with no person as done_by and "system" in the history
    line.refresh_from_db()
    assert [d.pk for d in completed] == [line.pk]
    assert line.done and line.done_by is None and line.done_at == NOW
    assert line.evidence_satisfied and "authenticated" in line.evidence_summary
    assert line.evidence_link == f"/admin/integrations/connection/{connection.pk}/change/"
    change = line.changes.get()
    assert (change.action, change.actor, change.changed_by) == ("completed", "system", None)


def test_webhooks_configured_when_a_verified_webhook_arrived(project, connection):
    # given a project whose connection has received no webhook
    line = _line(project, "webhooks_configured")
    # when its evidence is refreshed, then the webhooks line stays open
    _refresh(project)
    line.refresh_from_db()
    assert not line.done and "no verified webhook" in line.evidence_summary
    # when a verified webhook arrives and the evidence is refreshed again
    WebhookEvent.objects.create(
        connection=connection, delivery_key="evt-1", event_type="employee.updated", object_id="1001"
    )
    _refresh(project)
    # then the line is done, naming the event type
    line.refresh_from_db()
    assert line.done and "employee.updated" in line.evidence_summary


def test_other_connections_webhooks_do_not_count(project, customer):
    # given a webhook on another connection of the same customer
    other = ConnectionFactory(customer=customer)
    WebhookEvent.objects.create(connection=other, delivery_key="evt-2", event_type="employee.updated")
    # when the project's evidence is refreshed
    _refresh(project)
    # then the webhooks line stays open
    assert not _line(project, "webhooks_configured").done


def test_data_audit_extract_when_the_extract_was_downloaded(project, consultant):
    # given a project whose extract was never downloaded
    line = _line(project, "data_audit_extract")
    # when its evidence is refreshed, then the extract line stays open
    _refresh(project)
    line.refresh_from_db()
    assert not line.done
    # recording a download checks the evidence at once
    # when the consultant downloads the extract
    services.extract_download_record(project=project, row_count=12, acting_user=consultant)
    # then the line is done by the system, saying how many employees and who downloaded them
    line.refresh_from_db()
    assert line.done and line.done_by is None
    assert "12 employees downloaded by consultant" in line.evidence_summary


def _sync(connection, **fields):
    defaults = {
        "kind": SyncRun.Kind.EMPLOYEES,
        "full": True,
        "state": SyncRun.State.SUCCEEDED,
        "fetched": 40,
        "connection_state": Connection.State.TESTING,
    }
    defaults.update(fields)
    return SyncRun.objects.create(connection=connection, **defaults)


@pytest.mark.parametrize(
    ("fields", "satisfied"),
    [
        ({}, True),
        ({"failed": 2, "state": SyncRun.State.PARTIAL}, False),
        ({"failed": 0, "state": SyncRun.State.FAILED}, False),
        ({"full": False}, False),
        ({"kind": SyncRun.Kind.PAYROLL_SYNC}, False),
        ({"state": SyncRun.State.RUNNING}, False),
    ],
)
def test_clean_test_sync_needs_a_full_employee_sync_without_failures(project, connection, fields, satisfied):
    _sync(connection, **fields)
    _refresh(project)
    assert _line(project, "clean_test_sync").done is satisfied


def test_a_clean_sync_run_while_live_does_not_prove_testing(project, connection):
    # given a clean full sync that ran while the connection was already live
    _sync(connection, connection_state=Connection.State.LIVE)
    # when the project's evidence is refreshed
    _refresh(project)
    # then the test sync line stays open, saying it must run while testing
    line = _line(project, "clean_test_sync")
    assert not line.done and "while the connection was in testing" in line.evidence_summary


def test_a_clean_test_sync_still_proves_testing_after_going_live(project, connection):
    # given a clean full sync while testing, and the connection live since
    _sync(connection)
    connection.state = Connection.State.LIVE
    connection.save()
    # when the project's evidence is refreshed
    _refresh(project)
    # then the test sync line is done
    assert _line(project, "clean_test_sync").done


def test_testing_validated_needs_both_a_clean_test_sync_and_an_extract(customer, connection, consultant):
    # given a project whose connection had a clean test sync
    project = make_project(customer, template_slug="deliverables-by-phase", connections=[connection])
    line = _line(project, "testing_validated")
    _sync(connection)
    # when its evidence is refreshed without any extract downloaded, then the validation line stays open
    _refresh(project)
    line.refresh_from_db()
    assert not line.done and "not been downloaded" in line.evidence_summary
    # when the consultant downloads the extract
    services.extract_download_record(project=project, row_count=3, acting_user=consultant)
    # then the validation line is done
    line.refresh_from_db()
    assert line.done


def test_move_to_production_when_the_connection_is_live(project, connection):
    # given a project whose connection is still testing
    # when its evidence is refreshed, then the go-live line stays open
    _refresh(project)
    assert not _line(project, "connection_live").done
    # when the connection goes live and the evidence is refreshed again
    connection.state = Connection.State.LIVE
    connection.save()
    _refresh(project)
    # then the go-live line is done
    assert _line(project, "connection_live").done


def test_every_connection_of_the_project_must_be_live(project, connection, customer):
    # given a project with one live connection and a second still testing
    second = ConnectionFactory(customer=customer, name="Acme second", state=Connection.State.TESTING)
    project.connections.add(second)
    connection.state = Connection.State.LIVE
    connection.save()
    # when the go-live evidence is checked
    result = evidence_for(project, "connection_live", now=NOW)
    # then it is not satisfied, names the connection still testing and links to it
    assert not result.satisfied
    assert "Acme second: is testing." in result.summary
    assert result.link == f"/admin/integrations/connection/{second.pk}/change/"


def _ticket(customer, connection, **fields):
    defaults = {
        "title": "Sync failing",
        "origin": Origin.AUTOMATIC,
        "automatic_key": f"sync-failed:{connection.pk}:{Ticket.objects.count()}",
        "opened_at": NOW - dt.timedelta(days=2),
    }
    defaults.update(fields)
    return Ticket.objects.create(customer=customer, connection=connection, **defaults)


@pytest.fixture
def monitored(customer, connection):
    connection.state = Connection.State.LIVE
    connection.save()
    return make_project(customer, template_slug="deliverables-by-phase", connections=[connection])


def test_monitoring_holds_when_no_automatic_ticket_was_open_in_seven_days(monitored):
    # given a live project without automatic tickets in the last seven days
    # when its evidence is refreshed
    _refresh(monitored)
    # then the monitoring line is done
    assert _line(monitored, "production_monitored").done


def test_an_open_automatic_ticket_blocks_monitoring(monitored, customer, connection):
    # given a live project with an open automatic ticket
    ticket = _ticket(customer, connection)
    # when its evidence is refreshed
    _refresh(monitored)
    # then the monitoring line stays open, naming the ticket as open
    line = _line(monitored, "production_monitored")
    assert not line.done and f"#{ticket.pk}" in line.evidence_summary and "is open" in line.evidence_summary


def test_a_ticket_resolved_within_the_week_still_blocks_monitoring(monitored, customer, connection):
    # given a live project with an automatic ticket resolved three days ago
    _ticket(customer, connection, state="resolved", resolved_at=NOW - dt.timedelta(days=3))
    # when its evidence is refreshed
    _refresh(monitored)
    # then the monitoring line says a ticket was open in the week
    assert "was open" in _line(monitored, "production_monitored").evidence_summary


def test_tickets_resolved_before_the_week_or_opened_by_agents_do_not_block(monitored, customer, connection):
    # given a live project with an automatic ticket resolved eight days ago and an open agent ticket
    _ticket(customer, connection, state="resolved", resolved_at=NOW - dt.timedelta(days=8))
    Ticket.objects.create(customer=customer, connection=connection, title="Question", origin=Origin.AGENT)
    # when its evidence is refreshed
    _refresh(monitored)
    # then the monitoring line is done
    assert _line(monitored, "production_monitored").done


def test_monitoring_needs_a_live_connection(customer, connection):
    # given a project whose connection is not live
    project = make_project(customer, template_slug="deliverables-by-phase", connections=[connection])
    # when its evidence is refreshed
    _refresh(project)
    # then the monitoring line says the connection is not live
    assert "not live" in _line(project, "production_monitored").evidence_summary


def _calls(connection, count, *, at=NOW - dt.timedelta(hours=1)):
    ApiCall.objects.bulk_create(
        ApiCall(
            connection=connection,
            method="GET",
            uri="/api/v2/companies/123/employees",
            status_code=200,
            created_at=at,
        )
        for _ in range(count)
    )


@pytest.fixture
def live(connection):
    connection.state = Connection.State.LIVE
    connection.fair_use_per_day = 5
    connection.save()
    return connection


def test_fair_use_holds_when_volume_is_under_the_threshold(project, live):
    # given a live connection with a day's threshold of five calls, five calls today and fifty two days ago
    _calls(live, 5)
    _calls(live, 50, at=NOW - dt.timedelta(days=2))  # outside the 24 hours
    # when the project's evidence is refreshed
    _refresh(project)
    # then the fair-use line is done, counting only today's calls
    line = _line(project, "fair_use")
    assert line.done and "5 API calls in the last 24 hours, under the threshold of 5" in line.evidence_summary


def test_fair_use_fails_over_the_threshold(project, live):
    # given a live connection with six calls today over a threshold of five
    _calls(live, 6)
    # when the project's evidence is refreshed
    _refresh(project)
    # then the fair-use line stays open, saying it is over the threshold
    line = _line(project, "fair_use")
    assert not line.done and "over the threshold" in line.evidence_summary


def test_fair_use_needs_traffic_to_judge(project, live):
    # given a live connection without any call
    # when the project's evidence is refreshed
    _refresh(project)
    # then the fair-use line says there is no volume to judge
    assert "no volume" in _line(project, "fair_use").evidence_summary


def test_a_recent_fair_use_crossing_fails_fair_use(project, live):
    # given a live connection under its daily threshold but with a fair-use crossing yesterday
    _calls(live, 1)
    crossing = FairUseCrossing.objects.create(
        connection=live, window="hour", period_start=NOW - dt.timedelta(days=1), calls=900, threshold=500
    )
    # when the project's evidence is refreshed
    _refresh(project)
    # then the fair-use line stays open, naming the crossing and linking to it
    line = _line(project, "fair_use")
    assert not line.done and "900 calls per hour" in line.evidence_summary
    assert line.evidence_link == f"/admin/integrations/fairusecrossing/{crossing.pk}/change/"


def test_evidence_never_reopens_a_line(project, connection):
    # given a project whose connection went live and whose go-live line was done
    connection.state = Connection.State.LIVE
    connection.save()
    _refresh(project)
    # when the connection is paused and the evidence refreshed again
    connection.state = Connection.State.PAUSED
    connection.save()
    _refresh(project)
    # then the line stays done, while its evidence says it is no longer satisfied
    line = _line(project, "connection_live")
    assert line.done and not line.evidence_satisfied and "paused" in line.evidence_summary


def test_refresh_uses_now_by_default(project, connection):
    # given a connection that has just authenticated
    connection.last_authenticated_at = timezone.now()
    connection.save()
    # when the evidence is refreshed without a time given
    services.deliverables_refresh_evidence(project=project)
    # then the credentials line is done as of now, and no extract download was made up
    assert _line(project, "credentials_received").done
    assert ExtractDownload.objects.count() == 0


@pytest.mark.parametrize(
    ("files", "satisfied", "says"),
    [
        ([], False, "No employee file"),
        ([{"rows": 10, "accepted": 8, "rejected": 2}], False, "2 of 10 rows rejected"),
        ([{"rows": 0, "refused": "Missing columns: status_code"}], False, "Missing columns"),
        ([{"rows": 10, "accepted": 10}], True, "10 of 10 rows, none rejected"),
        ([{"rows": 10, "accepted": 10}, {"rows": 4, "accepted": 3, "rejected": 1}], True, "none rejected"),
    ],
)
def test_clean_test_file_needs_a_file_applied_without_rejected_rows(
    customer, other_customer, files, satisfied, says
):
    # given a file-based project (no connection needed for files) and the customer's file imports
    from apps.employees.models import FileImport

    project = make_project(customer, template_slug="file-based")
    FileImport.objects.create(customer=other_customer, filename="theirs.csv", rows=5, accepted=5)
    for n, fields in enumerate(files):
        FileImport.objects.create(customer=customer, filename=f"employees-{n}.csv", **fields)
    # when the evidence is checked
    _refresh(project, now=timezone.now())
    # then the testing line follows the files
    line = _line(project, "clean_test_file")
    assert line.done is satisfied
    assert says in line.evidence_summary
