from __future__ import annotations

import pytest

from apps.companies.models import Company
from tests.companies.factories import CompanyFactory, CompanySetFactory

pytestmark = pytest.mark.django_db


def test_duplicate_external_id_for_provider_is_a_clear_400(api, consultant, company, company_set):
    # given a Paylocity company with provider id 123
    # when the consultant creates another company with that id for the same provider
    response = api(consultant).post(
        "/api/v1/companies/",
        {"company_set": company_set.pk, "external_id": "123", "name": "Dup"},
        format="json",
    )
    # then a 400 names the id and the field, and no second company is made
    assert response.status_code == 400
    body = response.json()
    assert "123" in body["message"] and "already used" in body["message"]
    assert body["extra"]["field"] == "external_id"
    assert Company.objects.filter(external_id="123").count() == 1


def test_same_external_id_is_allowed_for_another_provider(api, consultant, company, customer):
    # given a Paylocity company with provider id 123 and a PrismHR company set
    prism_set = CompanySetFactory(customer=customer, provider="prismhr")
    # when the consultant creates a company with that id in the PrismHR set
    response = api(consultant).post(
        "/api/v1/companies/",
        {"company_set": prism_set.pk, "external_id": "123", "name": "Prism"},
        format="json",
    )
    # then it is created for PrismHR
    assert response.status_code == 201, response.content
    assert response.json()["provider"] == "prismhr"


def test_validation_errors_name_the_field(api, consultant):
    # when a company is created without a company set
    response = api(consultant).post("/api/v1/companies/", {"name": "No set"}, format="json")
    # then the 400 names the missing field
    assert response.status_code == 400
    body = response.json()
    assert "company_set" in body["message"]
    assert "company_set" in body["extra"]["fields"]


def test_filter_companies_by_external_id(api, consultant, company, company_set):
    # given two companies with different provider ids
    CompanyFactory(company_set=company_set, external_id="456")
    # when the companies are filtered by one id
    response = api(consultant).get("/api/v1/companies/?external_id=456")
    # then only that company is listed
    assert [row["external_id"] for row in response.json()["results"]] == ["456"]


def test_company_list_query_count_is_flat(api, consultant, company_set, django_assert_max_num_queries):
    # given thirty companies
    CompanyFactory.create_batch(30, company_set=company_set)
    client = api(consultant)
    # when the consultant lists them
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/companies/")
    # then all are counted within a fixed number of queries
    assert response.json()["count"] == 30


def test_list_is_paginated(api, consultant, company_set):
    # given three companies
    CompanyFactory.create_batch(3, company_set=company_set)
    # when they are listed two to a page
    body = api(consultant).get("/api/v1/companies/?page_size=2").json()
    # then the page holds two, counts three and links the next page
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]


def test_admin_company_duplicate_is_a_form_error(client, admin_user, company, company_set):
    # given a Paylocity company with provider id 123 and a superuser in the admin
    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    # when the superuser adds another company with that id
    response = client.post(
        "/admin/companies/company/add/",
        {"company_set": company_set.pk, "external_id": "123", "name": "Dup", "active": "on"},
    )
    # then the add form shows the error instead of failing
    assert response.status_code == 200
    assert "already used" in response.content.decode()
