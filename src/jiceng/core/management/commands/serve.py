"""``jiceng serve``: the web server plus a background worker for long jobs."""

import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the platform on 127.0.0.1:8000 with a background task worker."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true", help="do not start the task worker")
        parser.add_argument(
            "--reload", action="store_true", help="restart on code changes (development)"
        )

    def handle(self, *args, addrport, no_worker, reload, **options):
        worker = None
        if not no_worker:
            # The database task backend needs a worker process to run queued jobs.
            worker = subprocess.Popen([sys.executable, "-m", "jiceng", "db_worker"])
        try:
            call_command("runserver", addrport, use_reloader=reload, insecure_serving=True)
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=10)
