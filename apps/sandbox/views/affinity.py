"""Affinity Payroll, emulated: the token-authenticated REST surface we designed (``/tmp/contracts.md``).

``POST oauth/token`` (client credentials; 401 ``invalid_client``), ``GET v1/companies/{code}/employees``
(``page`` from 1, ``per_page``; ``{data, meta}``) and ``GET v1/companies/{code}/employees/{id}``. Errors are
``{"error": code, "message": text}``.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.views.decorators.http import require_GET, require_POST

from apps.companies.models import Provider

from .. import selectors, services, wire
from ..gate import AFFINITY, guard, int_param, json_response, sandbox_endpoint
from ..models import SandboxEmployee

MAX_PER_PAGE = 1000


@sandbox_endpoint
@require_POST
def token(request):
    """``POST oauth/token`` (form: grant_type=client_credentials, client_id, client_secret)."""
    if request.POST.get("grant_type") != "client_credentials":
        return json_response(wire.affinity_error("unsupported_grant_type", "Use client_credentials."), 400)
    credential = selectors.credential_by_client(
        provider=Provider.AFFINITY,
        client_id=request.POST.get("client_id", ""),
        client_secret=request.POST.get("client_secret", ""),
    )
    if credential is None:
        return json_response(wire.affinity_error("invalid_client", "Unknown client or wrong secret."), 401)
    issued = services.token_issue(credential=credential)
    return json_response(
        {"access_token": issued.token, "token_type": "Bearer", "expires_in": credential.token_ttl_seconds}
    )


@sandbox_endpoint
@require_GET
def employees(request, company_code: str):
    """``GET v1/companies/{company_code}/employees?page=1&per_page=100``."""
    caller = guard(request, AFFINITY, company_code)
    if isinstance(caller, HttpResponse):
        return caller
    page = int_param(request, AFFINITY, "page", 1, low=1, high=10_000_000)
    per_page = int_param(request, AFFINITY, "per_page", 100, low=1, high=MAX_PER_PAGE)
    rows = (
        SandboxEmployee.objects.select_related("company")
        .filter(company=caller.company)
        .order_by("employee_id")
    )
    data = [wire.affinity_employee(e) for e in rows[(page - 1) * per_page : page * per_page]]
    return json_response({"data": data, "meta": {"page": page, "per_page": per_page, "total": rows.count()}})


@sandbox_endpoint
@require_GET
def employee(request, company_code: str, employee_id: str):
    """``GET v1/companies/{company_code}/employees/{employee_id}``."""
    caller = guard(request, AFFINITY, company_code)
    if isinstance(caller, HttpResponse):
        return caller
    found = (
        SandboxEmployee.objects.select_related("company")
        .filter(company=caller.company, employee_id=employee_id)
        .first()
    )
    if found is None:
        return json_response(wire.affinity_error("not_found", f"Employee {employee_id} was not found."), 404)
    return json_response(wire.affinity_employee(found))
