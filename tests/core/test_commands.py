from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from apps.companies.models import Company, Customer
from apps.integrations.models import Connection
from apps.users.models import User


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_builds_a_working_demo():
    from apps.employees.models import Employee, StatusEvent
    from apps.implementations.models import ImplementationProject
    from apps.support.models import Ticket

    # given a demo seeded once
    call_command("seed_demo", stdout=io.StringIO())
    counts = (
        Customer.objects.count(),
        Employee.objects.count(),
        StatusEvent.objects.count(),
        Ticket.objects.count(),
    )
    # when it is seeded again
    call_command("seed_demo", stdout=io.StringIO())
    # then nothing is added, and the demo has its customers, sandbox connection, held code, ticket, project
    assert (
        Customer.objects.count(),
        Employee.objects.count(),
        StatusEvent.objects.count(),
        Ticket.objects.count(),
    ) == counts
    assert Customer.objects.count() == 3
    assert Company.objects.count() >= 4
    conn = Connection.objects.get(slug="acme-paylocity-sandbox")
    assert conn.base_url.endswith("/sandbox/paylocity")
    assert conn.companies.count() == 2
    # employees came through the write path: persons linked, a held custom code, an agent ticket, a project
    assert Employee.objects.filter(company__company_set__customer__slug="acme-health").count() > 10
    assert Employee.objects.filter(held=True, status_code="S").exists()
    assert Ticket.objects.filter(origin="agent").count() == 1
    assert ImplementationProject.objects.count() == 1
    assert User.objects.filter(username__in=["consultant", "support"]).count() == 2


def test_seed_demo_moves_demo_connections_with_the_hub(settings, db):
    # given a demo seeded while the hub had its default address
    call_command("seed_demo", stdout=io.StringIO())
    # when the hub moves and the demo is seeded again
    settings.HUB_PUBLIC_URL = "http://127.0.0.1:9911"
    call_command("seed_demo", stdout=io.StringIO())
    # then the demo connection points at the sandbox under the new address
    assert (
        Connection.objects.get(slug="acme-paylocity-sandbox").base_url
        == "http://127.0.0.1:9911/sandbox/paylocity"
    )


@pytest.mark.django_db
def test_ensure_admin_prints_the_password_once(monkeypatch):
    # given no admin password in the environment
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    first, second = io.StringIO(), io.StringIO()
    # when the admin is ensured twice
    call_command("ensure_admin", stdout=first)
    call_command("ensure_admin", stdout=second)
    # then the first run prints a working superuser password and the second does not print it again
    password = first.getvalue().split("password: ")[1].split()[0]
    user = User.objects.get(username="admin")
    assert user.check_password(password) and user.is_superuser
    assert password not in second.getvalue()


@pytest.mark.django_db
def test_ensure_admin_reads_the_password_from_env(monkeypatch):
    # given an admin password in the environment
    monkeypatch.setenv("ADMIN_PASSWORD", "from-env-pw-123")
    out = io.StringIO()
    # when the admin is ensured
    call_command("ensure_admin", stdout=out)
    # then that password works and is not printed
    assert "from-env-pw-123" not in out.getvalue()
    assert User.objects.get(username="admin").check_password("from-env-pw-123")
