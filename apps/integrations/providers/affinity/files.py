"""Affinity Payroll's file drop: standard employee CSVs pulled from the connection's SFTP folder.

The server's host key is pinned on the connection; every connect is checked against the destinations policy
after DNS; every operation (CONNECT, LIST, GET, RENAME) is kept in the connection's API call log through the
transport bookkeeping (``apps.integrations.transport``), like an HTTP call.
"""

from __future__ import annotations

import base64
import io
import posixpath
import socket
import stat
import time
from dataclasses import dataclass
from datetime import timedelta

import paramiko
from django.utils import timezone

from apps.core import destinations
from apps.core.errors import AuthenticationError, ProviderError
from apps.core.http import CallRecord

from ... import transport

MAX_FILE_BYTES = 50 * 1024 * 1024


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
        self._books = transport.ConnectionBookkeeping(
            connection
        )  # its call log; SFTP takes no rate-limit slot
        self._transport = None
        self._sftp = None

    def __enter__(self) -> SftpDrop:
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
        """Keep the operation in the connection's API call log, through the one transport bookkeeping."""
        c = self.connection
        self._books.record_call(
            CallRecord(
                method=method,
                uri=f"sftp://{c.sftp_host}:{c.sftp_port}{path}"[:1000],
                status_code=None,
                duration_ms=int((time.monotonic() - started) * 1000),
                attempt=1,
                error=error[:300],
                started_at=self._started_at(started),
            )
        )

    @staticmethod
    def _started_at(started: float):
        """The wall-clock time of a monotonic start (the call log sorts by when a call began)."""
        return timezone.now() - timedelta(seconds=time.monotonic() - started)

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
    return base64.b64decode(data.split()[0])


def _load_private_key(text: str):
    for key_class in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return key_class.from_private_key(io.StringIO(text))
        except (paramiko.SSHException, ValueError):
            continue
    raise ProviderError("The SFTP private key on the connection cannot be read.", permanent=True)
