"""API: the audit trail, for administrators, limited to their part of the tree."""

import datetime as dt
from typing import Any

from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from jiceng.api.pagination import Pages
from jiceng.core import scope
from jiceng.core.models import AuditEvent

router = Router(tags=["audit"])


class AuditOut(Schema):
    at: dt.datetime
    actor: str = Field(..., description="username, or 'system'")
    action: str
    object_type: str
    object_id: str
    object_repr: str
    before: Any = None
    after: Any = None
    reason: str

    @staticmethod
    def resolve_actor(obj) -> str:
        return obj.actor_name


class AuditFilters(Schema):
    object_type: str | None = Field(None, description="e.g. orgs.node")
    object_id: str | None = Field(None, description="primary key of the object")
    action: str | None = Field(None, description="e.g. orgs.update_node")


@router.get("/audit", response=list[AuditOut], summary="Audit trail (administrators)")
@paginate(Pages)
def audit_trail(request, filters: Query[AuditFilters]):
    user = request.user
    events = scope.visible_audit(user, AuditEvent.objects.all())
    if filters.object_type:
        events = events.filter(object_type=filters.object_type)
    if filters.object_id:
        events = events.filter(object_id=filters.object_id)
    if filters.action:
        events = events.filter(action=filters.action)
    return events.order_by("-at", "-id")
