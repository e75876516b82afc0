"""The emulated providers' HTTP endpoints, one module per provider (paths in ``apps/sandbox/urls.py``)."""
