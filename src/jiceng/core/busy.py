"""A database that is busy answers 503 "try again shortly", never 500.

On SQLite one connection writes at a time; a writer that waits longer than the busy timeout
(``JICENG_SQLITE_TIMEOUT``) gets ``OperationalError: database is locked``. On PostgreSQL a
statement that waits longer than ``lock_timeout`` for a row or table lock, a deadlock victim
and a serialization failure are the same situation. :class:`DatabaseBusyMiddleware` turns
each of these into a 503 page (JSON under ``/api/``) with a ``Retry-After`` header, whether
the error comes from a view or from a later middleware (the session being saved).
"""

from __future__ import annotations

import logging
import sys

from django.core.signals import got_request_exception
from django.db import OperationalError
from django.db.utils import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

# SQLSTATEs of PostgreSQL that mean "busy, try again": lock_not_available,
# serialization_failure, deadlock_detected.
PG_BUSY_STATES = {"55P03", "40001", "40P01"}
SQLITE_BUSY_WORDS = ("database is locked", "database table is locked", "database is busy")
RETRY_AFTER_SECONDS = 5


def is_busy(exc: BaseException | None) -> bool:
    """True when ``exc`` says the database was too busy (locked), not that the query is wrong."""
    if not isinstance(exc, DatabaseError):
        return False
    cause = exc.__cause__
    state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if state in PG_BUSY_STATES:
        return True
    return isinstance(exc, OperationalError) and any(
        word in str(exc).lower() for word in SQLITE_BUSY_WORDS
    )


def busy_response(request: HttpRequest) -> HttpResponse:
    """503 with a Chinese (the user's language) "try again" message; JSON for the API."""
    message = _("The database is busy, please try again in a moment.")
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": message}, status=503)
    else:
        # A standalone page: the shell would read the database that is busy.
        try:
            html = render_to_string("503.html", {"message": message}, request=None)
        except Exception:  # e.g. static files not collected: the message must still go out
            log.exception("rendering 503.html failed")
            html = f"<!doctype html><meta charset=utf-8><title>503</title><p>{escape(message)}</p>"
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _note_busy(sender, request=None, **kwargs) -> None:
    """Mark a request whose uncaught exception was a busy database (see the middleware)."""
    if request is not None and is_busy(sys.exc_info()[1]):
        request._database_busy = True


got_request_exception.connect(_note_busy, dispatch_uid="jiceng.core.busy")


class DatabaseBusyMiddleware:
    """Answer 503 instead of 500 when the database was locked. Put it first in MIDDLEWARE.

    ``process_exception`` catches errors raised by views (and the API, which re-raises
    what it does not handle); errors raised by inner middleware while answering (saving the
    session) have already become a 500 response when they reach here, so those are
    recognised by the flag :func:`_note_busy` sets on the request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, "_database_busy", False):
            return busy_response(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception):
        if is_busy(exception):
            log.warning("database busy on %s %s: %s", request.method, request.path, exception)
            return busy_response(request)
        return None
