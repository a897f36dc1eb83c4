"""Who may see and change what: the one module every view, endpoint and command asks.

A user sits on one node of the tree and sees that node and everything below it.
What they may *do* there depends on their role. Each rule is one condition per line
so that each branch can be tested (``tests/test_scope_matrix.py``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import Http404

from jiceng.accounts.models import REVIEWER_ROLES, Role

if TYPE_CHECKING:
    from jiceng.accounts.models import User
    from jiceng.orgs.models import Node, NodeQuerySet


class Action(StrEnum):
    VIEW = "view"  # see the node, its figures and what hangs on it
    MANAGE_TREE = "manage_tree"  # create, edit, move, merge, close nodes; import the tree
    MANAGE_USERS = "manage_users"  # create users attached at or below the node
    VIEW_AUDIT = "view_audit"  # read the audit trail of objects under the node
    SELF_ASSESS = "self_assess"  # fill in and submit the institution's own forms
    REVIEW = "review"  # county review of an institution
    RECHECK = "recheck"  # city / province re-check of an institution
    PUBLISH = "publish"  # open cycles, publish lists for a region
    MANAGE_CATALOGS = "manage_catalogs"  # load standards catalogs, definitions, schemes
    SUPERVISE = "supervise"  # record supervision visits, open and re-date ledger entries
    REPORT_FIX = "report_fix"  # report a ledger entry of one's own institution fixed
    VERIFY_FIX = "verify_fix"  # verify a reported fix: close it (销号) or send it back
    OPEN_CYCLE = "open_cycle"  # open a year's evaluation cycle for a region
    REOPEN = "reopen"  # re-open an approved level of an institution's evaluation
    ENTER_DATA = "enter_data"  # fill in and complete a unit's aggregate data forms
    APPROVE_DATA = "approve_data"  # approve (lock) and unlock a unit's aggregate data forms
    IMPORT_DATA = "import_data"  # write many units' aggregate values at once (API, file import)


# Work done by a person in a role; a global superuser does not do it on anyone's behalf.
_ACTOR_ONLY = {Action.SUPERVISE, Action.REPORT_FIX, Action.VERIFY_FIX, Action.ENTER_DATA}


def _is_active(user: User) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def scope_root(user: User) -> Node | None:
    """The node the user sees from, or None if they see nothing."""
    if not _is_active(user):
        return None
    return user.node


def is_global(user: User) -> bool:
    """Superusers without a node see the whole tree."""
    return _is_active(user) and user.is_superuser and user.node_id is None


def visible_nodes(user: User) -> NodeQuerySet:
    """Every node the user may see."""
    from jiceng.orgs.models import Node

    if is_global(user):
        return Node.objects.all()
    root = scope_root(user)
    if root is None:
        return Node.objects.none()
    return Node.objects.subtree(root)


def can_see(user: User, node: Node) -> bool:
    if not _is_active(user):
        return False
    if is_global(user):
        return True
    root = scope_root(user)
    if root is None:
        return False
    return node.is_within(root)


def _own_institution(user: User, node: Node) -> bool:
    inst = user.home_institution
    return inst is not None and (node.pk == inst.pk or node.is_within(inst))


def is_party_to(user: User, institution: Node) -> bool:
    """The user speaks for ``institution`` (works there, or sits at or below it).

    A party sees a review of the institution only once that level is approved, never
    the reviewers' drafts (``assessments.queries.readable_levels``).
    """
    if not _is_active(user):
        return False
    if is_global(user):
        return False
    if _own_institution(user, institution):
        return True
    root = scope_root(user)
    return root is not None and root.is_within(institution)


def can(user: User, action: Action | str, node: Node) -> bool:
    """Whether ``user`` may do ``action`` on ``node`` (and what lies below it)."""
    action = Action(action)
    if not can_see(user, node):
        return False
    if action == Action.VIEW:
        return True
    if is_global(user):
        return action not in {Action.SELF_ASSESS, Action.REVIEW, Action.RECHECK} | _ACTOR_ONLY
    role = user.role
    if action in {Action.MANAGE_TREE, Action.MANAGE_USERS, Action.VIEW_AUDIT}:
        return role == Role.ADMIN
    if action == Action.MANAGE_CATALOGS:
        return role == Role.ADMIN
    if action == Action.SELF_ASSESS:
        return (
            role == Role.INSTITUTION_STAFF and node.is_institution and _own_institution(user, node)
        )
    if action == Action.REVIEW:
        return (
            role == Role.COUNTY_REVIEWER
            and node.is_institution
            and not _own_institution(user, node)
        )
    if action == Action.RECHECK:
        return (
            role in {Role.CITY_REVIEWER, Role.PROVINCE_REVIEWER}
            and node.is_institution
            and not _own_institution(user, node)
        )
    if action == Action.PUBLISH:
        return (
            role in {Role.ADMIN, Role.COUNTY_REVIEWER, Role.CITY_REVIEWER, Role.PROVINCE_REVIEWER}
            and not node.is_institution
        )
    if action == Action.SUPERVISE:
        return role in REVIEWER_ROLES and not _own_institution(user, node)
    if action == Action.REPORT_FIX:
        return (
            role == Role.INSTITUTION_STAFF and node.is_institution and _own_institution(user, node)
        )
    if action == Action.VERIFY_FIX:
        return role in REVIEWER_ROLES and node.is_institution and not _own_institution(user, node)
    if action == Action.OPEN_CYCLE:
        return role == Role.ADMIN and not node.is_institution
    if action == Action.REOPEN:
        return (
            role in {Role.ADMIN, Role.CITY_REVIEWER, Role.PROVINCE_REVIEWER}
            and node.is_institution
            and not _own_institution(user, node)
        )
    if action == Action.ENTER_DATA:
        return (
            role == Role.INSTITUTION_STAFF and node.is_institution and _own_institution(user, node)
        )
    if action == Action.IMPORT_DATA:
        return role == Role.ADMIN and node.is_institution
    if action == Action.APPROVE_DATA:
        return (
            role in {Role.ADMIN, Role.COUNTY_REVIEWER}
            and node.is_institution
            and not _own_institution(user, node)
        )
    return False


def access_node(user: User, code: str, action: Action | str = Action.VIEW) -> Node:
    """The node with ``code`` if the user may do ``action`` on it.

    A node outside the user's sight is 404 (its existence is not revealed); a visible
    node on which the action is not allowed is 403.
    """
    from jiceng.orgs.models import Node

    node = Node.objects.filter(code=code).select_related("parent").first()
    if node is None or not can_see(user, node):
        raise Http404("organisation unit not found")
    if not can(user, action, node):
        raise PermissionDenied("action not allowed here")
    return node


def require(user: User, action: Action | str, node: Node) -> None:
    """Raise PermissionDenied (or 404 when invisible) unless ``can`` allows it."""
    if not can_see(user, node):
        raise Http404("organisation unit not found")
    if not can(user, action, node):
        raise PermissionDenied("action not allowed here")


# --- standards catalogs ------------------------------------------------------------------------
# A catalog belongs to the region that loaded it (``owner``; None: a national catalog) and
# applies within that region: a province catalog applies in every city, county and
# institution below it.


def catalog_applies(owner: Node | None, node: Node) -> bool:
    """Whether a catalog owned by ``owner`` may be used at ``node`` (e.g. a cycle's region)."""
    if owner is None:
        return True
    return node.is_within(owner)


def can_see_catalog(user: User, owner: Node | None) -> bool:
    """Everyone sees the catalogs that apply to their node and those of regions below it."""
    if not _is_active(user):
        return False
    if is_global(user):
        return True
    root = scope_root(user)
    if root is None:
        return False
    if owner is None:
        return True
    if root.is_within(owner):
        return True
    return owner.is_within(root)


def can_manage_catalog(user: User, owner: Node | None) -> bool:
    """Load a version of, activate or deactivate a catalog: administrators of its owner or above."""
    if not _is_active(user):
        return False
    if owner is None:
        return is_global(user)
    return can(user, Action.MANAGE_CATALOGS, owner)


def visible_catalogs(user: User, queryset):
    """Restrict a Catalog queryset to what :func:`can_see_catalog` allows."""
    if is_global(user):
        return queryset
    root = scope_root(user)
    if root is None:
        return queryset.none()
    return catalogs_seen_from(root, queryset)


def catalogs_seen_from(node: Node, queryset):
    """Catalogs that apply at ``node`` and those owned by regions below it."""
    from django.db.models import Q

    above = [int(s) for s in node.path.strip("/").split("/") if s]
    return queryset.filter(
        Q(owner__isnull=True) | Q(owner_id__in=above) | Q(owner__path__startswith=node.path)
    )


def catalogs_applying_to(node: Node, queryset):
    """Restrict a Catalog queryset to those that apply at ``node`` (:func:`catalog_applies`)."""
    from django.db.models import Q

    above = [int(s) for s in node.path.strip("/").split("/") if s]
    return queryset.filter(Q(owner__isnull=True) | Q(owner_id__in=above))


def visible_audit(user: User, queryset):
    """The audit rows ``user`` reads: those whose data lies at or below their node.

    Administrators only (403 otherwise); rows of platform-wide data (path "/") are read by
    global superusers only.
    """
    if is_global(user):
        return queryset
    root = scope_root(user)
    if root is None:
        raise PermissionDenied("only administrators read the audit trail")
    if not can(user, Action.VIEW_AUDIT, root):
        raise PermissionDenied("only administrators read the audit trail")
    return queryset.filter(node_path__startswith=root.path)


def filter_by_node(user: User, queryset, field: str = "node"):
    """Restrict any queryset with a node foreign key to the user's subtree."""
    if is_global(user):
        return queryset
    root = scope_root(user)
    if root is None:
        return queryset.none()
    return queryset.filter(**{f"{field}__path__startswith": root.path})
