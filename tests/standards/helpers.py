"""Small catalogs built in code for the standards tests."""

from __future__ import annotations

from jiceng.standards.catalog import CatalogSpec

ABCD = [
    {"grade": "A", "label": "优秀", "meets": True},
    {"grade": "B", "label": "良好", "meets": True},
    {"grade": "C", "label": "合格", "meets": True},
    {"grade": "D", "label": "不合格", "meets": False},
]


def make_catalog(
    items: list[dict],
    *,
    basic_threshold="0.80",
    recommended_threshold="0.80",
    scale=None,
) -> CatalogSpec:
    """A one-chapter, one-section catalog of ``items`` (dicts of ItemSpec fields)."""
    return CatalogSpec.model_validate(
        {
            "code": "t",
            "version": "1",
            "title": "测试目录",
            "institution_kinds": ["township_hc"],
            "scale": scale or ABCD,
            "basic_threshold": basic_threshold,
            "recommended_threshold": recommended_threshold,
            "chapters": [
                {
                    "code": "1",
                    "title": "第一章",
                    "sections": [{"code": "1.1", "title": "第一节", "items": items}],
                }
            ],
        }
    )


def basic_items(n: int, core: tuple[int, ...] = (), na: tuple[int, ...] = ()) -> list[dict]:
    return [
        {
            "code": f"B{i}",
            "text": f"基本条款{i}",
            "tier": "basic",
            "core": i in core,
            "na_allowed": i in na,
        }
        for i in range(1, n + 1)
    ]


def rec_items(n: int, core: tuple[int, ...] = (), na: tuple[int, ...] = ()) -> list[dict]:
    return [
        {
            "code": f"R{i}",
            "text": f"推荐条款{i}",
            "tier": "recommended",
            "core": i in core,
            "na_allowed": i in na,
        }
        for i in range(1, n + 1)
    ]
