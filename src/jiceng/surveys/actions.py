"""Writes of satisfaction surveys, each audited: load a questionnaire, import a file of
responses, enter one response.

Responses are written all or nothing: any bad row (unknown institution, date outside the
period, answer outside the options, a respondent already recorded) refuses the whole file
with every problem named by file, row and column. Telephone numbers and names are kept only
as keyed hashes (HMAC-SHA256 under ``settings.JICENG_PII_KEY``, the key of the record sets'
ID numbers). The tallies the rates are read from are updated in the same transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from operator import attrgetter

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import audit, bulk, scope
from jiceng.core.errors import Problem, UserError, ValidationFailed
from jiceng.standards.actions import default_owner
from jiceng.surveys import queries
from jiceng.surveys.models import Questionnaire, Response, SurveyImport, Tally
from jiceng.surveys.questionnaire import Questionnaire as Definition
from jiceng.surveys.rates import quarter_of
from jiceng.surveys.responses import Row, check_rows, keyed_hash, keyed_hasher, read_table

_DEFAULT = object()
BATCH = 5000  # rows per INSERT round trip
Progress = Callable[[int, int], None]


def do_load_questionnaire(
    actor, d: Definition, source_text: str, source_name: str, owner=_DEFAULT
) -> Questionnaire:
    """Store a checked questionnaire version for ``owner`` (default: the actor's region).

    Needs an administrator of ``owner`` or above; a version already loaded there is refused.
    """
    if owner is _DEFAULT:
        owner = default_owner(actor)
    if actor is not None and not scope.can_manage_catalog(actor, owner):
        raise PermissionDenied(_("Only administrators of the owner region load questionnaires."))
    with transaction.atomic():
        if Questionnaire.objects.filter(owner=owner, code=d.code, version=d.version).exists():
            raise UserError(
                _("Questionnaire %(code)s version %(version)s is already loaded.")
                % {"code": d.code, "version": d.version}
            )
        q = Questionnaire.objects.create(
            code=d.code,
            version=d.version,
            name=d.name,
            kind=d.kind,
            source_name=source_name,
            source=source_text,
            owner=owner,
            loaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit.record(
            actor,
            "surveys.load_questionnaire",
            q,
            after={**audit.snapshot(q), "source": None, "questions": len(d.questions)},
        )
    return q


def _importer_node(actor, q: Questionnaire):
    """The region an import hangs on (its audit row): the importer's, or for system work
    the questionnaire's owner."""
    return scope.scope_root(actor) if actor is not None else q.owner


def _institutions(actor, q: Questionnaire) -> dict[str, int]:
    if actor is None:  # system work (the demo, the benchmark): every institution it applies to
        from jiceng.orgs.models import Node

        nodes = Node.objects.institutions()
        if q.owner_id is not None:
            nodes = nodes.filter(path__startswith=q.owner.path)
        return dict(nodes.values_list("code", "pk"))
    if not scope.can_see_catalog(actor, q.owner):
        raise PermissionDenied(_("This questionnaire does not apply in your region."))
    found = queries.importable_institutions(actor, q)
    if not found:
        raise PermissionDenied(_("Only administrators import survey responses."))
    return found


def do_import_responses(
    actor,
    q: Questionnaire,
    period: str,
    data: bytes,
    filename: str,
    progress: Progress | None = None,
) -> SurveyImport:
    """Import a phone-survey file (CSV or Excel) of ``q`` for ``period`` (a quarter or a
    year): all or nothing; one audit row for the file."""
    p = queries.survey_period(period)
    institutions = _institutions(actor, q)
    table = read_table(data, filename)
    rows = check_rows(definition_of_q(q), table, filename, institutions, p.start, p.end)
    return _save(actor, q, p.label, rows, institutions, filename, progress)


def definition_of_q(q: Questionnaire) -> Definition:
    return queries.definition_of(q)


def do_enter_response(actor, q: Questionnaire, fields: dict[str, str]) -> SurveyImport:
    """Enter one response typed on the page (same checks as a file row); audited.

    ``fields`` maps the file's column keys (``org_code``, ``date``, ``phone``, ``name`` and
    each question code) to the text typed.
    """
    institutions = _institutions(actor, q)
    d = definition_of_q(q)
    header = ["org_code", "date", "phone", "name", *(x.code for x in d.questions)]
    table = [header, [fields.get(h, "") or "" for h in header]]
    today = timezone.localdate()
    rows = check_rows(d, table, _("the form"), institutions, today.replace(year=1900), today)
    return _save(actor, q, quarter_of(rows[0].date), rows, institutions, "", None)


def _existing(
    q: Questionnaire, rows: list[Row], institutions: dict[str, int], key: bytes, filename: str
) -> list[Problem]:
    """Problems for rows whose respondent is already recorded (same institution and day)."""
    first, last = min(r.date for r in rows), max(r.date for r in rows)
    ids = {institutions[r.org_code] for r in rows}
    qs = Response.objects.filter(questionnaire=q, date__range=(first, last))
    if len(ids) <= 500:
        qs = qs.filter(institution_id__in=ids)
    have = set(qs.values_list("institution_id", "date", "respondent"))
    if not have:
        return []
    problems = []
    for r in rows:
        if (institutions[r.org_code], r.date, keyed_hash(r.phone, key)) in have:
            problems.append(
                Problem(
                    _("This respondent is already recorded for this institution on this day."),
                    file=filename,
                    row=r.row,
                    column="电话号码",
                )
            )
    return problems


class _Writer:
    """Rows into one table, fast: COPY on PostgreSQL, batched executemany elsewhere."""

    def __init__(self, cursor, table: str, columns: list[str]):
        qn = connection.ops.quote_name
        self.cursor = cursor
        self.copy = None
        names = ", ".join(qn(c) for c in columns)
        if connection.vendor == "postgresql":
            self._copying = cursor.cursor.copy(f"COPY {qn(table)} ({names}) FROM STDIN")
            self.copy = self._copying.__enter__()
        self.sql = f"INSERT INTO {qn(table)} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"

    def write(self, rows: list[tuple]) -> None:
        if self.copy is not None:
            for row in rows:
                self.copy.write_row(row)
        elif rows:
            self.cursor.executemany(self.sql, rows)

    def close(self) -> None:
        if self.copy is not None:
            self._copying.__exit__(None, None, None)


def _answers_json(answers: dict[str, str]) -> str:
    """``{"Q1":"1","Q2":"3"}``: question and option codes never hold quotes or backslashes
    (the questionnaire's checks refuse them), so the JSON is written directly — a third of
    the time ``json.dumps`` takes on a million rows."""
    return "{" + ",".join(f'"{k}":"{v}"' for k, v in answers.items()) + "}"


RESPONSE_COLUMNS = [
    "questionnaire_id",
    "institution_id",
    "date",
    "quarter",
    "respondent",
    "name_hash",
    "answers",
    "comment",
    "satisfied",
    "batch_id",
]


def _save(
    actor,
    q: Questionnaire,
    period: str,
    rows: list[Row],
    institutions: dict[str, int],
    filename: str,
    progress: Progress | None,
) -> SurveyImport:
    d = definition_of_q(q)
    key = settings.JICENG_PII_KEY.encode()
    hashed = keyed_hasher(key)
    user = actor if getattr(actor, "is_authenticated", False) else None
    satisfied_of = {x.code: x.satisfied_codes for x in d.choices}
    overall = d.overall
    with transaction.atomic():
        problems = _existing(q, rows, institutions, key, filename)
        if problems:
            raise ValidationFailed(problems, _("Nothing was imported."))
        batch = SurveyImport.objects.create(
            questionnaire=q,
            node=_importer_node(actor, q),
            period=period,
            file_name=filename,
            responses=len(rows),
            created_by=user,
        )
        counts: dict[tuple[int, str, str], list[int]] = defaultdict(lambda: [0, 0])
        quarter_cache: dict = {}
        done = 0
        # Grouped by institution, the first column of the unique index: its pages are
        # written one institution at a time instead of at random places.
        rows = sorted(rows, key=attrgetter("org_code"))
        q_pk, batch_pk = q.pk, batch.pk
        with connection.cursor() as cursor, bulk.big_cache(cursor):
            writer = _Writer(cursor, Response._meta.db_table, RESPONSE_COLUMNS)
            try:
                for start in range(0, len(rows), BATCH):
                    buf = []
                    for r in rows[start : start + BATCH]:
                        inst = institutions[r.org_code]
                        quarter = quarter_cache.get(r.date)
                        if quarter is None:
                            quarter = quarter_cache[r.date] = quarter_of(r.date)
                        sat = None
                        for code, answer in r.answers.items():
                            good = answer in satisfied_of[code]
                            c = counts[(inst, quarter, code)]
                            c[0] += 1
                            c[1] += good
                            if code == overall:
                                sat = good
                                c = counts[(inst, quarter, "")]
                                c[0] += 1
                                c[1] += good
                        buf.append(
                            (
                                q_pk,
                                inst,
                                r.date,
                                quarter,
                                hashed(r.phone),
                                hashed(r.name) if r.name else "",
                                _answers_json(r.answers),
                                r.comment,
                                sat,
                                batch_pk,
                            )
                        )
                    writer.write(buf)
                    done += len(buf)
                    if progress:
                        progress(done, len(rows))
            finally:
                writer.close()
        _add_tallies(q, counts)
        audit.record(
            actor,
            "surveys.import_responses" if filename else "surveys.enter_response",
            batch,
            after={
                "questionnaire": q.code,
                "version": q.version,
                "period": period,
                "file_name": filename,
                "responses": len(rows),
                "institutions": len({r.org_code for r in rows}),
            },
        )
    return batch


def _add_tallies(q: Questionnaire, counts: dict[tuple[int, str, str], list[int]]) -> None:
    """Add the counts of new responses to the stored tallies (rows locked while updated)."""
    if not counts:
        return
    quarters = {k[1] for k in counts}
    ids = {k[0] for k in counts}
    existing = Tally.objects.select_for_update().filter(questionnaire=q, quarter__in=quarters)
    if len(ids) <= 500:
        existing = existing.filter(institution_id__in=ids)
    have = {
        (inst, quarter, question): pk
        for pk, inst, quarter, question in existing.values_list(
            "pk", "institution_id", "quarter", "question"
        )
    }
    create, update = [], []
    for (inst, quarter, question), (answered, satisfied) in counts.items():
        pk = have.get((inst, quarter, question))
        if pk is None:
            create.append((q.pk, inst, quarter, question, answered, satisfied))
        else:
            update.append((answered, satisfied, pk))
    qn = connection.ops.quote_name
    table = qn(Tally._meta.db_table)
    with connection.cursor() as cursor:
        writer = _Writer(
            cursor,
            Tally._meta.db_table,
            ["questionnaire_id", "institution_id", "quarter", "question", "answered", "satisfied"],
        )
        try:
            writer.write(create)
        finally:
            writer.close()
        if update:
            cursor.executemany(
                f"UPDATE {table} SET {qn('answered')} = {qn('answered')} + %s, "
                f"{qn('satisfied')} = {qn('satisfied')} + %s WHERE {qn('id')} = %s",
                update,
            )


def counted_tallies(q: Questionnaire) -> dict[tuple[int, str, str], tuple[int, int]]:
    """(institution id, quarter, question) -> (answered, satisfied) counted afresh from the
    stored responses of ``q``: what the tallies written at import must equal (a check, it
    writes nothing)."""
    d = definition_of_q(q)
    satisfied_of = {x.code: x.satisfied_codes for x in d.choices}
    counts: dict[tuple[int, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for inst, quarter, answers in Response.objects.filter(questionnaire=q).values_list(
        "institution_id", "quarter", "answers"
    ):
        for code, answer in answers.items():
            good = answer in satisfied_of.get(code, ())
            for question in (code, "") if code == d.overall else (code,):
                c = counts[(inst, quarter, question)]
                c[0] += 1
                c[1] += good
    return {k: (v[0], v[1]) for k, v in counts.items()}
