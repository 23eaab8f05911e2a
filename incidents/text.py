"""Text helpers: Markdown to safe HTML, and money, percentages, dates and delays written in the reader's language."""

from __future__ import annotations

import datetime
import math
import re
import threading
from decimal import ROUND_HALF_UP, Decimal

import markdown
import nh3
from django.utils import dateformat
from django.utils.formats import get_format, number_format
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "em", "h2", "h3", "h4", "li", "ol", "p", "pre", "q",
    "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title", "hreflang"}, "abbr": {"title"}, "q": {"cite"}}


_converters = threading.local()


def _markdown_converter():
    """One converter per thread: building one loads every extension again, most of the cost of a short text."""
    converter = getattr(_converters, "markdown", None)
    if converter is None:
        converter = _converters.markdown = markdown.Markdown(extensions=["extra", "sane_lists"], output_format="html")
    return converter


def render_markdown(source: str) -> str:
    """Markdown to HTML that is safe to show: scripts, styles, event handlers and odd URLs removed."""
    if not source:
        return ""
    html = _markdown_converter().reset().convert(source)
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener nofollow",
    )
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 just above


def _french():
    return (get_language() or "en").startswith("fr")


# The sign of each currency in each language: its symbol where readers know it without doubt, its ISO code
# otherwise (a French reader writes "1 200 USD", "$" alone being every dollar). English puts the sign first,
# French after the amount; the sign is the same for small and big amounts.
CURRENCY_SIGNS = {
    "en": {"EUR": "€", "USD": "$", "GBP": "£", "CAD": "CA$", "AUD": "A$", "JPY": "¥"},
    "fr": {"EUR": "€", "GBP": "£"},
}


def _with_currency(number: str, currency: str) -> str:
    if _french():
        return f"{number}\u00a0{CURRENCY_SIGNS['fr'].get(currency, currency)}"
    sign = CURRENCY_SIGNS["en"].get(currency, currency)
    if sign[-1].isalpha():  # CHF 1,200, not CHF1,200
        return f"{sign}\u00a0{number}"
    return f"{sign}{number}"


def format_money(amount, currency: str) -> str:
    """88 247 € in French, €88,247 in English; whole units unless cents matter."""
    if amount is None:
        return ""
    amount = Decimal(amount)
    decimals = 0 if amount == amount.to_integral_value() else 2
    return _with_currency(number_format(amount, decimal_pos=decimals, use_l10n=True, force_grouping=True), currency)


MILLION, BILLION = Decimal(10) ** 6, Decimal(10) ** 9


def format_big_money(amount, currency: str) -> str:
    """Headline figures: "$180 million", "180 millions USD" read better than every digit; the currency is written
    as format_money writes it."""
    amount = Decimal(amount)
    threshold = next((t for t in (BILLION, MILLION) if amount >= t), None)
    if threshold is None:
        return format_money(amount, currency)
    value = amount / threshold
    value = value.quantize(Decimal(1) if value == value.to_integral_value() else Decimal("0.1"))
    n, count = number_format(value, use_l10n=True), int(value)
    # The count picks the plural form: French writes "1,5 million" but "2 millions". Plain ngettext: a lazy one
    # built here on every call (a new class each time) made this half a millisecond, a case card's costliest line.
    if threshold == BILLION:
        words = ngettext("%(n)s billion", "%(n)s billion", count) % {"n": n}
    else:
        words = ngettext("%(n)s million", "%(n)s million", count) % {"n": n}
    return _with_currency(words, currency)


def format_percent(value) -> str:
    """A whole percentage: "17%" in English, "17 %" in French (a narrow no-break space before the sign)."""
    number = number_format(round(value), use_l10n=True, force_grouping=True)
    return f"{number}\u202f%" if _french() else f"{number}%"


# A "j" (day of the month) followed by a month, unescaped: where French writes "1er" for the first day.
_DAY_BEFORE_MONTH = re.compile(r"(?<!\\)j(?= [FMNE])")


