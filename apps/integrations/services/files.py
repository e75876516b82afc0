"""Affinity's file-based path: pull standard employee files from the connection's SFTP folder and apply them.

Each file goes through the standard file import (source: file) and is then moved to the archive folder, so a
file is applied once; applying the same rows again would change nothing anyway.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from apps.employees.services import employee_file_import

from ..models import Connection
from ..providers.affinity.files import SftpDrop

logger = logging.getLogger(__name__)


@dataclass
class FileOutcome:
    name: str
    applied: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)


def affinity_files_pull(*, connection: Connection) -> list[FileOutcome]:
    """Pull, apply and archive every CSV waiting in the connection's SFTP folder; return what each did.

    Each file goes through ``employee_file_import``, the same path as ``import_employees`` and the admin upload:
    one parser, line-numbered errors, a ``FileImport`` record, and the whole file as one cause for the
    mass-change safeguard. A file is archived once applied (or refused), so it is applied once.
    """
    companies = list(connection.companies.select_related("company_set"))
    outcomes = []
    with SftpDrop(connection) as drop:
        for name in drop.list_files():
            pulled = drop.fetch(name)
            imported = employee_file_import(
                customer=connection.customer, data=pulled.content, filename=name, companies=companies
            )
            result = imported.apply_result
            outcome = FileOutcome(
                name=name,
                applied=imported.accepted,
                created=result.created,
                updated=result.updated,
                unchanged=result.unchanged,
                errors=[imported.refused]
                if imported.refused
                else [f"line {e['line']}: {e['reason']}" for e in imported.errors],
            )
            drop.archive(name)
            logger.info("SFTP file %s of connection %s: %s", name, connection.pk, outcome)
            outcomes.append(outcome)
    return outcomes
