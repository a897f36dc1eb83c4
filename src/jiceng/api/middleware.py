"""Every error answer under ``/api/`` is JSON ``{"detail": ...}`` in the user's language.

Errors raised inside the API are already JSON (``api/errors.py``); this catches what
happens outside it: an unknown address (404), a method the address does not take (405),
an exception that escaped (500), and Django's own error pages.
"""

from __future__ import annotations

import json
import logging

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from jiceng.core.busy import is_busy

API_PREFIX = "/api/"
KEEP_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")
logger = logging.getLogger("jiceng.api")


def status_message(status: int) -> str:
    """The Chinese (or English) sentence for an HTTP error status."""
    messages = {
        400: _("The request is malformed."),
        401: _("Authentication required: log in or send an API token."),
        403: _("You are not allowed to do this here."),
        404: _("There is nothing at this API address."),
        405: _("This API address does not accept this method."),
        413: _("The request is too large."),
        429: _("Too many requests; try again later."),
        503: _("The server is busy; please try again later."),
    }
    if status in messages:
        return messages[status]
    if status >= 500:
        return _("An internal error occurred; it has been logged. Please try again later.")
    return _("The request cannot be handled.")


def json_error(status: int, detail: str, source: HttpResponse | None = None) -> HttpResponse:
    response = HttpResponse(
        json.dumps({"detail": detail}, ensure_ascii=False),
        status=status,
        content_type="application/json; charset=utf-8",
    )
    if source is not None:
        for header in KEEP_HEADERS:
            if header in source:
                response[header] = source[header]
    return response


class ApiJsonErrorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(API_PREFIX) or response.status_code < 400:
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        return json_error(response.status_code, status_message(response.status_code), response)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path.startswith(API_PREFIX) or is_busy(exception):
            return None  # a busy database: DatabaseBusyMiddleware answers 503
        logger.error("API error at %s", request.path, exc_info=exception)
        return json_error(500, status_message(500))
