"""Which language each passage of a case is shown in: {{ obj|lang_of:"field" }} for its `lang` attribute,
{% quote_translation case "apology_text" %} for the reader's translation of a quotation, and
{% untranslated_notice case %} when a case is shown in its original language to a reader of the other."""

from django import template
from django.utils.html import format_html

from incidents.i18n import reader_language, shown_language

register = template.Library()


@register.filter
def lang_of(obj, field):
    return shown_language(obj, field)


@register.filter
def lang_span(obj, field):
    """A text inside a sentence of the interface, wrapped in a span that names its language."""
    return format_html('<span lang="{}">{}</span>', shown_language(obj, field), getattr(obj, field))


@register.simple_tag
def original_text(case, field):
    """A text in the case's original language (a quotation is shown as it was said)."""
    return getattr(case, f"{field}_{case.language}", None) or getattr(case, field)


@register.simple_tag
def quote_translation(case, field):
    """The reader's translation of a quotation in another language, or "" when there is none to show."""
    reader = reader_language()
    if reader == case.language or not getattr(case, f"{field}_{case.language}", None):
        return ""
    return getattr(case, f"{field}_{reader}", None) or ""


@register.inclusion_tag("includes/_untranslated.html", takes_context=True)
def untranslated_notice(context, case, compact=False):
    reader = reader_language()
    shown = case.text_language(reader)
    return {"shown": shown, "reader": reader, "missing": shown != reader, "compact": compact}


@register.simple_tag
def colon():
    """A colon between two parts of a line, as each language writes it: "1 March 2026: ..." in English,
    "1er mars 2026 : ..." in French (a narrow no-break space before it)."""
    return "\u202f: " if reader_language() == "fr" else ": "
