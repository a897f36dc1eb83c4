"""``jiceng createuser``: create a user from the terminal."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from jiceng.accounts.models import User
from jiceng.core.models import AuditEvent

PASSWORD = "Quite-long-pass-2026"


def _run(*args):
    out = io.StringIO()
    call_command("createuser", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_it_creates_a_user_at_a_node_who_can_log_in(tree):
    out = _run(
        "zhang",
        "--role",
        "county_reviewer",
        "--node",
        tree.A.code,
        "--institution",
        tree.TA2.code,
        "--display-name",
        "张评审",
        "--password",
        PASSWORD,
    )
    user = User.objects.get(username="zhang")
    assert (user.role, user.node, user.institution, user.display_name) == (
        "county_reviewer",
        tree.A,
        tree.TA2,
        "张评审",
    )
    assert "已创建用户 zhang" in out
    assert Client().login(username="zhang", password=PASSWORD)
    event = AuditEvent.objects.get(action="accounts.create_user")
    assert event.actor is None and event.actor_name == "system"
    assert event.node_path == tree.A.path


def test_it_explains_an_unknown_role_in_chinese(tree):
    with pytest.raises(CommandError, match="未知角色“boss”"):
        _run("zhang", "--role", "boss", "--node", tree.A.code, "--password", PASSWORD)
    assert not User.objects.filter(username="zhang").exists()


def test_it_explains_an_unknown_node_in_chinese(tree):
    with pytest.raises(CommandError, match="没有编码为 999 的组织机构"):
        _run("zhang", "--role", "analyst", "--node", "999", "--password", PASSWORD)


def test_it_refuses_a_weak_password_and_saves_nothing(tree):
    with pytest.raises(CommandError, match="password|密码"):
        _run("zhang", "--role", "analyst", "--node", tree.A.code, "--password", "123")
    assert not User.objects.filter(username="zhang").exists()
    assert not AuditEvent.objects.filter(action="accounts.create_user").exists()


def test_without_a_terminal_and_a_password_the_account_cannot_log_in_yet(tree, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    out = _run("zhang", "--role", "analyst", "--node", tree.A.code)
    user = User.objects.get(username="zhang")
    assert not user.has_usable_password()
    assert "尚未设置密码" in out


def test_on_a_terminal_it_asks_for_the_password_twice(tree, monkeypatch):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    answers = iter([PASSWORD, PASSWORD])
    monkeypatch.setattr("sys.stdin", Tty(""))
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    _run("zhang", "--role", "analyst", "--node", tree.A.code)
    assert User.objects.get(username="zhang").check_password(PASSWORD)


def test_the_jiceng_command_line_reaches_it(tree):
    from jiceng.cli import _resolve

    assert _resolve(["createuser", "zhang"])[0] == "createuser"
