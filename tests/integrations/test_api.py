"""REST API and admin of the integration edge: permissions per role, scoping, actions, query counts."""

from __future__ import annotations

import pytest
import responses

from apps.integrations.models import SyncRun, WebhookEvent
from tests.companies.factories import CompanyFactory
from tests.integrations.factories import (
    ApiCallFactory,
    ConnectionFactory,
    SyncRunFactory,
    WebhookEventFactory,
)
from tests.integrations.test_providers import PCTY, token_ok

pytestmark = pytest.mark.django_db

LISTS = ["/api/v1/sync-runs/", "/api/v1/webhook-events/", "/api/v1/api-calls/"]


@pytest.fixture
def rows(customer, other_customer):
    conn = ConnectionFactory(customer=customer, base_url=PCTY)
    foreign = ConnectionFactory(customer=other_customer)
    for c in (conn, foreign):
        run = SyncRunFactory(connection=c, state=SyncRun.State.SUCCEEDED)
        WebhookEventFactory(connection=c)
        ApiCallFactory(connection=c, sync_run=run)
    return conn


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize(
    ("persona", "status", "count"),
    [
        (None, 401, None),
        ("no_role_user", 403, None),
        ("consultant", 200, 1),
        ("support_agent", 200, 1),
        ("admin_user", 200, 2),
        ("outsider", 200, 1),
    ],
)
def test_list_permissions_and_scoping(request, api, rows, url, persona, status, count):
    user = request.getfixturevalue(persona) if persona else None
    response = api(user).get(url)
    assert response.status_code == status
    if count is not None:
        results = response.json()["results"]
        assert len(results) == count
        if persona != "admin_user":
            connection_ids = {r["connection"] for r in results}
            own = {rows.pk} if persona != "outsider" else set()
            assert (connection_ids == own) if own else (rows.pk not in connection_ids)


@pytest.mark.parametrize("url", LISTS)
def test_list_queries_do_not_grow_with_rows(api, admin_user, customer, django_assert_max_num_queries, url):
    conn = ConnectionFactory(customer=customer)
    for _ in range(15):
        run = SyncRunFactory(connection=conn, state=SyncRun.State.SUCCEEDED)
        WebhookEventFactory(connection=conn)
        ApiCallFactory(connection=conn, sync_run=run)
    with django_assert_max_num_queries(6):
        assert api(admin_user).get(url).status_code == 200


def test_support_can_replay_a_dead_event_and_a_consultant_cannot(
    api, consultant, support_agent, rows, django_capture_on_commit_callbacks
):
    event = WebhookEvent.objects.filter(connection=rows).get()
    WebhookEvent.objects.filter(pk=event.pk).update(state=WebhookEvent.State.DEAD, attempts=6)
    assert api(consultant).post(f"/api/v1/webhook-events/{event.pk}/replay/").status_code == 403
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api(support_agent).post(f"/api/v1/webhook-events/{event.pk}/replay/")
    assert response.status_code == 200 and response.json()["state"] == "pending"
    assert len(callbacks) == 2  # the enqueue, and the fix reported to support (the event was dead)


def test_outsider_cannot_replay_another_customers_event(api, outsider, rows):
    event = WebhookEvent.objects.filter(connection=rows).get()
    assert api(outsider).post(f"/api/v1/webhook-events/{event.pk}/replay/").status_code in (403, 404)


def test_sync_action_queues_a_run_and_refuses_a_second(
    api, consultant, customer, django_capture_on_commit_callbacks
):
    conn = ConnectionFactory(customer=customer)
    conn.companies.add(CompanyFactory(company_set__customer=customer, external_id="6700"))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = api(consultant).post(
            f"/api/v1/connections/{conn.pk}/sync/", {"kind": "employees"}, format="json"
        )
    assert first.status_code == 202 and first.json()["state"] == "pending" and len(callbacks) == 1
    second = api(consultant).post(f"/api/v1/connections/{conn.pk}/sync/", {}, format="json")
    assert second.status_code == 409 and second.json()["extra"]["sync_run"] == first.json()["id"]


def test_sync_action_checks_the_company_and_kind(api, consultant, customer):
    conn = ConnectionFactory(customer=customer)
    bad_company = api(consultant).post(
        f"/api/v1/connections/{conn.pk}/sync/", {"company_external_id": "nope"}, format="json"
    )
    assert bad_company.status_code == 400
    bad_kind = api(consultant).post(
        f"/api/v1/connections/{conn.pk}/sync/", {"kind": "everything"}, format="json"
    )
    assert bad_kind.status_code == 400


@pytest.mark.parametrize(("persona", "status"), [(None, 401), ("no_role_user", 403), ("outsider", 404)])
def test_sync_action_permissions(request, api, customer, persona, status):
    conn = ConnectionFactory(customer=customer)
    user = request.getfixturevalue(persona) if persona else None
    assert api(user).post(f"/api/v1/connections/{conn.pk}/sync/", {}, format="json").status_code == status


@responses.activate
def test_test_action_authenticates_now(api, consultant, customer):
    conn = ConnectionFactory(customer=customer, base_url=PCTY)
    token_ok()
    response = api(consultant).post(f"/api/v1/connections/{conn.pk}/test/")
    assert response.status_code == 200 and response.json()["ok"] is True
    assert api(consultant).get(f"/api/v1/connections/{conn.pk}/").json()["last_authenticated_at"]


@responses.activate
def test_test_action_reports_refused_credentials(api, consultant, customer):
    conn = ConnectionFactory(customer=customer, base_url=PCTY)
    responses.post(f"{PCTY}/IdentityServer/connect/token", status=403, json={"error": "invalid_client"})
    response = api(consultant).post(f"/api/v1/connections/{conn.pk}/test/")
    assert response.status_code == 502 and response.json()["ok"] is False


def test_connection_shows_fair_use_and_circuit_fields_and_hides_sftp_secrets(api, consultant, customer):
    conn = ConnectionFactory(customer=customer, sftp_password="sftp-pw", sftp_private_key="-----KEY-----")
    body = api(consultant).get(f"/api/v1/connections/{conn.pk}/").json()
    assert body["circuit_state"] == "closed" and "fair_use_per_hour" in body
    assert "sftp-pw" not in str(body) and "-----KEY-----" not in str(body)
    assert body["secrets_set"]["sftp_password"] is True


# --- admin -------------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, admin_user):
    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize("model", ["syncrun", "webhookevent", "apicall", "fairusecrossing", "connection"])
def test_admin_changelists_are_cheap(admin_client, rows, django_assert_max_num_queries, model):
    with django_assert_max_num_queries(15):
        assert admin_client.get(f"/admin/integrations/{model}/").status_code == 200


def test_admin_connection_page_shows_health_and_fair_use(admin_client, rows):
    page = admin_client.get(f"/admin/integrations/connection/{rows.pk}/change/").content.decode()
    assert "this hour" in page and "Never authenticated" in page and "Closed" in page


def test_admin_replay_action(admin_client, rows, django_capture_on_commit_callbacks):
    event = WebhookEvent.objects.filter(connection=rows).get()
    WebhookEvent.objects.filter(pk=event.pk).update(state=WebhookEvent.State.DEAD)
    with django_capture_on_commit_callbacks(execute=False):
        admin_client.post(
            "/admin/integrations/webhookevent/", {"action": "replay", "_selected_action": [event.pk]}
        )
    assert WebhookEvent.objects.get(pk=event.pk).state == WebhookEvent.State.PENDING
