"""PrismHR REST, emulated under ``/sandbox/prismhr/prismhr-api/services/rest/``.

Every answer carries ``errorCode`` ("0" = OK) and ``errorMessage``; the session travels in the ``sessionId``
header. An unknown session is a 401; an expired one answers "session has expired" in the envelope. Empty
lists answer 404 where PrismHR does (``getEmployeeList``, ``getBatchListByDate``).
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse
from django.views.decorators.http import require_GET, require_POST

from apps.companies.models import Provider

from .. import selectors, services, wire
from ..gate import PRISMHR, Caller, guard, int_param, json_response, sandbox_endpoint
from ..models import SandboxBatch, SandboxCompany, SandboxEmployee

MAX_EMPLOYEES_PER_CALL = 20
MAX_VOUCHER_PAGE = 10_000
DEFAULT_VOUCHER_PAGE = 5000


def _error(status: int, message: str) -> HttpResponse:
    return json_response(wire.prism_error(message, code=str(status)), status)


def _client(request) -> Caller | HttpResponse:
    client_id = request.GET.get("clientId", "").strip()
    if not client_id:
        return _error(400, "clientId is required.")
    return guard(request, PRISMHR, client_id)


@sandbox_endpoint
@require_POST
def create_peo_session(request):
    """``POST login/v1/createPeoSession`` (form: username, password, peoId) -> ``sessionId``."""
    credential = selectors.credential_by_login(
        provider=Provider.PRISMHR,
        username=request.POST.get("username", ""),
        password=request.POST.get("password", ""),
        peo_id=request.POST.get("peoId", ""),
    )
    if credential is None:
        return _error(401, "Invalid username, password or peoId.")
    session = services.token_issue(credential=credential)
    return json_response(wire.prism_ok(sessionId=session.token))


@sandbox_endpoint
@require_GET
def get_employee_list(request):
    """``GET employee/v1/getEmployeeList?clientId=`` -> IDs only; ``statusClass`` (A/L/T) and ``typeClass`` (F/P)."""
    caller = _client(request)
    if isinstance(caller, HttpResponse):
        return caller
    rows = caller.company.employees.order_by("employee_id")
    status_class = request.GET.get("statusClass", "").upper()
    if status_class:
        rows = rows.filter(status_type__in=list(status_class))
    type_class = request.GET.get("typeClass", "").upper()
    if type_class in ("F", "P"):
        rows = rows.filter(full_time=type_class == "F")
    ids = list(rows.values_list("employee_id", flat=True))
    if not ids:
        return _error(404, "No employees found.")
    return json_response(wire.prism_ok(employeeList={"employeeId": ids}))


@sandbox_endpoint
@require_GET
def get_employee(request):
    """``GET employee/v1/getEmployee?clientId=&employeeId=..`` (1-20, repeated) ``&options=Person,Client``."""
    caller = _client(request)
    if isinstance(caller, HttpResponse):
        return caller
    ids = [
        part.strip()
        for value in request.GET.getlist("employeeId")
        for part in value.split(",")
        if part.strip()
    ]
    if not 1 <= len(ids) <= MAX_EMPLOYEES_PER_CALL:
        return _error(400, f"Give between 1 and {MAX_EMPLOYEES_PER_CALL} employeeId values.")
    options = {o.strip().lower() for o in request.GET.get("options", "").split(",") if o.strip()}
    found = {
        e.employee_id: e
        for e in SandboxEmployee.objects.select_related("company").filter(
            company=caller.company, employee_id__in=ids
        )
    }
    if not found:
        return _error(404, "No employees found for the given employeeId values.")
    body = [
        wire.prism_employee(found[i], with_client="client" in options)
        for i in dict.fromkeys(ids)
        if i in found
    ]
    return json_response(wire.prism_ok(employee=body))


@sandbox_endpoint
@require_GET
def get_client_list(request):
    """``GET clientMaster/v1/getClientList``: the clients these credentials may see."""
    caller = guard(request, PRISMHR, None)
    clients = caller.credential.companies.filter(provider=Provider.PRISMHR).order_by("external_id")
    body = [{"clientId": c.external_id, "clientName": c.name, "status": "A"} for c in clients]
    return json_response(wire.prism_ok(clientListResult={"clientList": body}))


def _pay_groups(company: SandboxCompany) -> list[str]:
    codes = set(company.employees.exclude(pay_group="").values_list("pay_group", flat=True))
    for groups in company.batches.values_list("pay_groups", flat=True):
        codes.update(g["payGroupId"] for g in groups)
    return sorted(codes)


@sandbox_endpoint
@require_GET
def get_client_codes(request):
    """``GET clientMaster/v1/getClientCodes?clientId=&options=Status,PGroups``: status codes and pay groups."""
    caller = _client(request)
    if isinstance(caller, HttpResponse):
        return caller
    options = {o.strip().lower() for o in request.GET.get("options", "").split(",") if o.strip()}
    codes: dict[str, list] = {}
    if not options or "status" in options:
        codes["employeeStatusCode"] = [
            {"code": c.code, "description": c.description, "statusClass": c.status_type}
            for c in caller.company.status_codes.order_by("code")
        ]
    if not options or "pgroups" in options:
        codes["payGroupCode"] = [
            {"code": g, "description": f"Pay group {g}"} for g in _pay_groups(caller.company)
        ]
    return json_response(wire.prism_ok(clientCodes=codes))


@sandbox_endpoint
@require_GET
def get_new_events(request):
    """``GET subscription/v1/getNewEvents?subscriptionId=&numberOfEvents=``: events not handed out before."""
    caller = guard(request, PRISMHR, None)
    subscription_id = request.GET.get("subscriptionId", "").strip()
    if not subscription_id:
        return _error(400, "subscriptionId is required.")
    limit = int_param(request, PRISMHR, "numberOfEvents", 0, low=0, high=10_000)
    events, replay_id = services.subscription_events_take(
        credential=caller.credential, subscription_id=subscription_id, limit=limit or None
    )
    return json_response(
        wire.prism_ok(
            subscriptionId=subscription_id,
            replayId=str(replay_id),
            events=[wire.prism_event(e) for e in events],
        )
    )


# --- payroll ------------------------------------------------------------------------------------------------


def _batches(caller: Caller):
    return SandboxBatch.objects.filter(company=caller.company, deleted=False).select_related("voids")


def _batch(request, caller: Caller) -> SandboxBatch | HttpResponse:
    batch_id = request.GET.get("batchId", "").strip()
    if not batch_id:
        return _error(400, "batchId is required.")
    batch = _batches(caller).filter(batch_id=batch_id).first()
    if batch is None:
        return _error(404, f"Batch {batch_id} was not found.")
    return batch


def _date(request, name: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(request.GET.get(name, ""))
    except ValueError:
        return None


@sandbox_endpoint
@require_GET
def get_batch_list_by_date(request):
    """``GET payroll/v1/getBatchListByDate?clientId=&startDate=&endDate=&dateType=PAY|PERIOD|POST``."""
    caller = _client(request)
    if isinstance(caller, HttpResponse):
        return caller
    start, end = _date(request, "startDate"), _date(request, "endDate")
    if start is None or end is None:
        return _error(400, "startDate and endDate are required (YYYY-MM-DD).")
    field = {"PAY": "pay_date", "PERIOD": "period_end", "POST": "post_date"}.get(
        request.GET.get("dateType", "")
    )
    if field is None:
        return _error(400, "dateType must be PAY, PERIOD or POST.")
    batches = _batches(caller).filter(**{f"{field}__range": (start, end)}).order_by("batch_id")
    body = [wire.prism_batch_list_item(b) for b in batches]
    if not body:
        return _error(404, "No batches found for the given dates.")
    return json_response(wire.prism_ok(batchList=body))


@sandbox_endpoint
@require_GET
def get_batch_status(request):
    """``GET payroll/v1/getBatchStatus?clientId=&batchIds=a,b`` (comma-separated)."""
    caller = _client(request)
    if isinstance(caller, HttpResponse):
        return caller
    ids = [i.strip() for i in request.GET.get("batchIds", "").split(",") if i.strip()]
    if not ids:
        return _error(400, "batchIds is required (comma-separated).")
    found = {b.batch_id: b for b in _batches(caller).filter(batch_id__in=ids)}
    if not found:
        return _error(404, "None of the batches was found.")
    body = [{"batchId": i, "status": found[i].status} for i in ids if i in found]
    return json_response(wire.prism_ok(batchStatuses=body))


@sandbox_endpoint
@require_GET
def get_batch_info(request):
    """``GET payroll/v1/getBatchInfo?clientId=&batchId=`` -> ``batchControl``."""
    caller = _client(request)
    if isinstance(caller, HttpResponse):
        return caller
    batch = _batch(request, caller)
    if isinstance(batch, HttpResponse):
        return batch
    return json_response(wire.prism_ok(batchControl=wire.prism_batch_control(batch)))


@sandbox_endpoint
@require_GET
def get_billing_code_totals_for_batch(request):
    """``GET payroll/v1/getBillingCodeTotalsForBatch?clientId=&batchId=``.

    A batch set up without totals (the seed 004 rule) answers OK with no totals and no employees.
    """
    caller = _client(request)
    if isinstance(caller, HttpResponse):
        return caller
    batch = _batch(request, caller)
    if isinstance(batch, HttpResponse):
        return batch
    if not batch.has_billing_totals:
        return json_response(
            wire.prism_ok(
                billCodeTotals={"batchTotals": []}, employeeIdList={"employeeId": [], "employeeCount": 0}
            )
        )
    employee_ids = sorted(set(batch.vouchers.values_list("employee_id", flat=True)))
    return json_response(
        wire.prism_ok(
            billCodeTotals={"batchTotals": list(batch.billing_totals)},
            employeeIdList={"employeeId": employee_ids, "employeeCount": len(employee_ids)},
        )
    )


def _voucher_page(request, caller: Caller, key: str, render):
    batch = _batch(request, caller)
    if isinstance(batch, HttpResponse):
        return batch
    count = int_param(request, PRISMHR, "count", DEFAULT_VOUCHER_PAGE, low=1, high=MAX_VOUCHER_PAGE)
    start = int_param(request, PRISMHR, "startpage", 0, low=0, high=100_000_000)
    vouchers = batch.vouchers.order_by("voucher_id")
    page = [render(v, batch) for v in vouchers[start : start + count]]
    return json_response(wire.prism_ok(**{key: page}, count=count, startpage=start, total=vouchers.count()))


@sandbox_endpoint
@require_GET
def get_billing_vouchers_by_batch(request):
    """``GET payroll/v1/getBillingVouchersByBatch?clientId=&batchId=&count=&startpage=`` (paged).

    ``startpage`` is the 0-based position of the first voucher of the page (next page: startpage + count);
    the answer echoes ``count`` and ``startpage`` and adds ``total``.
    """
    caller = _client(request)
    if isinstance(caller, HttpResponse):
        return caller
    return _voucher_page(request, caller, "billingVoucher", wire.prism_billing_voucher)


@sandbox_endpoint
@require_GET
def get_payroll_voucher_for_batch(request):
    """``GET payroll/v1/getPayrollVoucherForBatch?clientId=&batchId=&count=&startpage=`` (paged as above)."""
    caller = _client(request)
    if isinstance(caller, HttpResponse):
        return caller
    return _voucher_page(request, caller, "payrollVoucher", wire.prism_payroll_voucher)
