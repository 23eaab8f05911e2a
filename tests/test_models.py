import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from incidents.models import ApologyQuality, CostEstimate, CostKind, DatePrecision, Incident, Status
from tests import factories

pytestmark = pytest.mark.django_db


def test_reference_and_canonical_url():
    case = Incident(pk=42, title="Guitar broken", slug="guitar-broken")
    assert case.reference == "SC-0042"
    assert case.get_absolute_url() == "/cases/42/guitar-broken/"
    assert str(case) == "SC-0042 Guitar broken"
    assert Incident(pk=12345).reference == "SC-12345"
    assert Incident(pk=7).get_absolute_url() == "/cases/7/-/"  # no slug yet
    assert Incident().reference == "SC-????"


def test_published_queryset_excludes_drafts_and_retracted():
    published = factories.incident()
    factories.incident(status=Status.DRAFT)
    factories.incident(status=Status.REVIEW)
    factories.incident(status=Status.RETRACTED)
    assert list(Incident.objects.published()) == [published]


def test_response_cannot_come_before_incident():
    case = factories.incident(occurred_on=datetime.date(2020, 5, 1))
    case.first_response_on = datetime.date(2020, 4, 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        case.save()


def test_resolution_cannot_come_before_incident():
    case = factories.incident(occurred_on=datetime.date(2020, 5, 1))
    case.resolved_on = datetime.date(2019, 4, 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        case.save()


def test_published_case_needs_a_publication_date():
    case = factories.incident(status=Status.DRAFT)
    with pytest.raises(IntegrityError), transaction.atomic():
        Incident.objects.filter(pk=case.pk).update(status=Status.PUBLISHED, published_at=None)


def test_country_must_be_iso_code():
    case = factories.incident()
    with pytest.raises(IntegrityError), transaction.atomic():
        Incident.objects.filter(pk=case.pk).update(country="fr")


def test_case_cannot_be_merged_into_itself():
    case = factories.incident()
    with pytest.raises(IntegrityError), transaction.atomic():
        Incident.objects.filter(pk=case.pk).update(merged_into=case)


def test_cost_amount_cannot_be_negative():
    case = factories.incident()
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.cost(case, "-1")


def test_cost_range_must_be_ordered():
    case = factories.incident()
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.cost(case, "100", amount_high=Decimal("50"))


def test_cost_currency_must_be_iso_code():
    case = factories.incident()
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.cost(case, "100", currency="eu")


def test_company_names_are_unique_whatever_the_case():
    factories.company(name="United Airlines")
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.company(name="united airlines")


def test_save_computes_delays_headline_cost_and_search_text():
    airline = factories.company(name="United Airlines")
    airline.aliases.create(name="United")
    case = factories.incident(
        company=airline,
        occurred_on=datetime.date(2009, 12, 1),
        occurred_precision=DatePrecision.MONTH,
        resolved_on=datetime.date(2010, 2, 1),
        resolved_precision=DatePrecision.MONTH,
        story="A *broken* guitar.",
    )
    factories.cost(case, "180000000", currency="USD")
    factories.cost(case, "3500", currency="USD", kind=CostKind.REMEDY)
    case.refresh_from_db()
    assert case.resolution_days == 62
    assert case.headline_cost_eur == Decimal("165600000.00")
    assert "United Airlines" in case.search_document and "United" in case.search_document
    assert case.story_html == "<p>A <em>broken</em> guitar.</p>"


def test_the_headline_is_the_largest_bad_buzz_estimate_in_euros():
    case = factories.incident()
    factories.cost(case, "1000")
    pounds = factories.cost(case, "500", currency="GBP", amount_high=Decimal("2000"))  # a range: its high end
    factories.cost(case, "1000000", kind=CostKind.REMEDY)  # not a bad buzz
    case.refresh_from_db()
    assert case.headline_cost_eur == Decimal("2340.00")  # GBP 2,000 at 1.17
    pounds.delete()
    case.refresh_from_db()
    assert case.headline_cost_eur == Decimal("1000.00")
    case.costs.get(kind=CostKind.BAD_BUZZ).delete()
    case.refresh_from_db()
    assert case.headline_cost_eur is None


@pytest.mark.parametrize(
    ("amount_low", "amount_high", "currency", "euros"),
    [
        ("100", None, "EUR", Decimal("100.00")),
        ("100", None, "JPY", Decimal("0.62")),
        ("10", "20", "USD", Decimal("18.40")),
        ("3", None, "KRW", Decimal("0.00")),
        ("100", None, "XXX", None),  # no reference rate: left out of the cross-currency sorting
    ],
)
def test_amounts_in_euros_use_the_reference_rates(amount_low, amount_high, currency, euros):
    estimate = CostEstimate(
        amount_low=Decimal(amount_low), amount_high=amount_high and Decimal(amount_high), currency=currency
    )
    assert estimate.amount_in_eur() == euros


def test_publishing_sets_publication_date_once():
    case = factories.incident(status=Status.DRAFT)
    assert case.published_at is None
    case.status = Status.PUBLISHED
    case.save()
    first = case.published_at
    assert first is not None
    case.save()
    assert case.published_at == first


def test_missing_for_publication_names_each_gap():
    case = factories.incident(status=Status.DRAFT, sources=0, story="", lesson="")
    missing = [str(m) for m in case.missing_for_publication()]
    assert missing == ["the story", "the lesson", "at least one source"]


def test_apology_scale_is_ordered_and_defined():
    assert ApologyQuality.REFUSED < ApologyQuality.NONE < ApologyQuality.NON_APOLOGY
    assert ApologyQuality.FORMAL < ApologyQuality.SINCERE < ApologyQuality.EXEMPLARY
    assert all(quality.definition for quality in ApologyQuality)
