"""RSS and Atom feeds: valid, published cases only, stable GUIDs, conditional GET, a fixed number of queries."""

import feedparser
import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import Status
from tests import factories

pytestmark = pytest.mark.django_db

MARKER = "ZQXHIDDEN"
FEEDS = [
    "/feed/",
    "/feed/atom/",
    "/companies/edf/feed/",
    "/companies/edf/feed/atom/",
    "/sectors/energy/feed/",
    "/sectors/energy/feed/atom/",
    "/lessons/say-sorry-early/feed/",
    "/lessons/say-sorry-early/feed/atom/",
]


@pytest.fixture
def catalogue():
    energy = factories.sector(name="Energy", slug="energy")
    edf = factories.company(name="EDF", slug="edf", sector=energy)
    other = factories.company(name="SNCF", slug="sncf")
    apologise = factories.lesson(title="Say sorry early", slug="say-sorry-early")
    cases = [
        factories.incident(
            title="Électricité: une facture de 88 247 €", company=edf, language="fr", lessons=[apologise]
        ),
        factories.incident(
            title="A second EDF case",
            company=edf,
            harm_types=[factories.harm_type(name="Billing")],
            lessons=[apologise],
        ),
        factories.incident(title="A rail case", company=other, lessons=[factories.lesson()]),
    ]
    factories.hidden_cases(MARKER, company=edf, lessons=[apologise])
    return cases


@pytest.mark.parametrize("url", FEEDS)
def test_feeds_are_valid_and_list_published_cases_only(client, catalogue, url):
    response = client.get(url)
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    titles = [entry.title for entry in feed.entries]
    assert f"Électricité: une facture de 88 247 € (SC-{catalogue[0].pk:04d})" in titles
    assert f"A second EDF case (SC-{catalogue[1].pk:04d})" in titles
    assert (f"A rail case (SC-{catalogue[2].pk:04d})" in titles) == url.startswith("/feed/")
    assert MARKER not in response.content.decode()
    entry = next(e for e in feed.entries if e.title.startswith("A second"))
    assert entry.link == f"http://testserver{catalogue[1].get_absolute_url()}"
    assert entry.id == f"http://testserver/SC-{catalogue[1].pk:04d}"
    assert entry.published_parsed
    if "atom" in url:
        assert entry.get("updated")  # RSS 2.0 has no per-item update date
    assert {tag.term for tag in entry.tags} >= {"EDF", "Energy", "Billing"}


def test_rss_is_rss2_and_atom_is_atom(client, catalogue):
    assert feedparser.parse(client.get("/feed/").content).version == "rss20"
    assert feedparser.parse(client.get("/feed/atom/").content).version == "atom10"


def test_guid_does_not_change_with_the_slug(client, catalogue):
    case = catalogue[0]
    before = {e.id for e in feedparser.parse(client.get("/feed/").content).entries}
    case.slug, case.title = "a-new-slug", "A new title"
    case.save()
    after = feedparser.parse(client.get("/feed/").content)
    assert {e.id for e in after.entries} == before
    assert any(e.link.endswith("/a-new-slug/") for e in after.entries)


def test_a_retracted_case_leaves_the_feed(client, catalogue):
    case = catalogue[1]
    case.status = Status.RETRACTED
    case.save()
    assert "A second EDF case" not in client.get("/feed/").content.decode()


def test_unknown_company_or_sector_feed_is_404(client, catalogue):
    assert client.get("/companies/nobody/feed/").status_code == 404
    assert client.get("/sectors/nowhere/feed/atom/").status_code == 404
    assert client.get("/lessons/nothing/feed/").status_code == 404


def test_a_lesson_feed_names_its_lesson_in_the_readers_language(client, catalogue):
    english = feedparser.parse(client.get("/lessons/say-sorry-early/feed/atom/").content)
    assert english.feed.title == "Sévices clients: cases that teach “Say sorry early”"
    assert english.feed.link == "http://testserver/lessons/say-sorry-early/"
    french = feedparser.parse(client.get("/fr/lessons/say-sorry-early/feed/").content)
    assert not french.bozo and french.feed.language == "fr"
    assert french.feed.title == "Sévices clients\u202f: les cas qui enseignent «\u202fSay sorry early\u202f»"
    assert french.feed.link == "http://testserver/fr/lessons/say-sorry-early/"


@pytest.mark.parametrize("url", ["/feed/", "/companies/edf/feed/atom/", "/lessons/say-sorry-early/feed/"])
def test_feeds_answer_conditional_requests(client, catalogue, url):
    first = client.get(url)
    assert client.get(url, headers={"if-none-match": first["ETag"]}).status_code == 304
    assert client.get(url, headers={"if-modified-since": first["Last-Modified"]}).status_code == 304
    factories.incident(title="A brand new EDF case", company=catalogue[0].company, lessons=catalogue[0].lessons.all())
    fresh = client.get(url, headers={"if-none-match": first["ETag"]})
    assert fresh.status_code == 200 and "A brand new EDF case" in fresh.content.decode()


@pytest.mark.parametrize("url", FEEDS)
def test_feed_query_count_does_not_grow(client, url):
    energy = factories.sector(slug="energy")
    edf = factories.company(slug="edf", sector=energy)
    harm = factories.harm_type()
    lesson = factories.lesson(slug="say-sorry-early")
    factories.incident(company=edf, harm_types=[harm], lessons=[lesson])
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for _ in range(30):
        factories.incident(company=edf, harm_types=[harm, factories.harm_type()], lessons=[lesson])
    from django.core.cache import cache

    cache.clear()
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(feedparser.parse(response.content).entries) == 31
    assert len(one) == len(many), (len(one), len(many))


def test_a_company_known_only_from_unpublished_cases_has_no_feed(client):
    company = factories.company(slug="only-drafts")
    factories.incident(company=company, status=Status.DRAFT)
    assert client.get("/companies/only-drafts/feed/").status_code == 404


@pytest.mark.parametrize("prefix", ["", "/fr"])
@pytest.mark.parametrize("page", ["/companies/edf/", "/sectors/energy/", "/lessons/say-sorry-early/"])
def test_company_sector_and_lesson_pages_offer_their_feeds(client, catalogue, prefix, page):
    html = BeautifulSoup(client.get(prefix + page).text, "html.parser")
    rss, atom = f"{prefix}{page}feed/", f"{prefix}{page}feed/atom/"
    # Visible, for a reader; announced in the head, for a feed reader given the page's address.
    assert [(a["href"], a["type"]) for a in html.select(".follow-links a")] == [
        (rss, "application/rss+xml"),
        (atom, "application/atom+xml"),
    ]
    announced = {(link["type"], link["href"]) for link in html.select("head link[rel=alternate][type]")}
    assert {
        ("application/rss+xml", f"http://testserver{rss}"),
        ("application/atom+xml", f"http://testserver{atom}"),
    } <= announced
    for url, version in ((rss, "rss20"), (atom, "atom10")):
        feed = feedparser.parse(client.get(url).content)
        assert not feed.bozo and feed.version == version
        assert f"A second EDF case (SC-{catalogue[1].pk:04d})" in [entry.title for entry in feed.entries]
