"""The one error type of the integration edge."""

from __future__ import annotations


class ProviderError(Exception):
    """A provider call failed. ``permanent`` says whether retrying can help (False: try again later)."""

    def __init__(self, message: str, *, permanent: bool = False, status_code: int | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.status_code = status_code
