"""The price of not apologising (incidents/price.py): one figure, computed once, the same on every page."""

import re
from decimal import Decimal
from unittest import mock

import pytest
from django.core.management import call_command
from django.utils import translation

from incidents import cards, price
from incidents.models import CostKind, Incident
from tests import factories

pytestmark = pytest.mark.django_db


def sourced(case, amount, kind, currency="EUR", **fields):
    return factories.cost(case, amount, currency, kind, source=factories.source(incident=case), **fields)


def test_ratios_are_rounded_to_two_significant_figures():
    assert [price.ratio_number(v) for v in (85_714.29, 55_384.6, 150_000, 2050, 99.6, 1.234, 1, 0.456)] == [
        "86,000",
        "55,000",
        "150,000",
        "2,000",
        "100",
        "1.2",
        "1",
        "0.46",
    ]
    assert price.ratio_figure(0.5) == "×0.5"
    with translation.override("fr"):
        assert price.ratio_number(85_714.29) == "86\u202f000" or price.ratio_number(85_714.29) == "86\u00a0000"


def test_both_sides_must_be_sourced_in_one_currency_and_above_zero():
    case = factories.incident()
    bad = factories.cost(case, "1000000", "EUR", CostKind.BAD_BUZZ)
    remedy = sourced(case, "1000", CostKind.REMEDY)
    assert price.case_price(case.costs.all()) is None  # the bad buzz has no source
    bad.source = factories.source(incident=case)
    bad.save()
    assert price.case_price(case.costs.all()).number == "1,000"
    remedy.currency = "USD"
    remedy.save()
    assert price.case_price(case.costs.all()) is None  # never across currencies
    remedy.currency, remedy.amount_low = "EUR", Decimal(0)
    remedy.save()
    assert price.case_price(case.costs.all()) is None  # a remedy of zero gives no ratio


def test_several_lines_give_a_central_estimate_and_a_range():
    case = factories.incident()
    sourced(case, "180000000", CostKind.BAD_BUZZ, "USD")
    sourced(case, "1200", CostKind.REMEDY, "USD")
    sourced(case, "3000", CostKind.REMEDY, "USD")
    item = price.case_price(case.costs.all())
    assert (item.currency, item.remedy.central, item.remedy.low, item.remedy.high) == ("USD", 2100, 1200, 3000)
    assert (item.number, item.range_text) == ("86,000", "60,000–150,000")
    assert item.remedy.text == "$1,200 – $3,000" and item.bad_buzz.text == "$180 million"
    assert item.sentence == (
        "The bad buzz cost about 86,000 times what making it right would have cost (an estimate; "
        "from 60,000 to 150,000 times)."
    )
    with translation.override("fr"):
        assert "environ 86\u202f000\u00a0fois" in item.sentence or "environ 86\u00a0000\u00a0fois" in item.sentence


def test_the_largest_bad_buzz_picks_the_currency():
    case = factories.incident()
    sourced(case, "5000", CostKind.BAD_BUZZ, "GBP")
    sourced(case, "10", CostKind.REMEDY, "GBP")
    sourced(case, "90000", CostKind.BAD_BUZZ, "EUR")
    sourced(case, "100", CostKind.REMEDY, "EUR")
    assert (price.case_price(case.costs.all()).currency, price.case_price(case.costs.all()).number) == ("EUR", "900")


def test_amounts_are_compared_across_currencies_at_the_reference_rates():
    """JPY 50 million is less than USD 20 million: the larger figure in its own digits is not the larger bad buzz."""
    case = factories.incident()
    sourced(case, "20000000", CostKind.BAD_BUZZ, "USD")
    sourced(case, "1000", CostKind.REMEDY, "USD")
    sourced(case, "50000000", CostKind.BAD_BUZZ, "JPY")
    sourced(case, "10000000", CostKind.REMEDY, "JPY")
    item = price.case_price(case.costs.all())
    assert (item.currency, item.number) == ("USD", "20,000")
    assert price.largest(case.costs.all()).currency == "USD"  # the key facts and the cards name the same line
    assert price.prices_of(Incident.objects.filter(pk=case.pk))[case.pk].currency == "USD"  # rows read in bulk too


