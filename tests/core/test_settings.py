"""Start-up refuses a missing or malformed environment with a message naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD = {
    "DJANGO_SECRET_KEY": "x" * 60,
    "DJANGO_ALLOWED_HOSTS": "hub.example.com",
    "FIELD_ENCRYPTION_KEYS": "cHJvZHVjdGlvbi1jaGVjay1kdW1teS1rZXktMzJieXQ=",
    "IDENTITY_HASH_KEY": "k",
}


def _load(settings_module: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in GOOD and k != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**clean, **env, "DJANGO_SETTINGS_MODULE": settings_module},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "FIELD_ENCRYPTION_KEYS"])
def test_production_refuses_to_start_without(missing):
    env = {k: v for k, v in GOOD.items() if k != missing}
    result = _load("config.settings.production", env)
    assert result.returncode != 0
    assert missing in result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DJANGO_SECRET_KEY", "insecure-local-only-secret-key-change-me-0123456789"),
        ("DJANGO_SECRET_KEY", "change-me"),
        ("FIELD_ENCRYPTION_KEYS", "bG9jYWwtZGV2ZWxvcG1lbnQta2V5LW5vdC1zZWNyZXQ="),
        (
            "FIELD_ENCRYPTION_KEYS",
            "cHJvZHVjdGlvbi1jaGVjay1kdW1teS1rZXktMzJieXQ=,bG9jYWwtZGV2ZWxvcG1lbnQta2V5LW5vdC1zZWNyZXQ=",
        ),
        ("IDENTITY_HASH_KEY", "local-identity-hash-key"),
        ("IDENTITY_HASH_KEY", "change-me"),
    ],
)
def test_production_refuses_the_well_known_local_defaults_naming_the_variable(name, value):
    result = _load("config.settings.production", {**GOOD, name: value})
    assert result.returncode != 0
    assert f"{name} holds the well-known local default" in result.stderr


def test_production_starts_with_every_required_variable():
    # when production settings load with every required variable set, then start-up succeeds
    assert _load("config.settings.production", GOOD).returncode == 0


@pytest.mark.parametrize(("name", "value"), [("Q_WORKERS", "many"), ("DATABASE_URL", "nonsense://")])
def test_malformed_value_names_the_variable(name, value):
    result = _load("config.settings.local", {name: value})
    assert result.returncode != 0
    assert name in result.stderr


def test_redis_url_switches_the_broker(monkeypatch):
    # given a Redis URL in the environment
    # when the local settings load
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings as s; "
            "print(s.Q_CLUSTER.get('redis'), 'orm' in s.Q_CLUSTER)",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "REDIS_URL": "redis://127.0.0.1:6379/3",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    # then the task queue uses Redis as its broker instead of the database
    assert result.stdout.strip() == "redis://127.0.0.1:6379/3 False"


def test_q_cluster_timeout_is_below_retry():
    from django.conf import settings

    assert settings.Q_CLUSTER["timeout"] < settings.Q_CLUSTER["retry"]
    assert settings.Q_CLUSTER["max_attempts"] >= 1
    assert settings.Q_CLUSTER["catch_up"] is False
