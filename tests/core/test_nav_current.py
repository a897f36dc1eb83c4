from jiceng.core.nav import items_for


def test_only_the_most_specific_entry_is_marked_current(personas):
    items = items_for(personas.county_admin, "/indicators/recordsets/")
    active = [i["url"] for i in items if i["active"]]
    assert active == ["/indicators/recordsets/"]


def test_the_home_entry_is_current_only_on_the_home_page(personas):
    assert [i["url"] for i in items_for(personas.clerk, "/") if i["active"]] == ["/"]
    assert "/" not in [i["url"] for i in items_for(personas.clerk, "/orgs/") if i["active"]]
