"""The interactive API docs (Swagger UI) served from our own static files: works offline.

django-ninja falls back to a CDN when ``ninja`` is not an installed app; this page uses
the copy vendored under ``core/static/vendor/swagger-ui/`` instead.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template import RequestContext, Template
from ninja.openapi.docs import Swagger

TEMPLATE = Path(__file__).parent / "templates" / "swagger.html"


class LocalSwagger(Swagger):
    """Swagger UI with local assets and the CSRF token for session-authenticated calls."""

    def render_page(self, request: HttpRequest, api: Any, **kwargs: Any) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {"swagger_settings": json.dumps(self.settings), "api": api}
        html = Template(TEMPLATE.read_text(encoding="utf-8")).render(
            RequestContext(request, context)
        )
        return HttpResponse(html)
