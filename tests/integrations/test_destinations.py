"""Outbound calls go only where they should: the policy on save and on connect, no redirects, secrets stay put.

Findings of the hardening issue (13): a stored secret sent to a new base URL, metadata / loopback / ftp /
credential URLs accepted, redirects followed (a downstream 302 counted as delivered), provider text echoed,
refused ports told apart from HTTP errors, ``test/`` open to view-only users, a web request sleeping for the
rate limiter, a connection moved to another customer keeping its companies, ``name`` required.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import responses
from django.core.exceptions import ValidationError

from apps.core.errors import ProviderError
from apps.core.http import downstream_post
from apps.employees import delivery
from apps.employees.models import DownstreamAction
from apps.employees.services import downstream_target_set, employee_records_apply
from apps.integrations import services
from apps.integrations.models import ApiCall, Connection
from apps.integrations.providers.affinity.files import SftpDrop
from apps.integrations.transport import provider_http, rate_limit_wait
from tests.companies.factories import CompanyFactory
from tests.employees.factories import record
from tests.integrations.factories import ConnectionFactory
from tests.integrations.test_connections import INLINE_MANAGEMENT
from tests.support.factories import EmployeeFactory, TicketFactory

pytestmark = pytest.mark.django_db

PCTY = "http://127.0.0.1:9/sandbox/paylocity"


def _conn(customer, **kwargs):
    kwargs.setdefault("base_url", PCTY)
    return ConnectionFactory(customer=customer, **kwargs)


# --- on save: API and service --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "use https"),
        ("https://169.254.169.254/latest/meta-data/", "metadata"),
        ("https://0.0.0.0/paylocity", "unspecified"),
        ("ftp://files.example.com/", "https"),
        ("https://admin:hunter2@api.example.com/", "credentials"),
        ("https://10.1.2.3/api", "private"),
    ],
)
def test_api_refuses_a_base_url_outside_the_policy_naming_the_field(api, consultant, customer, url, reason):
    conn = _conn(customer)
    response = api(consultant).patch(f"/api/v1/connections/{conn.pk}/", {"base_url": url}, format="json")
    assert response.status_code == 400, response.content
    assert reason in str(response.json()["extra"]["fields"]["base_url"])
    assert Connection.objects.get(pk=conn.pk).base_url == PCTY


def test_loopback_base_urls_are_refused_when_the_sandbox_is_off(customer, settings):
    # (Through the service: the URLconf includes the sandbox only when it is on at import.)
    settings.SANDBOX_ENABLED = False
    with pytest.raises(ValidationError) as raised:
        services.connection_create(
            customer=customer, name="P", provider="paylocity", base_url="https://[::1]/x"
        )
    assert "loopback" in str(raised.value.message_dict["base_url"])


def test_an_sftp_host_outside_the_policy_is_refused(customer, settings):
    settings.SANDBOX_ENABLED = False
    conn = _conn(customer, provider="affinity", base_url="https://api.affinity.example")
    with pytest.raises(ValidationError) as raised:
        services.connection_update(connection=conn, sftp_host="169.254.169.254")
    assert "metadata" in str(raised.value.message_dict["sftp_host"])


def test_changing_the_base_url_clears_the_stored_secrets(api, consultant, customer):
    # given a connection with a stored secret
    conn = _conn(customer, client_secret="stored-secret", webhook_secret="whsec_kept")
    # when a user points it somewhere else without giving the secret again
    response = api(consultant).patch(
        f"/api/v1/connections/{conn.pk}/", {"base_url": "http://127.0.0.1:8/paylocity"}, format="json"
    )
    # then the secret that would travel there is gone (the incoming webhook secret is not sent anywhere)
    assert response.status_code == 200, response.content
    assert response.json()["secrets_set"]["client_secret"] is False
    conn.refresh_from_db()
    assert conn.client_secret == ""
    assert conn.webhook_secret == "whsec_kept"


def test_changing_the_base_url_keeps_a_secret_given_in_the_same_request(api, consultant, customer):
    conn = _conn(customer, provider="prismhr", password="old-password", client_secret="")
    response = api(consultant).patch(
        f"/api/v1/connections/{conn.pk}/",
        {"base_url": "http://127.0.0.1:8/prismhr", "password": "new-password"},
        format="json",
    )
    assert response.status_code == 200, response.content
    conn.refresh_from_db()
    assert conn.password == "new-password"


def test_the_same_base_url_again_keeps_the_secret(customer):
    conn = _conn(customer, client_secret="stored-secret")
    services.connection_update(connection=conn, base_url=PCTY, state="live")
    conn.refresh_from_db()
    assert conn.client_secret == "stored-secret"


def test_changing_the_sftp_host_clears_the_sftp_secrets(customer):
    conn = _conn(
        customer, provider="affinity", sftp_host="127.0.0.1", sftp_password="pw", sftp_private_key="key"
    )
    services.connection_update(connection=conn, sftp_host="localhost")
    conn.refresh_from_db()
    assert (conn.sftp_password, conn.sftp_private_key) == ("", "")
    assert conn.client_secret == "s3cret-value"


def test_a_connection_cannot_move_to_another_customer(api, admin_user, customer, other_customer):
    company = CompanyFactory(company_set__customer=customer, provider="paylocity")
    conn = _conn(customer)
    conn.companies.set([company])
    response = api(admin_user).patch(
        f"/api/v1/connections/{conn.pk}/", {"customer": other_customer.pk}, format="json"
    )
    assert response.status_code == 400
    assert "cannot move to another customer" in response.json()["message"]
    conn.refresh_from_db()
    assert conn.customer_id == customer.pk
    assert list(conn.companies.all()) == [company]


def test_the_name_defaults_to_the_slug(api, consultant, customer):
    response = api(consultant).post(
        "/api/v1/connections/",
        {"customer": customer.pk, "slug": "acme-payroll", "provider": "paylocity", "base_url": PCTY},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["name"] == "acme-payroll"


# --- on connect -----------------------------------------------------------------------------------------------


class _Listener:
    """A TCP listener on 127.0.0.1 that records every byte it receives."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]
        self.received = b""
        self.accepted = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.settimeout(2)
            try:
                while chunk := conn.recv(4096):
                    self.received += chunk
            except OSError:
                pass
            conn.close()

    def close(self):
        self.sock.close()


