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
    """One problem found in an input: where it is and what is wrong."""

    message: str
    file: str = ""
    row: int | None = None
    column: str = ""
    field: str = ""

    def __post_init__(self) -> None:
        # Messages echo cell values; an ID number in any of them is masked here, once.
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, str):
                object.__setattr__(self, f.name, mask_id_numbers(value))

    def where(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.row is not None:
            parts.append(f"第{self.row}行")
        if self.column:
            parts.append(f"{self.column}列")
        if self.field:
            parts.append(f"字段 {self.field}")
        return "，".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}：{self.message}" if where else self.message


class ValidationFailed(UserError):
    """An input had problems; nothing was saved."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
