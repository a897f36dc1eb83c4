"""Anything that looks like an ID number is masked in messages, errors and logs."""

from __future__ import annotations

import logging

import pytest

from jiceng.core.errors import Problem, UserError, ValidationFailed
from jiceng.core.pii import MaskingFilter, MaskingStream, mask_id_numbers

ID18 = "330101195001011234"
ID18X = "33010119500101123X"
ID15 = "330101500101123"


@pytest.mark.parametrize("value", [ID18, ID18X, ID18X.lower(), ID15])
def test_an_id_number_is_replaced_by_asterisks_of_its_length(value):
    assert mask_id_numbers(f"性别「{value}」无效") == f"性别「{'*' * len(value)}」无效"


@pytest.mark.parametrize(
    "text",
    ["330101000000", "R000000001", "1234567890123456", "12345678901234567", "2025-01-01", ""],
)
def test_org_codes_resident_ids_and_other_digit_runs_are_left_alone(text):
    assert mask_id_numbers(text) == text


def test_an_id_number_glued_to_letters_or_among_several_is_masked():
    text = f"id{ID18}，另一个 {ID15}；{ID18X}"
    masked = mask_id_numbers(text)
    assert ID18 not in masked and ID15 not in masked and ID18X not in masked


def test_a_problem_masks_an_id_number_in_every_field():
    p = Problem(f"「{ID18}」不是有效的性别", f"{ID15}.csv", 3, f"c{ID18}", ID18X)
    assert ID18 not in str(p) and ID15 not in str(p) and ID18X not in str(p)
    assert p.row == 3 and "不是有效的性别" in p.message


def test_user_errors_and_validation_failures_mask_id_numbers():
    assert ID18 not in str(UserError(f"机构「{ID18}」不存在"))
    failed = ValidationFailed([Problem(f"「{ID18}」无效", "residents.csv", 2)])
    assert ID18 not in str(failed) and ID18 not in failed.problems[0].message


def test_log_records_and_their_tracebacks_are_masked(caplog):
    log = logging.getLogger("jiceng.test.masking")
    log.addFilter(MaskingFilter())
    try:
        with caplog.at_level(logging.ERROR, logger="jiceng.test.masking"):
            try:
                raise ValueError(f"Could not convert string '{ID18}' to INT")
            except ValueError:
                log.exception("loading %s failed", ID18X)
        text = caplog.text + "".join(r.exc_text or "" for r in caplog.records)
    finally:
        log.filters.clear()
    assert "loading" in text and "Could not convert" in text
    assert ID18 not in text and ID18X not in text


def test_the_command_line_error_stream_is_masked(capsys):
    import sys

    MaskingStream(sys.stderr).write(f"第2行：「{ID18}」不是有效的性别\n")
    assert ID18 not in capsys.readouterr().err
