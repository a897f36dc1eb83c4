"""A definition loaded from the Excel layout is stored as YAML that reads back the same."""

import pytest

from jiceng.aggregates.source import dataset_yaml
from jiceng.datasets import parse_dataset
from jiceng.datasets.definition import load_dataset_file, sample_dataset_paths
from jiceng.datasets.excel import read_dataset_excel, write_dataset_excel


@pytest.mark.parametrize("path", sample_dataset_paths(), ids=lambda p: p.stem)
def test_every_sample_reads_back_the_same_from_its_yaml(path):
    ds = load_dataset_file(path)
    assert parse_dataset(dataset_yaml(ds), "x.yaml") == ds
    from_excel = read_dataset_excel(write_dataset_excel(ds), "x.xlsx")
    assert parse_dataset(dataset_yaml(from_excel), "x.yaml") == ds
