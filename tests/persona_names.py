"""The personas of ``tests/conftest.py`` that tests walk one by one (every role and place)."""

PERSONAS = [
    "clerk",
    "village_clerk",
    "county_reviewer",
    "county_reviewer_b",
    "city_reviewer",
    "province_reviewer",
    "analyst",
    "county_admin",
    "province_admin",
]
