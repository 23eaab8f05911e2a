"""The declared representation of a published case: one schema per piece, read by everything that writes a case out.

The API sends these (incidents/api/views.py) and its OpenAPI document is generated from them; the case page's
JSON-LD (`seo.case_jsonld`) is built from `CaseOut`. The open-data rows (incidents/exchange/) write a case's
sources, costs and timeline with the fields of `SourceOut`, `CostOut` and `TimelineEventOut` (`.dump(row)`).
A new field of a case is declared here once.

Values are what the API has always sent: dates and times as ISO 8601 text (`isoformat()`), amounts as exact
decimal text ("2000000.00"), slugs and codes as the stable keys, labels in English, links absolute (built from
the request, given to a schema as its validation context: `CaseOut.dump(case, request)`).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Annotated, ClassVar

from django.db.models import Manager
from django.urls import reverse
from django.utils import translation
from pydantic import BaseModel, Field, PlainSerializer, WithJsonSchema, model_validator

from incidents.models import ApologyQuality, Channel, CostKind, CostMethod, DatePrecision, Language, SourceKind

CITATION_FORMATS = ("bib", "ris", "json")


def described(json_type, **schema):
    """A type whose OpenAPI description is `schema` (a format, an enum, a description) on top of its JSON type."""
    return WithJsonSchema({"type": json_type, **schema})


def one_of(choices):
    """Text that is one of a model's choices (a TextChoices' values)."""
    return Annotated[str, described("string", enum=list(choices.values))]


# Times and amounts are written as they always were: `isoformat()` (a UTC time ends in +00:00) and str(Decimal).
IsoDateTime = Annotated[
    datetime.datetime,
    PlainSerializer(datetime.datetime.isoformat, return_type=str),
    described("string", format="date-time"),
]
DecimalText = Annotated[Decimal, PlainSerializer(str, return_type=str), described("string", format="decimal")]
Link = Annotated[str, described("string", format="uri")]
Precision = one_of(DatePrecision)


def absolute(context, path):
    return context["request"].build_absolute_uri(path)


class OutSchema(BaseModel):
    """A representation read from an object (a model instance) in one pass: each field is the attribute of the
    same name, or what the class's `resolve_<field>(obj, context)` computes from it (a link, a list of slugs);
    a related manager gives its (prefetched) rows. The context holds the request the links are built from.

    django-ninja's own `Schema` resolves fields the same way, through a proxy object read field by field: on a
    page of 20 cases that took about 1.5 times as long as the dictionaries written by hand before it.
    """

    _readers: ClassVar[dict]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs):
        super().__pydantic_init_subclass__(**kwargs)
        cls._readers = {name: getattr(cls, f"resolve_{name}", None) for name in cls.model_fields}

    @model_validator(mode="before")
    @classmethod
    def read(cls, obj, info):
        if isinstance(obj, dict):
            return obj
        values = {}
        for name, resolve in cls._readers.items():
            value = resolve(obj, info.context) if resolve else getattr(obj, name)
            values[name] = list(value.all()) if isinstance(value, Manager) else value
        return values

    @classmethod
    def dump(cls, obj, request=None):
        """`obj` in this schema's shape as JSON-ready data: exactly what the API sends for it."""
        return cls.model_validate(obj, context={"request": request}).model_dump(mode="json")


class CompanyOut(OutSchema):
    name: str
    slug: str
    country: str
    website: str
    url: Link

    @staticmethod
    def resolve_url(company, context):
        return absolute(context, company.get_absolute_url())


class SectorOut(OutSchema):
    name: str
    slug: str
    url: Link

    @staticmethod
    def resolve_url(sector, context):
        return absolute(context, sector.get_absolute_url())


class ApologyOut(OutSchema):
    level: int = Field(ge=min(ApologyQuality.values), le=max(ApologyQuality.values))
    slug: Annotated[str, described("string", enum=[quality.slug for quality in ApologyQuality])]
    label: str
    text: str


