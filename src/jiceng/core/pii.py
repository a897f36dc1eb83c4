"""Personal identifiers never leave memory in clear: one function masks ID numbers in text.

Anything that looks like a resident identity card number (居民身份证号) is replaced by
asterisks of the same length wherever jiceng turns data into text a person or a file will
keep: problem messages (``core.errors.Problem``), user errors, stored job errors, the
rejects file of a record set load, log records and the command line's error stream.

An ID number is 18 characters, 17 digits and a check character (a digit or X), or the
15 digits of the first-generation cards; a longer run of digits is not one.
"""

from __future__ import annotations

import logging
import re
from typing import Any

ID_NUMBER = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9Xx])")


def mask_id_numbers(text: str) -> str:
    """``text`` with every ID-number-like run of characters replaced by asterisks."""
    if not text or not isinstance(text, str):
        return text
    return ID_NUMBER.sub(lambda m: "*" * len(m.group(0)), text)


def looks_like_id_number(text: str) -> bool:
    return bool(text) and ID_NUMBER.search(str(text)) is not None


def mask_value(value: Any) -> Any:
    """Masks strings, and the strings inside lists and dicts (e.g. stored problems)."""
    if isinstance(value, str):
        return mask_id_numbers(value)
    if isinstance(value, dict):
        return {k: mask_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(mask_value(v) for v in value)
    return value


class MaskingFilter(logging.Filter):
    """A logging filter that masks ID numbers in the message and the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_id_numbers(message)
        if masked != message or record.args:
            record.msg, record.args = masked, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_id_numbers(record.exc_text)
        return True


class MaskingStream:
    """Wraps a text stream (the command line's stderr) and masks what is written to it."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(mask_id_numbers(text))
        return len(text)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)
