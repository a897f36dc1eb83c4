"""Errors that carry a message for the user (in Chinese through translations)."""

from __future__ import annotations

from dataclasses import dataclass, fields

from jiceng.core.pii import mask_id_numbers


class UserError(Exception):
    """A mistake in what the user asked for; the message is shown as it is (ID numbers masked)."""

    def __init__(self, *args):
        super().__init__(*(mask_id_numbers(a) if isinstance(a, str) else a for a in args))


@dataclass(frozen=True)
class Problem:
    """One problem found in an input: where it is and what is wrong.

    ``field`` is a machine-readable key (a form field, an item code) for the API and for
    pages that highlight it; it is never shown as such. ``label`` is what the user knows the
    place by (a column header they typed, a key path in their own file) and is shown.
    """

    message: str
    file: str = ""
    row: int | None = None
    column: str = ""
    field: str = ""
    label: str = ""

    def __post_init__(self) -> None:
        # Messages echo cell values; an ID number in any of them is masked here, once.
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, str):
                object.__setattr__(self, f.name, mask_id_numbers(value))

    def where(self) -> str:
        """File, row, column and label, as the user knows them (never the internal field)."""
        parts = []
        if self.file:
            parts.append(self.file)
        if self.row is not None:
            parts.append(f"第{self.row}行")
        if self.column:
            parts.append(f"{self.column}列")
        if self.label:
            parts.append(self.label)
        return "，".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}：{self.message}" if where else self.message


def file_key(path: str) -> str:
    """The label of a key path in a file the user wrote ("字段 chapters[1].title")."""
    from django.conf import settings
    from django.utils.translation import gettext

    if not path:
        return ""
    if not settings.configured:  # the analytics library runs without Django too
        return f"字段 {path}"
    return gettext("field %(path)s") % {"path": path}


class ValidationFailed(UserError):
    """An input had problems; nothing was saved.

    ``summary`` is an optional sentence that sums the problems up ("尚有 34 个条款未评分");
    pages show it as the one message with the problems listed below it.
    """

    def __init__(self, problems: list[Problem], summary: str = ""):
        self.problems = problems
        self.summary = mask_id_numbers(summary)
        lines = [str(p) for p in problems]
        super().__init__("\n".join([self.summary, *lines] if self.summary else lines))
