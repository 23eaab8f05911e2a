"""Open data: the /data/ page, streamed CSV and JSON downloads, and the embeddable case card with oEmbed.

The downloads write the rows of the editors' import/export schema (incidents/imports.py: its columns and
`case_row()`), so that a downloaded file can be read back by `import_cases`; they read the cases in chunks
of their own, in bounded memory (`cases_in_chunks()`).
"""

from __future__ import annotations

from collections import defaultdict
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Count, Max
from django.http import HttpResponseRedirect, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from incidents.cards import headline_figure
from incidents.citations import follow_merges
from incidents.filters import IncidentFilterSet
from incidents.models import CostEstimate, HarmType, Incident, Lesson, Source, Status, TimelineEvent

# Embeds ---------------------------------------------------------------------------------------------------

EMBED_WIDTH, EMBED_HEIGHT = 560, 300
MIN_EMBED_WIDTH, MIN_EMBED_HEIGHT = 200, 120


@require_safe
@xframe_options_exempt  # the one page other sites may frame; its CSP gets frame-ancestors * (incidents/security.py)
def case_embed(request, pk):
    """/cases/<number>/embed/: a small card meant for an <iframe> on another site."""
    case = get_object_or_404(
        Incident.objects.public().select_related("company__sector", "merged_into").prefetch_related("costs"), pk=pk
    )
    if case.status == Status.MERGED and case.merged_into_id:
        target = follow_merges(case)
        return HttpResponseRedirect(reverse("incidents:case_embed", kwargs={"pk": target.pk}), status=301)
    # The card speaks the case's language: a framed page gets no language cookie from its host site.
    with translation.override(case.language):
        context = {
            "case": case,
            "retracted": case.status == Status.RETRACTED,
            "figure": headline_figure(case) if case.status == Status.PUBLISHED else "",
            "case_url": request.build_absolute_uri(case.get_absolute_url()),
            "site_url": request.build_absolute_uri(reverse("incidents:home")),
            "site_name": settings.SITE_NAME,
        }
        response = render(request, "incidents/embed.html", context)
    response["Cache-Control"] = "public, max-age=3600"
    return response


def case_from_url(request, url):
    """The case a URL of this site points at (a case page, its short reference or its embed), or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    if not url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return None
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    names = {"incident_detail": "pk", "incident_redirect": "pk", "case_embed": "pk", "short_reference": "number"}
    if match.namespace != "incidents" or match.url_name not in names:
        return None
    number = match.kwargs.get(names[match.url_name])
    case = Incident.objects.public().select_related("company", "merged_into").filter(pk=number).first()
    if case is not None and case.status == Status.MERGED:
        case = follow_merges(case)
    if case is None or case.status != Status.PUBLISHED:
        return None
    return case


def _bounded(value, default, minimum):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return max(min(number, default), minimum)


@require_safe
def oembed(request):
    """/oembed/?url=<case URL>&format=json: the oEmbed "rich" response that embeds a case's card."""
    if request.GET.get("format", "json") != "json":
        return JsonResponse({"detail": "Only the json format is served."}, status=501)
    url = request.GET.get("url", "")
    if not url:
        return JsonResponse({"detail": "The url parameter is required."}, status=400)
    case = case_from_url(request, url)
    if case is None:
        return JsonResponse({"detail": "No published case at this URL."}, status=404)
    width = _bounded(request.GET.get("maxwidth"), EMBED_WIDTH, MIN_EMBED_WIDTH)
    height = _bounded(request.GET.get("maxheight"), EMBED_HEIGHT, MIN_EMBED_HEIGHT)
    embed_url = request.build_absolute_uri(reverse("incidents:case_embed", kwargs={"pk": case.pk}))
    html = format_html(
        '<iframe src="{}" width="{}" height="{}" title="{}" loading="lazy" '
        'sandbox="allow-popups allow-popups-to-escape-sandbox"></iframe>',
        embed_url,
        width,
        height,
        f"{case.title} ({case.reference}), {settings.SITE_NAME}",
    )
    data = {
        "version": "1.0",
        "type": "rich",
        "title": case.title,
        "author_name": settings.SITE_NAME,
        "author_url": request.build_absolute_uri(reverse("incidents:home")),
        "provider_name": settings.SITE_NAME,
        "provider_url": request.build_absolute_uri(reverse("incidents:home")),
        "cache_age": 86400,
        "html": str(html),
        "width": width,
        "height": height,
    }
    # A thumbnail must respect maxwidth and maxheight: the share card is offered only when it fits.
    card_width, card_height = 1200, 630
    max_width, max_height = request.GET.get("maxwidth"), request.GET.get("maxheight")
    if (not max_width or _bounded(max_width, card_width, 0) >= card_width) and (
        not max_height or _bounded(max_height, card_height, 0) >= card_height
    ):
        data.update(
            thumbnail_url=request.build_absolute_uri(reverse("incidents:case_card", kwargs={"pk": case.pk})),
            thumbnail_width=card_width,
            thumbnail_height=card_height,
        )
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    return response


# The /data/ page ------------------------------------------------------------------------------------------

DATA_LICENCE = {"name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"}


@require_safe
def data_page(request):
    """/data/: what the dataset holds, its licence, its fields, how to download, query and cite it."""
    stats = Incident.objects.published().aggregate(n=Count("id"), updated=Max("updated_at"))
    context = {
        "n_cases": stats["n"],
        "updated": stats["updated"],
        "licence": DATA_LICENCE,
        "fields": field_dictionary(),
        "dataset_citation": dataset_citation(request, stats["updated"]),
    }
    context["dataset_jsonld"] = dataset_jsonld(request, context)
    return render(request, "incidents/data.html", context)


