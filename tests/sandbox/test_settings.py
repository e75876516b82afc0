"""The sandbox is off in production settings, and a sandbox switched off answers nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": "x" * 60,
    "DJANGO_ALLOWED_HOSTS": "hub.example.com",
    "FIELD_ENCRYPTION_KEYS": "cHJvZHVjdGlvbi1jaGVjay1kdW1teS1rZXktMzJieXQ=",
    "IDENTITY_HASH_KEY": "k",
}
PROBE = (
    "import django; django.setup(); from django.conf import settings; from django.urls import resolve, Resolver404\n"
    "try:\n    resolve('/sandbox/paylocity/IdentityServer/connect/token'); routed = True\n"
    "except Resolver404:\n    routed = False\n"
    "print(settings.SANDBOX_ENABLED, routed)"
)


def _probe(settings_module: str, **extra: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and k != "SANDBOX_ENABLED"}
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={**env, **PRODUCTION_ENV, **extra, "DJANGO_SETTINGS_MODULE": settings_module},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def test_production_settings_turn_the_sandbox_off_and_route_nothing_to_it():
    assert _probe("config.settings.production") == "False False"


def test_local_settings_have_the_sandbox_on_unless_told_otherwise():
    assert _probe("config.settings.local") == "True True"
    assert _probe("config.settings.local", SANDBOX_ENABLED="false") == "False False"


@pytest.mark.parametrize(
    "url",
    [
        "/sandbox/paylocity/api/v2/companies/6700/employees",
        "/sandbox/prismhr/prismhr-api/services/rest/clientMaster/v1/getClientList",
    ],
)
def test_a_switched_off_sandbox_answers_404_even_if_routed(seeded, settings, url):
    settings.SANDBOX_ENABLED = False

    assert Client().get(url).status_code == 404
