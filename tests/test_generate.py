"""generate_cases: realistic synthetic cases, clearly marked, derived fields right, removed exactly by --delete."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from incidents.models import Company, CostEstimate, Incident, Sector, Source, Status, TimelineEvent
from incidents.synthetic import generator
from tests import factories

pytestmark = pytest.mark.django_db


def generate(count=60, seed=7):
    call_command("generate_cases", count=count, seed=seed, companies=25, batch_size=25, verbosity=0)
    return generator.synthetic_incidents()


def test_cases_are_marked_synthetic_everywhere():
    cases = generate()
    assert cases.count() == 60
    for case in cases.select_related("company"):
        assert case.story.endswith(generator.MARKER)
        assert case.company.slug.startswith("synthetic-")
        assert case.company.website.endswith(".example.org/")
    for url, archive in Source.objects.filter(incident__in=cases).values_list("url", "archive_url"):
        assert ".example.org/" in url
        assert archive == "" or archive.startswith("https://archive.invalid/")


def test_catalogue_is_varied_like_a_real_one():
    cases = generate(count=200)
    assert set(cases.values_list("language", flat=True)) == {"en", "fr"}
    assert cases.values("company").distinct().count() > 10
    assert cases.filter(status=Status.PUBLISHED).count() > 150
    assert len(set(cases.values_list("apology_quality", flat=True))) >= 5
    assert len(set(cases.values_list("occurred_precision", flat=True))) == 3
    assert cases.filter(first_response_on__isnull=True).exists()
    assert cases.filter(response_days__gt=0).exists()
    currencies = set(CostEstimate.objects.filter(incident__in=cases).values_list("currency", flat=True))
    assert len(currencies) >= 3
    assert TimelineEvent.objects.filter(incident__in=cases).count() >= 200
    assert Incident.harm_types.through.objects.filter(incident__in=cases).count() >= 200


def test_paragraphs_are_rendered_once_then_filled_with_escaped_words():
    """The generator's shortcut for story_html: a template rendered once, filled with HTML-escaped words."""
    template = generator._prerender("Hello {name}, *you* paid {amount} & more.")
    assert template == "<p>Hello {name}, <em>you</em> paid {amount} &amp; more.</p>"
    filled = template.format(**generator.escaped({"name": "Marks & <Spencer>", "amount": "5 €"}))
    assert filled == "<p>Hello Marks &amp; &lt;Spencer&gt;, <em>you</em> paid 5 € &amp; more.</p>"
    assert generator.MARKER_HTML == "<p>[synthetic]</p>"


# Euros per unit (incidents/models.py EUR_REFERENCE_RATES) of the currencies seed 7 gives headlines in.
RATES = {"EUR": Decimal("1"), "USD": Decimal("0.92"), "GBP": Decimal("1.17")}


def derived(case):
    return (case.story_html, case.headline_cost_eur, case.search_document, case.response_days, case.resolution_days)


def test_derived_fields_are_what_a_save_would_compute():
    cases = list(generate().select_related("company").prefetch_related("company__aliases", "costs"))
    currencies = set()
    for case in cases:
        assert case.story_html.startswith("<p>") and case.story_html.endswith("</p>\n<p>[synthetic]</p>")
        assert "{" not in case.story_html and "zq" not in case.story_html  # every placeholder was filled
        bad_buzz = [cost for cost in case.costs.all() if cost.kind == "bad_buzz"]
        if not bad_buzz:
            assert case.headline_cost_eur is None
        elif bad_buzz[0].currency in RATES:
            (cost,) = bad_buzz
            euros = (cost.amount_high or cost.amount_low) * RATES[cost.currency]
            assert case.headline_cost_eur == euros.quantize(Decimal("0.01"))
            currencies.add(cost.currency)
    assert currencies == {"EUR", "USD", "GBP"}
    # A save recomputes what the bulk insert wrote by hand, the rendered story included: nothing changes.
    stored = [derived(case) for case in cases]
    for case in cases:
        case.save()
    assert [derived(case) for case in cases] == stored


def test_a_seed_always_gives_the_same_catalogue():
    first = list(generate(count=30, seed=3).order_by("pk").values_list("title", "occurred_on"))
    call_command("generate_cases", delete=True, verbosity=0)
    second = list(generate(count=30, seed=3).order_by("pk").values_list("title", "occurred_on"))
    assert first == second


def test_published_synthetic_cases_show_in_the_catalogue(client):
    generate(count=30)
    newest = generator.synthetic_incidents().published().newest().first()
    response = client.get("/cases/")
    assert response.status_code == 200
    assert f'href="/cases/{newest.pk}/{newest.slug}/"' in response.content.decode()


def test_delete_removes_exactly_the_synthetic_data():
    real = factories.incident(title="A real, sourced case")
    factories.cost(real, "5000")
    real_sector_count = Sector.objects.count()
    generate()
    out = io.StringIO()
    call_command("generate_cases", delete=True, stdout=out)
    assert "Removed 60 synthetic cases" in out.getvalue()
    assert list(Incident.objects.all()) == [real]
    assert real.sources.count() == 1 and real.costs.count() == 1
    assert not Company.objects.filter(slug__startswith="synthetic-").exists()
    assert Sector.objects.count() == real_sector_count
    assert Source.objects.count() == 1 and TimelineEvent.objects.count() == 0


def test_a_second_run_adds_cases_and_reuses_the_companies():
    generate(count=20)
    companies = Company.objects.count()
    generate(count=20)
    assert generator.synthetic_incidents().count() == 40
    assert Company.objects.count() == companies
