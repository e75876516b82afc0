"""``manage.py run_schedule``: any registered schedule's job now, in the foreground; ``--list`` names them."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError
from django.utils import timezone

from apps.core import schedules
from apps.core.schedules import ScheduleSpec, all_schedules
from apps.integrations.models import ApiCall
from tests.integrations.factories import ApiCallFactory

pytestmark = pytest.mark.django_db

PRUNE = "integrations.prune_api_calls"


def _run(*args) -> str:
    out = io.StringIO()
    call_command("run_schedule", *args, stdout=out)
    return out.getvalue()


def test_list_names_every_registered_schedule_with_when_it_runs():
    out = _run("--list")
    specs = all_schedules()
    assert len(specs) >= 10  # every app's tasks module registered its schedules
    for spec in specs:
        assert f"{spec.name}\n    {spec.when} (not installed: run setup_schedules)" in out
    assert out.count("\n    ") == len(specs)


def test_list_says_which_schedules_are_installed():
    call_command("setup_schedules", stdout=io.StringIO())
    out = _run("--list")
    assert "not installed" not in out
    assert out.count("(installed") == len(all_schedules())


def test_running_a_schedule_calls_its_job_and_prints_what_it_returned():
    # given two API calls older than the 90-day retention and one recent call
    old = timezone.now() - dt.timedelta(days=120)
    ApiCallFactory.create_batch(2, created_at=old)
    recent = ApiCallFactory()
    # when the prune schedule is run now
    out = _run(PRUNE)
    # then its job ran: the old rows are gone, the recent one stays, and the count it returned is printed
    assert list(ApiCall.objects.values_list("pk", flat=True)) == [recent.pk]
    assert f"{PRUNE} returned 2 in " in out


def _explode():
    raise RuntimeError("provider down")


def test_a_job_that_fails_is_a_command_error_naming_the_schedule(monkeypatch):
    spec = ScheduleSpec(name="tests.explode", func=f"{__name__}._explode", when="never", cron="0 0 1 1 *")
    monkeypatch.setattr(schedules, "SCHEDULES", [*all_schedules(), spec])
    with pytest.raises(CommandError, match=r"Schedule 'tests.explode' failed: RuntimeError: provider down"):
        _run("tests.explode")


def test_an_unknown_name_fails_naming_it_and_listing_the_valid_ones():
    with pytest.raises(CommandError) as failure:
        _run("employees.expire_transfer_window")  # a typo
    message = str(failure.value)
    assert "Unknown schedule 'employees.expire_transfer_window'" in message
    for spec in all_schedules():
        assert spec.name in message


def test_an_unknown_name_exits_non_zero(capsys):
    with pytest.raises(SystemExit) as exit_:
        ManagementUtility(["manage.py", "run_schedule", "no-such-schedule"]).execute()
    assert exit_.value.code == 1
    assert "Unknown schedule 'no-such-schedule'" in capsys.readouterr().err


def test_no_name_and_no_list_is_an_error():
    with pytest.raises(CommandError, match="--list"):
        _run()
