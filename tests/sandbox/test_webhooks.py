"""Each control sends the provider's webhook, signed as that provider signs, to a real receiver on loopback.

The signatures are checked here with hmac directly, from the wire formats (not with the code that made
them); one test also runs the hub's own verifier on a sandbox hook, so both sides provably agree.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import socket
import time

import pytest

from apps.companies.models import Provider
from apps.core import signing
from apps.sandbox import services
from apps.sandbox.models import SandboxCompany, SandboxEmployee, SandboxEvent, SandboxWebhookDelivery
from apps.sandbox.services.hooks import NO_TARGET
from tests.companies.factories import CompanyFactory, CompanySetFactory
from tests.integrations.factories import ConnectionFactory

SECRET_BYTES = b"0123456789abcdef0123456789abcdef"
WHSEC = "whsec_" + base64.b64encode(SECRET_BYTES).decode()


def _employee(company: str, employee_id: str) -> SandboxEmployee:
    return SandboxEmployee.objects.select_related("company").get(
        company__external_id=company, employee_id=employee_id
    )


def _target(external_id: str, url: str, **settings) -> SandboxCompany:
    company = SandboxCompany.objects.get(external_id=external_id)
    company.webhook_url = url
    for name, value in settings.items():
        setattr(company, name, value)
    company.save()
    return company


def _check_standard(
    received, key: bytes, header: str = "webhook-signature", encoding: str = "base64"
) -> None:
    """Verify a Standard Webhooks delivery from first principles."""
    msg_id = received.headers["webhook-id"]
    timestamp = received.headers["webhook-timestamp"]
    assert abs(int(timestamp) - time.time()) < 300
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + received.body, hashlib.sha256).digest()
    expected = base64.b64encode(digest).decode() if encoding == "base64" else digest.hex()
    assert received.headers[header.lower()] == f"v1,{expected}"


def test_paylocity_legacy_hook_uses_basic_auth_and_the_flat_body(
    seeded, receiver, django_capture_on_commit_callbacks
):
    _target("6700", receiver.url, webhook_auth="basic", webhook_username="pcty", webhook_password="hook-pass")

    with django_capture_on_commit_callbacks(execute=True):
        services.employee_terminate(employee=_employee("6700", "1001"))

    [hook] = receiver.requests
    assert hook.method == "POST"
    assert hook.headers["authorization"] == "Basic " + base64.b64encode(b"pcty:hook-pass").decode()
    assert hook.json() == {"eventType": "Termination", "companyId": "6700", "employeeId": "1001"}
    delivery = SandboxWebhookDelivery.objects.get()
    assert (delivery.state, delivery.status_code, delivery.url) == ("delivered", 200, receiver.url)
    assert "hook-pass" not in str(delivery.request_headers)


@pytest.mark.parametrize(
    ("control", "event_type"),
    [
        (lambda e: services.employee_leave(employee=e), "EmployeeChange"),
        (lambda e: services.employee_update(employee=e, pay_group="WK"), "EmployeeChange"),
        (lambda e: services.employee_status_set(employee=e, code="R"), "Termination"),
        (
            lambda e: services.employee_hire(company=e.company, first_name="New", last_name="Hire"),
            "NewHire",
        ),
    ],
)
def test_paylocity_legacy_event_types(
    seeded, receiver, django_capture_on_commit_callbacks, control, event_type
):
    _target("6700", receiver.url, webhook_auth="basic", webhook_username="u", webhook_password="p")

    with django_capture_on_commit_callbacks(execute=True):
        control(_employee("6700", "1001"))

    assert [r.json()["eventType"] for r in receiver.requests] == [event_type]


@pytest.mark.parametrize("encoding", ["base64", "hex"])
def test_paylocity_hmac_hook_is_a_signed_standard_webhook(
    seeded, receiver, django_capture_on_commit_callbacks, encoding
):
    _target(
        "6700", receiver.url, webhook_auth="hmac", webhook_secret=WHSEC, webhook_signature_encoding=encoding
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.employee_terminate(employee=_employee("6700", "1001"))

    [hook] = receiver.requests
    _check_standard(hook, SECRET_BYTES, encoding=encoding)
    body = hook.json()
    assert body["eventType"] == "employee.terminated"
    assert (body["companyId"], body["employeeId"]) == ("6700", "1001")
    assert body["eventId"] == hook.headers["webhook-id"]
    assert dt.datetime.fromisoformat(body["occurredAt"].replace("Z", "+00:00"))
    assert "authorization" not in hook.headers


def test_raw_body_scheme_signs_sha256_hex_in_the_named_header(
    seeded, receiver, django_capture_on_commit_callbacks
):
    _target(
        "6700",
        receiver.url,
        webhook_auth="hmac",
        webhook_secret="plain-text-secret",
        webhook_signature_header="X-Hub-Signature-256",
        webhook_signature_scheme="raw",
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.employee_leave(employee=_employee("6700", "1001"))

    [hook] = receiver.requests
    expected = hmac.new(b"plain-text-secret", hook.body, hashlib.sha256).hexdigest()
    assert hook.headers["x-hub-signature-256"] == f"sha256={expected}"
    assert "webhook-id" not in hook.headers


def test_the_hubs_verifier_accepts_a_sandbox_hook(seeded, receiver, django_capture_on_commit_callbacks):
    _target("AFF100", receiver.url, webhook_auth="hmac", webhook_secret=WHSEC)

    with django_capture_on_commit_callbacks(execute=True):
        services.employee_terminate(employee=_employee("AFF100", "E1001"))

    [hook] = receiver.requests
    assert signing.verify(WHSEC, headers=hook.headers, body=hook.body) == "standard"


def test_affinity_hook_body_and_signature(seeded, receiver, django_capture_on_commit_callbacks):
    _target("AFF100", receiver.url, webhook_auth="hmac", webhook_secret=WHSEC)

    with django_capture_on_commit_callbacks(execute=True):
        services.employee_hire(
            company=SandboxCompany.objects.get(external_id="AFF100"), first_name="A", last_name="B"
        )

    [hook] = receiver.requests
    _check_standard(hook, SECRET_BYTES)
    body = hook.json()
    assert body["id"].startswith("evt_")
    assert body["id"] == hook.headers["webhook-id"]
    assert (body["type"], body["company_code"], body["employee_id"]) == (
        "employee.created",
        "AFF100",
        "E1007",
    )
    assert body["occurred_at"].endswith("Z")


@pytest.mark.parametrize("auth", ["none", "basic"])
def test_prismhr_hook_carries_the_subscription_event(
    seeded, receiver, django_capture_on_commit_callbacks, auth
):
    _target("100100", receiver.url, webhook_auth=auth, webhook_username="prism", webhook_password="pw")

    with django_capture_on_commit_callbacks(execute=True):
        services.employee_leave(employee=_employee("100100", "P0001"))

    [hook] = receiver.requests
    [event] = hook.json()["events"]
    stored = SandboxEvent.objects.get(event_id=event["eventId"])
    assert event == {
        "eventId": stored.event_id,
        "schemaName": "Employee",
        "className": "Employee",
        "clientId": "100100",
        "objectId": "P0001",
        "action": "UPDATE",
        "timestamp": event["timestamp"],
    }
    assert ("authorization" in hook.headers) is (auth == "basic")
    assert "webhook-signature" not in hook.headers


def test_a_transfer_sends_one_hook_per_company(seeded, receiver, django_capture_on_commit_callbacks):
    for external_id in ("6700", "6701"):
        _target(external_id, receiver.url, webhook_auth="basic", webhook_username="u", webhook_password="p")

    with django_capture_on_commit_callbacks(execute=True):
        services.employee_transfer(
            employee=_employee("6700", "1001"), to_company=SandboxCompany.objects.get(external_id="6701")
        )

    assert sorted((r.json()["companyId"], r.json()["eventType"]) for r in receiver.requests) == [
        ("6700", "Termination"),
        ("6701", "NewHire"),
    ]


def _hub_connection(**kwargs):
    customer_set = CompanySetFactory(provider=Provider.PAYLOCITY)
    hub_company = CompanyFactory(company_set=customer_set, external_id="6700")
    connection = ConnectionFactory(customer=customer_set.customer, provider=Provider.PAYLOCITY, **kwargs)
    return connection, hub_company


def test_without_a_url_the_hook_goes_to_the_hub_connection_of_the_company(
    seeded, receiver, django_capture_on_commit_callbacks, settings
):
    # given a hub connection for company 6700 (HMAC, hex) and the hub reachable at the receiver
    settings.HUB_PUBLIC_URL = receiver.url.rstrip("/")
    connection, hub_company = _hub_connection(
        webhook_auth="hmac", webhook_secret=WHSEC, webhook_signature_encoding="hex"
    )
    connection.companies.add(hub_company)

    with django_capture_on_commit_callbacks(execute=True):
        services.employee_leave(employee=_employee("6700", "1001"))

    [hook] = receiver.requests
    assert hook.path == f"/hooks/webhooks/{connection.uuid}/"
    _check_standard(hook, SECRET_BYTES, encoding="hex")
    assert hook.json()["eventType"] == "employee.updated"


def test_a_connection_sharing_the_sandbox_credentials_is_found_too(
    seeded, receiver, django_capture_on_commit_callbacks, settings
):
    settings.HUB_PUBLIC_URL = receiver.url.rstrip("/")
    connection, _ = _hub_connection(
        client_id="sandbox-paylocity-client", webhook_auth="basic", webhook_username="u", webhook_password="p"
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.employee_leave(employee=_employee("6701", "2001"))

    [hook] = receiver.requests
    assert hook.path == f"/hooks/webhooks/{connection.uuid}/"
    assert hook.json() == {"eventType": "EmployeeChange", "companyId": "6701", "employeeId": "2001"}


def test_with_no_target_the_delivery_is_recorded_as_skipped(
    seeded, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.employee_terminate(employee=_employee("6700", "1001"))

    delivery = SandboxWebhookDelivery.objects.get()
    assert (delivery.state, delivery.error) == ("skipped", NO_TARGET)
    assert receiver.requests == []


def test_a_failing_receiver_is_recorded_and_a_resend_delivers(
    seeded, receiver, django_capture_on_commit_callbacks
):
    _target("6700", receiver.url, webhook_auth="basic", webhook_username="u", webhook_password="p")
    receiver.status = 500
    with django_capture_on_commit_callbacks(execute=True):
        services.employee_terminate(employee=_employee("6700", "1001"))
    delivery = SandboxWebhookDelivery.objects.get()
    assert (delivery.state, delivery.status_code, delivery.error) == ("failed", 500, "HTTP 500")

    receiver.status = 204
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_delivery_resend(delivery=delivery)

    delivery.refresh_from_db()
    assert (delivery.state, delivery.status_code, delivery.attempts) == ("delivered", 204, 2)
    assert len(receiver.requests) == 2
    assert receiver.requests[0].body == receiver.requests[1].body


def test_an_unreachable_receiver_is_a_failed_delivery_with_the_error(
    seeded, django_capture_on_commit_callbacks
):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _target(
        "6700",
        f"http://127.0.0.1:{port}/hooks/",
        webhook_auth="basic",
        webhook_username="u",
        webhook_password="p",
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.employee_terminate(employee=_employee("6700", "1001"))

    delivery = SandboxWebhookDelivery.objects.get()
    assert delivery.state == "failed"
    assert delivery.status_code is None
    assert "ConnectionError" in delivery.error


def test_disabled_webhooks_send_nothing_but_prismhr_still_records_the_event(
    seeded, receiver, django_capture_on_commit_callbacks
):
    for external_id in ("6700", "100100"):
        _target(external_id, receiver.url, webhooks_enabled=False)

    with django_capture_on_commit_callbacks(execute=True):
        services.employee_leave(employee=_employee("6700", "1001"))
        services.employee_leave(employee=_employee("100100", "P0001"))

    assert receiver.requests == []
    assert not SandboxWebhookDelivery.objects.exists()
    assert SandboxEvent.objects.filter(class_name="Employee", object_id="P0001").count() == 1


@pytest.mark.parametrize(("status", "state"), [(200, "delivered"), (500, "failed")])
def test_webhook_validation_is_prismhrs_token_echo(seeded, receiver, status, state):
    company = _target("100100", receiver.url)
    receiver.status = status

    delivery = services.company_webhook_validate(company=company)

    [check] = receiver.requests
    assert check.method == "GET"
    assert "validationToken=" in check.path
    assert delivery.state == state
    assert delivery.method == "GET"
