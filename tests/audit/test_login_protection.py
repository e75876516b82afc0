"""Sign-in protection (django-axes): failed sign-ins lock out one username from one address."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import override_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def _sign_in(client, username: str, password: str, ip: str = "10.0.0.1"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
    )


@override_settings(AXES_FAILURE_LIMIT=3)
def test_failed_sign_ins_lock_out_the_user_from_that_address(client, admin_user):
    # given two wrong passwords, the user can still sign in
    for _ in range(2):
        assert _sign_in(client, "hubadmin", "wrong").status_code == 200
    # when the third fails too
    locked = _sign_in(client, "hubadmin", "wrong")
    # then even the right password is refused from that address
    assert locked.status_code == 429
    assert "Sign-in temporarily locked" in locked.content.decode()
    assert _sign_in(client, "hubadmin", "pw").status_code == 429
    # and the same user from another address is not locked
    assert _sign_in(client, "hubadmin", "pw", ip="10.0.0.2").status_code == 302
    attempt = AccessAttempt.objects.get(username="hubadmin", ip_address="10.0.0.1")
    assert attempt.failures_since_start >= 3


def test_admins_see_the_lockouts(client, admin_user):
    # given a failed sign-in as someone
    _sign_in(client, "someone", "wrong")
    # when an admin opens the access attempts
    client.force_login(admin_user)
    page = client.get("/admin/axes/accessattempt/")
    # then the failed attempt is listed
    assert page.status_code == 200
    assert "someone" in page.content.decode()


def test_api_tokens_are_not_affected_by_a_lockout(consultant):
    # given a consultant locked out after one failed sign-in
    with override_settings(AXES_FAILURE_LIMIT=1):
        from django.test import Client

        _sign_in(Client(), "consultant", "wrong", ip="127.0.0.1")
    assert AccessAttempt.objects.filter(username="consultant").exists()
    # when the consultant calls the API with a token
    token = Token.objects.create(user=consultant)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    # then the call is answered as usual
    assert api.get("/api/v1/customers/").status_code == 200


def test_a_sign_in_without_a_request_is_not_refused_by_the_lockout_backend(client, admin_user):
    # the test client's login() authenticates without a request (as management commands do)
    # when the test client signs in without a request, then the lockout backend lets it in
    assert client.login(username="hubadmin", password="pw")
    assert client.get("/admin/").status_code == 200
