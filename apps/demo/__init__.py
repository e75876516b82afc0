"""The demo: ``manage.py seed_demo`` and the demo connections' first syncs. The top layer: it may use any app."""
