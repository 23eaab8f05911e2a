"""Which texts exist in French and English (django-modeltranslation), and the history that covers both.

Each field listed here gets one column per language on the same row (`title_en`, `title_fr`): no join, so a
page's query count does not change. Reading `case.title` gives the active language's text, or the other one
when it is missing (MODELTRANSLATION_FALLBACK_LANGUAGES); `Incident.language` records which one is the original,
and `Incident.text_language()` says which one a reader is shown.

History: django-simple-history builds a model's history table from the fields it has when it registers the
model, so the models with translated texts register here, after modeltranslation has added their columns (the
way both libraries document); their history then keeps every language.
"""

import simple_history
from django.db.models import QuerySet
from modeltranslation.manager import MultilingualQuerySet
from modeltranslation.translator import TranslationOptions, register

from incidents.models import Company, Correction, CostEstimate, Incident, IncidentImage, Sector, TimelineEvent
from incidents.newsroom import Promise, RightOfReply

# Texts derived from others, kept out of the history (they are recomputed on save).
DERIVED = ["story_html", "story_html_en", "story_html_fr"]


@register(Incident)
class IncidentTranslation(TranslationOptions):
    fields = (
        "title",
        "summary",
        "story",
        "story_html",
        "lesson",
        "apology_text",
        "response",
        "corrective_actions",
        "retraction_reason",
    )
    required_languages = ()


@register(TimelineEvent)
class TimelineEventTranslation(TranslationOptions):
    fields = ("description",)
    required_languages = ()


@register(CostEstimate)
class CostEstimateTranslation(TranslationOptions):
    fields = ("claimed_by", "note")
    required_languages = ()


@register(IncidentImage)
class IncidentImageTranslation(TranslationOptions):
    fields = ("alt_text", "caption")
    required_languages = ()


@register(Correction)
class CorrectionTranslation(TranslationOptions):
    fields = ("note",)
    required_languages = ()


@register(Company)
class CompanyTranslation(TranslationOptions):
    fields = ("description",)
    required_languages = ()


@register(Sector)
class SectorTranslation(TranslationOptions):
    fields = ("description", "recourse")
    required_languages = ()


# Harm types and lesson themes are part of a case: their history is kept with it.
simple_history.register(
    Incident,
    excluded_fields=[
        "search_document_en",
        "search_document_fr",
        "search_vector_en",
        "search_vector_fr",
        "translated",
        *DERIVED,
    ],
    m2m_fields=["harm_types", "lessons"],
)


@register(RightOfReply)
class RightOfReplyTranslation(TranslationOptions):
    fields = ("text",)
    required_languages = ()


@register(Promise)
class PromiseTranslation(TranslationOptions):
    fields = ("text",)
    required_languages = ()


for model in (TimelineEvent, CostEstimate, IncidentImage, Correction, RightOfReply, Promise):
    simple_history.register(model)


def _values(self, *fields, **expressions):
    """`values(name=expression)` selects only its expressions, as in Django (the statistics group by them);
    modeltranslation 0.20 adds every field of the model, which breaks each GROUP BY. Expressions still go
    through its `annotate()`, which reads translated fields in the active language."""
    if expressions and not fields:
        return QuerySet.values(self, **expressions)
    return _multilingual_values(self, *fields, **expressions)


_multilingual_values = MultilingualQuerySet.values
MultilingualQuerySet.values = _values