def dataset_citation(request, updated):
    date = (updated or timezone.now()).date()
    return _("%(site)s. (%(year)s). %(title)s [Data set]. Version of %(date)s. %(url)s") % {
        "site": settings.SITE_NAME,
        "year": date.year,
        "title": _("Catalogue of customer-service failures"),
        "date": date.isoformat(),
        "url": request.build_absolute_uri(reverse("incidents:data")),
    }


def dataset_jsonld(request, context):
    """schema.org Dataset, for dataset search engines."""
    absolute = request.build_absolute_uri
    return {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "name": _("Sévices clients: catalogue of customer-service failures"),
        "description": _(
            "Published cases of customer-service failure: the company, what happened, the apology, the response "
            "delays, the estimated costs, the sources and the timeline."
        ),
        "url": absolute(reverse("incidents:data")),
        "license": DATA_LICENCE["url"],
        "isAccessibleForFree": True,
        "creator": {"@type": "Organization", "name": settings.SITE_NAME, "url": absolute(reverse("incidents:home"))},
        **({"dateModified": context["updated"].isoformat()} if context["updated"] else {}),
        "distribution": [
            {
                "@type": "DataDownload",
                "encodingFormat": "text/csv",
                "contentUrl": absolute(reverse("incidents:data_csv")),
            },
            {
                "@type": "DataDownload",
                "encodingFormat": "application/json",
                "contentUrl": absolute(reverse("incidents:data_json")),
            },
        ],
    }


# Downloads ------------------------------------------------------------------------------------------------

EXPORT_CHUNK_SIZE = 1000  # cases fetched (with their costs, sources and timeline) per round trip
STREAM_BUFFER = 64 * 1024  # characters sent to the client at a time


def field_dictionary():
    """The columns of the downloads, with their type and meaning, in the order of the files."""
    from incidents import imports  # the shared import/export schema: columns and the bounded-memory row generator

    return [{"name": column.name, "type": column.kind, "description": column.description} for column in imports.COLUMNS]


def filtered_cases(request):
    """The published cases matching the catalogue's filters, or the FilterSet's errors."""
    filterset = IncidentFilterSet(request.GET, queryset=Incident.objects.published(), request=request)
    if not filterset.is_valid():
        return None, filterset.errors.get_json_data()
    return filterset.qs, None


def buffered(pieces):
    """Join small strings into chunks of about STREAM_BUFFER characters (fewer, larger writes)."""
    buffer, size = [], 0
    for piece in pieces:
        buffer.append(piece)
        size += len(piece)
        if size >= STREAM_BUFFER:
            yield "".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer)


def download_response(request, pieces, content_type, extension):
    # A HEAD request (a link checker) gets the headers without the cases being read.
    body = buffered(pieces) if request.method != "HEAD" else iter(())
    response = StreamingHttpResponse(body, content_type=content_type)
    filename = f"sevices-clients-cases-{timezone.localdate().isoformat()}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Access-Control-Allow-Origin"] = "*"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def cases_in_chunks(queryset, size):
    """The cases of `queryset` in number order, `size` at a time, each with what `imports.case_row` reads.

    Keyset pagination (`pk > last`, LIMIT size): every chunk is a short indexed query, so no database cursor
    stays open for the whole download (on PostgreSQL, a cursor outside a transaction is materialised whole
    before its first row: 6 s and the full result set on the server for 100,000 cases), and it works behind
    a transaction-pooling PgBouncer. The inlines of a chunk come in one query per relation, grouped by case
    and handed to the related managers through Django's prefetch cache: the same rows as
    `imports.export_queryset()`'s prefetching (a test compares them) for half its CPU time, because no
    queryset is cloned for each case and relation.
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
        related = {
            "sources": Source.objects.filter(incident_id__in=ids).order_by("position", "published_on", "id"),
            "timeline": TimelineEvent.objects.filter(incident_id__in=ids).order_by("date", "position", "id"),
            "costs": CostEstimate.objects.filter(incident_id__in=ids).order_by("position", "id"),
        }
        grouped = {name: defaultdict(list) for name in [*related, "harm_types", "lessons"]}
        for name, rows in related.items():
            for row in rows:
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


def export_rows(request, cases):
    """The shared rows (`imports.case_row`, the columns `import_cases` reads) of the cases, chunk by chunk."""
    from incidents import imports

    base_url = request.build_absolute_uri("/")
    for case in cases_in_chunks(cases, EXPORT_CHUNK_SIZE):
        yield imports.case_row(case, base_url)


@require_safe
def data_csv(request):
    """/data/cases.csv: every published case matching the catalogue's filters, streamed row by row."""
    cases, errors = filtered_cases(request)
    if errors:
        return JsonResponse({"detail": "Invalid filters.", "errors": errors}, status=400)
    from incidents import imports

    pieces = imports.csv_chunks(export_rows(request, cases))
    return download_response(request, pieces, "text/csv; charset=utf-8", "csv")


@require_safe
def data_json(request):
    """/data/cases.json: the same rows as the CSV, as a JSON array streamed object by object."""
    cases, errors = filtered_cases(request)
    if errors:
        return JsonResponse({"detail": "Invalid filters.", "errors": errors}, status=400)
    from incidents import imports

    pieces = imports.json_chunks(export_rows(request, cases))
    return download_response(request, pieces, "application/json; charset=utf-8", "json")
