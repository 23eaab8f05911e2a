"""What a reader sees on each public page."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from incidents import workflow
from incidents.models import ApologyQuality, CostKind, DatePrecision, Incident, Status
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    """A small catalogue: two sectors, three companies, five published cases and hidden ones."""
    energy = factories.sector(name="Energy", slug="energy")
    rail = factories.sector(name="Rail", slug="rail")
    edf = factories.company(name="EDF", slug="edf", sector=energy)
    edf.aliases.create(name="Électricité de France")
    engie = factories.company(name="Engie", slug="engie", sector=energy)
    sncf = factories.company(name="SNCF", slug="sncf", sector=rail)
    bill = factories.harm_type(name="Absurd bill X", slug="bill-x")
    delay = factories.harm_type(name="Travel disruption X", slug="delay-x")
    now = timezone.now()
    cases = {
        "edf": factories.incident(
            title="A bill of 88,247 euros",
            slug="edf-bill",
            company=edf,
            harm_types=[bill],
            apology_quality=ApologyQuality.REFUSED,
            occurred_on=datetime.date(2009, 12, 1),
            occurred_precision=DatePrecision.MONTH,
            first_response_on=datetime.date(2010, 2, 1),
            first_response_precision=DatePrecision.MONTH,
            story="La facture d'électricité était absurde.",
            language="fr",
            published_at=now - datetime.timedelta(days=5),
        ),
        "engie": factories.incident(
            title="Gas meter misread",
            company=engie,
            harm_types=[bill],
            apology_quality=ApologyQuality.FORMAL,
            occurred_on=datetime.date(2015, 3, 3),
            first_response_on=datetime.date(2015, 3, 10),
            country="BE",
            published_at=now - datetime.timedelta(days=4),
        ),
        "sncf": factories.incident(
            title="Fifteen hours to Port-Bou",
            company=sncf,
            harm_types=[delay],
            apology_quality=ApologyQuality.SINCERE,
            occurred_on=datetime.date(2011, 12, 28),
            first_response_on=datetime.date(2012, 1, 3),
            published_at=now - datetime.timedelta(days=3),
        ),
        "sncf2": factories.incident(
            title="Strike without notice",
            company=sncf,
            harm_types=[delay, bill],
            apology_quality=ApologyQuality.NONE,
            occurred_on=datetime.date(2019, 5, 1),
            published_at=now - datetime.timedelta(days=2),
            story="Les guitares des passagers sont restées à quai.",
        ),
        "edf2": factories.incident(
            title="Meter replaced twice",
            company=edf,
            harm_types=[],
            apology_quality=ApologyQuality.EXEMPLARY,
            occurred_on=datetime.date(2021, 6, 1),
            first_response_on=datetime.date(2021, 6, 11),
            published_at=now - datetime.timedelta(days=1),
        ),
    }
    factories.cost(cases["edf"], "500000", currency="EUR")
    factories.cost(cases["sncf"], "2000000", currency="EUR")
    factories.cost(cases["engie"], "100", currency="USD")
    for status in (Status.DRAFT, Status.REVIEW, Status.RETRACTED):
        factories.incident(title=f"SECRET-{status} case", company=edf, harm_types=[bill], status=status)
    return cases


def titles(response):
    return [case.title for case in response.context["page_obj"]]


def test_home_shows_latest_featured_sectors_companies_and_lessons(client, catalogue):
    catalogue["sncf"].featured = True
    catalogue["sncf"].save()
    response = client.get("/")
    assert response.status_code == 200
    assert response.context["featured"] == catalogue["sncf"]
    page = response.text
    assert "Fifteen hours to Port-Bou" in page and "Meter replaced twice" in page
    assert "Apologise, and do it well" in page
    assert reverse("incidents:sector_detail", args=["energy"]) in page
    assert "SECRET" not in page


def test_list_shows_published_cases_newest_first(client, catalogue):
    response = client.get("/cases/")
    assert response.status_code == 200
    assert titles(response) == [
        "Meter replaced twice",
        "Strike without notice",
        "Fifteen hours to Port-Bou",
        "Gas meter misread",
        "A bill of 88,247 euros",
    ]
    assert "SECRET" not in response.text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"sector": "rail"}, {"Fifteen hours to Port-Bou", "Strike without notice"}),
        (
            {"sector": ["rail", "energy"]},
            {
                "Fifteen hours to Port-Bou",
                "Strike without notice",
                "A bill of 88,247 euros",
                "Gas meter misread",
                "Meter replaced twice",
            },
        ),
        ({"company": "edf"}, {"A bill of 88,247 euros", "Meter replaced twice"}),
        ({"company": ["edf", "engie"]}, {"A bill of 88,247 euros", "Meter replaced twice", "Gas meter misread"}),
        ({"harm": "delay-x"}, {"Fifteen hours to Port-Bou", "Strike without notice"}),
        (
            {"harm": ["delay-x", "bill-x"]},
            {"Fifteen hours to Port-Bou", "Strike without notice", "A bill of 88,247 euros", "Gas meter misread"},
        ),
        ({"apology": "refused"}, {"A bill of 88,247 euros"}),
        ({"apology": ["refused", "exemplary"]}, {"A bill of 88,247 euros", "Meter replaced twice"}),
        ({"year_from": "2015"}, {"Gas meter misread", "Strike without notice", "Meter replaced twice"}),
        ({"year_to": "2011"}, {"A bill of 88,247 euros", "Fifteen hours to Port-Bou"}),
        ({"year_from": "2011", "year_to": "2015"}, {"Fifteen hours to Port-Bou", "Gas meter misread"}),
        ({"country": "be"}, {"Gas meter misread"}),
        ({"min_cost": "400000"}, {"A bill of 88,247 euros", "Fifteen hours to Port-Bou"}),
        ({"sector": "energy", "apology": "formal"}, {"Gas meter misread"}),
        ({"sector": "rail", "harm": "bill-x", "year_from": "2019"}, {"Strike without notice"}),
    ],
)
def test_each_filter_alone_and_combined(client, catalogue, query, expected):
    response = client.get("/cases/", query)
    assert response.status_code == 200
    assert set(titles(response)) == expected


def test_updated_within_keeps_recently_updated_cases(client, catalogue):
    old = timezone.now() - datetime.timedelta(days=30)
    Incident.objects.exclude(pk=catalogue["sncf"].pk).update(updated_at=old)
    response = client.get("/cases/", {"updated_within": "7"})
    assert titles(response) == ["Fifteen hours to Port-Bou"]


@pytest.mark.parametrize(
    ("sort", "expected_first"),
    [
        ("occurred", "Meter replaced twice"),
        ("cost", "Fifteen hours to Port-Bou"),
        ("slowest", "A bill of 88,247 euros"),
        ("apology", "A bill of 88,247 euros"),
        ("newest", "Meter replaced twice"),
    ],
)
def test_sorts(client, catalogue, sort, expected_first):
    response = client.get("/cases/", {"sort": sort})
    assert titles(response)[0] == expected_first


def test_worst_apology_sort_follows_the_scale(client, catalogue):
    response = client.get("/cases/", {"sort": "apology"})
    qualities = [case.apology_quality for case in response.context["page_obj"]]
    assert qualities == sorted(qualities)


def test_facet_counts_respect_the_other_filters(client, catalogue):
    response = client.get("/cases/", {"sector": "rail"})
    facets = response.context["facets"]
    sectors = {o["value"]: o["count"] for o in facets["sector"]}
    harms = {o["value"]: o["count"] for o in facets["harm"]}
    apologies = {o["value"]: o["count"] for o in facets["apology"]}
    # The sector facet ignores the sector filter itself, so readers can add a second sector.
    assert sectors["rail"] == 2 and sectors["energy"] == 3
    assert harms["bill-x"] == 1 and harms["delay-x"] == 2 and harms["absurd-bill"] == 0
    assert apologies["sincere"] == 1 and apologies["none"] == 1 and apologies["refused"] == 0


def test_active_filters_are_removable_chips(client, catalogue):
    response = client.get("/cases/", {"sector": ["rail", "energy"], "apology": "refused"})
    chips = {(str(c["label"]), str(c["value"])): c["query"] for c in response.context["chips"]}
    assert chips[("Sector", "Rail")] == "sector=energy&apology=refused"
    assert chips[("Apology", "Refused")] == "sector=rail&sector=energy"
    assert "Clear all filters" in response.text


def test_empty_state(client, catalogue):
    response = client.get("/cases/", {"q": "zzzyyyxxx"})
    assert response.status_code == 200
    assert "No case matches these filters." in response.text


def test_pagination_keeps_filters_and_sort(client):
    rail = factories.sector(slug="rail-p")
    company = factories.company(sector=rail)
    for _ in range(45):
        factories.incident(company=company)
    factories.incident()  # another sector: filtered out
    response = client.get("/cases/", {"sector": "rail-p", "sort": "occurred"})
    assert len(response.context["page_obj"]) == 20
    assert response.context["page_obj"].paginator.count == 45
    assert 'href="?sector=rail-p&amp;sort=occurred&amp;page=2"' in response.text
    page3 = client.get("/cases/", {"sector": "rail-p", "sort": "occurred", "page": "3"})
    assert len(page3.context["page_obj"]) == 5
    # Page 1 is the list's own address: a link with page=1 would cost the reader a redirect.
    page2 = client.get("/cases/", {"sector": "rail-p", "sort": "occurred", "page": "2"}).text
    assert '<a rel="prev" href="?sector=rail-p&amp;sort=occurred">' in page2 and "page=1" not in page2
    page2 = client.get("/cases/", {"page": "2"}).text
    assert '<a rel="prev" href="/cases/">' in page2 and "page=1" not in page2


@pytest.mark.parametrize(
    "query",
    [
        {"page": "999"},
        {"page": "abc"},
        {"page": "-1"},
        {"sector": "no-such-sector"},
        {"year_from": "99999999999999999999"},
        {"year_from": "abc"},
        {"min_cost": "1e309"},
        {"min_cost": "-5"},
        {"country": "FRANCE"},
        {"apology": "polite"},
        {"sort": "price; DROP TABLE"},
        {"sort": ","},  # empty sort names: the default order, not a 500
        {"q": "\x00"},
        {"q": "a" * 5000},
        {"q": "🙂 ‮ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢"},
        {"updated_within": "0"},
        {"harm": ["bill-x"] * 50},
    ],
)
def test_bad_input_gets_a_page_never_a_500(client, catalogue, query):
    response = client.get("/cases/", query)
    assert response.status_code == 200


def test_form_reports_what_it_did_not_understand(client, catalogue):
    response = client.get("/cases/", {"sector": "no-such-sector", "apology": "refused"})
    assert "were not understood" in response.text
    assert titles(response) == ["A bill of 88,247 euros"]


def test_case_page_tells_the_whole_story(client, catalogue):
    case = catalogue["edf"]
    factories.cost(case, "3500", currency="EUR", kind=CostKind.REMEDY, source=factories.source(incident=case))
    case.costs.filter(kind=CostKind.BAD_BUZZ).update(source=factories.source(incident=case))  # both sides sourced
    factories.event(
        case,
        date=datetime.date(2010, 2, 1),
        precision="month",
        description="Bill corrected",
        channel="customer_service",
        is_turning_point=True,
    )
    response = client.get(case.get_absolute_url())
    assert response.status_code == 200
    page = response.text
    for expected in (
        case.reference,
        "A bill of 88,247 euros",
        "December 2009",
        "Refused",
        "The company was asked to apologise and explicitly refused.",
        "about 2 months after the incident",
        "Bill corrected",
        "Turning point",
        "Customer service",
        "The lesson",
        "Le Monde",
        "Write to the <strong>ombudsman</strong>.",
        "about 140 times the remedy (estimate)",  # €500,000 ÷ €3,500, to two figures (incidents/price.py)
    ):
        assert expected in page, expected
    assert reverse("incidents:company_detail", args=["edf"]) in page


def test_case_redirects_to_canonical_url(client, catalogue):
    case = catalogue["edf"]
    for url in (f"/cases/{case.pk}/", f"/cases/{case.pk}/old-slug/", f"/SC-{case.pk:04d}", f"/SC-{case.pk}"):
        response = client.get(url)
        assert response.status_code == 301, url
        assert response.url == f"/cases/{case.pk}/edf-bill/"


def test_unpublished_cases_are_404_for_the_public_and_previewed_for_editors(client):
    draft = factories.incident(status=Status.DRAFT, title="SECRET draft")
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(f"/SC-{draft.pk}").status_code == 404
    client.force_login(factories.user(staff=True))
    response = client.get(draft.get_absolute_url())
    assert response.status_code == 200
    assert "Not published." in response.text


def test_retracted_case_explains_itself(client):
    case = factories.incident(status=Status.RETRACTED, retraction_reason="The company was misidentified.")
    response = client.get(case.get_absolute_url())
    assert response.status_code == 200
    assert "This case was retracted" in response.text
    assert "The company was misidentified." in response.text


def test_merged_case_redirects_to_the_surviving_case(client):
    survivor = factories.incident(slug="survivor")
    duplicate = factories.incident(status=Status.MERGED, merged_into=survivor)
    response = client.get(duplicate.get_absolute_url())
    assert response.status_code == 301
    assert response.url == survivor.get_absolute_url()


def test_a_chain_of_merges_answers_with_one_redirect_to_the_last_case(client):
    """A merged into B, then B into C: every address of A (and of B) answers one 301 straight to C."""
    chief = factories.chief_editor()
    first = factories.incident(title="First report of the lost parcel", slug="first-report")
    second = factories.incident(title="Second report of the lost parcel", slug="second-report")
    last = factories.incident(title="The lost parcel", slug="the-lost-parcel")
    workflow.merge(first, second, chief)
    workflow.merge(second, last, chief)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.merged_into) == (Status.MERGED, last)
    assert (second.status, second.merged_into) == (Status.MERGED, last)
    canonical = f"/cases/{last.pk}/the-lost-parcel/"
    assert client.get(canonical).status_code == 200
    for case in (first, second):
        for url in (
            f"/cases/{case.pk}/{case.slug}/",
            f"/cases/{case.pk}/",
            f"/cases/{case.pk}/some-old-slug/",
            f"/SC-{case.pk:04d}",
        ):
            response = client.get(url)
            assert (response.status_code, response.get("Location")) == (301, canonical), url

    # What follows merges for journalists and programs lands on the last case in one step too.
    for fmt in ("bib", "ris", "json"):
        response = client.get(f"/cases/{first.pk}/cite.{fmt}")
        assert (response.status_code, response.get("Location")) == (301, f"/cases/{last.pk}/cite.{fmt}"), fmt
    response = client.get(f"/cases/{first.pk}/embed/")
    assert (response.status_code, response.get("Location")) == (301, f"/cases/{last.pk}/embed/")
    response = client.get(f"/api/cases/{first.pk}/")
    assert (response.status_code, response.get("Location")) == (301, f"/api/cases/{last.pk}/")
    assert response.json() == {"detail": "Merged into another case.", "reference": f"SC-{last.pk:04d}"}
    response = client.get("/oembed/", {"url": f"http://testserver/SC-{first.pk:04d}"})
    assert response.status_code == 200
    assert response.json()["title"] == "The lost parcel"


def test_a_chain_left_in_the_database_is_still_followed_in_one_redirect(client):
    """Merges recorded before merging re-pointed earlier ones: A -> B -> C in the database, one 301 to C."""
    last = factories.incident(slug="the-lost-parcel")
    second = factories.incident(status=Status.MERGED, merged_into=last)
    first = factories.incident(status=Status.MERGED, merged_into=second)
    canonical = f"/cases/{last.pk}/the-lost-parcel/"
    for url in (first.get_absolute_url(), f"/cases/{first.pk}/", f"/SC-{first.pk:04d}"):
        response = client.get(url)
        assert (response.status_code, response.get("Location")) == (301, canonical), url
    for url, target in (
        (f"/cases/{first.pk}/cite.bib", f"/cases/{last.pk}/cite.bib"),
        (f"/cases/{first.pk}/embed/", f"/cases/{last.pk}/embed/"),
        (f"/api/cases/{first.pk}/", f"/api/cases/{last.pk}/"),
    ):
        response = client.get(url)
        assert (response.status_code, response.get("Location")) == (301, target), url


def test_related_cases_same_company_first(client, catalogue):
    response = client.get(catalogue["edf"].get_absolute_url())
    related = response.context["related"]
    assert related[0] == catalogue["edf2"]
    assert catalogue["engie"] in related
    assert all(case.status == Status.PUBLISHED for case in related)


def test_company_pages(client, catalogue):
    response = client.get("/companies/")
    assert response.status_code == 200
    assert "EDF" in response.text and "SNCF" in response.text
    response = client.get("/companies/edf/")
    assert response.status_code == 200
    record = response.context["record"]
    assert record["n_cases"] == 2
    assert "Électricité de France" in response.text
    # The bill's month-precise dates two months apart are too vague for a median: only the 10-day delay counts.
    assert record["median_response_days"] == 10 and record["response_sample"] == 1
    assert [e["currency"] for e in record["estimates"]] == ["EUR"]
    assert "SECRET" not in response.text
    assert client.get("/companies/nope/").status_code == 404


def test_a_company_whose_cases_were_all_retracted_says_so_instead_of_a_bare_404(client):
    company = factories.company(name="Gone Airways", slug="gone-airways")
    case = factories.incident(company=company, status=Status.RETRACTED, retraction_reason="Misidentified.")
    response = client.get("/companies/gone-airways/")
    assert response.status_code == 404
    assert "A company's page is withdrawn when its cases are retracted" in response.text
    assert reverse("incidents:methodology") + "#corrections" in response.text
    assert '<meta name="robots" content="noindex">' in response.text
    # Neither the company nor its retracted case is named: a case may be retracted for naming the wrong company.
    assert "Gone Airways" not in response.text
    assert case.title not in response.text
    # Nor does the page tell such a company from an unknown address.
    unknown = client.get("/companies/gone-airwayz/")
    assert unknown.status_code == 404
    assert unknown.text.replace("gone-airwayz", "gone-airways") == response.text


def test_sector_pages(client, catalogue):
    response = client.get("/sectors/")
    assert response.status_code == 200 and "Energy" in response.text
    response = client.get("/sectors/energy/")
    assert response.status_code == 200
    assert response.context["page_obj"].paginator.count == 3
    assert "ombudsman" in response.text
    assert "SECRET" not in response.text


def test_lesson_page(client, catalogue):
    lesson = factories.lesson(title="Tell customers at once X", slug="tell-x")
    catalogue["sncf"].lessons.add(lesson)
    response = client.get("/lessons/tell-x/")
    assert response.status_code == 200
    assert [c.title for c in response.context["page_obj"]] == ["Fifteen hours to Port-Bou"]


def test_static_pages(client):
    assert "The apology scale" in client.get("/methodology/").text
    assert client.get("/about/").status_code == 200


def test_designed_404(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "This page does not exist" in response.text


def test_language_switch_and_french_formats(client, catalogue):
    # The switcher keeps the reader on the same page, at its address in the other language.
    response = client.get("/language/fr/", {"next": "/cases/?sort=cost"})
    assert response.status_code == 302 and response.url == "/fr/cases/?sort=cost"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    case_url = catalogue["edf"].get_absolute_url()
    page = client.get("/fr" + case_url).text
    assert '<html lang="fr">' in page
    assert "décembre 2009" in page
    assert client.get("/fr/language/en/", {"next": "/fr" + case_url}).url == case_url
    assert client.get("/language/xx/").status_code == 404
    assert client.get("/language/en/", {"next": "https://evil.example/"}).url == "/"


def test_browser_language_is_respected_on_arrival(client):
    response = client.get("/", headers={"accept-language": "fr-FR,fr;q=0.9"})
    assert response.status_code == 302 and response.url == "/fr/"
    assert '<html lang="fr">' in client.get(response.url).text
    # Every other URL is in the language it is written in, whatever the browser says.
    assert '<html lang="en">' in client.get("/cases/", headers={"accept-language": "fr"}).text
    assert '<html lang="en">' in client.get("/", headers={"accept-language": "en-GB,en"}).text


@pytest.mark.parametrize(
    ("url_name", "queries", "newest"),
    [
        ("home", 8, "Growth case 29"),  # + the cards' costs (their price of not apologising)
        ("incident_list", 8, "Growth case 29"),  # its count read from its facet summary
        ("company_list", 2, "Growth company 29"),
        ("sector_list", 1, "Growth sector 29"),
    ],
)
def test_query_count_does_not_grow_with_the_catalogue(client, django_assert_num_queries, url_name, queries, newest):
    """The same number of queries for one case as for thirty-one; the next reader gets the cached page, with none."""
    harm = factories.harm_type()
    factories.incident(company=factories.company(sector=factories.sector()), harm_types=[harm])
    url = reverse(f"incidents:{url_name}")
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
    with django_assert_num_queries(0):
        assert client.get(url).status_code == 200
    for i in range(30):
        sector = factories.sector(name=f"Growth sector {i:02d}", slug=f"growth-sector-{i:02d}")
        company = factories.company(name=f"Growth company {i:02d}", slug=f"growth-company-{i:02d}", sector=sector)
        factories.incident(title=f"Growth case {i:02d}", company=company, harm_types=[harm])
    with django_assert_num_queries(queries):
        response = client.get(url)
    assert response.status_code == 200
    assert newest in response.text  # the page did read the thirty new cases


def test_case_and_company_pages_run_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    company = factories.company()
    case = factories.incident(company=company, harm_types=[factories.harm_type(), factories.harm_type()])
    for i in range(5):
        factories.cost(case, str(100 + i))
        factories.event(case, description=f"event {i}")
        factories.source(incident=case)
        factories.incident(company=company)
    with django_assert_max_num_queries(14):
        assert client.get(case.get_absolute_url()).status_code == 200
    with django_assert_max_num_queries(15):  # the page, its record, and the company's record next to its sector's
        assert client.get(company.get_absolute_url()).status_code == 200


def test_money_in_french(client, catalogue):
    page = client.get("/fr" + catalogue["edf"].get_absolute_url()).text
    assert "500\u00a0000\u00a0€" in page


def test_uploaded_media_are_served_under_make_run_only(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "photo.txt").write_text("an uploaded file")
    settings.DEBUG = True
    assert client.get("/media/cases/photo.txt").status_code == 200
    assert client.get("/media/../settings.py").status_code in (400, 404)  # never outside MEDIA_ROOT
    settings.DEBUG = False
    assert client.get("/media/cases/photo.txt").status_code == 404


def test_the_corrections_log_lists_every_correction_of_published_cases_newest_first(client, catalogue):
    import feedparser

    from incidents.models import Correction

    edf, sncf = catalogue["edf"], catalogue["sncf"]
    Correction.objects.create(incident=edf, date=datetime.date(2026, 3, 1), note_en="The bill was 88,247 euros.")
    Correction.objects.create(
        incident=sncf, date=datetime.date(2026, 5, 2), note_en="The delay was 15 hours.", note_fr="Quinze heures."
    )
    hidden = factories.draft(title="A draft never shown")
    Correction.objects.create(incident=hidden, note_en="Not for readers.")
    page = client.get("/corrections/").text
    assert page.index("The delay was 15 hours.") < page.index("The bill was 88,247 euros.")
    assert "Not for readers." not in page and "A draft never shown" not in page
    assert f'href="{edf.get_absolute_url()}#corrections-title"' in page
    assert 'href="http://testserver/corrections/feed/"' in page  # the feed, announced in the head
    french = client.get("/fr/corrections/").text
    assert "Quinze heures." in french and '<p lang="en">The bill was 88,247 euros.</p>' in french
    feed = feedparser.parse(client.get("/corrections/feed/").content)
    assert [entry.summary for entry in feed.entries] == ["The delay was 15 hours.", "The bill was 88,247 euros."]
    assert feed.entries[0].link == f"http://testserver{sncf.get_absolute_url()}#corrections-title"
