"""Affinity Payroll client: the token-authenticated REST surface and the SFTP file drop.

REST: ``POST {base}/oauth/token`` (client credentials) -> bearer token; ``GET {base}/v1/companies/{code}/
employees?page=&per_page=`` (1-based; ``{"data": [...], "meta": {"page", "per_page", "total"}}``) with full
employee objects, and ``GET .../employees/{employee_id}``. Files: standard employee CSVs pulled from an SFTP
folder with paramiko, the server's host key pinned on the connection.
"""

from __future__ import annotations

import io
import posixpath
import socket
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils import timezone

from apps.core import destinations
from apps.core.errors import AuthenticationError, ProviderError

from ... import transport
from .. import base
from ..base import DetailResult, EmployeePage, ProviderClient, TokenCache
from . import records

TOKEN_EARLY_REFRESH_SECONDS = 60
DEFAULT_PAGE_SIZE = 100
MAX_FILE_BYTES = 50 * 1024 * 1024


class Client(ProviderClient):
    provider = "affinity"
    list_has_status = True
    list_has_details = True

    def _tokens(self) -> TokenCache:
        return TokenCache(self.connection, self.connection.client_id, self.connection.client_secret)

    def _fetch_token(self) -> str:
        response = self.http.request(
            "POST",
            f"{self.base}/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": self.connection.client_id,
                "client_secret": self.connection.client_secret,
            },
            idempotent=False,
        )
        if response.status_code in (400, 401, 403):
            message = f"Affinity refused the credentials (HTTP {response.status_code})."
            transport.auth_failed(self.connection, message)
            raise AuthenticationError(message, status_code=response.status_code)
        if response.status_code >= 400:
            raise ProviderError(
                f"Affinity token request answered HTTP {response.status_code}",
                status_code=response.status_code,
            )
        body = base.json_body(response, "Affinity token")
        token = base.text(body.get("access_token"))
        if not token:
            raise ProviderError("Affinity token response had no access_token")
        self._tokens().set(token, float(body.get("expires_in") or 3600) - TOKEN_EARLY_REFRESH_SECONDS)
        transport.auth_succeeded(self.connection)
        return token

    def authenticate(self) -> None:
        self._tokens().clear()
        self._fetch_token()

    def _get(self, path: str, params: dict | None = None):
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
        raise AuthenticationError("Affinity refused a fresh token (HTTP 401).", status_code=401)

    def _raise_for(self, response, what: str) -> None:
        if response.status_code < 400:
            return
        try:
            body = response.json()
            message = base.text(body.get("message") or body.get("error")) if isinstance(body, dict) else ""
        except ValueError:
            message = ""
        raise ProviderError(
            f"Affinity {what}: HTTP {response.status_code} {message}".strip(),
            permanent=response.status_code in (400, 403, 404, 422),
            status_code=response.status_code,
        )

    def list_employees(
        self, company_external_id: str, *, page_size: int | None = None
    ) -> Iterator[EmployeePage]:
        size = page_size or DEFAULT_PAGE_SIZE
        page = 1
        seen = 0
        while True:
            response = self._get(
                f"/v1/companies/{company_external_id}/employees", {"page": page, "per_page": size}
            )
            self._raise_for(response, f"employee list of company {company_external_id}")
            body = base.json_body(response, "Affinity employee list")
            data = body.get("data") if isinstance(body, dict) else None
            if not isinstance(data, list):
                raise ProviderError("Affinity employee list: expected {data: [...]}")
            meta = body.get("meta") or {}
            total = meta.get("total") if isinstance(meta.get("total"), int) else None
            entries = [
                records.listed_employee(company_external_id, item) for item in data if isinstance(item, dict)
            ]
            seen += len(entries)
            if entries:
                yield EmployeePage(entries=entries, total=total)
            if len(data) < size or not data or (total is not None and seen >= total):
                return
            page += 1

    def get_employees(self, company_external_id: str, employee_ids: list[str]) -> DetailResult:
        result = DetailResult()
        for employee_id in employee_ids:
            response = self._get(f"/v1/companies/{company_external_id}/employees/{employee_id}")
            if response.status_code == 404:
                result.missing.append(employee_id)
                continue
            self._raise_for(response, f"employee {employee_id}")
            body = base.json_body(response, "Affinity employee")
            if not isinstance(body, dict):
                raise ProviderError("Affinity employee: expected a JSON object")
            result.records.append(records.employee_record(company_external_id, body))
        return result


# --- SFTP file drop -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PulledFile:
    name: str
    content: bytes


