"""The payroll notifications page sits in the admin's frame: the hub's name, the user's links and logout."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_the_notifications_page_is_branded_and_offers_logout(client, consultant):
    client.force_login(consultant)
    page = client.get("/payroll/notifications/").content.decode()
    assert "Django administration" not in page
    assert '<a href="/admin/">Payroll Integration Hub</a>' in page
    assert 'id="logout-form"' in page
    assert "<title>Payroll notifications | Payroll Integration Hub</title>" in page
