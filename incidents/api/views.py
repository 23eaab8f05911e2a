"""A read-only JSON API: /api/cases/, /api/cases/<number>/ and its OpenAPI 3.1 description, /api/schema/.

Built with django-ninja from the schemas of incidents/api/schemas.py: the answers are those schemas, and the
OpenAPI document is generated from them and from the catalogue's FilterSet (no documentation page is served:
ninja's needs inline script, which the site's Content-Security-Policy refuses).

The list accepts exactly the parameters of /cases/ (the same IncidentFilterSet validates them), plus `page`
and `page_size`. Input the FilterSet does not accept is a 400 with the errors as JSON, never a 500.
Both operations take `lang` (en or fr): the language the answer is read in (incidents/api/schemas.py), English
by default, French through the /fr/ address.
Published cases only; a merged case answers 301 to the surviving case, a retracted one 410 with what
was retracted and why. Every operation answers HEAD too: link checkers ask with it.
"""

from __future__ import annotations

import functools
from typing import Annotated

from django import forms
from django.conf import settings
from django.core.paginator import EmptyPage, Paginator
from django.core.validators import RegexValidator
from django.http import HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.text import format_lazy
from django.utils.translation import get_language_from_path
from ninja import NinjaAPI, Path, Query, Status
from ninja.renderers import JSONRenderer
from pydantic import BaseModel, WithJsonSchema, create_model

from incidents.api.schemas import (
    CaseListOut,
    CaseOut,
    ErrorOut,
    InvalidInputOut,
    MergedOut,
    RetractedOut,
    text_in,
)
from incidents.filters import IncidentFilterSet
from incidents.models import LANGUAGE_CODES, Incident
from incidents.models import Status as CaseStatus
from incidents.services import follow_merges

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class CatalogueJSONRenderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}


class CatalogueAPI(NinjaAPI):
    """Answers as `application/json` (JSON is UTF-8 by definition: no charset parameter), readable by any
    site's scripts: public, read-only data without cookies."""

    def get_content_type(self):
        return self.renderer.media_type

    def create_response(self, request, data, *, status=None, temporal_response=None):
        response = super().create_response(request, data, status=status, temporal_response=temporal_response)
        response["Access-Control-Allow-Origin"] = "*"
        return response


api = CatalogueAPI(
    title=f"{settings.SITE_NAME} API",
    version="1.0.0",
    description=(
        "Read-only access to the published cases of the catalogue of customer-service failures. "
        "Data under CC BY 4.0: credit the site and link to the case."
    ),
    openapi_extra={"info": {"license": {"name": "CC BY 4.0", "identifier": "CC-BY-4.0"}}},
    openapi_url=None,  # served by `schema` below, with the site's address and English descriptions
    docs_url=None,
    urls_namespace="incidents",  # its URLs are named like the site's others: "incidents:api_cases"
    renderer=CatalogueJSONRenderer(),
)


def read_only(path, **operation):
    """A GET operation, also answering HEAD (left out of the OpenAPI document, which lists it once)."""

    def register(view):
        api.api_operation(["HEAD"], path, **{**operation, "include_in_schema": False})(view)
        return api.api_operation(["GET"], path, **operation)(view)

    return register


# Query parameters: the FilterSet's own, described from its form fields ------------------------------------

REPEATABLE = "{}. Repeat the parameter for several values (any of them matches)."


def form_field_schema(field):
    """The JSON schema of what a form field accepts, from its own choices and bounds."""
    if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
        items = {"type": "string"}
        if not isinstance(field, forms.ModelChoiceField):  # slugs of catalogue data are not part of the API
            items["enum"] = [value for value, _label in field.choices if value != ""]
        return {"type": "array", "items": items}
    if isinstance(field, forms.ChoiceField):
        return {"type": "string", "enum": [value for value, _label in field.choices if value != ""]}
    if isinstance(field, forms.IntegerField):
        bounds = {"minimum": field.min_value, "maximum": field.max_value}
        return {"type": "integer", **{key: value for key, value in bounds.items() if value is not None}}
    schema = {"type": "string"}
    if isinstance(field, forms.CharField):
        lengths = {"minLength": field.min_length, "maxLength": field.max_length}
        schema.update({key: value for key, value in lengths.items() if value is not None})
    patterns = [v.regex.pattern for v in field.validators if isinstance(v, RegexValidator) and not v.inverse_match]
    if patterns:
        schema["pattern"] = patterns[0]
    return schema


def query_parameter(schema, description):
    """A parameter described by `schema`, reaching the view as text (or texts) for its own form to validate."""
    if schema["type"] == "array":
        return Annotated[
            list[str] | None, WithJsonSchema({**schema, "description": format_lazy(REPEATABLE, description)})
        ]
    return Annotated[str | None, WithJsonSchema({**schema, "description": description})]


PAGE = {"type": "integer", "minimum": 1}
LANG = (
    query_parameter(
        {"type": "string", "enum": list(LANGUAGE_CODES)},
        "The language to read the cases in (default: en, or fr at the /fr/ address). A case not written in it "
        "comes in its original language: its `language` says which.",
    ),
    None,
)


def case_query(filterset_class):
    """The list's query parameters: every filter of the FilterSet, described from its form field, then the page
    and the language."""
    return create_model(
        "CaseQuery",
        __base__=BaseModel,
        **{
            name: (query_parameter(form_field_schema(field), field.help_text or field.label), None)
            for name, field in filterset_class().form.fields.items()  # an unbound form: no query
        },
        page=(query_parameter(PAGE, "Page number, from 1."), None),
        page_size=(
            query_parameter({**PAGE, "maximum": MAX_PAGE_SIZE}, f"Cases per page (at most {MAX_PAGE_SIZE})."),
            None,
        ),
        lang=LANG,
    )


