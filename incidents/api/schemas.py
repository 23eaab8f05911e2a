"""The declared representation of a published case: one schema per piece, read by everything that writes a case out.

The API sends these (incidents/api/views.py) and its OpenAPI document is generated from them; the case page's
JSON-LD (`seo.case_jsonld`) is built from `CaseOut`. The open-data rows (incidents/exchange/) write a case's
sources, costs and timeline with the fields of `SourceOut`, `CostOut` and `TimelineEventOut` (`.dump(row)`).
A new field of a case is declared here once.

Values are what the API has always sent: dates and times as ISO 8601 text (`isoformat()`), amounts as exact
decimal text ("2000000.00"), slugs and codes as the stable keys, links absolute (built from the request, given to
a schema as its validation context: `CaseOut.dump(case, request)`).

Languages: a case is read in the active language (the API activates the one its `lang` parameter asks for,
English by default; the case page its own). Labels (the apology's, the sector's name) and links are in that
language; the case's texts are in its `language`, the active one when the case is written in it, else its
original one (`Incident.text_language()`).
"""

from __future__ import annotations

import datetime
import typing
from contextlib import nullcontext
from decimal import Decimal
from typing import Annotated, ClassVar

from django.db.models import Manager
from django.urls import reverse
from django.utils import translation
from pydantic import BaseModel, Field, PlainSerializer, WithJsonSchema, model_validator

from incidents.models import (
    LANGUAGE_CODES,
    ApologyQuality,
    Channel,
    CostKind,
    CostMethod,
    DatePrecision,
    Language,
    SourceKind,
)

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


def text_in(obj, name, language):
    """`obj`'s text `name` in `language`, else in the other language ("" when it has none in either)."""
    for code in (language, *LANGUAGE_CODES):
        value = getattr(obj, f"{name}_{code}")
        if value:
            return value
    return ""


def _part(annotation):
    """The OutSchema a field holds (alone, in a list, or None), if any."""
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, OutSchema):
            return candidate
    return None


class OutSchema(BaseModel):
    """A representation read from an object (a model instance) in one pass: each field is the attribute of the
    same name, or what the class's `resolve_<field>(obj, context)` computes from it (a link, a list of slugs);
    a related manager gives its (prefetched) rows, and the parts (a case's costs, its company) are read there
    and then, in the same language. The context holds the request the links are built from.

    The fields named in `TEXTS` are read in the language `text_language(obj)` gives (the active one when it
    gives None): modeltranslation's fields answer in the active language.

    django-ninja's own `Schema` resolves fields the same way, through a proxy object read field by field: on a
    page of 20 cases that took about 1.5 times as long as the dictionaries written by hand before it.
    """

    TEXTS: ClassVar[frozenset] = frozenset()
    _readers: ClassVar[dict]
    _parts: ClassVar[dict]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs):
        super().__pydantic_init_subclass__(**kwargs)
        cls._readers = {name: getattr(cls, f"resolve_{name}", None) for name in cls.model_fields}
        cls._parts = {name: _part(field.annotation) for name, field in cls.model_fields.items()}

    @classmethod
    def text_language(cls, obj):
        return None

    @model_validator(mode="before")
    @classmethod
    def read(cls, obj, info):
        if isinstance(obj, dict | BaseModel):
            return obj
        context = info.context
        values = {name: cls._read(obj, name, context) for name in cls._readers if name not in cls.TEXTS}
        language = cls.text_language(obj)
        with translation.override(language) if language else nullcontext():
            values.update({name: cls._read(obj, name, context) for name in cls.TEXTS})
        return values

    @classmethod
    def _read(cls, obj, name, context):
        resolve = cls._readers[name]
        value = resolve(obj, context) if resolve else getattr(obj, name)
        if isinstance(value, Manager):
            value = list(value.all())
        part = cls._parts[name]
        if part is None or value is None:
            return value
        if isinstance(value, list):
            return [part.model_validate(item, context=context) for item in value]
        return part.model_validate(value, context=context)

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
    name: str = Field(description="In the language asked for.")
    slug: str
    url: Link

    @staticmethod
    def resolve_name(sector, context):
        return translation.gettext(sector.name)  # the seeded sectors' names are in the interface's catalogue

    @staticmethod
    def resolve_url(sector, context):
        return absolute(context, sector.get_absolute_url())


class ApologyOut(OutSchema):
    level: int = Field(ge=min(ApologyQuality.values), le=max(ApologyQuality.values))
    slug: Annotated[str, described("string", enum=[quality.slug for quality in ApologyQuality])]
    label: str = Field(description="In the language asked for.")
    text: str = Field(description="In the case's `language`.")


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
    """A published case: its texts in `language`, labels and links in the language asked for (English by
    default); slugs and codes are the stable keys."""

    TEXTS: ClassVar[frozenset] = frozenset(
        {"title", "summary", "story", "lesson", "response", "corrective_actions", "costs", "timeline", "corrections"}
    )

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
    language: one_of(Language) = Field(
        description="The language of the case's texts here: the one asked for when the case is written in it, "
        "else its original language."
    )
    original_language: one_of(Language) = Field(description="The language the case was written in.")
    available_languages: list[one_of(Language)] = Field(
        description="The languages the case can be read in (its title, summary, story and lesson exist in them)."
    )
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

    @classmethod
    def text_language(cls, case):
        return case.text_language()

    @staticmethod
    def resolve_language(case, context):
        return case.text_language()

    @staticmethod
    def resolve_original_language(case, context):
        return case.language

    @staticmethod
    def resolve_available_languages(case, context):
        return [code for code in LANGUAGE_CODES if case.available_in(code)]

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
        text = text_in(case, "apology_text", case.text_language())
        return {"level": quality.value, "slug": quality.slug, "label": str(quality.label), "text": text}

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
