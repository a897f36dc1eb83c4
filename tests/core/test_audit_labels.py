"""Every action code the platform records, every audited type and field has Chinese words.

The codes are collected from the source itself: every ``audit.record(...)``,
``AuditEvent.objects.create(action=...)`` and function that passes its argument on to one
of them (``record_download``, ``_login_event``, ``_finish_approval`` …), following the
argument back to the constants its callers give. A code built from a level or an outcome
(``f"assessments.reopen.{level}"``) must be a family of the registry.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.utils import translation

import jiceng
from jiceng.core import audit_labels

SRC = Path(jiceng.__file__).parent
HOLE = "{}"
CJK = re.compile(r"[\u4e00-\u9fff]")

# Under `--dist loadgroup` one worker runs the module, so its scan of the code (a module
# fixture) is made once (docs/testing.md).
pytestmark = pytest.mark.xdist_group("audit_labels")


class Source:
    """The parsed modules of the package, with each node's enclosing function."""

    def __init__(self) -> None:
        self.trees: dict[Path, ast.Module] = {}
        for path in SRC.rglob("*.py"):
            if "migrations" in path.parts:
                continue
            self.trees[path] = ast.parse(path.read_text(encoding="utf-8"))
        self.parent: dict[ast.AST, ast.AST] = {}
        for tree in self.trees.values():
            for node in ast.walk(tree):
                for child in ast.iter_child_nodes(node):
                    self.parent[child] = node

    def calls(self) -> list[tuple[Path, ast.Call]]:
        if not hasattr(self, "_calls"):
            self._calls = [
                (path, node)
                for path, tree in self.trees.items()
                for node in ast.walk(tree)
                if isinstance(node, ast.Call)
            ]
            self._by_name: dict[str, list[ast.Call]] = {}
            for _path, call in self._calls:
                self._by_name.setdefault(_name(call), []).append(call)
        return self._calls

    def calls_named(self, name: str) -> list[ast.Call]:
        self.calls()
        return self._by_name.get(name, [])

    def function_of(self, node: ast.AST) -> ast.FunctionDef | None:
        while node in self.parent:
            node = self.parent[node]
            if isinstance(node, ast.FunctionDef):
                return node
        return None


def _name(call: ast.Call) -> str:
    f = call.func
    return f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")


def _argument(call: ast.Call, index: int, keyword: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    if index < len(call.args) and not any(isinstance(a, ast.Starred) for a in call.args):
        return call.args[index]
    return None


def _templates(src: Source, expr: ast.expr | None, depth: int = 0) -> set[str]:
    """The codes an expression can take; what cannot be followed is a ``{}`` hole."""
    if expr is None or depth > 4:
        return {HOLE}
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return {expr.value}
    if isinstance(expr, ast.IfExp):
        return _templates(src, expr.body, depth) | _templates(src, expr.orelse, depth)
    if isinstance(expr, ast.JoinedStr):
        results = {""}
        for part in expr.values:
            if isinstance(part, ast.Constant):
                options = {str(part.value)}
            else:
                options = _templates(src, part.value, depth)
            results = {r + o for r in results for o in options}
        return results
    if isinstance(expr, ast.Name):
        func = src.function_of(expr)
        params = [a.arg for a in func.args.args] if func else []
        if func is None or expr.id not in params:
            return {HOLE}
        index = params.index(expr.id)
        found: set[str] = set()
        for call in src.calls_named(func.name):
            if src.function_of(call) is not func:
                found |= _templates(src, _argument(call, index, expr.id), depth + 1)
        return found or {HOLE}
    return {HOLE}


def recorded_codes() -> set[str]:
    """Every action code (or family template) the source can write to the trail."""
    src = Source()
    codes: set[str] = set()
    for path, call in src.calls():
        func = call.func
        expr = None
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "record"
            and getattr(func.value, "id", "") == "audit"
        ) or (path.name == "audit.py" and isinstance(func, ast.Name) and func.id == "record"):
            expr = _argument(call, 1, "action")
        elif (
            isinstance(func, ast.Attribute)
            and func.attr == "create"
            and "AuditEvent" in ast.unparse(func.value)
        ):
            enclosing = src.function_of(call)
            if path.name == "audit.py" and enclosing is not None and enclosing.name == "record":
                continue  # the sink itself: its callers are followed above
            expr = _argument(call, 99, "action")
        else:
            continue
        codes |= _templates(src, expr)
    return codes


@pytest.fixture(scope="module")
def codes() -> set[str]:
    return recorded_codes()


