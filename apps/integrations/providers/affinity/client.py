"""Affinity Payroll REST client: client-credentials token, employee list and detail.

``POST {base}/oauth/token`` (client credentials) -> bearer token; ``GET {base}/v1/companies/{code}/
employees?page=&per_page=`` (1-based; ``{"data": [...], "meta": {"page", "per_page", "total"}}``) with full
employee objects, and ``GET .../employees/{employee_id}``. The conversation itself is the shared bearer-token
client's (``providers/bearer.py``); the SFTP file drop is ``files.py``.
"""

from __future__ import annotations

from ..bearer import BearerTokenClient
from . import records


class Client(BearerTokenClient):
    provider = "affinity"
    list_has_status = True
    list_has_details = True

    label = "Affinity"
    records = records
    token_path = "/oauth/token"
    employees_path = "/v1/companies/{company}/employees"
    page_param = "page"
    size_param = "per_page"
    first_page = 1
    default_page_size = 100
