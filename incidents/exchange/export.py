"""Export: cases as rows of the exchange format (incidents/exchange/columns.py), as CSV or JSON text.

`iter_rows()` yields the rows of a queryset in bounded memory, `cases_in_chunks()` reads cases the way a
long streamed download needs, and `csv_chunks()` / `json_chunks()` turn rows into text for a file or a
streamed response. export_cases and the /data/ downloads write them; import_cases reads them back.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch

from incidents.api.schemas import text_in
from incidents.exchange.columns import CASE_TEXTS, COLUMN_NAMES, LIST_COLUMNS, ROW_FIELDS, ROW_TEXTS, in_each_language
from incidents.models import ApologyQuality, CostEstimate, HarmType, Incident, Lesson, Source, TimelineEvent

# The rows of a case's list columns, each in the order a reader of the case page sees them.
ROW_ORDER = {
    "sources": (Source, ["position", "published_on", "id"]),
    "timeline": (TimelineEvent, ["date", "position", "id"]),
    "costs": (CostEstimate, ["position", "id"]),
}


def _rows(kind):
    model, ordering = ROW_ORDER[kind]
    return model.objects.order_by(*ordering)


def export_queryset(queryset):
    """The queryset with everything a row needs fetched in a fixed number of queries per chunk."""
    return (
        queryset.select_related("company__sector", "merged_into")
        .prefetch_related(
            "harm_types",
            "lessons",
            *(Prefetch(kind, queryset=_rows(kind)) for kind in ROW_ORDER),
        )
        .order_by("pk")
    )


def _plain(value):
    """A value as JSON writes it: dates in ISO 8601, decimals as exact strings."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _date(value):
    return value.isoformat() if value else None


def _texts(obj, names, language):
    """Texts as the columns hold them: each in `language` (the case's own) unsuffixed, then in every language."""
    return {
        **{name: text_in(obj, name, language) for name in names},
        **{column: getattr(obj, column) or "" for column in in_each_language(names)},
    }


def _items(kind, rows, language, **computed):
    """The rows of one list column, each a dict of `ROW_FIELDS[kind]`; `computed` gives a key's value per row."""
    items = []
    for row in rows:
        values = {**_texts(row, ROW_TEXTS[kind], language), **{name: value(row) for name, value in computed.items()}}
        items.append(
            {name: values[name] if name in values else _plain(getattr(row, name)) for name in ROW_FIELDS[kind]}
        )
    return items


def case_row(case, base_url=""):
    """One case as a row: a dict in `COLUMN_NAMES` order, lists for costs, sources and timeline."""
    sources = list(case.sources.all())
    source_index = {source.pk: index for index, source in enumerate(sources)}
    texts = _texts(case, CASE_TEXTS, case.language)
    return {
        "reference": case.reference,
        "id": case.pk,
        "title": texts["title"],
        "slug": case.slug,
        "status": case.status,
        "company": case.company.name,
        "company_slug": case.company.slug,
        "sector": case.company.sector.slug,
        "country": case.country,
        "language": case.language,
        "occurred_on": _date(case.occurred_on),
        "occurred_precision": case.occurred_precision,
        "first_response_on": _date(case.first_response_on),
        "first_response_precision": case.first_response_precision,
        "resolved_on": _date(case.resolved_on),
        "resolved_precision": case.resolved_precision,
        "apology_quality": ApologyQuality(case.apology_quality).slug,
        "customers_affected": case.customers_affected,
        "harm_types": ";".join(sorted(h.slug for h in case.harm_types.all())),
        "lessons": ";".join(sorted(lesson.slug for lesson in case.lessons.all())),
        "summary": texts["summary"],
        "story": texts["story"],
        "lesson": texts["lesson"],
        "apology_text": texts["apology_text"],
        "response": texts["response"],
        "corrective_actions": texts["corrective_actions"],
        "costs": _items("costs", case.costs.all(), case.language, source=lambda cost: source_index.get(cost.source_id)),
        "sources": _items("sources", sources, case.language),
        "timeline": _items("timeline", case.timeline.all(), case.language),
        "published_at": case.published_at.isoformat() if case.published_at else None,
        "updated_at": case.updated_at.isoformat() if case.updated_at else None,
        "url": base_url.rstrip("/") + case.get_absolute_url(),
        "retraction_reason": texts["retraction_reason"],
        "merged_into": case.merged_into.reference if case.merged_into_id else "",
        **{column: texts[column] for column in in_each_language(CASE_TEXTS)},
    }


def iter_rows(queryset, *, chunk_size=500, base_url=""):
    """Rows for every case of `queryset`, fetched `chunk_size` at a time (memory stays bounded)."""
    for case in export_queryset(queryset).iterator(chunk_size=chunk_size):
        yield case_row(case, base_url)


def cases_in_chunks(queryset, size):
    """The cases of `queryset` in number order, `size` at a time, each with what `case_row` reads.

    Keyset pagination (`pk > last`, LIMIT size): every chunk is a short indexed query, so no database cursor
    stays open for the whole download (on PostgreSQL, a cursor outside a transaction is materialised whole
    before its first row: 6 s and the full result set on the server for 100,000 cases), and it works behind
    a transaction-pooling PgBouncer. The inlines of a chunk come in one query per relation, grouped by case
    and handed to the related managers through Django's prefetch cache: the same rows as
    `export_queryset()`'s prefetching (a test compares them) for half its CPU time, because no queryset is
    cloned for each case and relation.
    """
    last = 0
    through_harm, through_lesson = Incident.harm_types.through, Incident.lessons.through
    while True:
        cases = list(
            queryset.filter(pk__gt=last).select_related("company__sector", "merged_into").order_by("pk")[:size]
        )
        if not cases:
            return
        ids = [case.pk for case in cases]
        grouped = {name: defaultdict(list) for name in [*ROW_ORDER, "harm_types", "lessons"]}
        for name in ROW_ORDER:
            for row in _rows(name).filter(incident_id__in=ids):
                grouped[name][row.incident_id].append(row)
        # Harm types and lesson themes are a short taxonomy: one object each, shared by every case of the chunk.
        for name, through, model, column in (
            ("harm_types", through_harm, HarmType, "harmtype_id"),
            ("lessons", through_lesson, Lesson, "lesson_id"),
        ):
            links = list(through.objects.filter(incident_id__in=ids).values_list("incident_id", column))
            objects = model.objects.in_bulk({target for _case, target in links})
            for case_id, target in links:
                grouped[name][case_id].append(objects[target])
        for case in cases:
            # What prefetch_related() would store: `case.sources.all()` and the like read it without a query.
            case._prefetched_objects_cache = {name: rows.get(case.pk, []) for name, rows in grouped.items()}
            yield case
        last = ids[-1]


def csv_cells(row):
    """A row as CSV cells, in column order."""
    cells = []
    for name in COLUMN_NAMES:
        value = row.get(name)
        if name in LIST_COLUMNS:
            cells.append(json.dumps(value or [], ensure_ascii=False))
        elif value is None:
            cells.append("")
        elif isinstance(value, bool):
            cells.append("true" if value else "false")
        else:
            cells.append(str(value))
    return cells


def csv_chunks(rows):
    """CSV text, header first, one chunk per row (for a file or a StreamingHttpResponse)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMN_NAMES)
    for row in rows:
        writer.writerow(csv_cells(row))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def json_chunks(rows):
    """A JSON list of row objects, one chunk per row."""
    yield "["
    first = True
    for row in rows:
        yield ("\n" if first else ",\n") + json.dumps(
            {name: row.get(name) for name in COLUMN_NAMES}, ensure_ascii=False
        )
        first = False
    yield "\n]\n"
