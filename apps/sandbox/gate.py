"""The door of every emulated provider endpoint: sandbox switch, credentials, company access, faults, rate limit.

Each provider speaks its own dialect of errors (Paylocity ``[{field, message}]``, PrismHR's ``errorCode``
envelope, Affinity ``{error, message}``); ``Dialect`` holds those shapes so the checks are written once.
A check that fails raises ``Refused`` carrying the provider's response; the view decorator returns it.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from apps.companies.models import Provider

from . import services, wire
from .models import FaultMode, SandboxCompany, SandboxCredential, SandboxToken

MALFORMED_BODY = '{"employeeId": "1001", "statusCode": ["A", '


class Refused(Exception):
    """A check failed; ``response`` is what the provider would have answered."""

    def __init__(self, response: HttpResponse):
        super().__init__(response.status_code)
        self.response = response


def _json(body, status: int = 200, **headers: str) -> JsonResponse:
    response = JsonResponse(body, status=status, safe=False)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


@dataclass(frozen=True)
class Dialect:
    """How one provider reads credentials and words its errors."""

    provider: str
    error: Callable[[int, str], object]
    expired_message: str
    expired_status: int = 401

    def refuse(self, status: int, message: str, **headers: str) -> Refused:
        return Refused(_json(self.error(status, message), status, **headers))

    def expired(self) -> Refused:
        headers = {}
        if self.provider != Provider.PRISMHR:
            headers["WWW_Authenticate"] = (
                'Bearer error="invalid_token", error_description="The token expired"'
            )
        return Refused(
            _json(self.error(self.expired_status, self.expired_message), self.expired_status, **headers)
        )

    def read_token(self, request: HttpRequest) -> str:
        if self.provider == Provider.PRISMHR:
            return request.headers.get("sessionId", "").strip()
        auth = request.headers.get("Authorization", "")
        scheme, _, value = auth.partition(" ")
        return value.strip() if scheme.lower() == "bearer" else ""


PAYLOCITY = Dialect(
    provider=Provider.PAYLOCITY,
    error=lambda status, message: wire.paylocity_error(message),
    expired_message="Authorization has been denied for this request: the token expired.",
)
# PrismHR: an unknown session is a 401; an expired one answers 200 with "session has expired" in the
# envelope (clients must handle both, issue 4).
PRISMHR = Dialect(
    provider=Provider.PRISMHR,
    error=lambda status, message: wire.prism_error(message, code=str(status)),
    expired_message="session has expired",
    expired_status=200,
)
AFFINITY = Dialect(
    provider=Provider.AFFINITY,
    error=lambda status, message: wire.affinity_error(
        {
            400: "invalid_request",
            401: "invalid_token",
            403: "forbidden",
            404: "not_found",
            429: "rate_limited",
            500: "server_error",
        }.get(status, "error"),
        message,
    ),
    expired_message="The access token expired.",
)


@dataclass
class Caller:
    """Who is calling: the credential behind the token, and the company the request is about."""

    credential: SandboxCredential
    company: SandboxCompany | None


def sandbox_endpoint(view):
    """Wrap a provider view: 404 when the sandbox is off, CSRF off (machine clients), ``Refused`` answered."""

    @csrf_exempt
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not settings.SANDBOX_ENABLED:
            raise Http404("The sandbox is off.")
        try:
            return view(request, *args, **kwargs)
        except Refused as refused:
            return refused.response

    return wrapper


def authenticate(request: HttpRequest, dialect: Dialect) -> SandboxCredential:
    """Return the credential behind the request's token or session; refuse a missing, unknown or expired one."""
    token = dialect.read_token(request)
    if not token:
        what = "sessionId is not provided" if dialect.provider == Provider.PRISMHR else "No access token"
        raise dialect.refuse(401, f"{what}.")
    row = (
        SandboxToken.objects.select_related("credential")
        .filter(token=token, credential__provider=dialect.provider, credential__active=True)
        .first()
    )
    if row is None:
        raise dialect.refuse(401, "The token or session is not valid.")
    if row.expires_at <= timezone.now():
        raise dialect.expired()
    return row.credential


def company_for(credential: SandboxCredential, dialect: Dialect, external_id: str) -> SandboxCompany:
    """The company the credential asks about; 404 if unknown, 403 if these credentials may not see it."""
    if not external_id:
        raise dialect.refuse(400, "A company ID is required.")
    company = SandboxCompany.objects.filter(provider=dialect.provider, external_id=external_id).first()
    if company is None:
        raise dialect.refuse(404, f"Company {external_id} was not found.")
    if not credential.companies.filter(pk=company.pk).exists():
        raise dialect.refuse(403, f"These credentials have no access to company {external_id}.")
    return company


def apply_faults_and_limits(company: SandboxCompany, dialect: Dialect) -> HttpResponse | None:
    """Play the company's fault mode, then count the request against its rate limit.

    Returns a response to send instead of the real one (malformed JSON), or None to carry on; refuses with
    the provider's error for 429 / 500 / expired token. The slow fault sleeps, then lets the request through:
    the client has given up by then, which is the point.
    """
    if company.fault_mode != FaultMode.NONE and services.company_fault_consume(company=company):
        mode = company.fault_mode
        if mode == FaultMode.RATE_LIMIT:
            raise dialect.refuse(429, "Too many requests.", Retry_After=str(company.fault_retry_after))
        if mode == FaultMode.ERROR_500:
            raise dialect.refuse(500, "An unexpected error occurred.")
        if mode == FaultMode.EXPIRED_TOKEN:
            raise dialect.expired()
        if mode == FaultMode.MALFORMED_JSON:
            return HttpResponse(MALFORMED_BODY, content_type="application/json")
        if mode == FaultMode.SLOW:
            time.sleep(company.fault_delay_seconds)
    wait = services.company_rate_admit(company=company, now=time.time())
    if wait is not None:
        raise dialect.refuse(429, "Rate limit exceeded.", Retry_After=str(math.ceil(wait)))
    return None


def guard(request: HttpRequest, dialect: Dialect, external_id: str | None) -> Caller | HttpResponse:
    """Every check in order: credentials, company access, faults, rate limit.

    Returns the caller, or (malformed-JSON fault) the response to send as it is.
    """
    credential = authenticate(request, dialect)
    if external_id is None:
        return Caller(credential=credential, company=None)
    company = company_for(credential, dialect, external_id)
    override = apply_faults_and_limits(company, dialect)
    if override is not None:
        return override
    return Caller(credential=credential, company=company)


def int_param(request: HttpRequest, dialect: Dialect, name: str, default: int, *, low: int, high: int) -> int:
    raw = request.GET.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise dialect.refuse(400, f"{name} must be a whole number.") from None
    if not low <= value <= high:
        raise dialect.refuse(400, f"{name} must be between {low} and {high}.")
    return value


def json_response(body, status: int = 200, **headers: str) -> JsonResponse:
    return _json(body, status, **headers)
