"""Open data: the /data/ page and the streamed CSV and JSON downloads of the published cases.

The downloads write the rows of the exchange format (incidents/exchange/: its columns and `case_row()`), so
that a downloaded file can be read back by `import_cases`; they read the cases in chunks, in bounded memory
(`export.cases_in_chunks()`). Every row carries the case's texts in both languages, whatever the language of
the address it is downloaded from (only its `url` column follows that address).
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, Max
from django.http import JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from incidents.exchange import export
from incidents.exchange.columns import COLUMNS
from incidents.filters import IncidentFilterSet
from incidents.models import Incident

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
        "inLanguage": [code for code, _name in settings.LANGUAGES],  # every text is in both, where translated
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
    return [{"name": column.name, "type": column.kind, "description": column.description} for column in COLUMNS]


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


def export_rows(request, cases):
    """The rows of the cases (`export.case_row`, the columns `import_cases` reads), chunk by chunk.

    The rows are made while the response streams, after the view and its middleware have returned: the links
    are made in the language of the download's address, read now."""
    base_url = request.build_absolute_uri("/")
    language = translation.get_language()

    def rows():
        with translation.override(language):
            for case in export.cases_in_chunks(cases, EXPORT_CHUNK_SIZE):
                yield export.case_row(case, base_url)

    return rows()


def download(request, to_text, content_type, extension):
    """Every published case matching the catalogue's filters, as rows written by `to_text`, streamed."""
    cases, errors = filtered_cases(request)
    if errors:
        return JsonResponse({"detail": "Invalid filters.", "errors": errors}, status=400)
    return download_response(request, to_text(export_rows(request, cases)), content_type, extension)


@require_safe
def data_csv(request):
    """/data/cases.csv: every published case matching the catalogue's filters, streamed row by row."""
    return download(request, export.csv_chunks, "text/csv; charset=utf-8", "csv")


@require_safe
def data_json(request):
    """/data/cases.json: the same rows as the CSV, as a JSON array streamed object by object."""
    return download(request, export.json_chunks, "application/json; charset=utf-8", "json")
