"""A file read row by row and applied in slices lands exactly as the same file applied at once."""

from __future__ import annotations

import io

import pytest

from apps.employees import files
from apps.employees.models import Employee, StatusEvent
from apps.employees.services import employee_file_import
from apps.employees.services import file_import as file_import_module
from tests.companies.factories import CompanyFactory, CompanySetFactory
from tests.employees.conftest import TODAY
from tests.employees.test_files import HEADER

pytestmark = pytest.mark.django_db


def lives() -> str:
    """Two companies interleaved; some employees with several rows (a history) spread through the file."""
    rows = []
    for n in range(12):
        company = "123" if n % 3 else "456"
        rows.append(f"{company},E{n % 7},P{n},Q,,,,RFT,FT,BW,{'ALT'[n % 3]},2026-01-{n + 1:02d},,,")
    rows.append("999,E99,No,Company,,,,,,,A,2026-01-05,,,")  # an unknown company, reported by line
    rows.append("123,E98,Bad,Date,,,,,,,A,05/01/2026,,,")
    return HEADER + "".join(r + "\n" for r in rows)


def landed(customer=None):
    employees = Employee.objects.all()
    if customer is not None:
        employees = employees.filter(company__company_set__customer=customer)
    events = StatusEvent.objects.filter(employee__in=employees)
    return (
        sorted(employees.values_list("company__external_id", "employee_id", "status_code", "status_type")),
        sorted(events.values_list("employee__employee_id", "code", "effective_date", "transition")),
    )


@pytest.fixture
def second_company(company):
    return CompanyFactory(company_set=company.company_set, external_id="456", name="Acme Two")


def outcome(result):
    return result.rows, result.accepted, result.rejected, result.errors


def test_a_stream_in_slices_lands_as_the_whole_file_at_once(customer, company, second_company, monkeypatch):
    whole = employee_file_import(customer=customer, data=lives(), filename="whole.csv", today=TODAY)
    expected = landed()
    applied_sizes: list[int] = []
    original = file_import_module.employee_records_apply

    def spy(*, records, **kwargs):
        applied_sizes.append(len(records))
        return original(records=records, **kwargs)

    monkeypatch.setattr(file_import_module, "employee_records_apply", spy)
    monkeypatch.setattr(file_import_module, "APPLY_SLICE", 2)
    monkeypatch.setattr(file_import_module, "MAX_PENDING", 3)
    # the same file again, as an open binary stream: nothing changes, and it is applied in small slices
    again = employee_file_import(
        customer=customer, data=io.BytesIO(lives().encode()), filename="again.csv", today=TODAY
    )
    assert landed() == expected
    assert outcome(again)[:3] == outcome(whole)[:3] == (14, 12, 2)
    assert again.errors == whole.errors
    assert max(applied_sizes) <= 2 and sum(applied_sizes) == 12


def test_a_stream_applied_in_slices_lands_what_one_apply_would(
    customer, company, second_company, other_customer, monkeypatch
):
    other_set = CompanySetFactory(customer=other_customer, provider="affinity")  # same external IDs
    for external_id in ("123", "456"):
        CompanyFactory(company_set=other_set, external_id=external_id)
    whole = employee_file_import(customer=other_customer, data=lives(), filename="whole.csv", today=TODAY)
    monkeypatch.setattr(file_import_module, "APPLY_SLICE", 2)
    monkeypatch.setattr(file_import_module, "MAX_PENDING", 3)
    sliced = employee_file_import(
        customer=customer, data=io.BytesIO(lives().encode()), filename="sliced.csv", today=TODAY
    )
    assert landed(customer) == landed(other_customer)
    assert outcome(sliced) == outcome(whole)
    assert sliced.apply_result.actions == whole.apply_result.actions > 0


def test_a_stream_that_is_not_utf8_is_refused_at_the_same_byte_as_the_bytes():
    data = (HEADER + "123,E1,Zo\xe9,Q,,,,,,,A,2026-01-05,,,\n").encode("latin-1")
    with pytest.raises(files.FileRefused) as from_bytes:
        files.parse(data)
    with pytest.raises(files.FileRefused) as from_stream:
        files.stream(io.BytesIO(data))
    assert (
        str(from_stream.value)
        == str(from_bytes.value)
        == f"The file is not UTF-8 text (byte {len(HEADER) + 9})."
    )


def test_a_multibyte_character_across_check_chunks_is_fine(monkeypatch):
    monkeypatch.setattr(files, "UTF8_CHECK_CHUNK", 7)
    data = (HEADER + "123,E1,Zoë Ünal,Q,,,,,,,A,2026-01-05,,,\n").encode()
    streamed = files.stream(io.BytesIO(data))
    ((line, record),) = list(streamed)
    assert (line, record.first_name) == (2, "Zoë Ünal")
