"""Errors that carry a message for the user (in Chinese through translations)."""

from __future__ import annotations

from dataclasses import dataclass


class UserError(Exception):
    """A mistake in what the user asked for; the message is shown as it is."""


@dataclass(frozen=True)
class Problem:
    """One problem found in an input: where it is and what is wrong."""

    message: str
    file: str = ""
    row: int | None = None
    column: str = ""
    field: str = ""

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
