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
from django.utils.translation import pgettext, pgettext_lazy

# --- actions ---------------------------------------------------------------------------

ACTIONS: dict[str, Promise] = {
    "accounts.create_user": pgettext_lazy("audit", "Create user"),
    "accounts.update_user": pgettext_lazy("audit", "Change user"),
    "accounts.reset_password": pgettext_lazy("audit", "Reset password"),
    "accounts.change_own_password": pgettext_lazy("audit", "Change own password"),
    "accounts.create_token": pgettext_lazy("audit", "Create API token"),
    "accounts.revoke_token": pgettext_lazy("audit", "Revoke API token"),
    "accounts.login": pgettext_lazy("audit", "Log in"),
    "accounts.login_failed": pgettext_lazy("audit", "Failed login"),
    "accounts.login_locked": pgettext_lazy("audit", "Login locked"),
    "accounts.logout": pgettext_lazy("audit", "Log out"),
    "accounts.token_address_locked": pgettext_lazy("audit", "Address locked for bad tokens"),
    "orgs.create_node": pgettext_lazy("audit", "Create unit"),
    "orgs.update_node": pgettext_lazy("audit", "Change unit"),
    "orgs.close_node": pgettext_lazy("audit", "Close unit"),
    "orgs.merge_nodes": pgettext_lazy("audit", "Merge units"),
    "orgs.set_year": pgettext_lazy("audit", "Enter yearly figures"),
    "standards.load_catalog": pgettext_lazy("audit", "Load standards catalog"),
    "standards.activate_catalog": pgettext_lazy("audit", "Activate standards catalog"),
    "standards.deactivate_catalog": pgettext_lazy("audit", "Deactivate standards catalog"),
    "assessments.open_cycle": pgettext_lazy("audit", "Open evaluation cycle"),
    "assessments.submit": pgettext_lazy("audit", "Submit self-assessment"),
    "assessments.return": pgettext_lazy("audit", "Return self-assessment"),
    "assessments.pass_county": pgettext_lazy("audit", "Pass county review"),
    "assessments.complete_recheck": pgettext_lazy("audit", "Complete re-check"),
    "assessments.add_finding": pgettext_lazy("audit", "Add review finding"),
    "assessments.upload_evidence": pgettext_lazy("audit", "Upload evidence"),
    "assessments.delete_evidence": pgettext_lazy("audit", "Delete evidence"),
    "assessments.select_for_recheck": pgettext_lazy("audit", "Select for re-check"),
    "assessments.publish": pgettext_lazy("audit", "Publish results"),
    "rectification.open_entry": pgettext_lazy("audit", "Open ledger entry"),
    "rectification.report_fixed": pgettext_lazy("audit", "Report fixed"),
    "rectification.verify_close": pgettext_lazy("audit", "Verify and close"),
    "rectification.send_back": pgettext_lazy("audit", "Send back for rectification"),
    "rectification.extend_deadline": pgettext_lazy("audit", "Extend deadline"),
    "rectification.record_visit": pgettext_lazy("audit", "Record supervision visit"),
    "rectification.delete_evidence": pgettext_lazy("audit", "Delete rectification evidence"),
    "indicators.target_set": pgettext_lazy("audit", "Set target"),
    "indicators.target_deleted": pgettext_lazy("audit", "Delete target"),
    "indicators.recordset_uploaded": pgettext_lazy("audit", "Upload record set"),
    "indicators.recordset_loaded": pgettext_lazy("audit", "Record set loaded"),
    "indicators.recordset_failed": pgettext_lazy("audit", "Record set load failed"),
    "indicators.recordset_replaced": pgettext_lazy("audit", "Replace record set"),
    "indicators.recordset_deleted": pgettext_lazy("audit", "Delete record set"),
    "indicators.job_interrupted": pgettext_lazy("audit", "Import job interrupted"),
    "indicators.job_retried": pgettext_lazy("audit", "Retry import job"),
    "indicators.values_computed": pgettext_lazy("audit", "Compute indicator values"),
    "aggregates.load_dataset": pgettext_lazy("audit", "Load data set"),
    "aggregates.save_values": pgettext_lazy("audit", "Save data values"),
    "aggregates.complete": pgettext_lazy("audit", "Complete data form"),
    "aggregates.approve": pgettext_lazy("audit", "Approve data form"),
    "aggregates.unlock": pgettext_lazy("audit", "Unlock data form"),
    "maps.import_boundaries": pgettext_lazy("audit", "Import boundaries"),
    "appraisal.load_scheme": pgettext_lazy("audit", "Load appraisal scheme"),
    "appraisal.activate_scheme": pgettext_lazy("audit", "Activate appraisal scheme"),
    "appraisal.deactivate_scheme": pgettext_lazy("audit", "Deactivate appraisal scheme"),
    "appraisal.open": pgettext_lazy("audit", "Open appraisal"),
    "appraisal.enter_manual": pgettext_lazy("audit", "Enter manual appraisal items"),
    "appraisal.review": pgettext_lazy("audit", "Review appraisal"),
    "appraisal.publish": pgettext_lazy("audit", "Publish appraisal"),
    "appraisal.correct": pgettext_lazy("audit", "Correct appraisal"),
    "appraisal.file_appeal": pgettext_lazy("audit", "File appraisal appeal"),
    "appraisal.answer_appeal": pgettext_lazy("audit", "Answer appraisal appeal"),
    "appraisal.record_bad_practice": pgettext_lazy("audit", "Record bad-practice points"),
    "appraisal.attach_bad_practice_files": pgettext_lazy(
        "audit", "Attach evidence to bad-practice points"
    ),
    "reports.upload_template": pgettext_lazy("audit", "Upload summary template"),
    "reports.request": pgettext_lazy("audit", "Request work summary"),
    "reports.generate": pgettext_lazy("audit", "Write work summary"),
    "surveys.load_questionnaire": pgettext_lazy("audit", "Load questionnaire"),
    "surveys.import_responses": pgettext_lazy("audit", "Import survey responses"),
    "surveys.enter_response": pgettext_lazy("audit", "Enter survey response"),
    "aggregates.set_outlier_bound": pgettext_lazy("audit", "Set outlier bounds"),
    "aggregates.delete_outlier_bound": pgettext_lazy("audit", "Remove outlier bounds"),
    "download.ledger_export": pgettext_lazy("audit", "Export rectification ledger"),
    "download.evidence": pgettext_lazy("audit", "Download evidence"),
    "download.publication_export": pgettext_lazy("audit", "Export published results"),
    "download.indicator_table_export": pgettext_lazy("audit", "Export indicator table"),
    "download.survey_export": pgettext_lazy("audit", "Export satisfaction rates and comments"),
    "download.tree_export": pgettext_lazy("audit", "Export organisation tree"),
    "download.rejects": pgettext_lazy("audit", "Download rejected rows"),
    "download.appraisal_export": pgettext_lazy("audit", "Export appraisal ranking"),
    "download.appraisal_funds_export": pgettext_lazy("audit", "Export fund allocation"),
    "download.report": pgettext_lazy("audit", "Download work summary"),
    "insights.save_view": pgettext_lazy("audit", "Save visualizer view"),
    "insights.share_view": pgettext_lazy("audit", "Share visualizer view"),
    "insights.delete_view": pgettext_lazy("audit", "Delete visualizer view"),
    "insights.pin": pgettext_lazy("audit", "Pin to dashboard"),
    "insights.unpin": pgettext_lazy("audit", "Unpin from dashboard"),
    "insights.publish": pgettext_lazy("audit", "Publish dashboard"),
    "download.visualizer_export": pgettext_lazy("audit", "Export visualizer figures"),
}

