"""What the audit trail's codes mean in words: actions, object types, fields and values.

Every action code the platform records has a label here (``ACTIONS``, or a family in
``FAMILY_LABELS`` whose last part is a level or an outcome); a test scans the source for
every recorded code and fails if one has none. Field names come from the models'
``verbose_name`` when it is translated, else from ``KEY_LABELS`` (also the keys of
snapshots that are not model fields). Values are shown as the pages show them: choices by
their label, foreign keys by the object's name, booleans as 是/否, times in local time.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

# --- actions ---------------------------------------------------------------------------

ACTIONS: dict[str, Promise] = {
    "accounts.create_user": _("Create user"),
    "accounts.update_user": _("Change user"),
    "accounts.reset_password": _("Reset password"),
    "accounts.change_own_password": _("Change own password"),
    "accounts.create_token": _("Create API token"),
    "accounts.revoke_token": _("Revoke API token"),
    "accounts.login": _("Log in"),
    "accounts.login_failed": _("Failed login"),
    "accounts.login_locked": _("Login locked"),
    "accounts.logout": _("Log out"),
    "accounts.token_address_locked": _("Address locked for bad tokens"),
    "orgs.create_node": _("Create unit"),
    "orgs.update_node": _("Change unit"),
    "orgs.close_node": _("Close unit"),
    "orgs.merge_nodes": _("Merge units"),
    "orgs.set_year": _("Enter yearly figures"),
    "standards.load_catalog": _("Load standards catalog"),
    "standards.activate_catalog": _("Activate standards catalog"),
    "standards.deactivate_catalog": _("Deactivate standards catalog"),
    "assessments.open_cycle": _("Open evaluation cycle"),
    "assessments.submit": _("Submit self-assessment"),
    "assessments.return": _("Return self-assessment"),
    "assessments.pass_county": _("Pass county review"),
    "assessments.complete_recheck": _("Complete re-check"),
    "assessments.add_finding": _("Add review finding"),
    "assessments.upload_evidence": _("Upload evidence"),
    "assessments.delete_evidence": _("Delete evidence"),
    "assessments.select_for_recheck": _("Select for re-check"),
    "assessments.publish": _("Publish results"),
    "rectification.open_entry": _("Open ledger entry"),
    "rectification.report_fixed": _("Report fixed"),
    "rectification.verify_close": _("Verify and close"),
    "rectification.send_back": _("Send back for rectification"),
    "rectification.extend_deadline": _("Extend deadline"),
    "rectification.record_visit": _("Record supervision visit"),
    "rectification.delete_evidence": _("Delete rectification evidence"),
    "indicators.target_set": _("Set target"),
    "indicators.target_deleted": _("Delete target"),
    "indicators.recordset_uploaded": _("Upload record set"),
    "indicators.recordset_loaded": _("Record set loaded"),
    "indicators.recordset_failed": _("Record set load failed"),
    "indicators.recordset_replaced": _("Replace record set"),
    "indicators.recordset_deleted": _("Delete record set"),
    "indicators.job_interrupted": _("Import job interrupted"),
    "indicators.job_retried": _("Retry import job"),
    "indicators.values_computed": _("Compute indicator values"),
    "download.ledger_export": _("Export rectification ledger"),
    "download.evidence": _("Download evidence"),
    "download.publication_export": _("Export published results"),
    "download.indicator_table_export": _("Export indicator table"),
    "download.tree_export": _("Export organisation tree"),
    "download.rejects": _("Download rejected rows"),
}

FAMILY_LABELS: dict[str, Promise] = {
    "assessments.save_grades.{}": _("Save grades (%(what)s)"),
    "assessments.reopen.{}": _("Reopen (%(what)s)"),
    "assessments.lookback.{}": _("Look-back: %(what)s"),
}

KEY_LABELS: dict[str, Promise] = {
    "id": _("Number"),
    "created_by_id": _("Created by"),
    "created_at": _("Created at"),
    "updated_at": _("Updated at"),
    "uploaded_by_id": _("Uploaded by"),
    "uploaded_at": _("Uploaded at"),
    "sha256": _("SHA-256 checksum"),
    "order": _("Order"),
    "user_id": _("User"),
    "node_id": _("Unit"),
    "cycle_id": _("Evaluation cycle"),
    "submission_id": _("Evaluation record"),
    "catalog_id": _("Standards catalog"),
    "entry_id": _("Ledger entry"),
    "visit_id": _("Supervision visit"),
    "record_id": _("Published verdict"),
    "record_set_id": _("Record set"),
    "publication_id": _("Publication"),
    "finding_id": _("Finding"),
    "status": _("Status"),
    "problems": _("Problems"),
    "task_id": _("Task number"),
    "worker": _("Worker process"),
    "path": _("Tree path"),
    "depth": _("Depth in the tree"),
    "prefix": _("Token prefix"),
    "token_hash": _("Token hash"),
    "last_used_at": _("Last used at"),
    "revoked": _("Revoked"),
    "key": _("Key"),
    "failures": _("Failures"),
    "window_start": _("Counting since"),
    "locked_until": _("Locked until"),
    "lockouts": _("Lockouts"),
    "old_parent_id": _("Former parent"),
    "new_parent_id": _("New parent"),
    "other_id": _("Other unit"),
    "old_name": _("Former name"),
    "new_name": _("New name"),
    "recorded_at": _("Recorded at"),
    "started_at": _("Started at"),
    "finished_at": _("Finished at"),
    "filename": _("File name"),
    "data": _("Data"),
    "dry_run": _("Check only"),
    "total": _("Total"),
    "result": _("Result"),
    "error": _("Error"),
    "basic_threshold": _("Threshold of the basic standard"),
    "recommended_threshold": _("Threshold of the recommended standard"),
    "source_name": _("Source file name"),
    "source": _("Source"),
    "loaded_at": _("Loaded at"),
    "active": _("Active"),
    "opened_by_id": _("Opened by"),
    "opened_at": _("Opened at"),
    "version": _("Version"),
    "self_locked": _("Self-assessment locked"),
    "county_locked": _("County review locked"),
    "recheck_locked": _("Re-check locked"),
    "recheck_required": _("Re-check required"),
    "recheck_sampled": _("Sampled for re-check"),
    "self_verdict": _("Self-assessment verdict"),
    "county_verdict": _("County verdict"),
    "recheck_verdict": _("Re-check verdict"),
    "county_reviewer_id": _("County reviewer"),
    "rechecker_id": _("Re-checker"),
    "submitted_at": _("Submitted at"),
    "returned_at": _("Returned at"),
    "county_passed_at": _("County review passed at"),
    "rechecked_at": _("Re-checked at"),
    "published_at": _("Published at"),
    "published_by_id": _("Published by"),
    "grader_id": _("Graded by"),
    "content_type": _("Content type"),
    "author_id": _("Written by"),
    "by_id": _("Recorded by"),
    "reported_by_id": _("Reported by"),
    "actor_id": _("Actor"),
    "from_status": _("Former status"),
    "to_status": _("New status"),
    "deadline_before": _("Former deadline"),
    "deadline_after": _("New deadline"),
    "file": _("File"),
    "store_path": _("Store location"),
    "row_counts": _("Rows per table"),
    "rejected_rows": _("Rejected rows"),
    "message": _("Message"),
    "progress": _("Progress"),
    "rejects_path": _("File of rejected rows"),
    "heartbeat_at": _("Last heartbeat"),
    "loaded_by_id": _("Loaded by"),
    "numerator": _("Numerator"),
    "denominator": _("Denominator"),
    "value": _("Value"),
    "definition_version": _("Definition version"),
    "engine": _("Engine"),
    "computed_at": _("Computed at"),
    "comparison": _("Comparison"),
    "object_id": _("Object number"),
    "node_path": _("Tree path"),
    "verdict": _("Verdict"),
    "catalogs": _("Catalogs used"),
    "institutions": _("Institutions"),
    "items": _("Items"),
    "new_verdicts": _("New verdicts"),
    "address": _("Network address"),
    "seconds": _("Locked for (seconds)"),
    "username": _("User name"),
    "password": _("Password"),
    "tokens_revoked": _("Tokens revoked"),
    "values_deleted": _("Values deleted"),
    "year": _("Year"),
    "record_set": _("Record set"),
    "period": _("Period"),
    "periods": _("Periods"),
    "level": _("Level"),
    "query": _("Filters"),
    "entry": _("Ledger entry"),
    "name": _("Name"),
    "submission": _("Evaluation record"),
    "published": _("Published"),
    "values": _("Values"),
    "outside_region_dropped": _("Values outside the region not saved"),
}

MODEL_KEY_LABELS: dict[tuple[str, str], Promise] = {
    ("assessments.cycle", "closed"): _("Closed"),
    ("indicators.target", "node_id"): _("Region"),
    ("indicators.recordset", "version"): _("Definition version"),
}

# The first part of an action code: the area of the platform it belongs to.
AREA_LABELS: dict[str, Promise] = {
    "accounts": _("Users and logins"),
    "orgs": _("Organisation tree"),
    "standards": _("Standards catalogs"),
    "assessments": _("Evaluation"),
    "rectification": _("Rectification"),
    "indicators": _("Indicators"),
    "download": _("Downloads and exports"),
}


def _family_values(template: str) -> list[tuple[str, str]]:
    """The (value, label) pairs that fill the ``{}`` of a family's code."""
    from jiceng.assessments.models import Level, LookBack

    if template.startswith("assessments.lookback."):
        return [(str(v), str(label)) for v, label in LookBack.Outcome.choices]
    return [(str(v), str(label)) for v, label in Level.choices]


