"""The one client of the providers that speak OAuth client credentials and page-numbered JSON lists.

Paylocity (WebLink) and Affinity Payroll share the whole conversation: ``POST {base}{token_path}`` with the
client ID and secret -> a bearer token (cached encrypted, refreshed shortly before it expires, fetched again
once on a 401); ``GET {base}{employees_path}`` page by page; ``GET {base}{employees_path}/{employee_id}`` for
one employee (404: missing). Each provider's ``client.py`` configures this class with its paths, page
parameters and first page number; its ``records.py`` reads the bodies (``employee_page``,
``listed_employee``, ``employee_record``, ``error_message``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import ModuleType
from typing import ClassVar

from apps.core.errors import AuthenticationError, ProviderError

from .. import transport
from . import base
from .base import DetailResult, EmployeePage, ProviderClient, TokenCache

TOKEN_EARLY_REFRESH_SECONDS = 60  # stop using a token this long before it expires
PERMANENT_STATUSES = frozenset({400, 403, 404, 422})  # retrying the same request cannot help


class BearerTokenClient(ProviderClient):
    """A ``ProviderClient`` over a client-credentials token; subclasses only set the class attributes."""

    label: ClassVar[str] = ""  # the provider's name in messages, e.g. "Paylocity"
    records: ClassVar[ModuleType]  # the provider's records module
    token_path: ClassVar[str] = ""
    token_fields: ClassVar[Mapping[str, str]] = {}  # extra form fields of the token request (a scope)
    employees_path: ClassVar[str] = ""  # with ``{company}``
    page_param: ClassVar[str] = "page"
    size_param: ClassVar[str] = "per_page"
    list_params: ClassVar[Mapping[str, str]] = {}  # sent with every page
    first_page: ClassVar[int] = 1
    default_page_size: ClassVar[int] = 100

    def _tokens(self) -> TokenCache:
        return TokenCache(self.connection, self.connection.client_id, self.connection.client_secret)

    def _fetch_token(self) -> str:
        # A token POST is not idempotent for our purposes: the door retries it only if it never arrived.
        response = self.http.request(
            "POST",
            f"{self.base}{self.token_path}",
            data={
                "grant_type": "client_credentials",
                "client_id": self.connection.client_id,
                "client_secret": self.connection.client_secret,
                **self.token_fields,
            },
            idempotent=False,
        )
        if response.status_code in (400, 401, 403):
            message = f"{self.label} refused the credentials (HTTP {response.status_code})."
            transport.auth_failed(self.connection, message)
            raise AuthenticationError(message, status_code=response.status_code)
        if response.status_code >= 400:
            raise ProviderError(
                f"{self.label} token request answered HTTP {response.status_code}",
                status_code=response.status_code,
            )
        body = base.json_body(response, f"{self.label} token")
        token = base.text(body.get("access_token")) if isinstance(body, dict) else ""
        if not token:
            raise ProviderError(f"{self.label} token response had no access_token")
        expires_in = float(body.get("expires_in") or 3600)
        self._tokens().set(token, expires_in - TOKEN_EARLY_REFRESH_SECONDS)
        transport.auth_succeeded(self.connection)
        return token

    def authenticate(self) -> None:
        self._tokens().clear()
        self._fetch_token()

    def _get(self, path: str, params: dict | None = None):
        """GET with the bearer token; on 401 fetch a new token once and try again."""
        for refreshed in (False, True):
            token = self._fetch_token() if refreshed else (self._tokens().get() or self._fetch_token())
            response = self.http.request(
                "GET",
                f"{self.base}{path}",
                params=params,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            )
            if response.status_code != 401:
                return response
            self._tokens().clear()
        raise AuthenticationError(f"{self.label} refused a fresh token (HTTP 401).", status_code=401)

    def _raise_for(self, response, what: str) -> None:
        if response.status_code < 400:
            return
        try:
            message = self.records.error_message(response.json())
        except ValueError:  # not JSON: the status says it all
            message = ""
        raise ProviderError(
            f"{self.label} {what}: HTTP {response.status_code} {message}".strip(),
            permanent=response.status_code in PERMANENT_STATUSES,
            status_code=response.status_code,
        )

    def list_employees(
        self, company_external_id: str, *, page_size: int | None = None
    ) -> Iterator[EmployeePage]:
        size = page_size or self.default_page_size
        path = self.employees_path.format(company=company_external_id)
        page = self.first_page
        seen = 0
        while True:
            response = self._get(path, {**self.list_params, self.size_param: size, self.page_param: page})
            self._raise_for(response, f"employee list of company {company_external_id}")
            body = base.json_body(response, f"{self.label} employee list")
            try:
                items, total = self.records.employee_page(body, response.headers)
            except ValueError as exc:
                raise ProviderError(f"{self.label} employee list: {exc}") from exc
            entries = [
                self.records.listed_employee(company_external_id, item)
                for item in items
                if isinstance(item, dict)
            ]
            seen += len(entries)
            if entries:
                yield EmployeePage(entries=entries, total=total)
            if len(items) < size or not items or (total is not None and seen >= total):
                return
            page += 1

    def get_employees(self, company_external_id: str, employee_ids: list[str]) -> DetailResult:
        result = DetailResult()
        path = self.employees_path.format(company=company_external_id)
        for employee_id in employee_ids:
            response = self._get(f"{path}/{employee_id}")
            if response.status_code == 404:
                result.missing.append(employee_id)
                continue
            self._raise_for(response, f"employee {employee_id} of company {company_external_id}")
            body = base.json_body(response, f"{self.label} employee")
            if not isinstance(body, dict):
                raise ProviderError(f"{self.label} employee: expected a JSON object")
            result.records.append(self.records.employee_record(company_external_id, body))
        return result
