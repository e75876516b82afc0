"""The README's onboarding recipe, step by step as written, by the demo's consultant on the demo data.

Through the admin's own forms and buttons (the test client posts what the pages post) against the sandbox
served by a live server: a new customer, a sandbox connection, a sandbox company from the connection's page,
Test, Sync now.
"""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.urls import reverse

from apps.companies.models import Customer
from apps.employees.models import Employee
from apps.integrations.models import Connection, SyncRun
from apps.users.models import User

pytestmark = [
    pytest.mark.live,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migration_data"),
]


def _as_a_browser_posts(response) -> dict:
    """What a browser would post from an admin add page left as it is: the fields' initial values and the
    inline formsets' management forms (no inline row added)."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = field.prepare_value(form[name].value())  # as the widget renders it (JSON as text, ...)
        if value is None or value is False or value == "" or isinstance(value, (list, tuple)):
            continue
        data[name] = "on" if value is True else value
    for inline in response.context["inline_admin_formsets"]:
        form = inline.formset.management_form
        data.update({form.add_prefix(name): value for name, value in form.initial.items()})
    return data


def test_the_readme_onboarding_recipe_works_as_written_on_the_demo_data(client, live_server):
    # given a fresh `make run`: the demo data, and its consultant signed in
    call_command("seed_demo", verbosity=0)
    client.force_login(User.objects.get(username="consultant"))

    # 2. Customers -> Add customer: name "Delta Dental"; Save
    add = reverse("admin:companies_customer_add")
    response = client.post(
        add, {"name": "Delta Dental", "slug": "delta-dental", **_as_a_browser_posts(client.get(add))}
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    customer = Customer.objects.get(slug="delta-dental")

    # 3. Connections -> Add connection: customer, name, provider Paylocity, environment Sandbox, the base URL,
    #    state Testing, webhook check HMAC; no company and no credentials; Save and continue editing
    add = reverse("admin:integrations_connection_add")
    response = client.post(
        add,
        {
            **_as_a_browser_posts(client.get(add)),
            "customer": customer.pk,
            "name": "Delta Paylocity sandbox",
            "slug": "delta-paylocity-sandbox",
            "provider": "paylocity",
            "environment": "sandbox",
            "base_url": f"{live_server.url}/sandbox/paylocity",
            "state": "testing",
            "webhook_auth": "hmac",
            "_continue": "1",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    connection = Connection.objects.get(slug="delta-paylocity-sandbox")

    # 4. On the connection's page: Create a sandbox company… -> name, 25 employees, Company ID left empty
    page = client.get(reverse("admin:integrations_connection_change", args=[connection.pk])).content.decode()
    provision = f"{reverse('admin:sandbox_sandboxcompany_provision')}?connection={connection.pk}"
    assert provision in page
    response = client.post(
        provision, {"provider": "paylocity", "name": "Delta Dental Clinics", "employees": 25}
    )
    html = response.content.decode()
    # the demo's companies 6700 / 6701 are taken: the first free ID is chosen and shown with the credentials
    assert "Sandbox company 7000 is ready" in html
    connection.refresh_from_db()
    assert connection.client_secret and connection.client_secret in html

    # 5. Back on the connection's page: Test, then Sync now, landing on the run's page
    response = client.post(reverse("admin:integrations_connection_test", args=[connection.pk]))
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Test of Delta Paylocity sandbox: Authenticated."
    ]
    response = client.post(reverse("admin:integrations_connection_sync", args=[connection.pk]))
    run = SyncRun.objects.get(connection=connection)
    assert response.url == reverse("hub-sync-run", args=[run.pk])
    run.refresh_from_db()
    assert (run.state, run.created) == ("succeeded", 25), run.message
    assert (
        Employee.objects.filter(company__external_id="7000", company__company_set__customer=customer).count()
        == 25
    )
