"""The demo catalogue loads, twice without duplicates, and is rich enough to browse."""

import pytest
from django.core.management import call_command
from django.db.models import Count

from incidents.models import Company, Incident, Sector, Source, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("load_demo", verbosity=0)


def test_demo_catalogue_is_rich_enough(demo):
    published = Incident.objects.published()
    assert published.count() >= 20
    assert Sector.objects.filter(companies__incidents__in=published).distinct().count() >= 6
    assert Company.objects.filter(incidents__in=published).distinct().count() >= 12
    assert not published.annotate(n=Count("sources")).filter(n=0).exists(), "every case has a source"


def test_seed_article_stories_come_first(demo):
    titles = " ".join(Incident.objects.filter(pk__in=[1, 2, 3, 4]).values_list("title", flat=True))
    assert "88" in titles  # EDF's 88,247 euro bill
    assert Incident.objects.get(pk=1).company.slug == "edf"
    assert Incident.objects.get(pk=2).company.slug == "sncf"
    assert Incident.objects.get(pk=4).company.slug == "united-airlines"
    assert Incident.objects.get(pk=4).featured


def test_loading_twice_duplicates_nothing(demo):
    counts = (Incident.objects.count(), Source.objects.count(), Company.objects.count())
    call_command("load_demo", verbosity=0)
    assert (Incident.objects.count(), Source.objects.count(), Company.objects.count()) == counts


def test_derived_fields_are_computed(demo):
    united = Incident.objects.get(pk=4)
    assert united.story_html.startswith("<p>")
    assert "United Airlines" in united.search_document
    assert united.headline_cost_eur is not None
    assert Incident.objects.filter(status=Status.PUBLISHED, published_at__isnull=True).count() == 0


def test_demo_pages_render(client, demo):
    for case in Incident.objects.published():
        response = client.get(case.get_absolute_url())
        assert response.status_code == 200, case
