"""Pages of the organisation tree."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from jiceng.core import scope
from jiceng.orgs import queries


@login_required
def tree(request):
    nodes = scope.visible_nodes(request.user)
    q = request.GET.get("q", "")
    if q:
        nodes = queries.search(nodes, q)
    return render(request, "orgs/tree.html", {"nodes": nodes[:500], "q": q})


@login_required
def node_detail(request, code):
    node = scope.access_node(request.user, code)
    return render(request, "orgs/node.html", {"node": node})
