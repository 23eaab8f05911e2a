"""The text helpers (incidents/text.py): Markdown made safe, money in the reader's language, delays written no
more precisely than the dates allow."""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from incidents.text import describe_delay, format_big_money, format_money, render_markdown


def test_markdown_is_rendered():
    assert render_markdown("A [link](https://example.org/) and **bold**\n\n- one\n- two") == (
        '<p>A <a href="https://example.org/" rel="noopener nofollow">link</a> and <strong>bold</strong></p>\n'
        "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"
    )
    assert render_markdown("") == ""


def test_markdown_is_sanitised():
    html = render_markdown("Hi <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>")
    assert html == '<p>Hi  <a rel="noopener nofollow">x</a> </p>'


@pytest.mark.parametrize(
    ("start", "start_precision", "end", "end_precision", "expected"),
    [
        ((2020, 1, 1), "day", (2020, 1, 1), "day", "the same day"),
        ((2020, 1, 1), "day", (2020, 1, 4), "day", "3 days"),
        ((2020, 1, 1), "day", (2020, 2, 5), "day", "about 5 weeks"),
        ((2020, 1, 1), "day", (2020, 7, 1), "day", "about 6 months"),
        ((2009, 12, 1), "month", (2010, 2, 1), "month", "about 2 months"),
        ((2009, 12, 1), "month", (2009, 12, 20), "day", "within a month"),
        ((2009, 1, 1), "year", (2009, 6, 1), "month", "within 6 months"),
        ((2008, 3, 1), "month", (2009, 7, 6), "day", "about 16 months"),
    ],
)
def test_delays_are_written_no_more_precisely_than_the_dates(start, start_precision, end, end_precision, expected):
    with translation.override("en"):
        text = describe_delay(datetime.date(*start), start_precision, datetime.date(*end), end_precision)
    assert text == expected


def test_money_is_formatted_for_the_language():
    with translation.override("fr"):
        assert format_money(Decimal("88247"), "EUR") == "88\u00a0247\u00a0€"
    with translation.override("en"):
        assert format_money(Decimal("88247"), "EUR") == "€88,247"


@pytest.mark.parametrize(
    ("amount", "currency", "english", "french"),
    [
        ("180000000", "USD", "$180 million", "180\u00a0millions\u00a0USD"),
        ("1000000", "GBP", "£1 million", "1\u00a0million\u00a0£"),
        ("2500000", "EUR", "€2.5 million", "2,5\u00a0millions\u00a0€"),
        ("3000000000", "CHF", "CHF\u00a03 billion", "3\u00a0milliards\u00a0CHF"),
        ("1200", "USD", "$1,200", "1\u00a0200\u00a0USD"),
    ],
)
def test_big_amounts_are_written_in_millions_and_small_ones_in_full(amount, currency, english, french):
    with translation.override("en"):
        assert format_big_money(Decimal(amount), currency) == english
    with translation.override("fr"):
        assert format_big_money(Decimal(amount), currency) == french


def test_cents_are_kept_when_there_are_any():
    with translation.override("en"):
        assert format_money(Decimal("1200.50"), "GBP") == "£1,200.50"
    with translation.override("fr"):
        assert format_money(Decimal("1200.50"), "GBP") == "1\u00a0200,50\u00a0£"
