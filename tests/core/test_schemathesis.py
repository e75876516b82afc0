"""Schemathesis over the whole OpenAPI schema against a live server: no server error, no schema violation.

The hub runs in this process (pytest-django's ``live_server``) on the test database, seeded with the demo
world, behind a token of an admin who sees every customer. Schemathesis (the CLI, in a subprocess) reads
``/api/schema/`` and tries every operation with a bounded number of generated examples, then a few
stateful sequences along the links it infers. Checks: ``not_a_server_error`` (a 502 is the documented
answer when the sandbox provider refuses, e.g. after the fuzzer changed a connection's credentials: it is
not a crash), ``response_schema_conformance`` and ``status_code_conformance`` (every status answered is
documented). The fuzzer creates connections and targets with random URLs: outbound sockets from this
process are limited to loopback for the test, so nothing ever leaves the machine.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from apps.core import http
from apps.users.models import User
from apps.users.roles import ADMINS

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
CONFIG = """
[checks.not_a_server_error]
expected-statuses = ["1xx", "2xx", "3xx", "4xx", "502"]
"""


def _loopback(host: str) -> bool:
    if host in ("localhost", "testserver"):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture
def loopback_only(monkeypatch):
    """Refuse every outbound connection and name lookup of this process that is not for loopback."""
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect

    def getaddrinfo(host, *args, **kwargs):
        if host is not None and not _loopback(host.decode() if isinstance(host, bytes) else str(host)):
            raise socket.gaierror(socket.EAI_NONAME, f"{host}: lookups leave the machine (blocked in tests)")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(str(address[0])):
            raise ConnectionRefusedError(f"{address[0]}: not loopback (blocked in tests)")
        return real_connect(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)


@pytest.fixture
def token(migration_data, live_server, settings):
    settings.HUB_PUBLIC_URL = live_server.url
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    user = User.objects.create_user(
        username="schemathesis", password="pw", is_staff=True, is_superuser=True, all_customers=True
    )
    user.groups.add(Group.objects.get(name=ADMINS))
    yield Token.objects.create(user=user).key
    # The hub's provider sessions keep HTTP connections to its own sandbox alive, and with them the live
    # server's request threads and their database connections: close them, so the test database can go.
    http.reset_process_state()  # the downstream session too
    for thread in threading.enumerate():
        if "process_request_thread" in thread.name:
            thread.join(timeout=5)


def test_the_api_answers_every_generated_request_as_its_schema_says(
    live_server, token, loopback_only, tmp_path
):
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(config),
        "run",
        f"{live_server.url}/api/schema/",
        "--header",
        f"Authorization: Token {token}",
        "--checks",
        "not_a_server_error,response_schema_conformance,status_code_conformance",
        "--phases",
        "examples,fuzzing,stateful",
        "--max-examples",
        "5",
        "--workers",
        "1",
        "--seed",
        "13",
        "--request-timeout",
        "30",
        "--no-shrink",
        "--output-truncate",
        "false",
    ]
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=540, check=False)
    report = run.stdout[-20000:] + run.stderr[-5000:]
    assert run.returncode == 0, report
    # every operation of the schema was tried, and every generated case passed every check
    selected = re.search(r"Selected: (\d+)/(\d+)", run.stdout)
    tested = re.search(r"Tested: (\d+)", run.stdout)
    assert selected and tested and selected[1] == selected[2] == tested[1], report
    cases = re.search(r"(\d+) generated, (\d+) passed\n", run.stdout)
    assert cases and int(cases[1]) > int(selected[1]) and cases[1] == cases[2], report
