"""Paylocity WebLink, emulated: OAuth client-credentials token, employee list (IDs + status), employee detail.

Paths mirror Paylocity's under ``/sandbox/paylocity/``: ``IdentityServer/connect/token``,
``api/v2/companies/{companyId}/employees`` and ``.../employees/{employeeId}``. Errors are JSON arrays of
``{field, message}``; a bad client secret is a 403, as Paylocity answers.
"""

from __future__ import annotations

import base64
import binascii

from django.http import HttpResponse
from django.views.decorators.http import require_GET, require_POST

from apps.companies.models import Provider

from .. import selectors, services, wire
from ..gate import PAYLOCITY, guard, int_param, json_response, sandbox_endpoint
from ..models import SandboxEmployee

SCOPE = "WebLinkAPI"
MAX_PAGE_SIZE = 5000
DEFAULT_PAGE_SIZE = 25


def _basic_credentials(request) -> tuple[str, str]:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return "", ""
    try:
        user, _, password = base64.b64decode(value).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    return user, password


@sandbox_endpoint
@require_POST
def token(request):
    """``POST IdentityServer/connect/token`` (form): grant_type=client_credentials, client_id, client_secret, scope."""
    form = request.POST
    client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
    if not client_id:
        client_id, client_secret = _basic_credentials(request)
    if form.get("grant_type") != "client_credentials":
        return json_response({"error": "unsupported_grant_type"}, 400)
    credential = selectors.credential_by_client(
        provider=Provider.PAYLOCITY, client_id=client_id, client_secret=client_secret
    )
    if credential is None:
        return json_response({"error": "invalid_client"}, 403)
    if SCOPE not in form.get("scope", "").split():
        return json_response({"error": "invalid_scope"}, 400)
    issued = services.token_issue(credential=credential)
    return json_response(
        {
            "access_token": issued.token,
            "token_type": "Bearer",
            "expires_in": credential.token_ttl_seconds,
            "scope": SCOPE,
        }
    )


@sandbox_endpoint
@require_GET
def employees(request, company_id: str):
    """``GET api/v2/companies/{companyId}/employees``: ``pagesize``, 0-based ``pagenumber``, ``includetotalcount``."""
    caller = guard(request, PAYLOCITY, company_id)
    if isinstance(caller, HttpResponse):
        return caller
    size = int_param(request, PAYLOCITY, "pagesize", DEFAULT_PAGE_SIZE, low=1, high=MAX_PAGE_SIZE)
    number = int_param(request, PAYLOCITY, "pagenumber", 0, low=0, high=10_000_000)
    rows = caller.company.employees.order_by("employee_id").values_list(
        "employee_id", "status_code", "status_type"
    )[number * size : (number + 1) * size]
    headers = {}
    if request.GET.get("includetotalcount", "").lower() == "true":
        headers["X_Pcty_Total_Count"] = str(caller.company.employees.count())
    return json_response([wire.paylocity_list_item(*row) for row in rows], **headers)


@sandbox_endpoint
@require_GET
def employee(request, company_id: str, employee_id: str):
    """``GET api/v2/companies/{companyId}/employees/{employeeId}``: the full record, 404 if unknown."""
    caller = guard(request, PAYLOCITY, company_id)
    if isinstance(caller, HttpResponse):
        return caller
    found = (
        SandboxEmployee.objects.select_related("company")
        .filter(company=caller.company, employee_id=employee_id)
        .first()
    )
    if found is None:
        return json_response(
            wire.paylocity_error(f"Employee {employee_id} was not found.", "employeeId"), 404
        )
    return json_response(wire.paylocity_employee(found))
