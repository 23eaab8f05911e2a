from django import template
from django.utils.translation import gettext

from incidents.models import ApologyQuality
from incidents.text import format_big_money, format_money

register = template.Library()


@register.filter
def money(amount, currency):
    return format_money(amount, currency)


@register.filter
def big_money(amount, currency):
    return format_big_money(amount, currency)


@register.filter
def apology(value):
    return ApologyQuality(value)


@register.filter
def translated(value):
    """Translate taxonomy names seeded by migrations; names editors add stay as written."""
    return gettext(str(value)) if value else value


@register.simple_tag(takes_context=True)
def page_url(context, number):
    """The current URL with another page number, keeping every filter."""
    query = context["request"].GET.copy()
    query["page"] = number
    return "?" + query.urlencode()
