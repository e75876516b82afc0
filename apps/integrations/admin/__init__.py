"""Admin for the integration edge: connections (with their buttons) and the logs of what ran, arrived and was sent.

One module per section (importing them registers them): ``connections`` (``forms``, ``buttons``) and ``logs``.
"""

from . import connections, logs

__all__ = ["connections", "logs"]
