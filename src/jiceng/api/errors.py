"""One error format for the API: ``{"detail": "...", "errors": [...]}`` in the user's language."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.db import DataError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from jiceng.api.auth import AuthFailed, Throttled
from jiceng.api.middleware import status_message
from jiceng.core import busy
from jiceng.core.errors import UserError, ValidationFailed

logger = logging.getLogger("jiceng.api")


def schema_message(error: dict) -> str:
    """A pydantic error as a sentence in the user's language (the validator's own if unknown)."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "string_too_long":
        return _("At most %(n)s characters.") % {"n": ctx.get("max_length")}
    if kind == "string_too_short":
        return _("At least %(n)s characters.") % {"n": ctx.get("min_length")}
    if kind in {"too_long", "too_short"}:
        return _("Wrong number of entries.")
    if kind == "missing":
        return _("This field is required.")
    if kind in {"less_than_equal", "less_than"}:
        return _("At most %(n)s.") % {"n": ctx.get("le", ctx.get("lt"))}
    if kind in {"greater_than_equal", "greater_than"}:
        return _("At least %(n)s.") % {"n": ctx.get("ge", ctx.get("gt"))}
    if kind.startswith("int_"):
        return _("A whole number is expected.")
    if kind.startswith(("float_", "decimal_")):
        return _("A number is expected.")
    if kind.startswith("bool_"):
        return _("true or false is expected.")
    if kind.startswith(("date_", "datetime_")):
        return _("A date is expected (YYYY-MM-DD).")
    if kind in {"enum", "literal_error"}:
        return _("Not one of the allowed values: %(values)s.") % {"values": ctx.get("expected")}
    if kind == "string_pattern_mismatch":
        return _("The value has the wrong form.")
    if kind == "json_invalid":
        return _("The body is not valid JSON.")
    return str(error.get("msg", ""))


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(Exception)
    def _unexpected(request, exc):
        if busy.is_busy(exc):  # a locked database is "try again", never a 500
            return busy.busy_response(request)
        logger.error("API error at %s", request.path, exc_info=exc)
        return api.create_response(request, {"detail": status_message(500)}, status=500)

    @api.exception_handler(HttpError)
    def _http_error(request, exc):
        if exc.status_code == 403 and "csrf" in str(exc).lower():
            detail = _(
                "The CSRF check failed: a browser session must send the X-CSRFToken header "
                "(scripts should use an API token)."
            )
        else:
            detail = status_message(exc.status_code)
        return api.create_response(request, {"detail": detail}, status=exc.status_code)

    @api.exception_handler(DataError)
    @api.exception_handler(OverflowError)
    def _out_of_range(request, exc):
        # The schemas bound what they can; this is the net under them.
        logger.warning("API value out of range at %s: %s", request.path, exc)
        return api.create_response(
            request,
            {"detail": _("A value in the request is too long or out of range.")},
            status=422,
        )

    @api.exception_handler(AuthFailed)
    def _auth_failed(request, exc):
        return api.create_response(request, {"detail": str(exc)}, status=401)

    @api.exception_handler(Throttled)
    def _throttled(request, exc):
        response = api.create_response(
            request,
            {
                "detail": _(
                    "Too many invalid API tokens from your address; try again in %(seconds)s "
                    "seconds."
                )
                % {"seconds": exc.seconds}
            },
            status=429,
        )
        response["Retry-After"] = str(exc.seconds)
        return response

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request, exc):
        return api.create_response(
            request,
            {"detail": _("Authentication required: log in or send an API token.")},
            status=401,
        )

    @api.exception_handler(PermissionDenied)
    def _forbidden(request, exc):
        return api.create_response(
            request, {"detail": _("You are not allowed to do this here.")}, status=403
        )

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        return api.create_response(request, {"detail": _("Not found.")}, status=404)

    @api.exception_handler(ValidationFailed)
    def _invalid_input(request, exc):
        return api.create_response(
            request,
            {
                "detail": exc.summary or _("The input has problems; nothing was saved."),
                "errors": [
                    {
                        "message": p.message,
                        "file": p.file,
                        "row": p.row,
                        "column": p.column,
                        "field": p.field,
                    }
                    for p in exc.problems
                ],
            },
            status=422,
        )

    @api.exception_handler(UserError)
    def _user_error(request, exc):
        return api.create_response(request, {"detail": str(exc)}, status=400)

    @api.exception_handler(ValidationError)
    def _schema_error(request, exc):
        errors = [
            {"field": ".".join(str(x) for x in e.get("loc", [])), "message": schema_message(e)}
            for e in exc.errors
        ]
        return api.create_response(
            request,
            {"detail": _("The request does not match the schema."), "errors": errors},
            status=422,
        )