class CostOut(OutSchema):
    kind: one_of(CostKind)
    amount_low: DecimalText
    amount_high: DecimalText | None = Field(description="Only for a range.")
    currency: str = Field(description="ISO 4217.")
    method: one_of(CostMethod)
    claimed_by: str
    note: str


class SourceOut(OutSchema):
    kind: one_of(SourceKind)
    title: str
    publisher: str
    url: str
    archive_url: str
    published_on: datetime.date | None
    language: one_of(Language)


class TimelineEventOut(OutSchema):
    date: datetime.date
    precision: Precision
    description: str
    channel: Annotated[str, described("string", enum=["", *Channel.values])]
    is_turning_point: bool


class CorrectionOut(OutSchema):
    date: datetime.date
    note: str


class CaseOut(OutSchema):
    """A published case (labels in English; slugs and codes are the stable keys)."""

    reference: str = Field(description="Permanent short reference.", examples=["SC-0042"])
    id: int
    url: Link = Field(description="The case's page.")
    api_url: Link
    short_url: Link
    title: str
    slug: str
    summary: str
    story: str = Field(description="Markdown.")
    lesson: str
    language: one_of(Language)
    country: str
    company: CompanyOut
    sector: SectorOut
    harm_types: list[str]
    lessons: list[str]
    customers_affected: int | None
    occurred_on: datetime.date | None
    occurred_precision: Precision
    first_response_on: datetime.date | None
    first_response_precision: Precision
    resolved_on: datetime.date | None
    resolved_precision: Precision
    response_days: int | None
    resolution_days: int | None
    apology: ApologyOut
    response: str
    corrective_actions: str
    headline_cost_eur: DecimalText | None = Field(description="Euros at reference rates.")
    costs: list[CostOut]
    sources: list[SourceOut]
    timeline: list[TimelineEventOut]
    corrections: list[CorrectionOut]
    published_at: IsoDateTime | None
    updated_at: IsoDateTime
    card_url: Link
    embed_url: Link
    citation: dict[str, Link] = Field(description="The case as BibTeX, RIS and CSL-JSON.")

    @staticmethod
    def resolve_url(case, context):
        return absolute(context, case.get_absolute_url())

    @staticmethod
    def resolve_api_url(case, context):
        return absolute(context, reverse("incidents:api_case", kwargs={"id": case.pk}))

    @staticmethod
    def resolve_short_url(case, context):
        return absolute(context, reverse("incidents:short_reference", kwargs={"number": case.pk}))

    @staticmethod
    def resolve_sector(case, context):
        return case.company.sector

    @staticmethod
    def resolve_harm_types(case, context):
        return [harm.slug for harm in case.harm_types.all()]

    @staticmethod
    def resolve_lessons(case, context):
        return [lesson.slug for lesson in case.lessons.all()]

    @staticmethod
    def resolve_apology(case, context):
        quality = case.apology
        with translation.override("en"):
            label = str(quality.label)
        return {"level": quality.value, "slug": quality.slug, "label": label, "text": case.apology_text}

    @staticmethod
    def resolve_card_url(case, context):
        return absolute(context, reverse("incidents:case_card", kwargs={"pk": case.pk}))

    @staticmethod
    def resolve_embed_url(case, context):
        return absolute(context, reverse("incidents:case_embed", kwargs={"pk": case.pk}))

    @staticmethod
    def resolve_citation(case, context):
        return {
            fmt: absolute(context, reverse("incidents:cite", kwargs={"pk": case.pk, "fmt": fmt}))
            for fmt in CITATION_FORMATS
        }


class CaseListOut(OutSchema):
    count: int
    next: Link | None
    previous: Link | None
    results: list[CaseOut]


class ErrorOut(BaseModel):
    detail: str


class InvalidInputOut(BaseModel):
    detail: str
    errors: dict[str, list[dict[str, str]]] = Field(description="What was wrong with each parameter.")


class MergedOut(BaseModel):
    detail: str
    reference: str = Field(description="The case it was merged into; its address is in Location.")


class RetractedOut(BaseModel):
    detail: str
    reference: str
    retracted_at: IsoDateTime | None
    reason: str
    url: Link
