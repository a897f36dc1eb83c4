"""Charts of the work summary as PNG images (matplotlib, Chinese labels in Noto CJK)."""

from __future__ import annotations

import io
from functools import cache

FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
)


@cache
def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    for path in FONT_FILES:
        try:
            font_manager.fontManager.addfont(path)
        except (OSError, RuntimeError):
            continue
    plt.rcParams["font.family"] = ["Noto Sans CJK SC", "Noto Serif CJK SC", "sans-serif"]
    plt.rcParams["axes.unicode_minus"] = False
    return plt


def _png(fig) -> bytes:
    plt = _pyplot()
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=150)
    plt.close(fig)
    return buf.getvalue()


def grouped_bars(
    categories: list[str], series: dict[str, list[float]], title: str, unit: str = ""
) -> bytes:
    """Bars of a few series side by side per category (e.g. this year against last year)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    n = max(1, len(series))
    width = 0.8 / n
    for i, (name, values) in enumerate(series.items()):
        xs = [x + (i - (n - 1) / 2) * width for x in range(len(categories))]
        bars = ax.bar(xs, values, width, label=name)
        ax.bar_label(bars, fmt="%g", fontsize=7)
    rotate = len(categories) > 4
    ax.set_xticks(
        range(len(categories)),
        categories,
        fontsize=7 if rotate else 8,
        rotation=30 if rotate else 0,
        ha="right" if rotate else "center",
    )
    ax.set_title(title, fontsize=10)
    if unit:
        ax.set_ylabel(unit, fontsize=8)
    ax.legend(fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)
