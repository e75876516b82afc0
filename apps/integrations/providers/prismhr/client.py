"""PrismHR REST client: PEO session login, employee list and details, client list and status codes.

Every response carries ``errorCode`` ("0" = OK) and ``errorMessage``; the session ID travels in the
``sessionId`` header; a 401 or "session has expired" means log in again, once. Some list methods answer
404 for "nothing found".
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from apps.core.errors import AuthenticationError, ProviderError

from ... import transport
from .. import base
from ..base import DetailResult, EmployeePage, ProviderClient, TokenCache
from . import records

logger = logging.getLogger(__name__)

SESSION_TTL_SECONDS = 30 * 60  # PrismHR does not say; expired sessions are detected and renewed anyway
DETAIL_BATCH = 20  # getEmployee takes 1-20 IDs
LIST_PAGE = 500  # the list is one call; we hand it to the sync in pages of this size


class Client(ProviderClient):
    provider = "prismhr"
    detail_batch_size = DETAIL_BATCH

    def _sessions(self) -> TokenCache:
        c = self.connection
        return TokenCache(c, c.username, c.password, c.peo_id)

    def _login(self) -> str:
        response = self.http.request(
            "POST",
            f"{self.base}/login/v1/createPeoSession",
            data={
                "username": self.connection.username,
                "password": self.connection.password,
                "peoId": self.connection.peo_id,
            },
            headers={"Accept": "application/json"},
            idempotent=False,
        )
        body = None
        if response.status_code < 500:
            try:
                body = response.json()
            except ValueError:
                body = None
        if response.status_code in (401, 403) or (
            response.status_code < 400 and body is not None and not records.envelope_ok(body)
        ):
            # Their text goes to the log only: it is the provider's (or whoever answers there) to word.
            logger.warning(
                "PrismHR refused the login of connection %s: %s",
                self.connection.pk,
                records.error_message(body)[:300],
            )
            message = "PrismHR refused the login."
            transport.auth_failed(self.connection, message)
            raise AuthenticationError(message, status_code=response.status_code)
        if response.status_code >= 400 or body is None:
            raise ProviderError(
                f"PrismHR login answered HTTP {response.status_code}", status_code=response.status_code
            )
        session_id = base.text(body.get("sessionId"))
        if not session_id:
            raise ProviderError("PrismHR login returned no sessionId")
        self._sessions().set(session_id, SESSION_TTL_SECONDS)
        transport.auth_succeeded(self.connection)
        return session_id

    def authenticate(self) -> None:
        self._sessions().clear()
        self._login()

    def _call(self, path: str, params, *, empty_on_404: bool = False) -> dict:
        """GET a method with the session header; log in again once on 401 or an expired session."""
        for renewed in (False, True):
            session_id = self._login() if renewed else (self._sessions().get() or self._login())
            response = self.http.request(
                "GET",
                f"{self.base}/{path}",
                params=params,
                headers={"sessionId": session_id, "Accept": "application/json"},
            )
            if response.status_code == 404 and empty_on_404:
                return {}
            body = None
            if response.status_code != 401:
                body = base.json_body(response, f"PrismHR {path}")
            expired = response.status_code == 401 or (
                isinstance(body, dict)
                and "expired" in records.error_message(body).lower()
                and not records.envelope_ok(body)
            )
            if expired:
                self._sessions().clear()
                continue
            if response.status_code >= 400:
                raise ProviderError(
                    f"PrismHR {path}: HTTP {response.status_code} {records.error_message(body)}",
                    permanent=response.status_code in (400, 403, 404),
                    status_code=response.status_code,
                )
            if not records.envelope_ok(body):
                raise ProviderError(f"PrismHR {path}: {records.error_message(body)}", permanent=True)
            return body
        raise AuthenticationError("PrismHR session expired again right after logging in.", status_code=401)

    def list_employees(
        self, company_external_id: str, *, page_size: int | None = None
    ) -> Iterator[EmployeePage]:
        body = self._call("employee/v1/getEmployeeList", {"clientId": company_external_id}, empty_on_404=True)
        try:
            items, total = records.employee_page(body, {})
        except ValueError as exc:
            raise ProviderError(f"PrismHR employee list: {exc}") from exc
        size = page_size or LIST_PAGE
        for start in range(0, len(items), size):
            yield EmployeePage(
                [records.listed_employee(company_external_id, i) for i in items[start : start + size]],
                total=total,
            )

    def get_employees(self, company_external_id: str, employee_ids: list[str]) -> DetailResult:
        result = DetailResult()
        for start in range(0, len(employee_ids), DETAIL_BATCH):
            chunk = employee_ids[start : start + DETAIL_BATCH]
            params = [
                ("clientId", company_external_id),
                *(("employeeId", i) for i in chunk),
                ("options", "Person,Client"),
            ]
            body = self._call("employee/v1/getEmployee", params, empty_on_404=True)
            entries = body.get("employee") or []
            if isinstance(entries, dict):
                entries = [entries]
            got = [records.employee_record(company_external_id, e) for e in entries if isinstance(e, dict)]
            result.records.extend(got)
            returned = {r.employee_id for r in got}
            result.missing.extend(i for i in chunk if i not in returned)
        return result

    def new_events(self, subscription_id: str, *, count: int = 200) -> list[dict]:
        """``subscription/v1/getNewEvents``: the subscription's events not handed out before (each once)."""
        body = self._call(
            "subscription/v1/getNewEvents",
            {"subscriptionId": subscription_id, "numberOfEvents": count},
            empty_on_404=True,
        )
        events = body.get("events") or []
        return [e for e in events if isinstance(e, dict)]

    def client_list(self) -> list[dict]:
        """``clientMaster/v1/getClientList``: the PEO's clients visible to this user."""
        body = self._call("clientMaster/v1/getClientList", {}, empty_on_404=True)
        clients = body.get("clientListResult", body.get("clientList", []))
        if isinstance(clients, dict):
            clients = clients.get("clientList", [])
        return [c for c in clients or [] if isinstance(c, dict)]

    def status_codes(self, company_external_id: str) -> list[dict]:
        """``clientMaster/v1/getClientCodes?options=Status``: the client's employee status codes."""
        body = self._call(
            "clientMaster/v1/getClientCodes",
            {"clientId": company_external_id, "options": "Status"},
            empty_on_404=True,
        )
        codes = body.get("clientCodes", body)
        status = (
            codes.get("employeeStatusCode", codes.get("statusCodes", [])) if isinstance(codes, dict) else []
        )
        return [c for c in status or [] if isinstance(c, dict)]
