"""API: the audit trail, for administrators, limited to their part of the tree."""

import datetime as dt
from typing import Any

from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from jiceng.api.pagination import Pages
from jiceng.core import audit_labels, scope
from jiceng.core.models import AuditEvent

router = Router(tags=["audit"])


class AuditOut(Schema):
    at: dt.datetime
    actor: str = Field(..., description="username, or 'system'")
    actor_display: str = Field(..., description="the actor's display name, in words")
    action: str
    action_label: str = Field(..., description="the action in words (Chinese by default)")
    object_type: str
    object_type_label: str = Field(..., description="the object type in words")
    object_id: str
    object_repr: str
    before: Any = None
    after: Any = None
    reason: str

    @staticmethod
    def resolve_actor(obj) -> str:
        return obj.actor_name

    @staticmethod
    def resolve_actor_display(obj) -> str:
        return audit_labels.actor_display(obj)[0]

    @staticmethod
    def resolve_action_label(obj) -> str:
        return audit_labels.action_label(obj.action)

    @staticmethod
    def resolve_object_type_label(obj) -> str:
        return audit_labels.object_type_label(obj.object_type)


class AuditFilters(Schema):
    object_type: str | None = Field(None, description="e.g. orgs.node")
    object_id: str | None = Field(None, description="primary key of the object")
    action: str | None = Field(None, description="e.g. orgs.update_node")


@router.get("/audit", response=list[AuditOut], summary="Audit trail (administrators)")
@paginate(Pages)
def audit_trail(request, filters: Query[AuditFilters]):
    user = request.user
    events = scope.visible_audit(user, AuditEvent.objects.select_related("actor"))
    if filters.object_type:
        events = events.filter(object_type=filters.object_type)
    if filters.object_id:
        events = events.filter(object_id=filters.object_id)
    if filters.action:
        events = events.filter(action=filters.action)
    return events.order_by("-at", "-id")
