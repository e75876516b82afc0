"""Sandbox test helpers: seeded data, provider clients that log in, and a webhook receiver on loopback."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client

from apps.sandbox.services import sandbox_seed
from apps.sandbox.services.seed import CREDENTIALS

PAYLOCITY = "/sandbox/paylocity"
PRISM = "/sandbox/prismhr/prismhr-api/services/rest"
AFFINITY = "/sandbox/affinity"


@pytest.fixture
def seeded(db):
    return sandbox_seed()


def _credential(provider: str) -> tuple[str, str, str]:
    for p, _label, ident, secret, peo_id, _companies in CREDENTIALS:
        if p == provider:
            return ident, secret, peo_id
    raise LookupError(provider)


@pytest.fixture
def paylocity(seeded):
    """A Django test client logged in to the sandbox's Paylocity (Bearer header set)."""
    client_id, secret, _ = _credential("paylocity")
    client = Client()
    response = client.post(
        f"{PAYLOCITY}/IdentityServer/connect/token",
        {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": "WebLinkAPI",
        },
    )
    assert response.status_code == 200
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {response.json()['access_token']}"
    return client


@pytest.fixture
def prism(seeded):
    """A Django test client with a PrismHR session (``sessionId`` header set)."""
    username, password, peo_id = _credential("prismhr")
    client = Client()
    response = client.post(
        f"{PRISM}/login/v1/createPeoSession", {"username": username, "password": password, "peoId": peo_id}
    )
    assert response.status_code == 200
    client.defaults["HTTP_SESSIONID"] = response.json()["sessionId"]
    return client


@pytest.fixture
def affinity(seeded):
    client_id, secret, _ = _credential("affinity")
    client = Client()
    response = client.post(
        f"{AFFINITY}/oauth/token",
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert response.status_code == 200
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {response.json()['access_token']}"
    return client


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1 that records every request and answers ``status`` (or echoes a token)."""

    url: str
    requests: list[Received] = field(default_factory=list)
    status: int = 200


@pytest.fixture
def receiver():
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def _record(self, body: bytes) -> None:
            state.requests.append(
                Received(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self._record(body)
            self.send_response(state.status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def do_GET(self):
            self._record(b"")
            from urllib.parse import parse_qs, urlsplit

            token = parse_qs(urlsplit(self.path).query).get("validationToken", [""])[0].encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(token)))
            self.end_headers()
            self.wfile.write(token)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
