"""One message for many problems: a summary sentence, the list in a collapsible block.

Every page that turns a refusal into a message goes through here, so that a form with 80
ungraded items gives one red message ("尚有 80 个条款未评分") and not 80. The list names each
problem by what the user knows (an item code and its title, a file, row and column), never by
an internal field name. The items named can be highlighted by the page: :func:`flash`
remembers them for the next page, which reads them with :func:`flagged`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.contrib import messages
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import ngettext

from jiceng.core.errors import Problem, UserError, ValidationFailed

SESSION_KEY = "jiceng.feedback.flagged"


@dataclass(frozen=True)
class Entry:
    """One line of the list: where (as the user knows it), what, and the page anchor."""

    where: str
    message: str
    anchor: str = ""


@dataclass
class Feedback:
    """A summary sentence and the problems behind it."""

    summary: str
    entries: list[Entry] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.summary)

    @property
    def count(self) -> int:
        return len(self.entries)

    def lines(self) -> list[str]:
        """The summary, then each problem as a line (for plain-text places)."""
        return [self.summary] + [
            f"{e.where}：{e.message}" if e.where else e.message for e in self.entries
        ]

    def text(self) -> str:
        """The whole feedback as one line."""
        return " ".join(self.lines())


def problems_of(exc: UserError | Iterable[Problem]) -> list[Problem]:
    """The problems of an error (a plain ``UserError`` is one problem)."""
    if isinstance(exc, ValidationFailed):
        return list(exc.problems)
    if isinstance(exc, UserError):
        return [Problem(str(exc))]
    return list(exc)


def summarize(
    exc: UserError | Iterable[Problem],
    *,
    summary: str = "",
    items: Mapping[str, str] | None = None,
) -> Feedback:
    """The feedback of an error.

    ``items`` maps the keys a page can show (item codes) to their user-facing label (code and
    title): a problem whose ``field`` is such a key is listed under that label, linked to
    ``#item-<key>`` and flagged. ``summary`` replaces the default summary sentence.
    """
    problems = problems_of(exc)
    items = items or {}
    summary = summary or getattr(exc, "summary", "") or ""
    entries, flagged = [], []
    for p in problems:
        if p.field and p.field in items:
            entries.append(Entry(items[p.field], p.message, f"item-{p.field}"))
            if p.field not in flagged:
                flagged.append(p.field)
        else:
            entries.append(Entry(p.where(), p.message))
    if not summary:
        if len(entries) == 1:
            only = entries[0]
            return Feedback(
                f"{only.where}：{only.message}" if only.where else only.message, [], flagged
            )
        summary = ngettext(
            "%(n)s problem was found:", "%(n)s problems were found:", len(entries)
        ) % {"n": len(entries)}
    return Feedback(summary, entries, flagged)


def render(feedback: Feedback) -> SafeString:
    """The HTML of one feedback message (summary and collapsible list)."""
    return SafeString(render_to_string("core/_feedback.html", {"feedback": feedback}))


def flash(
    request,
    exc: UserError | Iterable[Problem],
    *,
    summary: str = "",
    items: Mapping[str, str] | None = None,
    level: int = messages.ERROR,
) -> Feedback:
    """Add ONE message for the error and remember the items it names for the next page."""
    feedback = summarize(exc, summary=summary, items=items)
    if feedback.entries:
        messages.add_message(request, level, render(feedback), extra_tags="feedback")
    else:
        messages.add_message(request, level, feedback.summary)
    if feedback.flagged and hasattr(request, "session"):
        request.session[SESSION_KEY] = feedback.flagged
    return feedback


def flagged(request) -> set[str]:
    """The keys named by the last flashed feedback (once: reading forgets them)."""
    if not hasattr(request, "session"):
        return set()
    return set(request.session.pop(SESSION_KEY, None) or [])


def problems_of_form(form) -> list[Problem]:
    """A bound form's errors as problems named by the field's label (never its name)."""
    out = []
    for name, errors in form.errors.items():
        label = str(form.fields[name].label or "") if name in form.fields else ""
        out.extend(Problem(str(e), label=label) for e in errors)
    return out


def to_form(form, exc: UserError) -> None:
    """Put the problems of ``exc`` on the matching fields of ``form`` (by ``field``); the
    rest become errors of the whole form, each with its place as the user knows it."""
    for p in problems_of(exc):
        if p.field and p.field in form.fields:
            form.add_error(p.field, p.message)
        else:
            form.add_error(None, str(p))