def all_actions() -> list[tuple[str, str]]:
    """Every action code with its label, families expanded, in registry order."""
    pairs = [(code, str(label)) for code, label in ACTIONS.items()]
    for template, label in FAMILY_LABELS.items():
        for value, what in _family_values(template):
            pairs.append((template.format(value), str(label) % {"what": what}))
    return pairs


def action_label(code: str) -> str:
    """The label of an action code; an unknown code is shown as it is."""
    if code in ACTIONS:
        return str(ACTIONS[code])
    head, _sep, tail = code.rpartition(".")
    template = f"{head}.{{}}"
    if template in FAMILY_LABELS:
        what = dict(_family_values(template)).get(tail, tail)
        return str(FAMILY_LABELS[template]) % {"what": what}
    return code


# --- object types ----------------------------------------------------------------------

# The types of object the trail records, in the order the filter offers them.
OBJECT_TYPES = (
    "orgs.node",
    "orgs.nodeyear",
    "accounts.user",
    "accounts.apitoken",
    "standards.catalog",
    "assessments.cycle",
    "assessments.submission",
    "assessments.evidence",
    "assessments.finding",
    "assessments.publication",
    "assessments.verdictrecord",
    "rectification.ledgerentry",
    "rectification.supervisionvisit",
    "rectification.evidence",
    "indicators.recordset",
    "indicators.target",
)


