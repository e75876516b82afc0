"""A connection's page: Test, Sync now, Import payroll now (PrismHR), Watch live; "queued" links its run."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from apps.integrations import services as integration_services
from apps.integrations import tasks as integration_tasks
from apps.integrations.models import SyncRun
from apps.integrations.tasks import enqueue_sync_runs
from tests.integrations.factories import ConnectionFactory, SyncRunFactory


def _url(name: str, connection) -> str:
    return reverse(f"admin:integrations_connection_{name}", args=[connection.pk])


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def paylocity(customer):
    return ConnectionFactory(customer=customer, provider="paylocity")


@pytest.fixture
def prism(customer):
    return ConnectionFactory(
        customer=customer,
        provider="prismhr",
        base_url="http://127.0.0.1:9/sandbox/prismhr/prismhr-api/services/rest",
        username="u",
        password="p",
        peo_id="PEO",
    )


def test_the_page_shows_the_buttons_the_user_may_use(client, consultant, support_agent, paylocity, prism):
    change = reverse("admin:integrations_connection_change", args=[paylocity.pk])
    # a consultant may test (change) and sync; a Paylocity connection has no payroll import
    client.force_login(consultant)
    html = client.get(change).content.decode()
    assert _url("test", paylocity) in html and _url("sync", paylocity) in html
    assert _url("import_payroll", paylocity) not in html
    prism_page = client.get(reverse("admin:integrations_connection_change", args=[prism.pk])).content.decode()
    assert "Import payroll now" in prism_page and _url("import_payroll", prism) in prism_page
    # a support agent may sync (add_syncrun) but not test (no change permission)
    client.force_login(support_agent)
    html = client.get(change).content.decode()
    assert _url("sync", paylocity) in html and _url("test", paylocity) not in html


def test_watch_live_links_the_latest_run(client, consultant, paylocity):
    SyncRunFactory(connection=paylocity, state=SyncRun.State.SUCCEEDED)
    latest = SyncRunFactory(connection=paylocity, state=SyncRun.State.FAILED)
    client.force_login(consultant)
    html = client.get(reverse("admin:integrations_connection_change", args=[paylocity.pk])).content.decode()
    assert f'href="{reverse("hub-sync-run", args=[latest.pk])}"' in html and "Watch live" in html


def test_test_posts_and_reports_on_the_connection_page(client, consultant, paylocity, monkeypatch):
    seen = []

    def fake_test(*, connection, acting_user):
        seen.append((connection.pk, acting_user))
        return {"ok": False, "message": "Refused: wrong client secret."}

    monkeypatch.setattr(integration_services, "connection_test", fake_test)
    client.force_login(consultant)
    response = client.post(_url("test", paylocity))
    assert response.status_code == 302
    assert response.url == reverse("admin:integrations_connection_change", args=[paylocity.pk])
    assert seen == [(paylocity.pk, consultant)]
    assert _messages(response) == [f"Test of {paylocity}: Refused: wrong client secret."]


def test_buttons_are_post_only_and_checked(client, consultant, support_agent, outsider, paylocity):
    client.force_login(consultant)
    assert client.get(_url("sync", paylocity)).status_code == 403
    assert client.get(_url("test", paylocity)).status_code == 403
    # a support agent may not test (no change permission)
    client.force_login(support_agent)
    assert client.post(_url("test", paylocity)).status_code == 403
    # another customer's user does not even find the connection
    client.force_login(outsider)
    assert client.post(_url("sync", paylocity)).status_code == 404
    assert not SyncRun.objects.exists()


def test_sync_now_queues_a_run_and_lands_on_its_live_page(client, support_agent, paylocity):
    client.force_login(support_agent)
    response = client.post(_url("sync", paylocity))
    run = SyncRun.objects.get()
    assert (run.kind, run.trigger, run.requested_by) == ("employees", "admin", support_agent)
    page = reverse("hub-sync-run", args=[run.pk])
    assert response.status_code == 302 and response.url == page
    [message] = _messages(response)
    assert f'<a href="{page}">#{run.pk}</a> queued' in message and "watch it live" in message


def test_sync_now_while_a_sync_runs_says_so_and_stays_on_the_page(client, consultant, paylocity):
    running = SyncRunFactory(connection=paylocity, state=SyncRun.State.RUNNING)
    client.force_login(consultant)
    response = client.post(_url("sync", paylocity))
    assert response.url == reverse("admin:integrations_connection_change", args=[paylocity.pk])
    assert f"run #{running.pk}" in _messages(response)[0]
    assert SyncRun.objects.count() == 1


def test_import_payroll_now_is_prismhr_only_and_queues_ongoing_then_sync(
    client, consultant, paylocity, prism
):
    client.force_login(consultant)
    assert client.post(_url("import_payroll", paylocity)).status_code == 403
    response = client.post(_url("import_payroll", prism))
    ongoing, sync = SyncRun.objects.order_by("pk")
    assert (ongoing.kind, sync.kind) == ("payroll-ongoing", "payroll-sync")
    assert response.url == reverse("hub-sync-run", args=[sync.pk])
    ongoing_message, sync_message = _messages(response)
    assert f'href="{reverse("hub-sync-run", args=[ongoing.pk])}"' in ongoing_message
    assert f'href="{reverse("hub-sync-run", args=[sync.pk])}"' in sync_message


def test_queued_runs_run_one_after_the_other(monkeypatch, paylocity):
    # given two requested runs queued as a chain (the worker runs tasks synchronously in tests)
    order = []
    monkeypatch.setattr(integration_tasks, "sync_run_execute", lambda run_id: order.append(run_id))
    enqueue_sync_runs([12, 11])
    # then they ran, in the order given
    assert order == [12, 11]


def test_the_bulk_sync_action_links_each_queued_run(client, consultant, paylocity):
    client.force_login(consultant)
    response = client.post(
        reverse("admin:integrations_connection_changelist"),
        {"action": "sync_employees", "_selected_action": [paylocity.pk]},
    )
    run = SyncRun.objects.get()
    assert (
        f'<a href="{reverse("hub-sync-run", args=[run.pk])}">#{run.pk}</a> queued' in _messages(response)[0]
    )
