"""A read-only JSON API: /api/cases/, /api/cases/<number>/ and its OpenAPI 3.1 description, /api/schema/.

The list accepts exactly the parameters of /cases/ (the same IncidentFilterSet), plus `page` and
`page_size`. Input the FilterSet does not accept is a 400 with the errors as JSON, never a 500.
Published cases only; a merged case answers 301 to the surviving case, a retracted one 410 with what
was retracted and why. Written with JsonResponse: three read-only endpoints do not need a framework.
"""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import EmptyPage, Paginator
from django.db.models import Prefetch
from django.http import JsonResponse
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_safe

from incidents.citations import follow_merges
from incidents.filters import SORTS, IncidentFilterSet
from incidents.models import (
    ApologyQuality,
    CostEstimate,
    CostKind,
    CostMethod,
    Incident,
    SourceKind,
    Status,
)

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
API_VERSION = "1.0.0"


def api_response(data, status=200, **kwargs):
    response = JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False}, **kwargs)
    # Public, read-only data without cookies: any site's scripts may read it.
    response["Access-Control-Allow-Origin"] = "*"
    return response


def error(status, detail, **extra):
    return api_response({"detail": detail, **extra}, status=status)


def api_queryset():
    """Published cases with everything an item shows: a fixed number of queries for any page size."""
    return (
        Incident.objects.published()
        .select_related("company__sector")
        .prefetch_related(
            "harm_types",
            "lessons",
            "sources",
            "timeline",
            "corrections",
            Prefetch("costs", queryset=CostEstimate.objects.all()),
        )
    )


def iso(value):
    return value.isoformat() if value is not None else None


def decimal_text(value):
    return str(value) if value is not None else None


def case_item(request, case):
    """The JSON representation of a published case (labels in English; slugs and codes are the stable keys)."""
    absolute = request.build_absolute_uri
    company, sector = case.company, case.company.sector
    with translation.override("en"):
        return {
            "reference": case.reference,
            "id": case.pk,
            "url": absolute(case.get_absolute_url()),
            "api_url": absolute(reverse("incidents:api_case", kwargs={"pk": case.pk})),
            "short_url": absolute(reverse("incidents:short_reference", kwargs={"number": case.pk})),
            "title": case.title,
            "slug": case.slug,
            "summary": case.summary,
            "story": case.story,
            "lesson": case.lesson,
            "language": case.language,
            "country": case.country,
            "company": {
                "name": company.name,
                "slug": company.slug,
                "country": company.country,
                "website": company.website,
                "url": absolute(company.get_absolute_url()),
            },
            "sector": {"name": sector.name, "slug": sector.slug, "url": absolute(sector.get_absolute_url())},
            "harm_types": [h.slug for h in case.harm_types.all()],
            "lessons": [lesson.slug for lesson in case.lessons.all()],
            "customers_affected": case.customers_affected,
            "occurred_on": iso(case.occurred_on),
            "occurred_precision": case.occurred_precision,
            "first_response_on": iso(case.first_response_on),
            "first_response_precision": case.first_response_precision,
            "resolved_on": iso(case.resolved_on),
            "resolved_precision": case.resolved_precision,
            "response_days": case.response_days,
            "resolution_days": case.resolution_days,
            "apology": {
                "level": case.apology_quality,
                "slug": case.apology.slug,
                "label": str(case.apology.label),
                "text": case.apology_text,
            },
            "response": case.response,
            "corrective_actions": case.corrective_actions,
            "headline_cost_eur": decimal_text(case.headline_cost_eur),
            "costs": [
                {
                    "kind": cost.kind,
                    "amount_low": decimal_text(cost.amount_low),
                    "amount_high": decimal_text(cost.amount_high),
                    "currency": cost.currency,
                    "method": cost.method,
                    "claimed_by": cost.claimed_by,
                    "note": cost.note,
                }
                for cost in case.costs.all()
            ],
            "sources": [
                {
                    "kind": source.kind,
                    "title": source.title,
                    "publisher": source.publisher,
                    "url": source.url,
                    "archive_url": source.archive_url,
                    "published_on": iso(source.published_on),
                    "language": source.language,
                }
                for source in case.sources.all()
            ],
            "timeline": [
                {
                    "date": iso(event.date),
                    "precision": event.precision,
                    "description": event.description,
                    "channel": event.channel,
                    "is_turning_point": event.is_turning_point,
                }
                for event in case.timeline.all()
            ],
            "corrections": [{"date": iso(c.date), "note": c.note} for c in case.corrections.all()],
            "published_at": iso(case.published_at),
            "updated_at": iso(case.updated_at),
            "card_url": absolute(reverse("incidents:case_card", kwargs={"pk": case.pk})),
            "embed_url": absolute(reverse("incidents:case_embed", kwargs={"pk": case.pk})),
            "citation": {
                fmt: absolute(reverse("incidents:cite", kwargs={"pk": case.pk, "fmt": fmt}))
                for fmt in ("bib", "ris", "json")
            },
        }


