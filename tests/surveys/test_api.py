"""The rates API answers what the rates page shows, within the caller's sight."""

from .test_pages import _surveyed


def test_the_api_gives_the_rates_and_changes_of_the_page(personas, client_for):
    _surveyed(personas)
    t = personas.tree
    client = client_for(personas.county_reviewer)
    body = client.get(f"/api/v1/surveys/rates/{t.A.code}?kind=门诊&period=2026Q1").json()
    # county A 2026Q1: 37/40 = 92.5%; 2025Q4: 37/40 = 92.5% -> 0.0 points
    assert body["total"] == {
        "org_code": t.A.code,
        "name": "甲县",
        "answered": 40,
        "satisfied": 37,
        "rate": 92.5,
        "previous": 92.5,
        "change_previous": 0.0,
        "last_year": None,
        "change_last_year": None,
    }
    assert (body["previous_period"], body["last_year_period"], body["count"]) == (
        "2025Q4",
        "2025Q1",
        3,
    )
    # TA1: 28/30 = 93.3% against 92.5% -> +0.8
    ta1 = body["items"][0]
    assert (ta1["org_code"], ta1["rate"], ta1["change_previous"]) == (t.TA1.code, 93.3, 0.8)


def test_the_api_refuses_a_unit_out_of_sight_and_a_bad_period(personas, client_for):
    _surveyed(personas)
    t = personas.tree
    client = client_for(personas.county_reviewer)
    assert client.get(f"/api/v1/surveys/rates/{t.TB1.code}").status_code == 404
    response = client.get(f"/api/v1/surveys/rates/{t.A.code}?period=2026-01")
    assert response.status_code == 400 and "应为季度" in response.content.decode()