FAMILY_LABELS: dict[str, Promise] = {
    "assessments.save_grades.{}": pgettext_lazy("audit", "Save grades (%(what)s)"),
    "assessments.save_draft_grade.{}": pgettext_lazy("audit", "Save a draft grade (%(what)s)"),
    "assessments.adopt_grades.{}": pgettext_lazy("audit", "Adopt the earlier grades (%(what)s)"),
    "assessments.reopen.{}": pgettext_lazy("audit", "Reopen (%(what)s)"),
    "assessments.lookback.{}": pgettext_lazy("audit", "Look-back: %(what)s"),
}

KEY_LABELS: dict[str, Promise] = {
    "id": pgettext_lazy("audit", "Number"),
    "created_by_id": pgettext_lazy("audit", "Created by"),
    "created_at": pgettext_lazy("audit", "Created at"),
    "updated_at": pgettext_lazy("audit", "Updated at"),
    "uploaded_by_id": pgettext_lazy("audit", "Uploaded by"),
    "uploaded_at": pgettext_lazy("audit", "Uploaded at"),
    "sha256": pgettext_lazy("audit", "SHA-256 checksum"),
    "order": pgettext_lazy("audit", "Order"),
    "user_id": pgettext_lazy("audit", "User"),
    "node_id": pgettext_lazy("audit", "Unit"),
    "cycle_id": pgettext_lazy("audit", "Evaluation cycle"),
    "submission_id": pgettext_lazy("audit", "Evaluation record"),
    "catalog_id": pgettext_lazy("audit", "Standards catalog"),
    "entry_id": pgettext_lazy("audit", "Ledger entry"),
    "visit_id": pgettext_lazy("audit", "Supervision visit"),
    "record_id": pgettext_lazy("audit", "Published verdict"),
    "record_set_id": pgettext_lazy("audit", "Record set"),
    "publication_id": pgettext_lazy("audit", "Publication"),
    "finding_id": pgettext_lazy("audit", "Finding"),
    "status": pgettext_lazy("audit", "Status"),
    "problems": pgettext_lazy("audit", "Problems"),
    "task_id": pgettext_lazy("audit", "Task number"),
    "worker": pgettext_lazy("audit", "Worker process"),
    "path": pgettext_lazy("audit", "Tree path"),
    "depth": pgettext_lazy("audit", "Depth in the tree"),
    "prefix": pgettext_lazy("audit", "Token prefix"),
    "token_hash": pgettext_lazy("audit", "Token hash"),
    "last_used_at": pgettext_lazy("audit", "Last used at"),
    "revoked": pgettext_lazy("audit", "Revoked"),
    "key": pgettext_lazy("audit", "Key"),
    "failures": pgettext_lazy("audit", "Failures"),
    "window_start": pgettext_lazy("audit", "Counting since"),
    "locked_until": pgettext_lazy("audit", "Locked until"),
    "lockouts": pgettext_lazy("audit", "Lockouts"),
    "old_parent_id": pgettext_lazy("audit", "Former parent"),
    "new_parent_id": pgettext_lazy("audit", "New parent"),
    "other_id": pgettext_lazy("audit", "Other unit"),
    "old_name": pgettext_lazy("audit", "Former name"),
    "new_name": pgettext_lazy("audit", "New name"),
    "recorded_at": pgettext_lazy("audit", "Recorded at"),
    "started_at": pgettext_lazy("audit", "Started at"),
    "finished_at": pgettext_lazy("audit", "Finished at"),
    "filename": pgettext_lazy("audit", "File name"),
    "data": pgettext_lazy("audit", "Data"),
    "dry_run": pgettext_lazy("audit", "Check only"),
    "total": pgettext_lazy("audit", "Total"),
    "result": pgettext_lazy("audit", "Result"),
    "error": pgettext_lazy("audit", "Error"),
    "basic_threshold": pgettext_lazy("audit", "Threshold of the basic standard"),
    "recommended_threshold": pgettext_lazy("audit", "Threshold of the recommended standard"),
    "source_name": pgettext_lazy("audit", "Source file name"),
    "source": pgettext_lazy("audit", "Source"),
    "loaded_at": pgettext_lazy("audit", "Loaded at"),
    "active": pgettext_lazy("audit", "Active"),
    "opened_by_id": pgettext_lazy("audit", "Opened by"),
    "opened_at": pgettext_lazy("audit", "Opened at"),
    "version": pgettext_lazy("audit", "Version"),
    "self_locked": pgettext_lazy("audit", "Self-assessment locked"),
    "county_locked": pgettext_lazy("audit", "County review locked"),
    "recheck_locked": pgettext_lazy("audit", "Re-check locked"),
    "recheck_required": pgettext_lazy("audit", "Re-check required"),
    "recheck_sampled": pgettext_lazy("audit", "Sampled for re-check"),
    "self_verdict": pgettext_lazy("audit", "Self-assessment verdict"),
    "county_verdict": pgettext_lazy("audit", "County verdict"),
    "recheck_verdict": pgettext_lazy("audit", "Re-check verdict"),
    "county_reviewer_id": pgettext_lazy("audit", "County reviewer"),
    "rechecker_id": pgettext_lazy("audit", "Re-checker"),
    "submitted_at": pgettext_lazy("audit", "Submitted at"),
    "returned_at": pgettext_lazy("audit", "Returned at"),
    "county_passed_at": pgettext_lazy("audit", "County review passed at"),
    "rechecked_at": pgettext_lazy("audit", "Re-checked at"),
    "published_at": pgettext_lazy("audit", "Published at"),
    "published_by_id": pgettext_lazy("audit", "Published by"),
    "grader_id": pgettext_lazy("audit", "Graded by"),
    "content_type": pgettext_lazy("audit", "Content type"),
    "author_id": pgettext_lazy("audit", "Written by"),
    "by_id": pgettext_lazy("audit", "Recorded by"),
    "reported_by_id": pgettext_lazy("audit", "Reported by"),
    "actor_id": pgettext_lazy("audit", "Actor"),
    "from_status": pgettext_lazy("audit", "Former status"),
    "to_status": pgettext_lazy("audit", "New status"),
    "deadline_before": pgettext_lazy("audit", "Former deadline"),
    "deadline_after": pgettext_lazy("audit", "New deadline"),
    "file": pgettext_lazy("audit", "File"),
    "store_path": pgettext_lazy("audit", "Store location"),
    "row_counts": pgettext_lazy("audit", "Rows per table"),
    "rejected_rows": pgettext_lazy("audit", "Rejected rows"),
    "message": pgettext_lazy("audit", "Message"),
    "progress": pgettext_lazy("audit", "Progress"),
    "rejects_path": pgettext_lazy("audit", "File of rejected rows"),
    "heartbeat_at": pgettext_lazy("audit", "Last heartbeat"),
    "loaded_by_id": pgettext_lazy("audit", "Loaded by"),
    "numerator": pgettext_lazy("audit", "Numerator"),
    "denominator": pgettext_lazy("audit", "Denominator"),
    "value": pgettext_lazy("audit", "Value"),
    "definition_version": pgettext_lazy("audit", "Definition version"),
    "engine": pgettext_lazy("audit", "Engine"),
    "computed_at": pgettext_lazy("audit", "Computed at"),
    "comparison": pgettext_lazy("audit", "Comparison"),
    "object_id": pgettext_lazy("audit", "Object number"),
    "node_path": pgettext_lazy("audit", "Tree path"),
    "verdict": pgettext_lazy("audit", "Verdict"),
    "catalogs": pgettext_lazy("audit", "Catalogs used"),
    "institutions": pgettext_lazy("audit", "Institutions"),
    "items": pgettext_lazy("audit", "Items"),
    "new_verdicts": pgettext_lazy("audit", "New verdicts"),
    "address": pgettext_lazy("audit", "Network address"),
    "seconds": pgettext_lazy("audit", "Locked for (seconds)"),
    "username": pgettext_lazy("audit", "User name"),
    "password": pgettext_lazy("audit", "Password"),
    "tokens_revoked": pgettext_lazy("audit", "Tokens revoked"),
    "values_deleted": pgettext_lazy("audit", "Values deleted"),
    "year": pgettext_lazy("audit", "Year"),
    "record_set": pgettext_lazy("audit", "Record set"),
    "period": pgettext_lazy("audit", "Period"),
    "periods": pgettext_lazy("audit", "Periods"),
    "level": pgettext_lazy("audit", "Level"),
    "query": pgettext_lazy("audit", "Filters"),
    "entry": pgettext_lazy("audit", "Ledger entry"),
    "name": pgettext_lazy("audit", "Name"),
    "submission": pgettext_lazy("audit", "Evaluation record"),
    "published": pgettext_lazy("audit", "Published"),
    "values": pgettext_lazy("audit", "Values"),
    "elements": pgettext_lazy("audit", "Data elements"),
    "violations": pgettext_lazy("audit", "Rules broken"),
    "outside_region_dropped": pgettext_lazy("audit", "Values outside the region not saved"),
    "codes": pgettext_lazy("audit", "Unit codes"),
    "replaced": pgettext_lazy("audit", "Boundaries replaced"),
    "owner_id": pgettext_lazy("audit", "Owner"),
}

