"""Issue 11's seven sequences, each through ``import_employees`` and through a Paylocity sync.

A sequence is the facts of one human (one national ID) over two companies of one set, C0 and C1, as they
arrive: ``|`` separates files (or syncs), ``+`` rows of one file. Dates are days from today. Each must end
with the same actions whatever path carried it; the old engine (decisions from the net change of one call)
failed every one of them.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import responses
from django.core.management import call_command
from django.utils import timezone

from apps.core.http import reset_process_state
from apps.employees import services
from apps.employees.models import DownstreamAction, Employee, Person
from apps.integrations.models import SyncRun
from apps.integrations.services import SyncContext, sync_run_execute, sync_run_request
from tests.companies.factories import CompanyFactory
from tests.integrations.factories import ConnectionFactory

pytestmark = pytest.mark.django_db

PCTY = "http://127.0.0.1:9/sandbox/paylocity"
COMPANIES = {"C0": "7100", "C1": "7200"}
NATIONAL_ID = "321-54-9876"

# (name, files, expected actions (action, days from today) in ledger order, final downstream access)
SEQUENCES = [
    (
        "1 a termination and a hire elsewhere in one file is a transfer",
        "C0/E1 A-100 | C0/E1 T-10 + C1/N1 A-30",
        [("provision", -100), ("transfer", -10)],
        "provisioned",
    ),
    (
        "1b the same with the rows swapped",
        "C0/E1 A-100 | C1/N1 A-30 + C0/E1 T-10",
        [("provision", -100), ("transfer", -10)],
        "provisioned",
    ),
    (
        "2 a deprovision is dated from the mapped status it enacts, not a held event",
        "C0/E1 A-100 | C0/E1 HLD-20 | C0/E1 T-50",
        [("provision", -100), ("deprovision", -50)],
        "deprovisioned",
    ),
    (
        "3 the person's leave began when the last active record went on leave",
        "C0/E1 A-100 | C1/N1 L-15 | C1/N1 A-20 + C0/E1 XT-20",
        [("provision", -100), ("suspend", -15)],
        "suspended",
    ),
    (
        "4 a second deprovision after a rehire is a new action",
        "C0/E1 A-100 | C0/E1 T-10 | C1/N1 A-30 | C1/N1 T-10",
        [("provision", -100), ("deprovision", -10), ("provision", -100), ("deprovision", -10)],
        "deprovisioned",
    ),
    (
        "5 a transfer during leave with a record on leave elsewhere stays on leave",
        "C0/E1 A-100 | C0/E1 L-40 | C0/E1 XT-10 + C1/E1 L-10",
        [("provision", -100), ("suspend", -40)],
        "suspended",
    ),
    (
        "6 a fringe T->L in the same file is flagged, not acted on",
        "C0/E1 A-100 | C0/E1 T-30 + C0/E1 L-10",
        [("provision", -100), ("deprovision", -30)],
        "deprovisioned",
    ),
    (
        "7 a fringe on one record does not block another record's hire",
        "C0/E1 A-100 | C0/E1 T-50 | C0/E1 XT-20 + C0/N2 A-10",
        [("provision", -100), ("deprovision", -50), ("provision", -10)],
        "provisioned",
    ),
]
ROW = re.compile(r"(C\d)/(\w+) ([A-Z]+)-(\d+)")


def parse(sequence: str) -> list[list[tuple[str, str, str, int]]]:
    """``"C0/E1 A-100 | C0/E1 T-10 + C1/N1 A-30"`` -> files of rows (company, employee, code, -days)."""
    files = []
    for part in sequence.split("|"):
        rows = []
        for row in part.split("+"):
            company, employee_id, code, days = ROW.fullmatch(row.strip()).groups()
            rows.append((company, employee_id, code, -int(days)))
        files.append(rows)
    return files


@pytest.fixture
def world(company_set):
    """Two companies of one set under one Paylocity connection."""
    companies = {
        name: CompanyFactory(company_set=company_set, external_id=ext, name=name)
        for name, ext in COMPANIES.items()
    }
    connection = ConnectionFactory(customer=company_set.customer, base_url=PCTY, slug="seq-pcty")
    connection.companies.add(*companies.values())
    return connection


def ledger(today: dt.date) -> list[tuple[str, int]]:
    """The actions that stand (withdrawn ones left out), in ledger order, dated in days from today."""
    return [
        (action, (effective - today).days)
        for action, effective in DownstreamAction.objects.exclude(state__in=["superseded", "cancelled"])
        .order_by("seq")
        .values_list("action", "effective_date")
    ]


def check(expected, access, today):
    # Then the downstream got exactly these actions and ends in the expected state
    assert Person.objects.count() == 1
    assert ledger(today) == expected
    person = Person.objects.get()
    assert person.downstream_access == access
    keys = list(DownstreamAction.objects.values_list("key", flat=True))
    assert len(keys) == len(set(keys))


def extra_checks(name: str) -> None:
    if name.startswith("6 "):
        assert Employee.objects.get(employee_id="E1").needs_review
    if name.startswith("1"):
        assert not DownstreamAction.objects.filter(action="deprovision").exclude(state="superseded").exists()


# --- through import_employees ------------------------------------------------------------------------------

HEADER = (
    "company_id,employee_id,first_name,last_name,work_email,national_id,birth_date,employment_type,"
    "benefit_class,pay_group,status_code,status_effective_date,change_reason,hire_date,termination_date\n"
)


@pytest.mark.parametrize(
    ("name", "sequence", "expected", "access"), SEQUENCES, ids=[s[0][:2] for s in SEQUENCES]
)
def test_sequence_through_import_employees(world, tmp_path, name, sequence, expected, access):
    today = timezone.localdate()
    for number, rows in enumerate(parse(sequence)):
        # Given one file of the sequence
        path = tmp_path / f"file{number}.csv"
        path.write_text(
            HEADER
            + "".join(
                f"{COMPANIES[c]},{e},Ada,Lovelace,,{NATIONAL_ID},,RFT,FT,BW1,{code},"
                f"{today + dt.timedelta(days=days)},,,\n"
                for c, e, code, days in rows
            )
        )
        # When it is imported with the command
        call_command("import_employees", world.slug, str(path), stdout=open(tmp_path / "out.txt", "w"))  # noqa: SIM115
    services.transfer_watches_expire()  # the hourly grace job changes nothing in any of them
    check(expected, access, today)
    extra_checks(name)


def test_import_employees_prints_the_change_batch_and_its_actions(world, tmp_path, capsys):
    # given a file hiring one employee
    today = timezone.localdate()
    path = tmp_path / "hire.csv"
    path.write_text(HEADER + f"7100,E1,Ada,Lovelace,,{NATIONAL_ID},,RFT,FT,BW1,A,{today},,,\n")
    # when it is imported with the command
    call_command("import_employees", world.slug, str(path))
    # then the output names the change batch and counts the actions written and held
    out = capsys.readouterr().out
    batch = DownstreamAction.objects.get().batch
    assert f"change batch {batch.pk}" in out
    assert "1 action(s) written, 0 held for approval" in out


# --- through a Paylocity sync ------------------------------------------------------------------------------


class FakePaylocity:
    """A Paylocity that shows each employee's current status, as the real one does (no history)."""

    def __init__(self):
        self.employees: dict[tuple[str, str], tuple[str, dt.date]] = {}
        token = {"access_token": "tok", "token_type": "Bearer", "expires_in": 3600}
        responses.post(f"{PCTY}/IdentityServer/connect/token", json=token)
        listing = re.compile(rf"{PCTY}/api/v2/companies/(\d+)/employees(\?.*)?$")
        detail = re.compile(rf"{PCTY}/api/v2/companies/(\d+)/employees/(\w+)$")
        responses.add_callback(responses.GET, detail, callback=self.detail)
        responses.add_callback(responses.GET, listing, callback=self.listing)

    def listing(self, request):
        company = re.search(r"companies/(\d+)/", request.url).group(1)
        items = [
            {"employeeId": e, "statusCode": code, "statusTypeCode": code}
            for (c, e), (code, _) in sorted(self.employees.items())
            if c == company
        ]
        return 200, {"X-Pcty-Total-Count": str(len(items))}, json.dumps(items)

    def detail(self, request):
        company, employee_id = re.search(r"companies/(\d+)/employees/(\w+)$", request.url).groups()
        code, on = self.employees[(company, employee_id)]
        body = {
            "employeeId": employee_id,
            "companyId": company,
            "firstName": "Ada",
            "lastName": "Lovelace",
            "ssn": NATIONAL_ID,
            "status": {"employeeStatus": code, "statusType": code, "effectiveDate": f"{on}T00:00:00"},
            "departmentPosition": {"employeeType": "RFT", "payGroup": "BW1"},
            "benefitSetup": {"benefitClass": "FT"},
        }
        return 200, {"Content-Type": "application/json"}, json.dumps(body)


