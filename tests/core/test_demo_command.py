"""``jiceng demo``: the demo region's shape, its users, determinism and re-runs."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Sum

from jiceng.accounts.models import Role, User
from jiceng.demo import STAGES
from jiceng.orgs.models import Node, NodeYear

# The region alone: these tests check its shape, users and re-runs, not what the stages add
# (each stage has its own demo test).
FAST = [arg for stage in STAGES for arg in ("--skip", stage)]


def run_demo(*args) -> str:
    out = io.StringIO()
    call_command("demo", *FAST, *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_demo_county_is_shaped_like_the_counties_of_the_seeds():
    run_demo("--today", "2026-12-02")
    county = Node.objects.get(code="990101000000")
    below = Node.objects.subtree(county)
    assert below.filter(kind="township_hc").count() == 9
    assert 2 <= below.filter(kind="community_hc").count() <= 3
    assert 60 <= below.filter(kind__in=["village_clinic", "community_station"]).count() <= 70
    assert set(NodeYear.objects.values_list("year", flat=True)) == {2025, 2026}
    residents = NodeYear.objects.filter(node__path__startswith=county.path, year=2026).aggregate(
        n=Sum("permanent_residents")
    )["n"]
    assert 85_000 <= residents <= 115_000


@pytest.mark.django_db
def test_the_demo_has_a_user_for_every_role_and_prints_the_logins():
    out = run_demo()
    assert {u.role for u in User.objects.all()} == set(Role.values)
    for username in ("admin", "county_reviewer", "city_reviewer", "analyst", "clerk"):
        assert username in out
    assert "Demo@2025" in out
    assert User.objects.get(username="clerk").check_password("Demo@2025")


@pytest.mark.django_db(
    transaction=True
)  # --reset flushes, which PostgreSQL refuses mid-transaction
def test_the_same_seed_gives_the_same_region():
    run_demo("--seed", "7")
    first = list(Node.objects.order_by("code").values_list("code", "name", "kind"))
    run_demo("--seed", "7", "--reset")
    assert list(Node.objects.order_by("code").values_list("code", "name", "kind")) == first


@pytest.mark.django_db
def test_running_the_demo_again_changes_nothing_and_says_so():
    run_demo()
    n = Node.objects.count()
    assert "已存在" in run_demo()
    assert Node.objects.count() == n


@pytest.mark.django_db
def test_the_demo_refuses_a_database_that_holds_another_tree(tree):
    with pytest.raises(CommandError, match="已有组织机构"):
        run_demo()
