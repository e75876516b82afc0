"""Paylocity WebLink API client: client-credentials token, employee list and detail.

Paths (WebLink v2): ``POST {base}/IdentityServer/connect/token``, ``GET {base}/api/v2/companies/{companyId}/
employees`` (0-based ``pagenumber``, total in ``X-Pcty-Total-Count``) and ``.../employees/{employeeId}``.
"""

from __future__ import annotations

from collections.abc import Iterator

from apps.core.errors import AuthenticationError, ProviderError

from ... import transport
from .. import base
from ..base import DetailResult, EmployeePage, ProviderClient, TokenCache
from . import records

TOKEN_EARLY_REFRESH_SECONDS = 60  # stop using a token this long before it expires
DEFAULT_PAGE_SIZE = 500


class Client(ProviderClient):
    provider = "paylocity"
    list_has_status = True

    def _tokens(self) -> TokenCache:
        return TokenCache(self.connection, self.connection.client_id, self.connection.client_secret)

    def _fetch_token(self) -> str:
        # A token POST is not idempotent for our purposes: the door retries it only if it never arrived.
        response = self.http.request(
            "POST",
            f"{self.base}/IdentityServer/connect/token",
            data={
                "grant_type": "client_credentials",
                "client_id": self.connection.client_id,
                "client_secret": self.connection.client_secret,
                "scope": "WebLinkAPI",
            },
            idempotent=False,
        )
        if response.status_code in (400, 401, 403):
            message = f"Paylocity refused the credentials (HTTP {response.status_code})."
            transport.auth_failed(self.connection, message)
            raise AuthenticationError(message, status_code=response.status_code)
        if response.status_code >= 400:
            raise ProviderError(
                f"Paylocity token request answered HTTP {response.status_code}",
                status_code=response.status_code,
            )
        body = base.json_body(response, "Paylocity token")
        token = base.text(body.get("access_token"))
        if not token:
            raise ProviderError("Paylocity token response had no access_token")
        expires_in = float(body.get("expires_in") or 3600)
        self._tokens().set(token, expires_in - TOKEN_EARLY_REFRESH_SECONDS)
        transport.auth_succeeded(self.connection)
        return token

    def _token(self) -> str:
        return self._tokens().get() or self._fetch_token()

    def authenticate(self) -> None:
        self._tokens().clear()
        self._fetch_token()

    def _get(self, path: str, params: dict | None = None):
        """GET with the bearer token; on 401 fetch a new token once and try again."""
        url = f"{self.base}{path}"
        for refreshed in (False, True):
            token = self._fetch_token() if refreshed else self._token()
            response = self.http.request(
                "GET",
                url,
                params=params,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            )
            if response.status_code != 401:
                return response
            self._tokens().clear()
        raise AuthenticationError("Paylocity refused a fresh token (HTTP 401).", status_code=401)

    def _raise_for(self, response, what: str) -> None:
        if response.status_code < 400:
            return
        try:
            message = records.error_message(response.json())
        except ValueError:
            message = f"HTTP {response.status_code}"
        raise ProviderError(
            f"Paylocity {what}: {message}",
            permanent=response.status_code in (400, 403, 404, 422),
            status_code=response.status_code,
        )

    def list_employees(
        self, company_external_id: str, *, page_size: int | None = None
    ) -> Iterator[EmployeePage]:
        size = page_size or DEFAULT_PAGE_SIZE
        page = 0
        seen = 0
        while True:
            response = self._get(
                f"/api/v2/companies/{company_external_id}/employees",
                {"pagesize": size, "pagenumber": page, "includetotalcount": "true"},
            )
            self._raise_for(response, f"employee list of company {company_external_id}")
            body = base.json_body(response, "Paylocity employee list")
            if not isinstance(body, list):
                raise ProviderError("Paylocity employee list: expected a JSON array")
            total_header = response.headers.get("X-Pcty-Total-Count")
            total = int(total_header) if total_header and total_header.isdigit() else None
            entries = [records.listed_employee(item) for item in body if isinstance(item, dict)]
            seen += len(entries)
            if entries:
                yield EmployeePage(entries=entries, total=total)
            if len(body) < size or (total is not None and seen >= total) or not body:
                return
            page += 1

    def get_employees(self, company_external_id: str, employee_ids: list[str]) -> DetailResult:
        result = DetailResult()
        for employee_id in employee_ids:
            response = self._get(f"/api/v2/companies/{company_external_id}/employees/{employee_id}")
            if response.status_code == 404:
                result.missing.append(employee_id)
                continue
            self._raise_for(response, f"employee {employee_id} of company {company_external_id}")
            body = base.json_body(response, "Paylocity employee")
            if not isinstance(body, dict):
                raise ProviderError("Paylocity employee: expected a JSON object")
            result.records.append(records.employee_record(company_external_id, body))
        return result
