from django import template
from django.utils.translation import gettext

from incidents.models import ApologyQuality
from incidents.text import format_money

register = template.Library()


@register.filter
def money(amount, currency):
    return format_money(amount, currency)


@register.filter
def apology(value):
    return ApologyQuality(value)


@register.filter
def translated(value):
    """Translate taxonomy names seeded by migrations; names editors add stay as written."""
    return gettext(str(value)) if value else value
