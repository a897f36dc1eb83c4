"""API: the organisation tree, limited to the caller's subtree."""

from ninja import Router

router = Router(tags=["orgs"])
