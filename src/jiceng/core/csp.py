"""The Content-Security-Policy header (Django 5.2 has none of its own)."""

from __future__ import annotations

from django.conf import settings


class ContentSecurityPolicyMiddleware:
    """Send ``settings.JICENG_CONTENT_SECURITY_POLICY`` with every answer that has none.

    The default policy allows scripts, styles, fonts and fetches from the site itself only:
    no inline ``<script>``, no ``onclick=``, no ``style=`` attributes, no ``eval``. Page
    behaviour lives in static files (``core/static/jiceng/*.js``).
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.JICENG_CONTENT_SECURITY_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy:
            response.headers.setdefault("Content-Security-Policy", self.policy)
        return response
