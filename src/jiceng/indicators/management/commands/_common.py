"""Shared pieces of the record set and indicator commands (not a command itself)."""

from __future__ import annotations

import sys
from pathlib import Path

from django.utils.translation import gettext as _
from tqdm import tqdm

from jiceng.core.errors import Problem


class Bar:
    """A tqdm progress bar on stderr fed by the analytics progress callback."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self.bar: tqdm | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            self.bar = tqdm(total=total, file=sys.stderr, unit=_("step"), leave=False)
        self.bar.total = total
        self.bar.n = done
        self.bar.set_description(stage)
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def print_problems(stream, problems: list[Problem], warnings: list[Problem] = ()) -> None:
    for p in problems:
        stream.write(str(p))
    for w in warnings:
        stream.write(_("Warning: %(problem)s") % {"problem": w})


def tree_for(src: Path, region=None):
    """None when the record set brings its own orgs table, else the platform's tree
    (below ``region`` when given)."""
    from jiceng.indicators.store import platform_tree

    if not src.is_dir():  # not a folder: the reader names the problem, no database needed
        return None
    if any((src / f"orgs{ext}").exists() for ext in (".csv", ".xlsx", ".parquet")):
        return None
    return platform_tree(region)
