"""An ID number shifted into another column never shows up in a message or the rejects file."""

from __future__ import annotations

from pathlib import Path

import pytest

from jiceng.analytics import check_recordset, load_recordset
from jiceng.core.errors import ValidationFailed

from .helpers import write_recordset
from .test_bad_input import KEY, edit, good

ID18 = "33010119500101123X"
ID15 = "330101500101123"


@pytest.fixture
def src(tmp_path: Path) -> Path:
    rs = write_recordset(tmp_path / "rs", good())
    edit(rs / "residents.csv", 2, "sex", ID18)  # a row shifted by one column
    edit(rs / "residents.csv", 3, "birth_date", ID15)
    return rs


def test_check_problems_mask_an_id_number_found_in_another_column(src):
    problems = check_recordset(src).problems
    text = "\n".join(str(p) for p in problems)
    assert "sex" in text and "birth_date" in text
    assert ID18 not in text and ID15 not in text
    assert "*" * 18 in text


def test_a_refused_load_masks_the_id_number_in_its_problems(src, tmp_path):
    with pytest.raises(ValidationFailed) as e:
        load_recordset(src, tmp_path / "s.duckdb", pii_key=KEY)
    assert ID18 not in str(e.value)
    assert all(ID18 not in p.message for p in e.value.problems)


def test_the_rejects_file_masks_an_id_number_in_any_column(src, tmp_path):
    rejects = tmp_path / "rejects.csv"
    load_recordset(src, tmp_path / "s.duckdb", pii_key=KEY, skip_invalid=True, rejects=rejects)
    text = rejects.read_text(encoding="utf-8-sig")
    assert "sex 无效" in text and "birth_date 无效" in text
    assert ID18 not in text and ID15 not in text and "330101195001011234" not in text
    assert "sex=" + "*" * 18 in text
