from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from apps.companies.models import Company, Customer
from apps.integrations.models import Connection
from apps.users.models import User


@pytest.mark.django_db
def test_seed_demo_is_idempotent():
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    assert Customer.objects.count() == 1
    assert Company.objects.count() >= 2
    conn = Connection.objects.get(slug="acme-paylocity-sandbox")
    assert conn.base_url.endswith("/sandbox/paylocity")
    assert conn.companies.count() == 2


@pytest.mark.django_db
def test_ensure_admin_prints_the_password_once(monkeypatch):
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    first, second = io.StringIO(), io.StringIO()
    call_command("ensure_admin", stdout=first)
    call_command("ensure_admin", stdout=second)
    password = first.getvalue().split("password: ")[1].split()[0]
    user = User.objects.get(username="admin")
    assert user.check_password(password) and user.is_superuser
    assert password not in second.getvalue()


@pytest.mark.django_db
def test_ensure_admin_reads_the_password_from_env(monkeypatch):
    monkeypatch.setenv("ADMIN_PASSWORD", "from-env-pw-123")
    out = io.StringIO()
    call_command("ensure_admin", stdout=out)
    assert "from-env-pw-123" not in out.getvalue()
    assert User.objects.get(username="admin").check_password("from-env-pw-123")