CaseQuery = case_query(IncidentFilterSet)
LanguageQuery = create_model("LanguageQuery", __base__=BaseModel, lang=LANG)


# Operations ------------------------------------------------------------------------------------------------


def api_queryset():
    """Published cases with everything an item shows: a fixed number of queries for any page size."""
    return (
        Incident.objects.published()
        .select_related("company__sector")
        .prefetch_related("harm_types", "lessons", "costs", "sources", "timeline", "corrections")
    )


def positive_int(value, default, maximum=None):
    if value in (None, ""):
        return default
    if not str(value).isdigit() or int(value) < 1:
        raise ValueError
    return min(int(value), maximum) if maximum else int(value)


def invalid(param, detail, message="A positive whole number."):
    return Status(400, {"detail": detail, "errors": {param: [{"message": message}]}})


def answer_language(request, lang):
    """The language asked for with `lang`, else the address's (/fr/...), else English; ValueError if unknown."""
    if lang in (None, ""):
        return get_language_from_path(request.path_info) or settings.LANGUAGE_CODE
    if lang not in LANGUAGE_CODES:
        raise ValueError
    return lang


def unknown_language():
    return invalid("lang", "Invalid language.", f"One of: {', '.join(LANGUAGE_CODES)}.")


@read_only(
    "/cases/",
    url_name="api_cases",
    response={200: CaseListOut, 400: InvalidInputOut, 404: ErrorOut},
    operation_id="listCases",
    summary="Published cases, filtered like /cases/",
)
def case_list(request, response: HttpResponse, query: Query[CaseQuery]):
    """The published cases matching the filters of /cases/, a page at a time."""
    try:
        language = answer_language(request, query.lang)
    except ValueError:
        return unknown_language()
    with translation.override(language):  # the filters (search) and the cases read in it
        return cases_page(request, response, query, language)


def cases_page(request, response, query, language):
    filterset = IncidentFilterSet(request.GET, queryset=api_queryset(), request=request)
    if not filterset.is_valid():
        return Status(400, {"detail": "Invalid filters.", "errors": filterset.errors.get_json_data()})
    try:
        page_size = positive_int(query.page_size, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    except ValueError:
        return invalid("page_size", "Invalid page size.")
    try:
        number = positive_int(query.page, 1)
    except ValueError:
        return invalid("page", "Invalid page.")
    paginator = Paginator(filterset.qs, page_size)
    try:
        page = paginator.page(number)  # the first page exists even when empty
    except EmptyPage:
        return Status(404, {"detail": "Invalid page."})

    def page_link(n):
        params = request.GET.copy()
        params["page"] = n
        return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")

    response["Content-Language"] = language
    return {
        "count": paginator.count,
        "next": page_link(page.next_page_number()) if page.has_next() else None,
        "previous": page_link(page.previous_page_number()) if page.has_previous() else None,
        # Read here, in the language asked for (the answer is made after the view returns).
        "results": [CaseOut.model_validate(case, context={"request": request}) for case in page.object_list],
    }


@read_only(
    "/cases/{int:id}/",
    url_name="api_case",
    response={200: CaseOut, 301: MergedOut, 400: InvalidInputOut, 404: ErrorOut, 410: RetractedOut},
    operation_id="getCase",
    summary="One published case",
)
def case_detail(
    request,
    response: HttpResponse,
    number: Annotated[int, Path(alias="id", description="The case number (42 for SC-0042).")],
    query: Query[LanguageQuery],
):
    """One published case; 301 to the surviving case of a merge, 410 with what and why for a retracted one."""
    try:
        language = answer_language(request, query.lang)
    except ValueError:
        return unknown_language()
    case = Incident.objects.public().select_related("merged_into").filter(pk=number).first()
    if case is None:
        return Status(404, {"detail": "No published case with this number."})
    if case.status == CaseStatus.MERGED and case.merged_into_id:
        target = follow_merges(case)
        location = reverse("incidents:api_case", kwargs={"id": target.pk})
        response["Location"] = f"{location}?{request.GET.urlencode()}" if request.GET else location
        return Status(301, {"detail": "Merged into another case.", "reference": target.reference})
    response["Content-Language"] = language
    with translation.override(language):
        if case.status == CaseStatus.RETRACTED:
            return Status(
                410,
                {
                    "detail": "This case was retracted.",
                    "reference": case.reference,
                    "retracted_at": case.retracted_at,
                    "reason": text_in(case, "retraction_reason", case.text_language()),
                    "url": request.build_absolute_uri(case.get_absolute_url()),
                },
            )
        return CaseOut.model_validate(api_queryset().get(pk=number), context={"request": request})


@read_only("/schema/", url_name="api_schema", include_in_schema=False)
def schema(request):
    """The OpenAPI 3.1 description of this API, generated from its operations and schemas (once per process:
    it depends on the code alone, and generating it costs 18 times what serving it does)."""
    document = {**openapi_document(), "servers": [{"url": request.build_absolute_uri("/")[:-1]}]}
    return api.create_response(request, document, status=200)


@functools.cache
def openapi_document():
    with translation.override("en"):
        return api.get_openapi_schema()


# Included by incidents/urls.py under api/, without a namespace of their own: "incidents:api_case" and so on.
urlpatterns = api.urls[0]