def date_format(value, format=None, use_l10n=None) -> str:
    """Django's `date_format` (a format name such as "DATE_FORMAT" or a format string), with the ordinal French
    gives the first day of a month: "1er mars 2009", "2 mars 2009"."""
    format_string = get_format(format or "DATE_FORMAT", use_l10n=use_l10n)
    if value.day == 1 and _french():
        format_string = _DAY_BEFORE_MONTH.sub(r"j\\e\\r", format_string)
    return dateformat.format(value, format_string)


def _span_days(start, start_precision, end, end_precision):
    """Shortest and longest number of days between two dates known only to their precision."""
    import calendar

    def bounds(date, precision):
        if precision == "year":
            return datetime.date(date.year, 1, 1), datetime.date(date.year, 12, 31)
        if precision == "month":
            last = calendar.monthrange(date.year, date.month)[1]
            return date.replace(day=1), date.replace(day=last)
        return date, date

    start_lo, start_hi = bounds(start, start_precision)
    end_lo, end_hi = bounds(end, end_precision)
    return max((end_lo - start_hi).days, 0), max((end_hi - start_lo).days, 0)


def describe_delay(start, start_precision, end, end_precision) -> str:
    """A delay written no more precisely than the dates allow: "3 days", "about 2 months", "within a year"."""
    if not start or not end:
        return ""
    shortest, longest = _span_days(start, start_precision, end, end_precision)
    exact = start_precision == "day" and end_precision == "day"
    if exact:
        return delay_in_days(longest)
    # Imprecise dates: when the uncertainty swamps the delay, give only an upper bound.
    if shortest * 3 < longest:
        if longest <= 31:
            return _("within a month")
        return _("within %(span)s") % {"span": _months_or_years(longest, round_up=True)}
    middle = (shortest + longest) / 2
    months = round(middle / 30.44)
    if months < 24:
        return ngettext("about %(n)d month", "about %(n)d months", months) % {"n": months}
    years = round(middle / 365.25)
    return ngettext("about %(n)d year", "about %(n)d years", years) % {"n": years}


def delay_in_days(days) -> str:
    """A number of days between two dates known to the day, as precisely as it is worth saying: "the same day",
    "3 days" under two weeks, then "about 3 weeks", "about 5 months", "about 2 years". A figure with a fraction
    (a median of two delays, say) is first rounded to whole days: there is no "0.5 days"."""
    days = int(Decimal(str(days)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if days <= 0:
        return _("the same day")
    if days < 14:
        return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    if days < 60:
        weeks = round(days / 7)
        return ngettext("about %(n)d week", "about %(n)d weeks", weeks) % {"n": weeks}
    if days < 730:
        months = round(days / 30.44)
        return ngettext("about %(n)d month", "about %(n)d months", months) % {"n": months}
    years = round(days / 365.25)
    return ngettext("about %(n)d year", "about %(n)d years", years) % {"n": years}


def _months_or_years(days, round_up=False):
    months = math.ceil(days / 30.44) if round_up else round(days / 30.44)
    if months < 24:
        return ngettext("%(n)d month", "%(n)d months", months) % {"n": months}
    years = math.ceil(days / 365.25) if round_up else round(days / 365.25)
    return ngettext("%(n)d year", "%(n)d years", years) % {"n": years}


def unix_line_endings(sender, instance, raw=False, **kwargs):
    """Before any row of the app is saved: its texts keep `\\n` line endings only. Browsers send `\\r\\n` from a
    textarea; stored as typed, an export of the text would differ from what a re-import compares it with, and
    re-importing an unchanged export would record a change."""
    if raw or sender._meta.app_label != "incidents":
        return
    for field in sender._meta.concrete_fields:
        value = getattr(instance, field.attname, None)
        if isinstance(value, str) and "\r" in value:
            setattr(instance, field.attname, value.replace("\r\n", "\n").replace("\r", "\n"))
