"""Start the web server and the django-q2 worker together in the foreground; Ctrl-C stops both.

Once the web server accepts connections, a short banner repeats where to sign in and the first-run passwords
(apps/core/first_run.py), so they are not lost above the start-up lines.

Each child runs in its own process group. On Ctrl-C / SIGTERM both groups get SIGINT, then SIGKILL after a
grace period: qcluster can hang after a stop request (django-q2 issue #346) and correctness never depends
on a clean stop. If either child dies, the other is stopped and the command exits non-zero.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from apps.core import first_run

GRACE_SECONDS = 8


class Command(BaseCommand):
    help = "Run the web server and the worker together (used by `make run`)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))

    def handle(self, *args, host: str, port: str, **options):
        manage = [sys.executable, "manage.py"]
        children = {
            "web": subprocess.Popen(
                [*manage, "runserver", "--noreload", f"{host}:{port}"], start_new_session=True
            ),
            "worker": subprocess.Popen([*manage, "qcluster"], start_new_session=True),
        }
        self.stdout.write(
            self.style.SUCCESS(f"Web on http://{host}:{port}/  (admin: /admin/, API docs: /api/docs/)")
        )
        self.stdout.write("Worker: django-q2 qcluster. Press Ctrl-C to stop both.")

        stopping = False

        def request_stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        exit_code = 0
        ready = False
        while not stopping:
            if not ready and _accepting(host, port):
                ready = True
                self._banner(host, port)
            for name, proc in children.items():
                if proc.poll() is not None:
                    self.stderr.write(f"{name} exited with status {proc.returncode}; stopping the rest.")
                    exit_code = proc.returncode or 1
                    stopping = True
            time.sleep(0.5)
        self._stop(children.values())
        sys.exit(exit_code)

    def _banner(self, host: str, port: str) -> None:
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else host  # noqa: S104 - comparing, not binding
        credentials = first_run.still_valid(first_run.remembered())
        text = first_run.banner(
            url=f"http://{shown}:{port}/", credentials=credentials, log_requests=settings.LOG_REQUESTS
        )
        self.stdout.write(self.style.SUCCESS(text))

    def _stop(self, procs) -> None:
        for proc in procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGINT)
        deadline = time.monotonic() + GRACE_SECONDS
        while time.monotonic() < deadline and any(p.poll() is None for p in procs):
            time.sleep(0.2)
        for proc in procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _accepting(host: str, port: str) -> bool:
    """Whether the web server accepts connections yet."""
    target = "127.0.0.1" if host in ("0.0.0.0", "") else host  # noqa: S104 - comparing, not binding
    try:
        with socket.create_connection((target, int(port)), timeout=0.3):
            return True
    except OSError:
        return False
