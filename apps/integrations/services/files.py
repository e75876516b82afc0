"""Affinity's file-based path: pull standard employee files from the connection's SFTP folder and apply them.

Each file is applied company by company through ``employee_records_apply`` (source: file) and then moved to
the archive folder, so a file is applied once; applying the same rows again would change nothing anyway.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from apps.employees.records import Source

from ..models import Connection

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

    Not atomic as a whole: each company's rows commit on their own, and a file is archived only after all
    of its companies were applied (a crash before that means the file is pulled again next time).
    """
    from apps.employees.services import employee_records_apply

    from ..providers.affinity.client import SftpDrop
    from ..providers.affinity.records import FileRefused, parse_standard_file

    companies = {c.external_id: c for c in connection.companies.all()}
    outcomes = []
    with SftpDrop(connection) as drop:
        for name in drop.list_files():
            outcome = FileOutcome(name=name)
            pulled = drop.fetch(name)
            try:
                parsed = parse_standard_file(pulled.content)
            except FileRefused as exc:
                outcome.errors.append(str(exc))
                drop.archive(name)
                outcomes.append(outcome)
                continue
            outcome.errors.extend(f"line {line}: {reason}" for line, reason in parsed.errors)
            for external_id, records in parsed.records.items():
                company = companies.get(external_id)
                if company is None:
                    outcome.errors.append(
                        f"company {external_id} is not one of the connection's companies ({len(records)} rows)"
                    )
                    continue
                result = employee_records_apply(
                    company=company, records=records, source=Source.FILE, cause=f"SFTP file {name}"
                )
                outcome.applied += len(records) - result.failed
                outcome.created += result.created
                outcome.updated += result.updated
                outcome.unchanged += result.unchanged
                outcome.errors.extend(f"employee {r.employee_id}: {r.reason}" for r in result.rejected)
            drop.archive(name)
            logger.info("SFTP file %s of connection %s: %s", name, connection.pk, outcome)
            outcomes.append(outcome)
    return outcomes
