"""The lifecycle admin: pages render with flat queries; mapping via preview; batches; uploads."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.employees.models import ChangeBatch, Employee, FileImport
from apps.mappings.models import StatusCode
from tests.employees.factories import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/employees/employee/",
        "/admin/employees/person/",
        "/admin/employees/downstreamaction/",
        "/admin/employees/changebatch/",
        "/admin/mappings/statuscode/",
        "/admin/mappings/statusmapping/",
        "/admin/mappings/filterrule/",
        "/admin/employees/fileimport/",
    ],
)
def test_changelists_render_with_flat_queries(staff, apply, url, django_assert_max_num_queries):
    # given thirty synced employees, one held on an unmapped code
    apply([record(str(n), "A", "2026-01-05") for n in range(30)])
    apply([record("1", "S", "2026-02-01")])
    # when staff open the changelist
    with django_assert_max_num_queries(25):
        response = staff.get(url)
    # then it renders within a fixed number of queries
    assert response.status_code == 200


def test_employee_page_shows_the_timeline_marked(staff, apply):
    # given an employee with a hire, a later change, a retro-active termination and a held unmapped code
    apply([record("1001", "A", "2026-01-05")])
    apply([record("1001", "A", "2026-04-01")])
    apply([record("1001", "T", "2026-03-01")])  # retro-active
    apply([record("1001", "S", "2026-05-01")])  # held
    # when staff open the employee's page
    employee = Employee.objects.get()
    page = staff.get(f"/admin/employees/employee/{employee.pk}/change/").content.decode()
    # then the timeline marks the retro-active and the held events, newest effective date first
    assert "retro-active" in page and "held: unmapped code" in page
    assert page.index("2026-05-01") < page.index("2026-03-01")  # newest effective first


def test_consultant_maps_a_code_from_the_preview(client, consultant, apply, company_set):
    # given an employee held on the unmapped code S
    apply([record("1001", "A", "2026-01-05")])
    apply([record("1001", "S", "2026-02-01")])
    # when the consultant previews mapping S to terminated from the code's page
    client.force_login(consultant)
    code = StatusCode.objects.get(code="S")
    url = f"/admin/mappings/statuscode/{code.pk}/map/"
    preview = client.post(url, {"status_type": "terminated", "preview": "1"}).content.decode()
    # then the preview counts the released event and the deprovision, and saves nothing
    assert "1 held event(s) would be released" in preview and "deprovision" in preview
    assert Employee.objects.get().held is True
    # when the mapping is saved
    client.post(url, {"status_type": "terminated", "save": "1"})
    # then the employee is released
    assert Employee.objects.get().held is False


def test_admin_approves_a_held_batch(staff, apply):
    # given a mass termination held for approval
    apply([record(str(n), "A", "2026-01-05") for n in range(20)])
    apply([record(str(n), "T", "2026-05-01") for n in range(10)])
    # when staff open the decision page
    batch = ChangeBatch.objects.get(state="awaiting_approval")
    page = staff.get(f"/admin/employees/changebatch/{batch.pk}/decide/").content.decode()
    # then every held deprovision is listed
    assert page.count("deprovision") >= 10
    # when the admin approves it with a reason
    staff.post(f"/admin/employees/changebatch/{batch.pk}/decide/", {"approve": "1", "reason": "confirmed"})
    # then the batch is approved
    batch.refresh_from_db()
    assert batch.state == "approved"


def test_upload_reports_bad_lines(staff, customer, company):
    # given a file with one good row and one without an employee id
    data = b"company_id,employee_id,status_code,status_effective_date\n123,1001,A,2026-01-05\n123,,A,2026-01-05\n"
    # when staff upload it for the customer
    response = staff.post(
        "/admin/employees/fileimport/upload/",
        {"customer": customer.pk, "file": SimpleUploadedFile("feed.csv", data, content_type="text/csv")},
        follow=True,
    )
    # then the page says one of two rows was applied and names the bad line
    page = response.content.decode()
    assert "1 of 2 rows applied" in page and "employee_id is required" in page
    assert FileImport.objects.get().accepted == 1


@pytest.mark.parametrize(("choice", "deprovisions"), [("leave", 0), ("deprovision", 3)])
def test_the_filter_rule_form_asks_what_happens_to_people_leaving_scope(
    staff, apply, company_set, choice, deprovisions
):
    from apps.employees.models import DownstreamAction

    # Given three provisioned people in company 123
    apply([record(str(n), "A", "2026-01-05") for n in range(3)])
    # When an admin excludes the company, choosing what happens to the people it takes out of scope
    response = staff.post(
        "/admin/mappings/filterrule/add/",
        {
            "company_set": company_set.pk,
            "field": "company",
            "operator": "in",
            "values": "123",
            "description": "not ours",
            "active": "on",
            "out_of_scope": choice,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    # Then they keep their access, or are deprovisioned
    assert DownstreamAction.objects.filter(action="deprovision").count() == deprovisions


def test_an_upload_is_stored_and_applied_by_the_worker_with_a_progress_page(
    staff, customer, company, monkeypatch, settings, tmp_path
):
    from django.core.files.storage import default_storage

    from apps.employees import tasks

    settings.MEDIA_ROOT = str(tmp_path)
    queued = []
    monkeypatch.setattr(
        "apps.employees.services.file_import.async_task",
        lambda *args, **kwargs: queued.append(args),
        raising=False,
    )
    # given an upload that a worker has not picked up yet
    data = b"company_id,employee_id,status_code,status_effective_date\n123,1001,A,2026-01-05\n123,1002,A,2099-01-05\n"
    response = staff.post(
        "/admin/employees/fileimport/upload/",
        {"customer": customer.pk, "file": SimpleUploadedFile("big.csv", data, content_type="text/csv")},
    )
    # then the request only stored it and queued the task: the progress page says it waits, and refreshes
    assert response.status_code == 302
    assert queued and queued[0][0] == "apps.employees.tasks.employee_file_upload_apply"
    upload_id = queued[0][1]
    assert response["Location"].endswith(f"/upload/{upload_id}/")
    assert not FileImport.objects.exists()
    assert default_storage.exists(f"employee-uploads/{upload_id}.csv")
    waiting = staff.get(response["Location"]).content.decode()
    assert "Waiting for a worker to apply the 2 data line(s)" in waiting and 'http-equiv="refresh"' in waiting
    # when the worker runs the task (twice: a redelivery changes nothing)
    file_import_id = tasks.employee_file_upload_apply(upload_id)
    assert tasks.employee_file_upload_apply(upload_id) is None
    # then the file is applied once, removed, and the page shows the result
    assert FileImport.objects.get().pk == file_import_id
    assert not default_storage.exists(f"employee-uploads/{upload_id}.csv")
    done = staff.get(response["Location"]).content.decode()
    assert "2 of 2 rows applied, 0 rejected" in done and 'http-equiv="refresh"' not in done


def test_an_upload_page_is_not_shown_to_another_customers_user(client, outsider, staff, customer, company):
    # given a file uploaded by staff for the customer
    data = b"company_id,employee_id,status_code,status_effective_date\n123,1001,A,2026-01-05\n"
    response = staff.post(
        "/admin/employees/fileimport/upload/",
        {"customer": customer.pk, "file": SimpleUploadedFile("feed.csv", data, content_type="text/csv")},
    )
    # when a user of another customer opens the upload's result page, then it is not found
    client.force_login(outsider)
    assert client.get(response["Location"]).status_code == 404


def test_an_upload_with_an_over_long_name_reports_that_line_and_applies_the_rest(staff, customer, company):
    # given a file whose second row has a name longer than the field
    # on PostgreSQL this upload was a 500 (DataError) that applied nothing
    long_name = "N" * 150
    data = (
        "company_id,employee_id,first_name,status_code,status_effective_date\n"
        f"123,1001,Ada,A,2026-01-05\n123,1002,{long_name},A,2026-01-05\n123,1003,Cy,A,2026-01-05\n"
    ).encode()
    # when staff upload it
    response = staff.post(
        "/admin/employees/fileimport/upload/",
        {"customer": customer.pk, "file": SimpleUploadedFile("long.csv", data, content_type="text/csv")},
        follow=True,
    )
    # then the other rows are applied, and the page reports that line and the length kept
    page = response.content.decode()
    assert response.status_code == 200
    assert "2 of 3 rows applied, 1 rejected" in page
    assert "first_name is 150 characters long; at most 100 are kept" in page