MODEL_KEY_LABELS: dict[tuple[str, str], Promise] = {
    ("assessments.cycle", "closed"): pgettext_lazy("audit", "Closed"),
    ("indicators.target", "node_id"): pgettext_lazy("audit", "Region"),
    ("indicators.recordset", "version"): pgettext_lazy("audit", "Definition version"),
    ("insights.pin", "view_id"): pgettext_lazy("audit", "Saved view"),
}

# The first part of an action code: the area of the platform it belongs to.
AREA_LABELS: dict[str, Promise] = {
    "accounts": pgettext_lazy("audit", "Users and logins"),
    "orgs": pgettext_lazy("audit", "Organisation tree"),
    "standards": pgettext_lazy("audit", "Standards catalogs"),
    "assessments": pgettext_lazy("audit", "Evaluation"),
    "rectification": pgettext_lazy("audit", "Rectification"),
    "indicators": pgettext_lazy("audit", "Indicators"),
    "aggregates": pgettext_lazy("audit", "Aggregate data"),
    "reports": pgettext_lazy("audit", "Reports"),
    "insights": pgettext_lazy("audit", "Dashboards"),
    "surveys": pgettext_lazy("audit", "Satisfaction surveys"),
    "appraisal": pgettext_lazy("audit", "Performance appraisal"),
    "maps": pgettext_lazy("audit", "Maps"),
    "download": pgettext_lazy("audit", "Downloads and exports"),
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
    "aggregates.datasetversion",
    "aggregates.report",
    "maps.boundaryset",
    "reports.reporttemplate",
    "reports.generatedreport",
    "surveys.questionnaire",
    "surveys.surveyimport",
    "aggregates.outlierbound",
    "appraisal.schemeversion",
    "appraisal.appraisal",
    "appraisal.appeal",
    "appraisal.badpractice",
    "appraisal.evidencefile",
    "insights.savedview",
    "insights.pin",
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
        return pgettext("audit", "Item %(code)s") % {"code": key}  # grades saved: one key per item
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
