"""API: the caller themself."""

from ninja import Router, Schema

router = Router(tags=["accounts"])


class MeOut(Schema):
    username: str
    display_name: str
    role: str
    node_code: str | None
    node_name: str | None


@router.get("/me", response=MeOut, summary="The authenticated user")
def me(request):
    u = request.user
    return MeOut(
        username=u.username,
        display_name=u.display_name,
        role=u.role,
        node_code=u.node.code if u.node_id else None,
        node_name=u.node.name if u.node_id else None,
    )