class SftpDrop:
    """The connection's SFTP folder: list the CSV files, fetch one, move it to the archive folder.

    The server's host key must be pinned on the connection (``sftp_host_key``, an OpenSSH public key line);
    an unknown or changed key is refused rather than trusted on first use.
    """

    def __init__(self, connection, *, timeout: float = 15.0):
        self.connection = connection
        self.timeout = timeout
        self._transport = None
        self._sftp = None

    def __enter__(self) -> SftpDrop:
        import paramiko

        c = self.connection
        if not c.sftp_host:
            raise ProviderError("No SFTP host is set on the connection.", permanent=True)
        if not c.sftp_host_key.strip():
            raise ProviderError("The SFTP server's host key is not pinned on the connection.", permanent=True)
        client = paramiko.SSHClient()
        key_type, _, key_data = c.sftp_host_key.strip().partition(" ")
        host_id = c.sftp_host if c.sftp_port == 22 else f"[{c.sftp_host}]:{c.sftp_port}"
        try:
            client.get_host_keys().add(
                host_id, key_type, paramiko.PKey.from_type_string(key_type, _b64(key_data))
            )
        except Exception as exc:
            raise ProviderError(
                f"The pinned SFTP host key is malformed: {type(exc).__name__}", permanent=True
            ) from exc
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        pkey = None
        if c.sftp_private_key:
            pkey = _load_private_key(c.sftp_private_key)
        started = time.monotonic()
        sock = self._open_socket(started)
        try:
            client.connect(
                c.sftp_host,
                port=c.sftp_port,
                sock=sock,
                username=c.sftp_username,
                password=c.sftp_password or None,
                pkey=pkey,
                timeout=self.timeout,
                banner_timeout=self.timeout,
                auth_timeout=self.timeout,
                allow_agent=False,
                look_for_keys=False,
            )
        except paramiko.AuthenticationException as exc:
            self._log("CONNECT", started, "AuthenticationException")
            raise AuthenticationError("The SFTP server refused the credentials.") from exc
        except paramiko.BadHostKeyException as exc:
            self._log("CONNECT", started, "BadHostKeyException")
            raise ProviderError(
                "The SFTP server's host key does not match the pinned key.", permanent=True
            ) from exc
        except (paramiko.SSHException, OSError) as exc:
            self._log("CONNECT", started, type(exc).__name__)
            raise ProviderError(f"SFTP connection failed: {type(exc).__name__}") from exc
        self._log("CONNECT", started, "")
        self._client = client
        self._sftp = client.open_sftp()
        self._sftp.get_channel().settimeout(self.timeout)
        return self

    def _open_socket(self, started: float):
        """Connect to the SFTP host's address, checked against the destinations policy after DNS."""

        c = self.connection
        try:
            destinations.validate_host(c.sftp_host)
            sock = socket.create_connection((c.sftp_host, c.sftp_port), timeout=self.timeout)
        except destinations.DestinationError as exc:
            self._log("CONNECT", started, "destination refused")
            raise ProviderError(
                f"The SFTP host is not an allowed destination: {exc.message}.", permanent=True
            ) from exc
        except OSError as exc:
            self._log("CONNECT", started, type(exc).__name__)
            raise ProviderError(f"SFTP connection failed: {type(exc).__name__}") from exc
        try:
            destinations.check_address(sock.getpeername()[0], host=c.sftp_host)
        except (destinations.DestinationError, OSError) as exc:
            sock.close()
            self._log("CONNECT", started, "destination refused")
            raise ProviderError(
                "The SFTP host resolves to an address that is not an allowed destination.", permanent=True
            ) from exc
        return sock

    def __exit__(self, *exc_info) -> None:
        if self._sftp is not None:
            self._sftp.close()
        if getattr(self, "_client", None) is not None:
            self._client.close()

    def _log(self, method: str, started: float, error: str, path: str = "") -> None:
        from ...models import ApiCall

        c = self.connection
        ApiCall.objects.create(
            connection=c,
            method=method,
            uri=f"sftp://{c.sftp_host}:{c.sftp_port}{path}"[:1000],
            status_code=None,
            duration_ms=int((time.monotonic() - started) * 1000),
            error=error[:300],
            created_at=timezone.now(),
        )

    def list_files(self) -> list[str]:
        """CSV files waiting in the folder, oldest first."""
        folder = self.connection.sftp_folder or "."
        started = time.monotonic()
        entries = self._sftp.listdir_attr(folder)
        self._log("LIST", started, "", posixpath.join("/", folder))
        files = [e for e in entries if stat.S_ISREG(e.st_mode or 0) and e.filename.lower().endswith(".csv")]
        files.sort(key=lambda e: (e.st_mtime or 0, e.filename))
        return [e.filename for e in files]

    def fetch(self, name: str) -> PulledFile:
        path = posixpath.join(self.connection.sftp_folder or ".", name)
        started = time.monotonic()
        size = self._sftp.stat(path).st_size or 0
        if size > MAX_FILE_BYTES:
            raise ProviderError(
                f"{name} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.", permanent=True
            )
        buffer = io.BytesIO()
        self._sftp.getfo(path, buffer)
        self._log("GET", started, "", posixpath.join("/", path))
        return PulledFile(name=name, content=buffer.getvalue())

    def archive(self, name: str) -> str:
        """Move a processed file into the archive folder (created if needed), stamped so names never clash."""
        folder = self.connection.sftp_folder or "."
        archive = posixpath.join(folder, self.connection.sftp_archive_folder or "processed")
        try:
            self._sftp.stat(archive)
        except OSError:
            self._sftp.mkdir(archive)
        target = posixpath.join(archive, f"{timezone.now():%Y%m%dT%H%M%S}-{name}")
        started = time.monotonic()
        self._sftp.rename(posixpath.join(folder, name), target)
        self._log("RENAME", started, "", posixpath.join("/", target))
        return target


def _b64(data: str) -> bytes:
    import base64

    return base64.b64decode(data.split()[0])


def _load_private_key(text: str):
    import paramiko

    for key_class in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return key_class.from_private_key(io.StringIO(text))
        except (paramiko.SSHException, ValueError):
            continue
    raise ProviderError("The SFTP private key on the connection cannot be read.", permanent=True)