def positive_int(value, default, maximum=None):
    if value in (None, ""):
        return default
    if not str(value).isdigit() or int(value) < 1:
        raise ValueError
    return min(int(value), maximum) if maximum else int(value)


@require_safe
def case_list(request):
    """/api/cases/: the published cases matching the filters of /cases/, a page at a time."""
    filterset = IncidentFilterSet(request.GET, queryset=api_queryset(), request=request)
    if not filterset.is_valid():
        return api_response({"detail": "Invalid filters.", "errors": filterset.errors.get_json_data()}, status=400)
    try:
        page_size = positive_int(request.GET.get("page_size"), DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    except ValueError:
        return error(400, "Invalid page size.", errors={"page_size": [{"message": "A positive whole number."}]})
    try:
        number = positive_int(request.GET.get("page"), 1)
    except ValueError:
        return error(400, "Invalid page.", errors={"page": [{"message": "A positive whole number."}]})
    paginator = Paginator(filterset.qs, page_size)
    try:
        page = paginator.page(number)
    except EmptyPage:
        if number != 1:
            return error(404, "Invalid page.")
        page = paginator.page(1)  # unreachable: Paginator allows an empty first page

    def page_link(n):
        query = request.GET.copy()
        query["page"] = n
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

    return api_response(
        {
            "count": paginator.count,
            "next": page_link(page.next_page_number()) if page.has_next() else None,
            "previous": page_link(page.previous_page_number()) if page.has_previous() else None,
            "results": [case_item(request, case) for case in page.object_list],
        }
    )


@require_safe
def case_detail(request, pk):
    """/api/cases/<number>/: one published case."""
    case = Incident.objects.public().select_related("merged_into").filter(pk=pk).first()
    if case is None:
        return error(404, "No published case with this number.")
    if case.status == Status.MERGED and case.merged_into_id:
        target = follow_merges(case)
        response = api_response({"detail": "Merged into another case.", "reference": target.reference}, status=301)
        response["Location"] = reverse("incidents:api_case", kwargs={"pk": target.pk})
        return response
    if case.status == Status.RETRACTED:
        return error(
            410,
            "This case was retracted.",
            reference=case.reference,
            retracted_at=iso(case.retracted_at),
            reason=case.retraction_reason,
            url=request.build_absolute_uri(case.get_absolute_url()),
        )
    case = api_queryset().get(pk=pk)
    return api_response(case_item(request, case))


# OpenAPI -----------------------------------------------------------------------------------------------


def _array_param(name, description, enum=None):
    items = {"type": "string"}
    if enum:
        items["enum"] = enum
    return {
        "name": name,
        "in": "query",
        "description": description + " Repeat the parameter for several values (any of them matches).",
        "schema": {"type": "array", "items": items},
        "style": "form",
        "explode": True,
    }


def _param(name, description, schema):
    return {"name": name, "in": "query", "description": description, "schema": schema}


def filter_parameters():
    """The parameters of /cases/, described from the FilterSet's own choices and bounds."""
    return [
        _param("q", "Full-text search in both catalogue languages.", {"type": "string", "maxLength": 200}),
        _array_param("company", "Company slug."),
        _array_param("sector", "Sector slug."),
        _array_param("harm", "Harm type slug."),
        _array_param("lesson", "Lesson theme slug."),
        _array_param("apology", "Apology quality.", enum=[q.slug for q in ApologyQuality]),
        _param("year_from", "Happened in or after this year.", {"type": "integer", "minimum": 1900, "maximum": 2100}),
        _param("year_to", "Happened in or before this year.", {"type": "integer", "minimum": 1900, "maximum": 2100}),
        _param(
            "country",
            "Two-letter ISO 3166 code of where it happened.",
            {"type": "string", "pattern": "^[A-Za-z]{2}$"},
        ),
        _param(
            "min_cost",
            "Bad buzz of at least this amount, in euros at reference rates.",
            {"type": "integer", "minimum": 0},
        ),
        _param(
            "updated_within",
            "Updated within this many days.",
            {"type": "integer", "minimum": 1, "maximum": 36500},
        ),
        _param(
            "sort",
            "Order of the results (relevance needs a search).",
            {"type": "string", "enum": [*SORTS, "relevance"]},
        ),
    ]


def openapi_document(request):
    absolute = request.build_absolute_uri
    nullable_string = {"type": ["string", "null"]}
    nullable_date = {"type": ["string", "null"], "format": "date"}
    case_schema = {
        "type": "object",
        "required": ["reference", "id", "url", "api_url", "title", "company", "sector", "apology", "costs", "sources"],
        "properties": {
            "reference": {"type": "string", "example": "SC-0042", "description": "Permanent short reference."},
            "id": {"type": "integer"},
            "url": {"type": "string", "format": "uri", "description": "The case's page."},
            "api_url": {"type": "string", "format": "uri"},
            "short_url": {"type": "string", "format": "uri"},
            "title": {"type": "string"},
            "slug": {"type": "string"},
            "summary": {"type": "string"},
            "story": {"type": "string", "description": "Markdown."},
            "lesson": {"type": "string"},
            "language": {"type": "string", "enum": ["en", "fr"]},
            "country": {"type": "string"},
            "company": {
                "type": "object",
                "properties": {k: {"type": "string"} for k in ("name", "slug", "country", "website", "url")},
            },
            "sector": {"type": "object", "properties": {k: {"type": "string"} for k in ("name", "slug", "url")}},
            "harm_types": {"type": "array", "items": {"type": "string"}},
            "lessons": {"type": "array", "items": {"type": "string"}},
            "customers_affected": {"type": ["integer", "null"]},
            "occurred_on": nullable_date,
            "occurred_precision": {"type": "string", "enum": ["day", "month", "year"]},
            "first_response_on": nullable_date,
            "first_response_precision": {"type": "string", "enum": ["day", "month", "year"]},
            "resolved_on": nullable_date,
            "resolved_precision": {"type": "string", "enum": ["day", "month", "year"]},
            "response_days": {"type": ["integer", "null"]},
            "resolution_days": {"type": ["integer", "null"]},
            "apology": {
                "type": "object",
                "properties": {
                    "level": {"type": "integer", "minimum": 0, "maximum": 5},
                    "slug": {"type": "string", "enum": [q.slug for q in ApologyQuality]},
                    "label": {"type": "string"},
                    "text": {"type": "string"},
                },
            },
            "response": {"type": "string"},
            "corrective_actions": {"type": "string"},
            "headline_cost_eur": {**nullable_string, "description": "Decimal, euros at reference rates."},
            "costs": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "kind": {"type": "string", "enum": list(CostKind.values)},
                        "amount_low": {"type": "string", "description": "Decimal."},
                        "amount_high": {**nullable_string, "description": "Decimal; only for a range."},
                        "currency": {"type": "string", "description": "ISO 4217."},
                        "method": {"type": "string", "enum": list(CostMethod.values)},
                        "claimed_by": {"type": "string"},
                        "note": {"type": "string"},
                    },
                },
            },
            "sources": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "kind": {"type": "string", "enum": list(SourceKind.values)},
                        "title": {"type": "string"},
                        "publisher": {"type": "string"},
                        "url": {"type": "string"},
                        "archive_url": {"type": "string"},
                        "published_on": nullable_date,
                        "language": {"type": "string"},
                    },
                },
            },
            "timeline": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "date": {"type": "string", "format": "date"},
                        "precision": {"type": "string", "enum": ["day", "month", "year"]},
                        "description": {"type": "string"},
                        "channel": {"type": "string"},
                        "is_turning_point": {"type": "boolean"},
                    },
                },
            },
            "corrections": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"date": {"type": "string", "format": "date"}, "note": {"type": "string"}},
                },
            },
            "published_at": {"type": ["string", "null"], "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "card_url": {"type": "string", "format": "uri"},
            "embed_url": {"type": "string", "format": "uri"},
            "citation": {"type": "object", "additionalProperties": {"type": "string", "format": "uri"}},
        },
    }
    error_response = {"$ref": "#/components/schemas/Error"}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{settings.SITE_NAME} API",
            "version": API_VERSION,
            "description": (
                "Read-only access to the published cases of the catalogue of customer-service failures. "
                "Data under CC BY 4.0: credit the site and link to the case."
            ),
            "license": {"name": "CC BY 4.0", "identifier": "CC-BY-4.0"},
        },
        "servers": [{"url": absolute("/")[:-1]}],
        "paths": {
            "/api/cases/": {
                "get": {
                    "operationId": "listCases",
                    "summary": "Published cases, filtered like /cases/",
                    "parameters": [
                        *filter_parameters(),
                        _param("page", "Page number, from 1.", {"type": "integer", "minimum": 1}),
                        _param(
                            "page_size",
                            f"Cases per page (at most {MAX_PAGE_SIZE}).",
                            {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
                        ),
                    ],
                    "responses": {
                        "200": {
                            "description": "A page of cases.",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CaseList"}}},
                        },
                        "400": {
                            "description": "Invalid filters.",
                            "content": {"application/json": {"schema": error_response}},
                        },
                        "404": {
                            "description": "No such page.",
                            "content": {"application/json": {"schema": error_response}},
                        },
                    },
                }
            },
            "/api/cases/{id}/": {
                "get": {
                    "operationId": "getCase",
                    "summary": "One published case",
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "description": "The case number (42 for SC-0042).",
                            "schema": {"type": "integer"},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "The case.",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Case"}}},
                        },
                        "301": {"description": "Merged into another case: see Location."},
                        "404": {
                            "description": "No published case.",
                            "content": {"application/json": {"schema": error_response}},
                        },
                        "410": {
                            "description": "Retracted: what and why.",
                            "content": {"application/json": {"schema": error_response}},
                        },
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Case": case_schema,
                "CaseList": {
                    "type": "object",
                    "required": ["count", "next", "previous", "results"],
                    "properties": {
                        "count": {"type": "integer"},
                        "next": {"type": ["string", "null"], "format": "uri"},
                        "previous": {"type": ["string", "null"], "format": "uri"},
                        "results": {"type": "array", "items": {"$ref": "#/components/schemas/Case"}},
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["detail"],
                    "properties": {"detail": {"type": "string"}, "errors": {"type": "object"}},
                },
            }
        },
    }


@require_safe
def schema(request):
    """/api/schema/: the OpenAPI 3.1 description of this API."""
    return api_response(openapi_document(request))
