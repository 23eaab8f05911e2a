import re

from django import template
from django.utils.translation import gettext

from incidents import price
from incidents.models import ApologyQuality
from incidents.price import ratio_number
from incidents.text import date_format, format_money

register = template.Library()


@register.filter
def money(amount, currency):
    return format_money(amount, currency)


@register.filter(expects_localtime=True)
def long_date(value, format_name="DATE_FORMAT"):
    """A date written out in the reader's language: "March 1, 2009", "1er mars 2009" (Django's `date` filter
    would write "1 mars 2009"). Takes a format name or a format string, as `date` does."""
    return date_format(value, format_name) if value else ""


@register.filter
def times(value):
    """How many times one cost is another, for a sentence: "{{ ratio|times }} times" ("86,000 times"), to the two
    significant figures of incidents.price."""
    return ratio_number(value)


@register.filter(expects_localtime=True)
def iso_datetime(value):
    """A `datetime` attribute: ISO 8601 to the second, with its offset ("2026-12-04T09:00:00+00:00"); Django's
    "c" format adds microseconds, which the HTML checker rejects."""
    return value.replace(microsecond=0).isoformat() if value else ""


@register.simple_tag
def case_headline_cost(case):
    """The figure a card shows when the case has no price of not apologising (incidents.price): its kind and
    amount, or None."""
    line = price.headline_line(case.costs.all())
    return {"label": line.get_kind_display(), "text": price.line_text(line)} if line else None


@register.simple_tag
def case_price(case):
    """The case's price of not apologising (incidents.price.Price), or None: `{% case_price case as price %}`.
    Reads `case.costs.all()`, prefetched by `Incident.objects.with_related()`."""
    return price.case_price(case.costs.all())


@register.filter(is_safe=True)
def truncate_words(value, count):
    """Django's `truncatewords` ("The first words …"), breaking only at ordinary spaces and line ends: a no-break
    space keeps "88 247 €" or "« Dell Hell »" together and stays a no-break space (`truncatewords` splits at
    every space and joins the words back with ordinary ones)."""
    words = re.split(r"[ \t\r\n]+", str(value).strip())
    count = int(count)
    return " ".join(words) if len(words) <= count else " ".join(words[:count]) + " …"


@register.filter
def apology(value):
    return ApologyQuality(value)


@register.filter
def translated(value):
    """Translate taxonomy names seeded by migrations; names editors add stay as written."""
    return gettext(str(value)) if value else value


@register.simple_tag(takes_context=True)
def page_link(context, number):
    """The address of page `number` of the list being read, its other parameters kept: page 1 is the list's own
    address, without `page=1` (which the list would answer with a redirect to it)."""
    query = context.request.GET.copy()
    query.pop("page", None)
    if number != 1:
        query["page"] = number
    return f"?{query.urlencode()}" if query else context.request.path
