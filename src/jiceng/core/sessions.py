"""Limits on how long a login lasts, for office computers that several people share."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout

LOGIN_AT = "_jiceng_login_at"  # when the user signed in (epoch seconds)
SEEN_AT = "_jiceng_seen_at"  # the last request, to the minute
SEEN_RESOLUTION = 60  # write the session at most once a minute for activity


class SessionLimitsMiddleware:
    """Sign the user out ``SESSION_COOKIE_AGE`` after signing in (an absolute limit, which
    activity does not extend) and after ``JICENG_SESSION_IDLE_SECONDS`` without a request
    (0: no idle limit). The request then goes on as an anonymous one, so a page asks for a
    login again. Put it just after ``AuthenticationMiddleware``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            self._check(request)
        response = self.get_response(request)
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is not None and user is not None and user.is_authenticated:
            if LOGIN_AT not in session:  # the request that signed in
                now = int(time.time())
                session[LOGIN_AT] = now
                session[SEEN_AT] = now
        return response

    def _check(self, request) -> None:
        session = request.session
        now = int(time.time())
        started = session.get(LOGIN_AT)
        seen = session.get(SEEN_AT, started)
        if started is None:
            return  # recorded after this request
        idle = int(getattr(settings, "JICENG_SESSION_IDLE_SECONDS", 0) or 0)
        if now - started >= settings.SESSION_COOKIE_AGE or (idle and now - seen >= idle):
            logout(request)
        elif now - seen >= SEEN_RESOLUTION:
            session[SEEN_AT] = now