def sync(connection) -> SyncRun:
    run = sync_run_request(connection=connection, trigger=SyncRun.Trigger.COMMAND, full=True)
    return sync_run_execute(run_id=run.pk, context=SyncContext(http_options={"sleep": lambda s: None}))


@pytest.mark.parametrize(
    ("name", "sequence", "expected", "access"), SEQUENCES, ids=[s[0][:2] for s in SEQUENCES]
)
@responses.activate
def test_sequence_through_a_sync(world, name, sequence, expected, access):
    reset_process_state()
    today = timezone.localdate()
    provider = FakePaylocity()
    for rows in parse(sequence):
        # Given the provider changed as the file says (a record changed twice shows only its last status,
        # so it is synced in between, as two files would be)
        changed = set()
        for c, e, code, days in rows:
            if (c, e) in changed:
                assert sync(world).state == SyncRun.State.SUCCEEDED
                changed.clear()
            provider.employees[(COMPANIES[c], e)] = (code, today + dt.timedelta(days=days))
            changed.add((c, e))
        # When the hub syncs both companies (one run, one page per company)
        assert sync(world).state == SyncRun.State.SUCCEEDED
    services.transfer_watches_expire()
    check(expected, access, today)
    extra_checks(name)
    # And every action names the sync run that caused it
    causes = set(DownstreamAction.objects.exclude(state="superseded").values_list("cause_type", flat=True))
    assert causes == {"sync_run"}
