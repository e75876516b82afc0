"""Affinity's file drop against a real OpenSSH server on loopback (skipped where sshd cannot run)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from apps.companies.models import Provider
from apps.core.errors import AuthenticationError, ProviderError
from apps.employees.files import FileRefused
from apps.employees.files import parse as parse_standard_file
from apps.employees.models import Employee, FileImport
from apps.integrations.models import ApiCall
from apps.integrations.services import affinity_files_pull
from apps.integrations.transport import call_context
from tests.companies.factories import CompanyFactory, CompanySetFactory
from tests.integrations.factories import ConnectionFactory, SyncRunFactory

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
HEADER = (
    "company_id,employee_id,first_name,last_name,work_email,national_id,birth_date,employment_type,"
    "benefit_class,pay_group,status_code,status_effective_date,change_reason,hire_date,termination_date\n"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    """Start sshd on a free loopback port with a fresh host key and one authorised client key."""
    if not os.path.exists(SSHD) or os.geteuid() != 0 or not shutil.which("ssh-keygen"):
        pytest.skip("needs OpenSSH's sshd and ssh-keygen, run as root (apt-get install openssh-server)")
    root = tmp_path_factory.mktemp("sshd")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", root / "host"], check=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", root / "client"], check=True)
    (root / "authorized_keys").write_text((root / "client.pub").read_text())
    os.chmod(root / "authorized_keys", 0o600)
    drop = root / "drop"
    drop.mkdir()
    port = _free_port()
    (root / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {root / 'host'}\nPidFile {root / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {root / 'authorized_keys'}\nPermitRootLogin prohibit-password\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"
        "Subsystem sftp internal-sftp\n"
    )
    Path("/run/sshd").mkdir(exist_ok=True)
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(root / "sshd_config")], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    else:
        proc.kill()
        pytest.skip(f"sshd did not start: {proc.stderr.read().decode()[:300]}")
    host_key = " ".join((root / "host.pub").read_text().split()[:2])
    yield {"port": port, "drop": drop, "host_key": host_key, "client_key": (root / "client").read_text()}
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def affinity_conn(sshd, customer):
    company_set = CompanySetFactory(customer=customer, provider=Provider.AFFINITY)
    company = CompanyFactory(company_set=company_set, external_id="AFF100")
    conn = ConnectionFactory(
        customer=customer,
        provider=Provider.AFFINITY,
        sftp_host="127.0.0.1",
        sftp_port=sshd["port"],
        sftp_username="root",
        sftp_private_key=sshd["client_key"],
        sftp_host_key=sshd["host_key"],
        sftp_folder=str(sshd["drop"]),
    )
    conn.companies.add(company)
    for leftover in sshd["drop"].glob("*.csv"):
        leftover.unlink()
    return conn


@pytest.mark.django_db
def test_files_are_pulled_applied_and_archived(sshd, affinity_conn):
    # given a standard file with two good rows, one bad row and a row of an unknown company
    (sshd["drop"] / "employees-2025-03-10.csv").write_text(
        HEADER
        + "AFF100,E1,Alan,Turing,alan@example.com,AB123456C,1985-06-23,FT,STD,M,A,2024-01-15,Joined,2024-01-15,\n"
        + "AFF100,E2,Ada,King,ada@example.com,,1990-01-01,PT,STD,M,A,2024-02-01,Joined,2024-02-01,\n"
        + "AFF100,E3,No,Date,,,,,,,A,,,,\n"
        + "OTHER,E9,Some,One,,,,,,,A,2024-01-01,,,\n"
    )
    # when the drop is pulled
    outcomes = affinity_files_pull(connection=affinity_conn)
    # then the good rows are employees, the bad rows are reported by line, and the file is archived
    assert len(outcomes) == 1 and outcomes[0].applied == 2 and outcomes[0].created == 2
    assert any(e.startswith("line 4:") and "status_effective_date" in e for e in outcomes[0].errors)
    assert any("OTHER" in e for e in outcomes[0].errors)
    assert set(Employee.objects.values_list("employee_id", flat=True)) == {"E1", "E2"}
    assert list(sshd["drop"].glob("*.csv")) == []
    assert len(list((sshd["drop"] / "processed").glob("*employees-2025-03-10.csv"))) == 1
    assert affinity_files_pull(connection=affinity_conn) == []  # nothing left to pull
    logged = set(ApiCall.objects.filter(connection=affinity_conn).values_list("method", flat=True))
    assert {"CONNECT", "LIST", "GET", "RENAME"} <= logged


@pytest.mark.django_db
def test_sftp_calls_are_kept_by_the_transport_bookkeeping_with_their_context(sshd, affinity_conn):
    # given a sync run the pull belongs to
    run = SyncRunFactory(connection=affinity_conn)
    # when the (empty) drop is pulled inside its call context
    with call_context(sync_run=run):
        assert affinity_files_pull(connection=affinity_conn) == []
    # then each SFTP operation is an API call of the run, like an HTTP call, with its start time
    calls = list(ApiCall.objects.filter(connection=affinity_conn).order_by("id"))
    assert [(c.method, c.sync_run_id, c.attempt) for c in calls] == [
        ("CONNECT", run.pk, 1),
        ("LIST", run.pk, 1),
    ]
    assert calls[0].uri.startswith(f"sftp://127.0.0.1:{sshd['port']}")


@pytest.mark.django_db
def test_a_server_whose_host_key_does_not_match_is_refused(sshd, affinity_conn, tmp_path):
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", tmp_path / "other"], check=True)
    affinity_conn.sftp_host_key = " ".join((tmp_path / "other.pub").read_text().split()[:2])
    affinity_conn.save()
    with pytest.raises(ProviderError, match="host key"):
        affinity_files_pull(connection=affinity_conn)


@pytest.mark.django_db
def test_an_unpinned_host_key_is_refused_before_connecting(sshd, affinity_conn):
    affinity_conn.sftp_host_key = ""
    affinity_conn.save()
    with pytest.raises(ProviderError, match="not pinned"):
        affinity_files_pull(connection=affinity_conn)


@pytest.mark.django_db
def test_a_key_the_server_does_not_know_is_an_authentication_error(sshd, affinity_conn, tmp_path):
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", tmp_path / "stranger"], check=True)
    affinity_conn.sftp_private_key = (tmp_path / "stranger").read_text()
    affinity_conn.save()
    with pytest.raises(AuthenticationError):
        affinity_files_pull(connection=affinity_conn)


def test_a_file_without_the_required_columns_is_refused_whole():
    with pytest.raises(FileRefused, match="status_code, status_effective_date"):
        parse_standard_file(b"company_id,employee_id\nAFF100,E1\n")


def test_rows_are_grouped_by_company_and_dates_are_checked():
    parsed = parse_standard_file(
        HEADER
        + "A,1,,,,,,,,,A,2024-01-01,,,\n"
        + "B,2,,,,,,,,,t,2024-01-02,,,\n"
        + "A,3,,,,,1990-13-40,,,,A,2024-01-01,,,\n"
    )
    # (the one parser of the standard file, shared with import_employees and the admin upload)
    records: dict[str, list] = {}
    for _, record in parsed.rows:
        records.setdefault(record.company_external_id, []).append(record)
    assert {k: [r.employee_id for r in v] for k, v in records.items()} == {"A": ["1"], "B": ["2"]}
    assert records["B"][0].status_code == "T"
    assert [(e["line"], e["reason"]) for e in parsed.errors] == [
        (4, "birth_date '1990-13-40' is not a date (YYYY-MM-DD)")
    ]


@pytest.mark.django_db
def test_a_pulled_file_is_recorded_as_one_file_import(sshd, affinity_conn):
    (sshd["drop"] / "employees-2025-03-11.csv").write_text(
        HEADER
        + "AFF100,E1,Alan,Turing,,,,FT,STD,M,A,2024-01-15,,,\n"
        + "AFF100,,No,Id,,,,,,,A,2024-01-15,,,\n"
    )
    affinity_files_pull(connection=affinity_conn)
    imported = FileImport.objects.get(filename="employees-2025-03-11.csv")
    assert (imported.rows, imported.accepted, imported.rejected) == (2, 1, 1)