@pytest.fixture
def rebinding(monkeypatch):
    """A public-looking name that resolves to 127.0.0.1 (DNS rebinding), with the sandbox off."""
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host == "payroll.rebind.example":
            return real("127.0.0.1", *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    listener = _Listener()
    yield listener
    listener.close()


def test_a_name_resolving_to_loopback_is_refused_on_connect_before_a_byte_is_sent(
    customer, rebinding, settings
):
    # given a base URL that passed the policy when saved (a public name, https)
    conn = _conn(customer, base_url=f"https://payroll.rebind.example:{rebinding.port}/paylocity")
    settings.SANDBOX_ENABLED = False
    # when the name resolves to this machine at connect time
    with pytest.raises(ProviderError, match="not allowed") as raised:
        provider_http(conn).request("POST", f"{conn.base_url}/IdentityServer/connect/token", data={"a": "b"})
    # then nothing was sent (not even a TLS hello), the refusal is permanent and logged
    assert raised.value.permanent is True
    assert rebinding.received == b""
    assert ApiCall.objects.get(connection=conn).error == "destination refused"


def test_a_stored_url_outside_the_policy_is_refused_before_connecting(customer, settings):
    conn = _conn(customer)  # http on loopback: allowed only while the sandbox is on
    settings.SANDBOX_ENABLED = False
    with pytest.raises(ProviderError, match="not an allowed destination"):
        provider_http(conn).request("GET", f"{conn.base_url}/api/v2/companies/1/employees")


def test_the_sftp_transport_checks_the_resolved_address(customer, rebinding, settings):
    conn = _conn(
        customer,
        provider="affinity",
        sftp_host="payroll.rebind.example",
        sftp_port=rebinding.port,
        sftp_host_key="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBFJCnz6IxlEFs3zMFMpnaJQEYeIrCbwdwtR2LuRZTMc",
        sftp_password="pw",
    )
    settings.SANDBOX_ENABLED = False
    with pytest.raises(ProviderError, match="not an allowed destination"), SftpDrop(conn, timeout=2):
        pass
    assert rebinding.received == b""


# --- no redirects ---------------------------------------------------------------------------------------------


@responses.activate
def test_a_provider_redirect_is_not_followed(customer):
    conn = _conn(customer)
    token_url = f"{PCTY}/IdentityServer/connect/token"
    responses.post(token_url, status=302, headers={"Location": "https://collector.example/steal"})
    elsewhere = responses.get("https://collector.example/steal", json={"access_token": "x"})
    with pytest.raises(ProviderError, match="redirect") as raised:
        provider_http(conn).request("POST", token_url, data={"client_secret": "s"}, idempotent=False)
    assert raised.value.status_code == 302
    assert elsewhere.call_count == 0


@pytest.fixture
def redirecting_receiver():
    """A downstream app that answers every POST with 302 to /landing, where a GET would get a 200."""
    seen: list[tuple[str, str, dict]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("content-length") or 0))
            seen.append(("POST", self.path, dict(self.headers)))
            self.send_response(302)
            self.send_header("Location", "/landing")
            self.send_header("content-length", "0")
            self.end_headers()

        def do_GET(self):
            seen.append(("GET", self.path, dict(self.headers)))
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args):
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks", seen
    server.shutdown()


