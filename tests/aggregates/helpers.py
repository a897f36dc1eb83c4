"""Loading the shipped sample data sets for tests."""

from __future__ import annotations

from jiceng.aggregates.actions import do_load_dataset
from jiceng.datasets.definition import load_dataset_file, sample_dataset_paths


def load_sample(stem: str, owner):
    """Load the sample definition ``stem`` (e.g. "satisfaction") for ``owner``."""
    path = next(p for p in sample_dataset_paths() if p.stem == stem)
    ds = load_dataset_file(path)
    return do_load_dataset(None, ds, path.read_text(encoding="utf-8"), path.name, owner=owner)
