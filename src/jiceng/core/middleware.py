"""Language choice: Chinese unless the user picked another language with the switch."""

from __future__ import annotations


class ChosenLanguageOnlyMiddleware:
    """Ignore the browser's Accept-Language so the default is always ``LANGUAGE_CODE``.

    Put it just before ``django.middleware.locale.LocaleMiddleware``. The language then
    comes from the 简体中文/English switch (its cookie) or else ``LANGUAGE_CODE`` (zh-hans),
    so a browser set to English still opens in Chinese until its user switches.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