def test_a_downstream_302_is_a_failure_and_nothing_goes_to_the_redirect_target(redirecting_receiver):
    url, seen = redirecting_receiver
    status, error = downstream_post(url, body=b"{}", headers={"webhook-signature": "v1,abc"})
    assert status == 302
    assert "redirects are not followed" in error
    assert [method for method, _, _ in seen] == ["POST"]


def test_a_downstream_action_answered_by_a_redirect_is_not_delivered(customer, company, redirecting_receiver):
    url, seen = redirecting_receiver
    downstream_target_set(customer=customer, url=url, signing_secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    employee_records_apply(company=company, records=[record("1001", "A", "2026-01-05")], source="sync")
    assert delivery.actions_drain() == 0
    action = DownstreamAction.objects.get()
    assert action.state != DownstreamAction.State.DELIVERED
    assert action.last_status_code == 302
    assert "redirects are not followed" in action.last_error
    assert "GET" not in [method for method, _, _ in seen]


def test_a_downstream_url_outside_the_policy_is_not_called(settings):
    settings.SANDBOX_ENABLED = False
    status, error = downstream_post("http://127.0.0.1:9/hooks", body=b"{}", headers={})
    assert status is None
    assert error.startswith("Destination refused")


# --- the connection test --------------------------------------------------------------------------------------


def test_a_support_agent_with_view_permission_cannot_test_a_connection(api, support_agent, customer):
    conn = _conn(customer)
    response = api(support_agent).post(f"/api/v1/connections/{conn.pk}/test/")
    assert response.status_code == 403
    assert not ApiCall.objects.exists()


@responses.activate
def test_the_connection_test_answers_in_our_words_without_the_providers_text(api, consultant, customer):
    conn = _conn(
        customer, provider="prismhr", base_url="http://127.0.0.1:9/prism", username="u", password="p"
    )
    responses.post(
        "http://127.0.0.1:9/prism/login/v1/createPeoSession",
        json={
            "errorCode": "LOGIN_FAILED",
            "errorMessage": "Account admin@internal locked; see ldap://10.0.0.8",
        },
    )
    response = api(consultant).post(f"/api/v1/connections/{conn.pk}/test/")
    assert response.status_code == 502
    assert response.json()["message"] == "PrismHR refused the login; check the connection's credentials."
    listed = api(consultant).get(f"/api/v1/connections/{conn.pk}/").json()
    assert "locked" not in str(listed)


@responses.activate
def test_a_refused_port_and_an_http_error_look_the_same_to_the_caller(api, consultant, customer):
    refused = _conn(customer, base_url="http://127.0.0.1:9/a")
    erroring = _conn(customer, base_url="http://127.0.0.1:9/b")
    responses.post(
        "http://127.0.0.1:9/a/IdentityServer/connect/token",
        body=requests.exceptions.ConnectionError("Connection refused"),
    )
    responses.post("http://127.0.0.1:9/b/IdentityServer/connect/token", status=404, body="<h1>nginx</h1>")
    first = api(consultant).post(f"/api/v1/connections/{refused.pk}/test/")
    second = api(consultant).post(f"/api/v1/connections/{erroring.pk}/test/")
    assert first.status_code == second.status_code == 502
    assert first.json() == second.json()
    assert "nginx" not in str(second.json())


def test_the_connection_test_answers_429_rather_than_wait_for_the_rate_limiter(api, consultant, customer):
    # given a connection allowed one call a minute whose slot was just taken by a sync
    conn = _conn(customer, rate_limit_per_second=None, rate_limit_per_minute=1)
    rate_limit_wait(conn, sleep=lambda s: None)
    # when a user tests it from the web
    response = api(consultant).post(f"/api/v1/connections/{conn.pk}/test/")
    # then the request is answered at once: try again, with when
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 60
    assert "try again" in response.json()["message"]
    assert not ApiCall.objects.filter(connection=conn).exists()


# --- the admin gets the same rules (they live in the model's clean and the service) ----------------------------


def _admin_form(conn, **changes):
    return {
        "companies": [],
        "name": conn.name,
        "slug": conn.slug,
        "provider": conn.provider,
        "environment": "sandbox",
        "base_url": conn.base_url,
        "state": "testing",
        "webhook_auth": conn.webhook_auth,
        "webhook_signature_header": "webhook-signature",
        "webhook_signature_encoding": "base64",
        "webhook_signature_scheme": "standard",
        "webhook_allowed_ips": "[]",
        "webhook_digest_types": "[]",
        "webhook_coalesce_seconds": "0",
        "circuit_threshold": "5",
        "circuit_cooldown_seconds": "60",
        "sftp_port": "22",
        **INLINE_MANAGEMENT,
        **changes,
    }


@pytest.fixture
def admin_client(client, admin_user):
    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    return client


def test_the_admin_refuses_a_metadata_base_url_as_a_form_error(admin_client, customer):
    conn = _conn(customer)
    response = admin_client.post(
        f"/admin/integrations/connection/{conn.pk}/change/",
        _admin_form(conn, base_url="https://169.254.169.254/latest"),
    )
    assert response.status_code == 200
    assert "cloud metadata address is not an allowed destination" in response.content.decode()
    assert Connection.objects.get(pk=conn.pk).base_url == PCTY


def test_the_admin_clears_the_secret_when_the_base_url_changes(admin_client, customer):
    conn = _conn(customer, client_secret="stored-secret")
    response = admin_client.post(
        f"/admin/integrations/connection/{conn.pk}/change/",
        _admin_form(conn, base_url="http://127.0.0.1:8/elsewhere", client_secret=""),
    )
    assert response.status_code == 302
    assert Connection.objects.get(pk=conn.pk).client_secret == ""


def test_the_admin_warns_about_a_connection_without_a_webhook_check(admin_client, customer):
    unchecked = _conn(customer, provider="prismhr", webhook_auth="none")
    checked = _conn(customer, provider="prismhr", webhook_auth="hmac")
    page = admin_client.get(f"/admin/integrations/connection/{unchecked.pk}/change/").content.decode()
    assert "Incoming webhooks are NOT authenticated on this connection" in page
    other = admin_client.get(f"/admin/integrations/connection/{checked.pk}/change/").content.decode()
    assert "NOT authenticated" not in other


def test_the_admin_does_not_move_a_connection_to_another_customer(admin_client, customer, other_customer):
    conn = _conn(customer)
    response = admin_client.post(
        f"/admin/integrations/connection/{conn.pk}/change/", _admin_form(conn, customer=other_customer.pk)
    )
    assert response.status_code == 302
    assert Connection.objects.get(pk=conn.pk).customer_id == customer.pk


def test_diagnostics_from_the_web_say_try_again_rather_than_wait_for_the_rate_limiter(
    api, support_agent, customer, company
):
    # given the employee's connection allows one call a minute and a sync just took it
    conn = _conn(customer, rate_limit_per_second=None, rate_limit_per_minute=1)
    conn.companies.set([company])
    employee = EmployeeFactory(company=company)
    ticket = TicketFactory(customer=customer)
    rate_limit_wait(conn, sleep=lambda s: None)
    # when support checks the employee now
    response = api(support_agent).post(
        f"/api/v1/tickets/{ticket.pk}/diagnose/", {"employee": employee.pk}, format="json"
    )
    # then the answer comes at once and says to try again; the provider was not called
    assert response.status_code == 201
    assert response.json()["ok"] is False
    assert "try again" in response.json()["error"]
    assert not ApiCall.objects.filter(connection=conn).exists()


@pytest.mark.parametrize(
    "url", ["https://169.254.169.254/hook", "ftp://apps.example.com/", "https://u:p@apps.example.com/"]
)
def test_the_downstream_target_url_follows_the_policy_in_the_api(api, consultant, customer, url):
    response = api(consultant).post(
        "/api/v1/downstream-targets/", {"customer": customer.pk, "url": url}, format="json"
    )
    assert response.status_code == 400
    assert "Not an allowed destination" in str(response.json()["extra"]["fields"]["url"])
