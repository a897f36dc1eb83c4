"""``jiceng serve``: the production web server (gunicorn) plus the background task worker.

One supervisor process starts two children and watches them:

* the web server: gunicorn with ``JICENG_WORKERS`` worker processes (default 4) of
  ``JICENG_THREADS`` threads (default 4) bound to ``JICENG_BIND`` (default 127.0.0.1:8000),
  or with ``--dev`` Django's development server;
* the task worker (``jiceng db_worker``), which runs imports and computations. If it dies
  it is started again (after 1 s, up to 60 s when it keeps dying).

SIGTERM or Ctrl-C stops both: gunicorn finishes the requests in flight, the worker its
current job (up to ``JICENG_STOP_TIMEOUT`` seconds, default 30), then they are killed.
If gunicorn itself exits, the worker is stopped and ``serve`` exits with gunicorn's code,
so that systemd (or whatever started it) restarts the whole.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

DEFAULT_BIND = "127.0.0.1:8000"
RESTART_DELAY_MAX = 60.0
STABLE_AFTER = 30.0  # a worker that ran this long before dying is restarted at once


def collect_static() -> bool:
    """Run collectstatic into STATIC_ROOT unless nothing changed since the last run.

    Hashing and compressing every file takes half a minute, so a fingerprint of the source
    files (names, sizes, modification times, storage) is kept in STATIC_ROOT/.collected.
    Returns whether it ran.
    """
    from django.contrib.staticfiles.finders import get_finders

    entries = []
    for finder in get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            stat = os.stat(storage.path(path))
            entries.append(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}")
    digest = hashlib.sha256(
        "\n".join([settings.STORAGES["staticfiles"]["BACKEND"], *sorted(entries)]).encode()
    ).hexdigest()
    root = Path(settings.STATIC_ROOT)
    stamp = root / ".collected"
    if stamp.exists() and stamp.read_text() == digest and (root / "staticfiles.json").exists():
        return False
    call_command("collectstatic", interactive=False, verbosity=0)
    stamp.write_text(digest)
    return True


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Ask Linux to send SIGTERM to the child if the supervisor is killed (kill -9)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Child:
    """One supervised process: its command line, the process, when it started."""

    def __init__(self, name: str, argv: list[str]):
        self.name = name
        self.argv = argv
        self.process: subprocess.Popen | None = None
        self.started = 0.0

    def start(self) -> None:
        # Own process group: Ctrl-C reaches the supervisor only, which stops the children in
        # order (a second SIGINT would make the task worker abandon its job).
        self.process = subprocess.Popen(
            self.argv,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},  # logs reach the journal at once
            process_group=0,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        self.started = time.monotonic()

    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def signal(self, signum: int) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signum)


class Command(BaseCommand):
    help = (
        "Serve the platform with gunicorn (JICENG_WORKERS processes, bound to JICENG_BIND, "
        "default 127.0.0.1:8000) and a background task worker; --dev uses Django's "
        "development server instead."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "bind",
            nargs="?",
            default=os.environ.get("JICENG_BIND", DEFAULT_BIND),
            help="ADDR:PORT or unix:PATH (default: JICENG_BIND or 127.0.0.1:8000)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("JICENG_WORKERS", "4")),
            help="gunicorn worker processes (default: JICENG_WORKERS or 4)",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=int(os.environ.get("JICENG_THREADS", "4")),
            help="threads a gunicorn worker (default: JICENG_THREADS or 4)",
        )
        parser.add_argument("--no-worker", action="store_true", help="do not start the task worker")
        parser.add_argument(
            "--dev",
            action="store_true",
            help="Django's development server instead of gunicorn (never in production)",
        )
        parser.add_argument(
            "--reload", action="store_true", help="with --dev: restart on code changes"
        )

    def handle(self, *args, bind, workers, threads, no_worker, dev, reload, **options):
        if workers < 1:
            raise CommandError("--workers must be at least 1")
        if threads < 1:
            raise CommandError("--threads must be at least 1")
        for stream in (sys.stdout, sys.stderr):
            if hasattr(stream, "reconfigure"):
                stream.reconfigure(line_buffering=True)
        # Hashed, compressed static files under var/static (only when they changed).
        if collect_static():
            self.stdout.write(f"static files collected into {settings.STATIC_ROOT}")

        jiceng = [sys.executable, "-m", "jiceng"]
        if dev:
            web_argv = [*jiceng, "runserver", bind, "--nostatic"]
            if not reload:
                web_argv.append("--noreload")
        else:
            web_argv = [
                sys.executable, "-m", "gunicorn", "jiceng.wsgi:application",
                "--bind", bind,
                "--workers", str(workers),
                "--threads", str(threads),
                # Browsers come back within seconds: keep their connection open a little
                # longer than gunicorn's 2 s, so a click does not race its closing.
                "--keep-alive", os.environ.get("JICENG_KEEP_ALIVE", "5"),
                "--timeout", os.environ.get("JICENG_REQUEST_TIMEOUT", "120"),
                "--graceful-timeout", os.environ.get("JICENG_STOP_TIMEOUT", "30"),
                "--max-requests", "2000", "--max-requests-jitter", "200",
                "--access-logfile", "-",
                "--error-logfile", "-",
                "--no-control-socket",
            ]  # fmt: skip
        web = Child("web server", web_argv)
        children = [web]
        backend = settings.TASKS["default"]["BACKEND"]
        if not no_worker and backend == "django_tasks_db.DatabaseBackend":
            children.append(Child("task worker", [*jiceng, "db_worker"]))

        stop_signal: list[int] = []

        def on_signal(signum, frame):
            stop_signal.append(signum)

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            for child in children:
                child.start()
            self.stdout.write(
                f"jiceng serving on {bind} ({'development server' if dev else f'gunicorn, {workers} workers × {threads} threads'}"
                f"{', task worker' if len(children) > 1 else ''}); Ctrl-C stops it",
            )
            code = self._supervise(web, children[1:], stop_signal)
        finally:
            self._stop(children)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        if code:
            sys.exit(code)

    def _supervise(self, web: Child, workers: list[Child], stop_signal: list[int]) -> int:
        """Watch the children until a stop signal (0) or the web server's exit (its code)."""
        delay = 1.0
        restart_at: dict[Child, float] = {}
        while not stop_signal:
            code = web.exit_code()
            if code is not None:
                self.stderr.write(f"the web server stopped (exit code {code})")
                return code or 1
            now = time.monotonic()
            for worker in workers:
                code = worker.exit_code()
                if code is None:
                    continue
                if worker not in restart_at:
                    lived = now - worker.started
                    delay = 1.0 if lived >= STABLE_AFTER else min(delay * 2, RESTART_DELAY_MAX)
                    restart_at[worker] = now + delay
                    self.stderr.write(
                        f"the {worker.name} stopped (exit code {code}); "
                        f"restarting it in {delay:.0f} s"
                    )
                elif now >= restart_at[worker]:
                    del restart_at[worker]
                    worker.start()
            time.sleep(0.2)
        return 0

    def _stop(self, children: list[Child]) -> None:
        """SIGTERM every child, wait for the graceful timeout, then SIGKILL what is left."""
        # gunicorn's own graceful timeout is JICENG_STOP_TIMEOUT: give it a little more.
        timeout = float(os.environ.get("JICENG_STOP_TIMEOUT", "30")) + 5
        for child in children:
            child.signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in children:
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stderr.write(f"the {child.name} did not stop in {timeout:.0f} s; killing it")
                child.process.kill()
                child.process.wait()
