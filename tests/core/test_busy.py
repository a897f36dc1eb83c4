"""Which database errors mean "busy, try again" (503) rather than a bug (500)."""

from __future__ import annotations

import json

import psycopg.errors
import pytest
from django.db import IntegrityError, OperationalError, ProgrammingError
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import translation

from jiceng.core.busy import DatabaseBusyMiddleware, is_busy


def wrapped(django_class, cause):
    exc = django_class(str(cause))
    exc.__cause__ = cause
    return exc


@pytest.mark.parametrize(
    "exc",
    [
        OperationalError("database is locked"),
        OperationalError("database table is locked: accounts_user"),
        wrapped(OperationalError, psycopg.errors.LockNotAvailable("lock timeout")),
        wrapped(OperationalError, psycopg.errors.SerializationFailure("could not serialize")),
        wrapped(OperationalError, psycopg.errors.DeadlockDetected("deadlock detected")),
    ],
)
def test_a_lock_or_serialization_error_is_busy(exc):
    assert is_busy(exc)


@pytest.mark.parametrize(
    "exc",
    [
        OperationalError("no such table: x"),
        ProgrammingError("syntax error"),
        IntegrityError("UNIQUE constraint failed"),
        ValueError("database is locked"),
        None,
    ],
)
def test_other_errors_are_not_busy(exc):
    assert not is_busy(exc)


@translation.override("zh-hans")
def test_a_busy_page_is_a_503_in_chinese_and_an_api_call_gets_json():
    middleware = DatabaseBusyMiddleware(lambda request: HttpResponse())
    page = middleware.process_exception(
        RequestFactory().post("/orgs/"), OperationalError("database is locked")
    )
    assert page.status_code == 503 and page["Retry-After"]
    assert "数据库繁忙，请稍后重试" in page.content.decode()
    api = middleware.process_exception(
        RequestFactory().post("/api/v1/tokens"), OperationalError("database is locked")
    )
    assert api.status_code == 503
    assert json.loads(api.content)["detail"] == "数据库繁忙，请稍后重试。"
    assert middleware.process_exception(RequestFactory().get("/"), ValueError("x")) is None
