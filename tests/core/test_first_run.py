"""`make run`: the first-run passwords shown again when the server is ready; request lines quiet by default."""

from __future__ import annotations

import io
import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from apps.core import first_run
from apps.core.management.commands import run_all
from apps.users.models import User

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def credentials_file(settings, tmp_path, monkeypatch):
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    settings.FIRST_RUN_CREDENTIALS_FILE = str(tmp_path / "first-run.json")
    return Path(settings.FIRST_RUN_CREDENTIALS_FILE)


class FakeChild:
    """A child process that runs for a few polls, then exits (so run_all's loop ends on its own)."""

    def __init__(self, *args, **kwargs):
        self.polls, self.returncode, self.pid = 0, None, os.getpid()

    def poll(self):
        self.polls += 1
        if self.polls > 2:
            self.returncode = 0
        return self.returncode


@pytest.mark.django_db
def test_the_ready_banner_repeats_the_admin_password_after_the_server_starts(credentials_file, monkeypatch):
    # given the first run created the admin (its password printed early, then buried)
    created = io.StringIO()
    call_command("ensure_admin", stdout=created)
    password = created.getvalue().split("password: ")[1].split()[0]
    assert stat.S_IMODE(credentials_file.stat().st_mode) == 0o600
    # when run_all starts the server and the worker, and the server answers
    monkeypatch.setattr(run_all.subprocess, "Popen", FakeChild)
    monkeypatch.setattr(run_all.time, "sleep", lambda seconds: None)
    monkeypatch.setattr(run_all, "_accepting", lambda host, port: True)
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("run_all", "--port", "8123", stdout=out, stderr=io.StringIO())
    # then a banner after the start says where to go and repeats the admin's working password
    banner = out.getvalue()
    assert "Payroll Integration Hub is ready: http://127.0.0.1:8123/admin/" in banner
    assert f"admin  password: {password}   (admin)" in banner
    assert "LOG_REQUESTS=true" in banner


@pytest.mark.django_db
def test_the_banner_lists_the_demo_users_and_leaves_out_a_password_changed_since(credentials_file):
    # given the admin and two demo users noted, and the consultant's password changed since
    for username, role in (("admin", "admin"), ("consultant", "Consultants"), ("support", "Support agents")):
        User.objects.create_user(username=username, password=f"{username}-pw", is_staff=True)
        first_run.remember(username=username, role=role, password=f"{username}-pw")
    consultant = User.objects.get(username="consultant")
    consultant.set_password("changed")
    consultant.save()
    # when the banner is made
    shown = first_run.still_valid(first_run.remembered())
    text = first_run.banner(url="http://127.0.0.1:8000/", credentials=shown, log_requests=False)
    # then the admin and support passwords are there, the consultant's stale one is not
    assert "admin    password: admin-pw   (admin)" in text
    assert "support  password: support-pw   (Support agents)" in text
    assert "consultant" not in text


def test_nothing_is_noted_without_a_file(settings, tmp_path):
    settings.FIRST_RUN_CREDENTIALS_FILE = ""
    first_run.remember(username="admin", role="admin", password="secret")
    assert first_run.remembered() == []


def _server_log_level(env: dict[str, str]) -> str:
    clean = {k: v for k, v in os.environ.items() if k != "LOG_REQUESTS"}
    code = "import django, logging; django.setup(); print(logging.getLevelName(logging.getLogger('django.server').level))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env, "DJANGO_SETTINGS_MODULE": "config.settings.local"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def test_request_lines_are_quiet_by_default_and_on_with_log_requests():
    assert _server_log_level({}) == "WARNING"
    assert _server_log_level({"LOG_REQUESTS": "true"}) == "INFO"
    assert logging.getLevelName("WARNING") == logging.WARNING
