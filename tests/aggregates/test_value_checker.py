"""The compiled value checker gives exactly what the plain per-value checks give."""

from decimal import Decimal

from django.utils.translation import gettext as _
from hypothesis import given, settings
from hypothesis import strategies as st

from jiceng.aggregates.actions import MAX_PLACES, ValueChecker, clean_values
from jiceng.core.errors import Problem
from jiceng.datasets import format_value, parse_dataset
from jiceng.datasets.values import parse_value

DEFINITION = """\
code: CHK
version: "1"
name: 检查
period_type: monthly
institution_kinds: [township_hc]
sections:
  - name: 全部
    elements:
      - {code: I, name: 整数, value_type: integer, aggregation: sum}
      - {code: N, name: 非负整数, value_type: non_negative_integer, aggregation: sum}
      - {code: D, name: 数, value_type: number, aggregation: average}
      - {code: P, name: 比例, value_type: percentage, aggregation: average}
      - {code: Y, name: 是否, value_type: yes_no, aggregation: sum}
      - {code: T, name: 备注, value_type: text, aggregation: none}
      - {code: S, name: 分性别, value_type: non_negative_integer, aggregation: sum, options: [male, female]}
"""
DS = parse_dataset(DEFINITION, "chk.yaml")
KEYS = ["I", "N", "D", "P", "Y", "T", "S.male", "S.female", "S", "S.other", "X", "I.", "N.male"]


def reference(ds, raw):
    """``clean_values`` as written before the compiled checker: parse, format, count places."""
    out, problems = {}, []
    for key, text in raw.items():
        element, _sep, option = key.partition(".")
        el = ds.elements.get(element)
        if el is None:
            problems.append(
                Problem(_("Unknown data element %(code)s.") % {"code": element}, field=key)
            )
            continue
        if option and option not in el.option_codes:
            problems.append(
                Problem(_("Unknown option %(code)s.") % {"code": key}, field=key, label=el.name)
            )
            continue
        if el.options and not option:
            problems.append(Problem(_("Give the value of each option."), field=key, label=el.name))
            continue
        text = (text or "").strip()
        if not text:
            out[key] = None
            continue
        try:
            value = parse_value(text, el.value_type)
        except ValueError as exc:
            problems.append(Problem(str(exc), field=key, label=el.name))
            continue
        stored = format_value(value)
        if el.value_type != "text" and -Decimal(stored).as_tuple().exponent > MAX_PLACES:
            problems.append(
                Problem(
                    _("At most %(n)s decimal places.") % {"n": MAX_PLACES}, field=key, label=el.name
                )
            )
            continue
        out[key] = stored
    return out, problems


digits = st.text(alphabet="0123456789", min_size=1, max_size=24)
texts = st.one_of(
    digits,
    st.builds(lambda a, b: f"{a}.{b}", digits, digits),  # places: 1 to 24
    st.builds(lambda s, a: f"{s}{a}", st.sampled_from(["-", "+", " ", "0", "00"]), digits),
    st.builds(lambda a: f" {a}\t", digits),
    st.sampled_from(
        [
            "",
            " ",
            "1e3",
            "1E-2",
            "nan",
            "inf",
            "-0",
            "-0.0",
            ".5",
            "5.",
            "100",
            "100.0",
            "100.00000000001",
            "１２",
            "١٢",
            "²",
            "是",
            "否",
            "yes",
            "N",
            "true",
            "0x10",
            "1_000",
            "12\n",
            "999999999999999999",
            "1000000000000000000",
            "0.0000000001",
            "0.00000000001",
        ]
    ),  # fmt: skip
    st.text(max_size=6),
    st.none(),
)
forms = st.dictionaries(st.sampled_from(KEYS), texts, max_size=len(KEYS))
SHARED = ValueChecker(DS)  # reused over the examples: its remembered texts are checked too


@settings(max_examples=120, deadline=None)
@given(forms)
def test_the_compiled_checker_gives_the_values_and_messages_of_the_plain_checks(raw):
    expected_values, expected_problems = reference(DS, raw)
    for checker in (SHARED, ValueChecker(DS)):
        checked, problems = checker.check(raw)
        assert problems == expected_problems
        assert {k: None if c is None else c[0] for k, c in checked.items()} == expected_values
        for key, c in checked.items():  # the number column: the stored text's number
            if c is not None:
                assert c[1] == (None if key == "T" else Decimal(c[0]))
    assert clean_values(DS, raw) == (expected_values, expected_problems)


def test_plain_decimals_are_stored_without_leading_or_trailing_zeros():
    # "007.50" → 7.5; "12.000" → 12 (an int for the number column); 100.0 is a percentage
    checked, problems = ValueChecker(DS).check({"D": "007.50", "I": "0012", "P": "100.0"})
    assert problems == []
    assert checked == {"D": ("7.5", Decimal("7.5")), "I": ("12", 12), "P": ("100", 100)}
