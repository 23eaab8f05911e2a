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


def test_every_demo_case_reads_fully_in_both_languages(client, demo):
    from incidents.models import CostEstimate, TimelineEvent

    texts = ("title", "summary", "story", "lesson", "response", "corrective_actions", "apology_text")
    for case in Incident.objects.published():
        for field in texts:
            own = getattr(case, f"{field}_{case.language}")
            for language in ("en", "fr"):
                assert bool(getattr(case, f"{field}_{language}")) == bool(own), (case.reference, field, language)
        assert case.translated, case.reference
    for model, fields in ((TimelineEvent, ("description",)), (CostEstimate, ("note", "claimed_by"))):
        for row in model.objects.all():
            for field in fields:
                assert bool(getattr(row, f"{field}_en")) == bool(getattr(row, f"{field}_fr")), (row.pk, field)
    for model in (Company, Sector):
        for row in model.objects.all():
            assert bool(row.description_en) == bool(row.description_fr), row
    # At its address in each language, a case reads in that language, with no "not translated" notice.
    case = Incident.objects.get(pk=1)  # written in French
    url = case.get_absolute_url()
    english, french = client.get(url).text, client.get("/fr" + url).text
    assert case.title_en in english and case.title_fr not in english
    assert case.title_fr in french and "untranslated" not in english + french


def test_french_demo_texts_follow_french_typography(demo):
    import re

    for case in Incident.objects.all():
        for field in ("title", "summary", "story", "lesson"):
            text = re.sub(r"\]\([^)]*\)", "]", getattr(case, f"{field}_fr"))  # link targets are URLs
            quoted_out = re.sub(r"«[^»]*»", "«\u202f»", text)  # a quotation keeps its own language's typography
            assert "'" not in text, (case.reference, field, "curly apostrophes in French")
            # "O157:H7" is a name, not punctuation: only a sign followed by a space or the end counts.
            assert not re.search(r"\w[;:!?](\s|$)", quoted_out), (case.reference, field, "a space before ; : ! ?")
            assert not re.search(r"« | »", text), (case.reference, field, "no-break spaces inside « »")


def test_rerunning_the_set_up_never_undoes_an_editors_work(demo):
    """`make run` runs load_demo every time: an edit, a retraction and a merge made since must all survive it."""
    from incidents import workflow
    from tests import factories

    chief = factories.chief_editor()
    edited, retracted, merged, target = (Incident.objects.get(pk=pk) for pk in (2, 3, 5, 4))
    edited.title_en = "Corrected by an editor"
    edited.save()
    workflow.retract(retracted, chief, "Sources did not hold.")
    workflow.merge(merged, target, chief)
    Source.objects.filter(incident=edited).update(title="Source retitled by an editor")
    untouched = Incident.objects.get(pk=6)
    before = {case.pk: case.updated_at for case in Incident.objects.all()}
    history = Incident.history.count()

    call_command("load_demo", verbosity=0)

    assert Incident.objects.get(pk=2).title_en == "Corrected by an editor"
    assert Incident.objects.get(pk=3).status == Status.RETRACTED
    assert Incident.objects.get(pk=5).status == Status.MERGED
    assert set(Source.objects.filter(incident=edited).values_list("title", flat=True)) == {
        "Source retitled by an editor"
    }
    assert {case.pk: case.updated_at for case in Incident.objects.all()} == before  # nothing touched
    assert Incident.history.count() == history
    assert Incident.objects.get(pk=6).updated_at == untouched.updated_at


def test_the_set_up_adds_a_missing_demo_case_with_its_own_dates(demo):
    case = Incident.objects.get(pk=7)
    published, updated = case.published_at, case.updated_at
    Incident.objects.filter(pk=7).delete()
    call_command("load_demo", verbosity=0)
    again = Incident.objects.get(pk=7)
    assert (again.published_at, again.updated_at) == (published, updated)
    assert again.sources.count() >= 1 and again.story_html


def test_a_broken_demo_file_is_a_clear_error_that_adds_nothing(tmp_path):
    from django.core.management.base import CommandError

    broken = tmp_path / "demo.json"
    broken.write_text('[{"model": "incidents.sector", "fields": {"name": "X", "slug": "x"}}, {"model": ', "utf-8")
    with pytest.raises(CommandError, match="Cannot read the demo catalogue"):
        call_command("load_demo", fixture=str(broken), verbosity=0)
    assert not Sector.objects.filter(slug="x").exists()


def test_every_demo_source_on_the_web_has_an_archived_copy(client, demo):
    import re

    for source in Source.objects.all():
        if not source.url:
            continue  # print only: the magazine article of the seed stories
        date = source.published_on.strftime("%Y%m%d") if source.published_on else r"\d{4,8}"
        assert re.fullmatch(rf"https://web\.archive\.org/web/{date}/{re.escape(source.url)}", source.archive_url)
    case = Incident.objects.get(pk=4)
    page = client.get(case.get_absolute_url()).text
    for source in case.sources.exclude(url=""):
        assert f'<a href="{source.archive_url}" rel="noopener">archived copy</a>' in page


def test_demo_prices_of_not_apologising_are_sourced_and_archived(client, demo):
    """At least five cases weigh their bad buzz against their remedy, in at least three sectors; each line of each
    side cites one of its own case's sources, on the web with an archived copy, and the case page shows the figure."""
    from incidents.price import prices_of

    published = Incident.objects.published()
    prices = prices_of(published)
    assert len(prices) >= 5, sorted(prices)
    assert Sector.objects.filter(companies__incidents__in=prices.keys()).distinct().count() >= 3
    for pk, price in prices.items():
        case = published.get(pk=pk)
        for line in price.bad_buzz.lines + price.remedy.lines:
            source = Source.objects.get(pk=line.source_id)
            assert source.incident_id == pk, (case, source)
            assert source.url and source.archive_url.startswith("https://web.archive.org/web/"), (case, source)
        page = client.get(case.get_absolute_url()).text
        assert f"about {price.number} times what making it right would have cost" in page, case
