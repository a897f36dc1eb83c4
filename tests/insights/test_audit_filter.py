"""The audit trail's filter by object type offers the dashboards' pins and saved views."""

from jiceng.insights.actions import do_pin


def _events(page: str) -> str:
    """What an audit page shows after its filter form: the events, or that there are none."""
    return page.split('role="search"', 1)[1].split("</form>", 1)[1]


def test_the_audit_trail_filters_on_dashboard_pins(personas, client_for):
    do_pin(personas.county_admin, "地图", url="/maps/")
    client = client_for(personas.county_admin)
    page = client.get("/audit/?type=insights.pin").content.decode()
    assert '<option value="insights.pin" selected>仪表盘固定项</option>' in page
    assert "固定到仪表盘" in _events(page)  # the pin's event is listed
    other = client.get("/audit/?type=insights.savedview").content.decode()
    assert '<option value="insights.savedview" selected>已保存视图</option>' in other
    assert "固定到仪表盘" not in _events(other)  # no view saved: no event
    assert 'data-testid="audit-events"' not in other
