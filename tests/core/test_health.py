from __future__ import annotations

import pytest

from tests.live import running_worker, wait_for


@pytest.mark.django_db
def test_healthz_is_503_without_a_worker(client, monkeypatch):
    from django_q.status import Stat

    monkeypatch.setattr(Stat, "get_all", staticmethod(lambda broker=None: []))
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"]["status"] == "ok"
    assert body["worker"]["status"] == "down"


@pytest.mark.django_db
def test_the_database_check_reports_a_failing_connection_as_down(monkeypatch):
    from django.db import OperationalError

    from apps.core import health

    def refused():
        raise OperationalError("connection refused")

    # the real check, with the connection failing underneath it (its except branch runs)
    monkeypatch.setattr(health.connection, "cursor", refused)
    assert health.database_status() == {"status": "down", "error": "OperationalError"}


def test_healthz_is_503_when_the_database_is_down(client, monkeypatch):
    from apps.core import health

    monkeypatch.setattr(health, "database_status", lambda: {"status": "down", "error": "OperationalError"})
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"]["status"] == "down"


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_healthz_is_200_with_a_real_worker_running(client):
    # given a real qcluster process on the test database
    with running_worker():
        # when it has saved its first heartbeat
        response = wait_for(lambda: (r := client.get("/healthz")).status_code == 200 and r, timeout=60)
        # then /healthz reports the database and the worker up
        assert response, client.get("/healthz").json()
        body = response.json()
        assert body["status"] == "ok"
        assert body["worker"]["last_heartbeat"]