def test_a_case_without_a_price_headlines_its_largest_figure():
    case = factories.incident()
    assert price.headline_line(case.costs.all()) is None
    factories.cost(case, "1000", "EUR", CostKind.COMPENSATION)
    fine = factories.cost(case, "3000000", "EUR", CostKind.FINE, amount_high=Decimal("5000000"))
    assert price.headline_line(case.costs.all()) == fine
    assert price.line_text(fine) == "€3 million – €5 million"
    bad = factories.cost(case, "20000", "USD", CostKind.BAD_BUZZ)
    assert price.headline_line(case.costs.all()) == bad  # a bad buzz comes first, however small


def test_prices_of_reads_every_case_in_one_query(django_assert_num_queries):
    for amount in ("1000", "5000", "20000"):
        case = factories.incident()
        sourced(case, amount, CostKind.BAD_BUZZ)
        sourced(case, "10", CostKind.REMEDY)
    with django_assert_num_queries(1):
        prices = price.prices_of(Incident.objects.published())
    assert sorted(item.number for item in prices.values()) == ["100", "2,000", "500"]


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("load_demo", verbosity=0)
    return Incident.objects.get(slug="united-breaks-guitars")


def visible(html):
    """The page's text, without tags (an SVG's labels included)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_united_guitar_case_shows_the_same_ratio_everywhere(client, demo, language):
    """One figure on its case page, its company's and its sector's pages, /insights/ and its share card: the
    ratio of the fixture's sourced lines (USD 180 million against the USD 1,200 repair), to two figures."""
    with translation.override(language):
        item = price.case_price(demo.costs.all())
        number = item.number
        prefix = "" if language == "en" else "/fr"
        pages = {
            "case": demo.get_absolute_url(),
            "company": demo.company.get_absolute_url(),
            "sector": demo.company.sector.get_absolute_url(),
            "insights": "/fr/insights/" if language == "fr" else "/insights/",
        }
    assert item.currency == "USD" and number in ("150,000", "150\u202f000", "150\u00a0000")
    for name, url in pages.items():
        text = visible(client.get(url if url.startswith(prefix) else prefix + url).content.decode())
        assert number.replace("\u202f", " ").replace("\u00a0", " ") in text.replace("\u202f", " ").replace(
            "\u00a0", " "
        ), name
        for wrong in ("85,714", "85 714", "55,385", "86,000", "86 000", "51,000 times"):
            assert wrong not in text, (name, wrong)
    with translation.override(language), mock.patch("incidents.cards.draw_card", wraps=cards.draw_card) as draw:
        client.get(f"{prefix}/cases/{demo.pk}/card.png")
        texts = (item.bad_buzz.text, item.remedy.text)
    card = draw.call_args.kwargs["price"]
    assert card["figure"] == "×" + number
    assert (card["bad_buzz"], card["remedy"]) == texts


def test_the_case_page_compares_both_costs_with_their_sources(client, demo):
    html = client.get(demo.get_absolute_url()).content.decode()
    block = html.split('class="price"')[1].split("</section>")[0]
    assert "What making it right would have cost" in block and "$1,200" in block and "$3,000" not in block
    assert "What the bad buzz cost" in block and "$180 million" in block
    assert block.count('href="#source-') == 2  # each line links its source
    assert "about 150,000 times what making it right would have cost (an estimate)" in visible(block)
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d">', html)  # no microseconds


def test_cards_home_and_lesson_pages_show_the_figures(client, demo):
    demo.featured = True
    demo.save()
    home = client.get("/").content.decode()
    featured = home.split('id="featured-title"')[1].split("</section>")[0]
    assert "$180 million" in featured and "150,000" in featured
    lesson = demo.lessons.get(slug="bad-buzz-costs-more")
    page = client.get(lesson.get_absolute_url()).content.decode()
    assert "What it cost, case by case" in page
    assert "×150,000" in page  # the chart and table of the lesson's cases
    assert 'class="price-compact"' in page  # and the compact figure on each card that has one
    # A card without a price names the case's largest figure: its bad buzz, else its largest fine or compensation.
    assert re.search(r'price-compact-label">(Fine|Compensation paid)</span> <strong>[$€£]', page)
    assert page.count('class="price-compact"') >= 8
    sector = client.get(demo.company.sector.get_absolute_url()).content.decode()
    assert "Price of not apologising:" in sector and "×150,000" in sector
