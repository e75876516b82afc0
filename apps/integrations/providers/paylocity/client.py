"""Paylocity WebLink API client: client-credentials token, employee list and detail.

Paths (WebLink v2): ``POST {base}/IdentityServer/connect/token``, ``GET {base}/api/v2/companies/{companyId}/
employees`` (0-based ``pagenumber``, total in ``X-Pcty-Total-Count``) and ``.../employees/{employeeId}``.
The conversation itself is the shared bearer-token client's (``providers/bearer.py``).
"""

from __future__ import annotations

from ..bearer import BearerTokenClient
from . import records


class Client(BearerTokenClient):
    provider = "paylocity"
    list_has_status = True

    label = "Paylocity"
    records = records
    token_path = "/IdentityServer/connect/token"
    token_fields = {"scope": "WebLinkAPI"}
    employees_path = "/api/v2/companies/{company}/employees"
    page_param = "pagenumber"
    size_param = "pagesize"
    list_params = {"includetotalcount": "true"}
    first_page = 0
    # The provider's largest page (the sandbox enforces the same): a 100,000-employee list is 20 requests
    # under the 25/s limit, not 200. The sync details and applies what a page needs in slices.
    default_page_size = 5000
