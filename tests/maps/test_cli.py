"""``jiceng maps import``: the same checks and action as the page, from a terminal."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from jiceng.maps.models import Boundary

from .helpers import collection, feature, rect, tree_boundaries


def test_the_command_imports_a_file_as_an_administrator(personas, tmp_path, capsys):
    path = tmp_path / "tree.geojson"
    path.write_bytes(tree_boundaries(personas.tree))
    call_command("maps_import", str(path), user="admin_p")
    assert "已从 tree.geojson 导入 5 个边界" in capsys.readouterr().out
    assert Boundary.objects.filter(current=True).count() == 5


def test_the_command_lists_every_problem_and_saves_nothing(personas, tmp_path, capsys):
    t = personas.tree
    path = tmp_path / "bad.geojson"
    path.write_bytes(
        collection(
            feature(t.TA1.code, rect(120, 30, 121, 31)),
            feature(t.TB1.code, rect(121, 30, 122, 31)),  # county B: out of admin_a's sight
        )
    )
    with pytest.raises(SystemExit) as exc:
        call_command("maps_import", str(path), user="admin_a")
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert f"第 2 个要素，properties.code：未知的单位编码 {t.TB1.code}" in err
    assert not Boundary.objects.exists()