def model_of(object_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def object_type_label(object_type: str) -> str:
    model = model_of(object_type)
    return str(model._meta.verbose_name) if model else object_type


def object_type_choices() -> list[tuple[str, str]]:
    return [(t, object_type_label(t)) for t in OBJECT_TYPES]


# Pages of objects: type -> (url name, attribute giving the URL argument).
OBJECT_PAGES = {
    "orgs.node": ("orgs:node", "code"),
    "accounts.user": ("accounts:user_edit", "pk"),
    "standards.catalog": ("standards:detail", "pk"),
    "assessments.cycle": ("assessments:cycle", "pk"),
    "assessments.submission": ("assessments:submission", "pk"),
    "rectification.ledgerentry": ("rectification:entry", "pk"),
    "rectification.supervisionvisit": ("rectification:visit", "pk"),
    "indicators.recordset": ("indicators:recordset", "pk"),
}


# --- fields ----------------------------------------------------------------------------

_CJK = re.compile(r"[\u4e00-\u9fff]")
_ITEM_CODE = re.compile(r"^[0-9A-Za-z]+(\.[0-9A-Za-z]+)+$")


def _model_field(model: type[models.Model] | None, key: str) -> models.Field | None:
    if model is None:
        return None
    for field in model._meta.concrete_fields:
        if key in (field.attname, field.name):
            return field
    return None


def field_label(object_type: str, key: str) -> str:
    """A snapshot key in words: the model's translated verbose name, else ``KEY_LABELS``."""
    if (object_type, key) in MODEL_KEY_LABELS:
        return str(MODEL_KEY_LABELS[(object_type, key)])
    field = _model_field(model_of(object_type), key)
    if field is not None:
        name = str(field.verbose_name)
        if _CJK.search(name):
            return name
    if key in KEY_LABELS:
        return str(KEY_LABELS[key])
    if object_type == "assessments.submission" and _ITEM_CODE.match(key):
        return _g("Item %(code)s") % {"code": key}  # grades saved: one key per item
    return key


# --- values ----------------------------------------------------------------------------

_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$")


def local_time(value: dt.datetime) -> str:
    """A moment in the configured time zone (``JICENG_TIME_ZONE``), to the second."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")


def plain_value(value: Any) -> str:
    """A value without a field to explain it: 是/否, — for nothing, times local."""
    if value is None or value == "":
        return "—"
    if value is True:
        return _g("Yes")
    if value is False:
        return _g("No")
    if isinstance(value, str) and _ISO_DATETIME.match(value):
        try:
            return local_time(dt.datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return value
    if isinstance(value, dict):
        if "label" in value:  # a verdict
            return str(value["label"])
        return "；".join(f"{_dict_key(k)}：{plain_value(v)}" for k, v in value.items()) or "—"
    if isinstance(value, list | tuple):
        return " · ".join(plain_value(v) for v in value if v not in (None, "")) or "—"
    return str(value)


def _dict_key(key: str) -> str:
    """A key inside a stored dict: an institution kind or a known key in words."""
    from jiceng.orgs.models import Kind

    if key in Kind.values:
        return str(Kind(key).label)
    return str(KEY_LABELS[key]) if key in KEY_LABELS else key


class Names:
    """Objects named by (model, pk), loaded with one query per model, not per row."""

    def __init__(self) -> None:
        self.wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
        self.loaded: dict[type[models.Model], dict[Any, models.Model]] = {}

    def want(self, model: type[models.Model] | None, pk: Any) -> None:
        if model is not None and pk not in (None, ""):
            self.wanted[model].add(str(pk))

    def want_snapshot(self, object_type: str, snapshot: dict | None) -> None:
        model = model_of(object_type)
        for key, value in (snapshot or {}).items():
            field = _model_field(model, key)
            if field is not None and field.is_relation and value is not None:
                self.want(field.related_model, value)

    def load(self) -> None:
        for model, pks in self.wanted.items():
            if model in self.loaded:
                continue
            clean = set()
            for pk in pks:
                try:
                    clean.add(model._meta.pk.to_python(pk))
                except Exception:  # an id that no longer parses  # noqa: BLE001
                    continue
            self.loaded[model] = {str(o.pk): o for o in model._default_manager.filter(pk__in=clean)}

    def get(self, model: type[models.Model] | None, pk: Any) -> models.Model | None:
        if model is None or pk is None:
            return None
        return self.loaded.get(model, {}).get(str(pk))


def display(object_type: str, key: str, value: Any, names: Names | None = None) -> str:
    """A snapshot value as the pages show it."""
    field = _model_field(model_of(object_type), key)
    if value is None or value == "":
        return "—"
    if field is not None:
        if field.is_relation:
            obj = names.get(field.related_model, value) if names else None
            return str(obj) if obj is not None else f"#{value}"
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
        if isinstance(field, models.DateTimeField) and isinstance(value, str):
            return plain_value(value)
        if isinstance(field, models.JSONField):
            return plain_value(value)
    return plain_value(value)


def object_url(object_type: str, obj: models.Model | None) -> str:
    """The page of an object, or "" if it has none (or no longer exists)."""
    if obj is None or object_type not in OBJECT_PAGES:
        return ""
    name, attr = OBJECT_PAGES[object_type]
    try:
        return reverse(name, args=[getattr(obj, attr)])
    except NoReverseMatch:
        return ""


def actor_display(event) -> tuple[str, str]:
    """(name people read, login name for a tooltip) of an event's actor."""
    actor = event.actor
    if actor is not None:
        return str(actor), actor.get_username()
    if event.actor_name in ("", "system"):
        return _g("System"), ""
    if event.actor_name == "anonymous":
        return _g("Anonymous visitor"), ""
    return event.actor_name, event.actor_name


def json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def present(events: Iterable, *, with_objects: bool = True) -> list[dict]:
    """Events ready for a page: labels, local time, actor, link to the object.

    Queries one table per object type and per referenced model, never one per row; the
    events should come with ``select_related("actor")``.
    """
    events = list(events)
    names = Names()
    for e in events:
        if with_objects and e.object_type in OBJECT_PAGES:
            names.want(model_of(e.object_type), e.object_id)
    names.load()
    rows = []
    for e in events:
        who, login = actor_display(e)
        obj = names.get(model_of(e.object_type), e.object_id) if with_objects else None
        rows.append(
            {
                "event": e,
                "at": local_time(e.at),
                "action": action_label(e.action),
                "object_type": object_type_label(e.object_type),
                "object_url": object_url(e.object_type, obj),
                "actor": who,
                "actor_login": login,
            }
        )
    return rows
