"""Any valid catalog survives YAML, JSON and Excel unchanged (Hypothesis)."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiceng.standards.catalog import METHODS, CatalogSpec, parse_catalog
from jiceng.standards.excel import read_catalog_excel, write_catalog_excel

# Texts with what tends to break hand-written serialisers: colons, quotes, "#", numbers.
texts = (
    st.text(
        alphabet=st.sampled_from(list("功能任务配置：:，,#'\"-— 0123456789ABCxyz（）%★")),
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(bool)
)
codes = st.sampled_from(["1", "1.10", "2.1.3", "010", "A1", "1e3", "true", "3.0"])


@st.composite
def catalogs(draw):
    n_chapters = draw(st.integers(1, 3))
    used: set[str] = set()
    chapters = []
    counter = 0
    for c in range(n_chapters):
        sections = []
        for s in range(draw(st.integers(1, 2))):
            items = []
            for _ in range(draw(st.integers(1, 3))):
                counter += 1
                code = draw(codes) + f".{counter}"
                if code in used:
                    continue
                used.add(code)
                items.append(
                    {
                        "code": code,
                        "text": draw(texts),
                        "tier": draw(st.sampled_from(["basic", "recommended"])),
                        "core": draw(st.booleans()),
                        "na_allowed": draw(st.booleans()),
                        "evidence": draw(st.one_of(st.just(""), texts)),
                        "method": "、".join(
                            draw(st.lists(st.sampled_from(METHODS), max_size=2, unique=True))
                        ),
                    }
                )
            sections.append({"code": f"{c + 1}.{s + 1}", "title": draw(texts), "items": items})
        chapters.append({"code": str(c + 1), "title": draw(texts), "sections": sections})
    return CatalogSpec.model_validate(
        {
            "code": draw(codes),
            "version": draw(codes),
            "title": draw(texts),
            "edition": draw(st.one_of(st.just(""), codes)),
            "institution_kinds": draw(
                st.lists(
                    st.sampled_from(["township_hc", "community_hc", "village_clinic"]),
                    min_size=1,
                    unique=True,
                )
            ),
            "scale": [
                {"grade": "甲", "label": draw(texts), "meets": True},
                {"grade": "乙", "label": "", "meets": draw(st.booleans())},
            ],
            "basic_threshold": f"{draw(st.integers(0, 100)) / 100:.2f}",
            "recommended_threshold": f"{draw(st.integers(0, 1000)) / 1000:.3f}",
            "chapters": chapters,
        }
    )


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(catalogs())
def test_yaml_and_json_round_trip(spec):
    assert parse_catalog(spec.to_yaml(), "c.yaml") == spec
    text = json.dumps(spec.to_source(), ensure_ascii=False)
    assert parse_catalog(text, "c.json") == spec


@SETTINGS
@given(catalogs())
def test_the_excel_layout_round_trips(spec):
    again = read_catalog_excel(write_catalog_excel(spec), "c.xlsx")
    assert again == spec
    assert again.items == spec.items
