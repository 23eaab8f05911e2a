"""generate_cases: realistic synthetic cases, clearly marked, derived fields right, removed exactly by --delete."""

import io
import re
from decimal import Decimal

import pytest
from django.core.management import call_command

from incidents.models import Company, CostEstimate, Incident, Sector, Source, Status, TimelineEvent
from incidents.synthetic import generator
from incidents.synthetic.words import WORDS
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
    assert 50 <= cases.filter(translated=True).count() <= 85  # a third in both languages
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


def test_each_case_is_written_in_its_language_and_a_third_in_both():
    cases = list(generate(count=90).prefetch_related("timeline", "costs"))
    for case in cases:
        other = "en" if case.language == "fr" else "fr"
        texts = ("title", "summary", "story", "story_html", "lesson")
        assert all(getattr(case, f"{text}_{case.language}") for text in texts)
        assert all(bool(getattr(case, f"{text}_{other}")) == case.translated for text in texts)
        assert all(getattr(event, f"description_{case.language}") for event in case.timeline.all())
        assert all(cost.claimed_by_en or cost.claimed_by_fr for cost in case.costs.all())
    # The same sentences in each language: the same numbers, places and paragraphs.
    translated = [case for case in cases if case.translated]
    assert {case.language for case in translated} == {"en", "fr"}
    for case in translated:
        assert digits(case.summary_en) == digits(case.summary_fr)
        assert digits(case.story_en) == digits(case.story_fr)
        assert case.story_en.count("\n\n") == case.story_fr.count("\n\n")
        assert case.title_en != case.title_fr


def digits(text):
    return sorted(re.findall(r"\d", text))


def test_the_word_lists_of_both_languages_are_translations_item_by_item():
    for kind, english in WORDS["en"].items():
        assert len(english) == len(WORDS["fr"][kind]), kind


@pytest.mark.parametrize(("language", "word"), [("en", "refunds"), ("fr", "remboursements")])
def test_generated_cases_are_found_by_a_search_in_each_language(client, language, word):
    cases = generate(count=60)
    prefix = "/fr" if language == "fr" else ""
    response = client.get(f"{prefix}/cases/", {"q": word})
    found = {case.pk for case in response.context["page_obj"]}
    assert found and found <= set(cases.values_list("pk", flat=True))
    assert response.context["page_obj"].paginator.count > 5
    assert "<mark>" in response.text


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
    return (
        case.story_html_en,
        case.story_html_fr,
        case.translated,
        case.headline_cost_eur,
        case.search_document_en,
        case.search_document_fr,
        case.response_days,
        case.resolution_days,
    )


def test_derived_fields_are_what_a_save_would_compute():
    cases = list(generate().select_related("company").prefetch_related("company__aliases", "costs"))
    currencies = set()
    for case in cases:
        for story_html in filter(None, (case.story_html_en, case.story_html_fr)):
            assert story_html.startswith("<p>") and story_html.endswith("</p>\n<p>[synthetic]</p>")
            assert "{" not in story_html and "zq" not in story_html  # every placeholder was filled
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
