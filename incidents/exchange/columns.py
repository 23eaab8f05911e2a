"""The columns of a case as a row: the format that export_cases and the /data/ downloads write and import_cases reads.

`COLUMNS` is the schema: a documented, stable list. Columns are never renamed or removed; a new one is only
ever added at the end. In CSV, `harm_types` and `lessons` are semicolon-separated slugs and `costs`,
`sources` and `timeline` are JSON strings; in JSON those three are lists of objects with the keys of
`ROW_FIELDS`.

Texts exist in English and French (incidents/translation.py). A text's unsuffixed column or key (`title`, a
timeline event's `description`) holds it in the case's original language, named by the `language` column, as it
always has; `<name>_en` and `<name>_fr` (`title_en`, `description_fr`) hold it in each language explicitly, empty
when the case has no text in that language.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from incidents.api.schemas import CostOut, SourceOut, TimelineEventOut
from incidents.models import LANGUAGE_CODES, ApologyQuality


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text, integer, date, datetime, choice, slugs (semicolon-separated), list (JSON)
    description: str


def in_each_language(names):
    """The per-language columns or keys of texts: title -> title_en, title_fr."""
    return [f"{name}_{code}" for name in names for code in LANGUAGE_CODES]


# The texts of a case and of its rows that are written in each language, in the order of their columns.
CASE_TEXTS = [
    "title",
    "summary",
    "story",
    "lesson",
    "apology_text",
    "response",
    "corrective_actions",
    "retraction_reason",
]
ROW_TEXTS = {"sources": [], "timeline": ["description"], "costs": ["claimed_by", "note"]}

# The keys of each object in the list columns, in order: those the API declares (incidents/api/schemas.py), a
# cost's link to its source by position in the row's `sources`, then the texts in each language. Their
# descriptions below name them from here.
SOURCE_FIELDS = list(SourceOut.model_fields)
TIMELINE_FIELDS = [*TimelineEventOut.model_fields, *in_each_language(ROW_TEXTS["timeline"])]
COST_FIELDS = [*CostOut.model_fields, "source", *in_each_language(ROW_TEXTS["costs"])]
ROW_FIELDS = {"sources": SOURCE_FIELDS, "timeline": TIMELINE_FIELDS, "costs": COST_FIELDS}


def _keys(fields):
    return ", ".join(fields)


def _one_of(values):
    """The values a column takes as a sentence lists them: "a, b or c"."""
    *others, last = values
    return format_lazy(_("{values} or {last}"), values=", ".join(others), last=last)


APOLOGY_SCALE = _one_of([quality.slug for quality in ApologyQuality])


LANGUAGE_COLUMN_DESCRIPTIONS = {
    "en": _("The case's {column} in English; empty when it has none in English."),
    "fr": _("The case's {column} in French; empty when it has none in French."),
}

COLUMNS = [
    Column("reference", "text", _("The case's permanent public reference, e.g. SC-0042.")),
    Column("id", "integer", _("The case's number (42 for SC-0042).")),
    Column("title", "text", _("Title.")),
    Column("slug", "text", _("The readable part of the case's address.")),
    Column("status", "choice", _("draft, review, published, retracted or merged.")),
    Column("company", "text", _("The company's name.")),
    Column("company_slug", "text", _("The company's identifier in this catalogue.")),
    Column("sector", "text", _("The slug of the company's sector.")),
    Column("country", "text", _("ISO 3166 code of the country where it happened, e.g. FR.")),
    Column(
        "language",
        "choice",
        _("The case's original language, en or fr: the text columns without a language suffix hold its texts in it."),
    ),
    Column("occurred_on", "date", _("When it happened (YYYY-MM-DD; any day of the month or year if imprecise).")),
    Column("occurred_precision", "choice", _("day, month or year.")),
    Column("first_response_on", "date", _("The company's first response (YYYY-MM-DD).")),
    Column("first_response_precision", "choice", _("day, month or year.")),
    Column("resolved_on", "date", _("When it was resolved (YYYY-MM-DD).")),
    Column("resolved_precision", "choice", _("day, month or year.")),
    Column("apology_quality", "choice", format_lazy(_("The apology, on the scale: {scale}."), scale=APOLOGY_SCALE)),
    Column("customers_affected", "integer", _("How many customers were affected; empty when unknown.")),
    Column("harm_types", "slugs", _("Slugs of the harm types, separated by semicolons.")),
    Column("lessons", "slugs", _("Slugs of the lesson themes, separated by semicolons.")),
    Column("summary", "text", _("One paragraph.")),
    Column("story", "text", _("The full story, in Markdown.")),
    Column("lesson", "text", _("The moral of the story.")),
    Column("apology_text", "text", _("What the apology, or the refusal, said.")),
    Column("response", "text", _("The company's response, in Markdown.")),
    Column("corrective_actions", "text", _("What the company changed, in Markdown.")),
    Column(
        "costs",
        "list",
        format_lazy(
            _("Cost lines: {keys}, and source (the index of a source in `sources`, from 0, or null)."),
            keys=_keys(key for key in COST_FIELDS if key != "source"),
        ),
    ),
    Column("sources", "list", format_lazy(_("Sources: {keys}, in order."), keys=_keys(SOURCE_FIELDS))),
    Column("timeline", "list", format_lazy(_("Timeline events: {keys}."), keys=_keys(TIMELINE_FIELDS))),
    Column("published_at", "datetime", _("When it was first published (ISO 8601 with time zone).")),
    Column("updated_at", "datetime", _("When it last changed (informational; not imported).")),
    Column("url", "text", _("The address of the case's page (informational; not imported).")),
    Column("retraction_reason", "text", _("Why a retracted case was retracted.")),
    Column("merged_into", "text", _("For a merged case, the reference of the case it was merged into.")),
    *(
        Column(
            f"{name}_{code}",
            "text",
            format_lazy(LANGUAGE_COLUMN_DESCRIPTIONS[code], column=name),
        )
        for name in CASE_TEXTS
        for code in LANGUAGE_CODES
    ),
]
COLUMN_NAMES = [column.name for column in COLUMNS]
LIST_COLUMNS = {c.name for c in COLUMNS if c.kind == "list"}