def test_the_scan_finds_the_codes_it_must_follow(codes):
    assert {
        "rectification.verify_close",  # a constant
        "standards.deactivate_catalog",  # one branch of a condition
        "download.ledger_export",  # through record_download(what)
        "accounts.login_failed",  # through _login_event(action) to AuditEvent.objects.create
        "accounts.token_address_locked",  # AuditEvent.objects.create(action=...)
        "assessments.pass_county",  # through _finish_approval(name)
        "assessments.reopen.{}",  # a family
    } <= codes
    assert len(codes) > 45


def test_every_recorded_action_code_has_a_label(codes):
    expanded = {code for code, _label in audit_labels.all_actions()}
    labelled = expanded | set(audit_labels.FAMILY_LABELS)
    missing = sorted(c for c in codes if c not in labelled)
    assert not missing, f"action codes without a label in core/audit_labels.py: {missing}"


def test_the_registry_holds_no_code_that_is_never_recorded(codes):
    stale = sorted(c for c in set(audit_labels.ACTIONS) | set(audit_labels.FAMILY_LABELS))
    assert [c for c in stale if c not in codes] == []


def test_every_action_label_is_chinese_and_families_are_expanded():
    with translation.override("zh-hans"):
        pairs = audit_labels.all_actions()
        assert [code for code, label in pairs if not CJK.search(label)] == []
        labels = dict(pairs)
        assert labels["assessments.save_grades.county"] == "保存评分（县级评价）"
        assert labels["assessments.lookback.withdraw"] == "回头看：已撤销"
        assert audit_labels.action_label("assessments.reopen.self") == "重新开放（自评）"
        assert len(set(labels.values())) == len(labels), "two actions read the same"


def test_every_audited_type_and_its_fields_have_chinese_names():
    with translation.override("zh-hans"):
        untranslated = []
        for object_type in audit_labels.OBJECT_TYPES:
            model = audit_labels.model_of(object_type)
            assert model is not None, object_type
            if not CJK.search(audit_labels.object_type_label(object_type)):
                untranslated.append(object_type)
            for field in model._meta.concrete_fields:
                if not CJK.search(audit_labels.field_label(object_type, field.attname)):
                    untranslated.append(f"{object_type}.{field.attname}")
        assert untranslated == []


def test_values_read_as_users_see_them(db, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    with translation.override("zh-hans"):
        show = audit_labels.display
        assert show("rectification.ledgerentry", "status", "reported_fixed") == "待核验"
        assert show("accounts.user", "is_active", False) == "否"
        assert show(
            "rectification.ledgerentry", "closed_at", "2026-03-01T23:30:05.123456+00:00"
        ) == ("2026-03-02 07:30:05")
        assert show(
            "assessments.submission", "verdict", {"verdict": "basic", "label": "基本标准"}
        ) == ("基本标准")
        assert show("rectification.ledgerentry", "verified_by_id", None) == "—"


def test_grades_and_catalogs_inside_a_row_read_as_words(db):
    with translation.override("zh-hans"):
        assert audit_labels.field_label("assessments.submission", "1.2.3") == "条款 1.2.3"
        assert audit_labels.display("assessments.submission", "1.2.3", ["A", ""]) == "A"
        assert audit_labels.display("assessments.submission", "1.2.3", ["", ""]) == "—"
        catalogs = audit_labels.display(
            "assessments.cycle", "catalogs", {"township_hc": "乡镇卫生院标准 2023"}
        )
        assert catalogs == "乡镇卫生院：乡镇卫生院标准 2023"


# Shared with another app under another translation before the audit labels came; core's wins.
KNOWN_CLASHES = {"Code", "Audit trail", "Reason", "reason"}


def _po_entries(path: Path) -> dict[tuple[str | None, str], str]:
    text = path.read_text(encoding="utf-8")
    pattern = r'^(?:msgctxt "(.*)"\n)?msgid "(.*)"\nmsgstr "(.*)"$'
    return {(m[1], m[2]): m[3] for m in re.finditer(pattern, text, re.M)}


def test_core_translations_do_not_override_other_apps_translations():
    """Django merges the catalogs and core comes first: one English string, one Chinese."""
    core = _po_entries(SRC / "core/locale/zh_Hans/LC_MESSAGES/django.po")
    clashes = []
    for path in SRC.glob("*/locale/zh_Hans/LC_MESSAGES/django.po"):
        if path.parts[-5] == "core":
            continue
        for key, text in _po_entries(path).items():
            if key in core and core[key] != text and key[1] not in KNOWN_CLASHES:
                clashes.append((path.parts[-5], key, core[key], text))
    assert clashes == []
