"""Permanent links, revisions, share previews and structured data: what a journalist who links to a case relies on."""

import datetime

import extruct
import pytest
from django.utils import timezone

from incidents.models import Correction, Incident, Status
from tests import factories

pytestmark = pytest.mark.django_db

MARKER = "ZQXHIDDEN"


@pytest.fixture
def case():
    sector = factories.sector(name="Energy", slug="energy")
    company = factories.company(name="EDF", slug="edf", sector=sector, website="https://www.edf.fr")
    case = factories.incident(
        title="A bill of 88,247 euros",
        slug="edf-bill",
        company=company,
        summary="EDF billed a pensioner 88,247 euros for two months of electricity.",
        language="fr",
    )
    factories.source(incident=case, title="Une facture démesurée", publisher="Le Parisien", url="https://example.org/p")
    factories.cost(case, "500000", currency="EUR")
    return case


# Permanence -------------------------------------------------------------------------------------------


def test_a_changed_slug_never_breaks_an_old_link(client, case):
    old_url = case.get_absolute_url()
    case.title, case.slug = "A bill of 88,247 euros for a pensioner", "edf-bill-pensioner"
    case.save()
    response = client.get(old_url)
    assert response.status_code == 301 and response.url == f"/cases/{case.pk}/edf-bill-pensioner/"
    assert client.get(f"/cases/{case.pk}/").url == case.get_absolute_url()
    assert client.get(f"/cases/{case.pk}/anything-else/").status_code == 301
    assert client.get(response.url).status_code == 200


def test_short_reference_resolves(client, case):
    for short in (f"/SC-{case.pk:04d}", f"/SC-{case.pk}"):
        response = client.get(short)
        assert response.status_code == 301 and response.url == case.get_absolute_url()
    assert client.get("/SC-9999").status_code == 404


def test_a_merged_duplicate_answers_301_to_the_surviving_case_everywhere(client, case):
    duplicate = factories.incident(title="EDF bill, again", status=Status.MERGED, merged_into=case)
    assert client.get(duplicate.get_absolute_url()).url == case.get_absolute_url()
    assert client.get(f"/SC-{duplicate.pk:04d}").status_code == 301
    response = client.get(f"/api/cases/{duplicate.pk}/")
    assert response.status_code == 301 and response["Location"] == f"/api/cases/{case.pk}/"
    assert client.get(f"/cases/{duplicate.pk}/embed/").url == f"/cases/{case.pk}/embed/"
    assert client.get(f"/cases/{duplicate.pk}/cite.bib").url == f"/cases/{case.pk}/cite.bib"


def test_a_retracted_case_keeps_its_url_and_explains_itself_but_leaves_every_list(client, case):
    retracted = factories.incident(title=f"{MARKER} retracted", summary=f"{MARKER} summary", company=case.company)
    retracted.status = Status.RETRACTED
    retracted.retraction_reason = "The bill turned out to be a hoax."
    retracted.save()
    page = client.get(retracted.get_absolute_url())
    assert page.status_code == 200
    assert "This case was retracted" in page.text and "hoax" in page.text
    assert timezone.localdate().strftime("%Y") in page.text
    assert 'name="robots" content="noindex"' in page.text
    for url in (
        "/",
        "/cases/",
        case.company.get_absolute_url(),
        "/feed/",
        "/feed/atom/",
        "/companies/edf/feed/",
        "/sitemap-cases.xml",
        "/api/cases/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert MARKER not in response.content.decode(), url
    assert list(client.get("/cases/", {"q": MARKER}).context["page_obj"]) == []
    assert client.get(f"/api/cases/{retracted.pk}/").status_code == 410
    assert client.get(f"/cases/{retracted.pk}/card.png").status_code == 404
    assert client.get(f"/cases/{retracted.pk}/cite.ris").status_code == 404


# Conditional GET ------------------------------------------------------------------------------------


def test_case_page_answers_304_to_a_conditional_request(client, case):
    url = case.get_absolute_url()
    first = client.get(url)
    assert first.status_code == 200
    etag, last_modified = first["ETag"], first["Last-Modified"]
    assert client.get(url, headers={"if-none-match": etag}).status_code == 304
    assert client.get(url, headers={"if-modified-since": last_modified}).status_code == 304
    # The same case in the other language is another page, with its own validator.
    assert client.get("/fr" + url, headers={"if-none-match": etag}).status_code == 200


@pytest.mark.parametrize("change", ["correction", "cost", "source", "title"])
def test_etag_changes_when_the_case_its_inlines_or_a_correction_change(client, case, change):
    url = case.get_absolute_url()
    etag = client.get(url)["ETag"]
    if change == "correction":
        Correction.objects.create(incident=case, note="The amount was 88,247 euros, not 88,427.")
    elif change == "cost":
        cost = case.costs.get()
        cost.amount_low = 600000
        cost.save()
    elif change == "source":
        case.sources.first().delete()
    else:
        case.title = "A bill of 88,247 euros (corrected)"
        case.save()
    response = client.get(url, headers={"if-none-match": etag})
    assert response.status_code == 200
    assert response["ETag"] != etag


def test_conditional_check_costs_one_query_then_none(client, case, django_assert_num_queries, settings):
    from django.core.cache import cache

    settings.PAGE_CACHE_ENABLED = False  # the page cache answers 304s too; this is about the case page's own
    etag = client.get(case.get_absolute_url())["ETag"]
    cache.clear()
    with django_assert_num_queries(1):
        assert client.get(case.get_absolute_url(), headers={"if-none-match": etag}).status_code == 304
    with django_assert_num_queries(0):  # the validators are kept for the catalogue generation
        assert client.get(case.get_absolute_url(), headers={"if-none-match": etag}).status_code == 304


def test_corrections_box_and_no_etag_on_previews(client, case):
    Correction.objects.create(incident=case, date=datetime.date(2026, 3, 2), note="The date of the bill was corrected.")
    assert "The date of the bill was corrected." in client.get(case.get_absolute_url()).text
    draft = factories.incident(status=Status.DRAFT)
    client.force_login(factories.user(staff=True))
    response = client.get(draft.get_absolute_url())
    assert response.status_code == 200 and "ETag" not in response


# Revisions ------------------------------------------------------------------------------------------


def test_a_revision_shows_the_case_as_it_was_with_a_link_to_the_current_version(client, case):
    first = case.history.filter(status=Status.PUBLISHED).order_by("history_date").first()
    factories.event(case, description="The old timeline event")
    case.title = "A bill of 88,247 euros, finally cancelled"
    case.story = "EDF cancelled the bill a week later."
    case.save()
    case.timeline.all().delete()
    Correction.objects.create(incident=case, note="EDF cancelled the bill.")

    response = client.get(f"/cases/{case.pk}/revisions/{first.history_id}/")
    assert response.status_code == 200
    head, page = response.text.split("<main", 1)
    assert "<title>A bill of 88,247 euros (version of" in head
    assert "You are reading the version of" in page
    assert "A bill of 88,247 euros" in page and "finally cancelled" not in page
    assert "The old timeline event" in page
    assert "EDF cancelled the bill." not in page  # a correction made after this revision
    assert f'href="{case.get_absolute_url()}"' in page and "See the current version" in page
    assert 'content="noindex, follow"' in head
    assert f'rel="canonical" href="http://testserver{case.get_absolute_url()}"' in head
    # Its citation is pinned to it.
    assert f"/cases/{case.pk}/revisions/{first.history_id}/" in page.split('class="cite-box"')[1]


def test_the_case_page_offers_a_citation_pinned_to_the_current_revision(client, case):
    case.title = "A bill of 88,247 euros, revised"
    case.save()
    latest = case.history.order_by("-history_date").first()
    page = client.get(case.get_absolute_url()).text
    assert "Cite this case" in page
    pinned = f"http://testserver/cases/{case.pk}/revisions/{latest.history_id}/"
    assert pinned in page
    revision = client.get(pinned).text
    assert "A bill of 88,247 euros, revised" in revision and "It is also the current version." in revision


def test_unpublished_revisions_and_other_cases_revisions_are_404(client, case):
    draft_record = case.history.create(
        id=case.pk,
        title="Draft title",
        slug=case.slug,
        summary="",
        company=case.company,
        country="FR",
        status=Status.DRAFT,
        history_date=timezone.now(),
        history_type="~",
        created_at=case.created_at,
        updated_at=case.updated_at,
    )
    assert client.get(f"/cases/{case.pk}/revisions/{draft_record.history_id}/").status_code == 404
    other = factories.incident()
    other_record = other.history.first()
    assert client.get(f"/cases/{case.pk}/revisions/{other_record.history_id}/").status_code == 404
    assert client.get(f"/cases/{case.pk}/revisions/999999/").status_code == 404


def test_revisions_of_a_retracted_case_lead_to_the_retraction_notice(client, case):
    record = case.history.first()
    case.status = Status.RETRACTED
    case.retraction_reason = "Wrong company."
    case.save()
    response = client.get(f"/cases/{case.pk}/revisions/{record.history_id}/")
    assert response.status_code == 302 and response.url == case.get_absolute_url()


# Share previews, canonical links, structured data -----------------------------------------------------


def public_pages(case):
    lesson = factories.lesson(slug="apologise")
    return [
        "/",
        "/cases/",
        "/companies/",
        case.company.get_absolute_url(),
        "/sectors/",
        case.company.sector.get_absolute_url(),
        lesson.get_absolute_url(),
        "/about/",
        "/methodology/",
        "/data/",
        case.get_absolute_url(),
    ]


def test_every_public_page_has_opengraph_twitter_and_canonical_tags(client, case):
    for url in public_pages(case):
        response = client.get(url)
        assert response.status_code == 200, url
        data = extruct.extract(response.text, base_url=f"http://testserver{url}", syntaxes=["opengraph"])
        og = dict(data["opengraph"][0]["properties"])
        for prop in ("og:title", "og:description", "og:url", "og:image", "og:site_name", "og:locale", "og:type"):
            assert og.get(prop), (url, prop)
        assert og["og:url"] == f"http://testserver{url}"
        assert og["og:image"].startswith("http://testserver/")
        assert '<meta name="twitter:card" content="summary_large_image">' in response.text
        assert f'<link rel="canonical" href="http://testserver{url}">' in response.text, url
        assert response.text.count('rel="canonical"') == 1, url
        assert 'hreflang="x-default"' in response.text


def test_case_page_share_tags_describe_the_case(client, case):
    page = client.get(case.get_absolute_url()).text
    og = dict(extruct.extract(page, syntaxes=["opengraph"])["opengraph"][0]["properties"])
    assert og["og:type"] == "article"
    assert og["og:title"] == f"A bill of 88,247 euros ({case.reference})"
    assert og["og:image"] == f"http://testserver/cases/{case.pk}/card.png"
    assert "pensioner" in og["og:description"]
    assert 'type="application/json+oembed"' in page


def test_case_page_json_ld_is_an_article_about_the_company(client, case):
    page = client.get(case.get_absolute_url()).text
    items = extruct.extract(page, base_url="http://testserver/", syntaxes=["json-ld"])["json-ld"]
    article = next(item for item in items if item["@type"] == "Article")
    assert article["identifier"] == case.reference
    assert article["headline"] == "A bill of 88,247 euros"
    assert article["about"] == {
        "@type": "Organization",
        "name": "EDF",
        "url": "http://testserver/companies/edf/",
        "sameAs": "https://www.edf.fr",
    }
    assert article["inLanguage"] == "fr"
    assert article["publisher"]["name"] == "Sévices clients"
    assert article["image"]["url"] == f"http://testserver/cases/{case.pk}/card.png"
    assert datetime.datetime.fromisoformat(article["datePublished"]) == case.published_at
    assert datetime.datetime.fromisoformat(article["dateModified"]) == Incident.objects.get(pk=case.pk).updated_at
    cited = {c["name"]: c for c in article["citation"]}
    assert len(cited) == 2
    assert cited["Une facture démesurée"]["url"] == "https://example.org/p"
    assert cited["Une facture démesurée"]["publisher"]["name"] == "Le Parisien"


def test_json_ld_cannot_be_broken_out_of(client, case):
    case.title_fr = 'The "</script><script>alert(1)</script>" case & more'  # the case is written in French
    case.save()
    page = client.get(case.get_absolute_url()).text
    assert "<script>alert(1)" not in page
    items = extruct.extract(page, syntaxes=["json-ld"])["json-ld"]
    assert items[0]["name"] == case.title_fr


def test_feed_autodiscovery_links(client, case):
    home = client.get("/").text
    assert 'type="application/rss+xml"' in home and 'href="http://testserver/feed/"' in home
    assert 'href="http://testserver/feed/atom/"' in home
    company_page = client.get(case.company.get_absolute_url()).text
    assert 'href="http://testserver/companies/edf/feed/"' in company_page
    sector_page = client.get(case.company.sector.get_absolute_url()).text
    assert 'href="http://testserver/sectors/energy/feed/"' in sector_page
    assert "/companies/edf/feed/" not in home


def test_robots_txt_points_at_the_sitemap_and_keeps_crawlers_out_of_the_admin(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    lines = response.text.splitlines()
    assert "Disallow: /admin/" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines


def test_sitemap_lists_published_pages_and_each_answers_200(client, case):
    import xml.etree.ElementTree as ET

    hidden = factories.hidden_cases(MARKER, company=case.company)
    factories.lesson(slug="apologise")
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    index = client.get("/sitemap.xml")
    assert index.status_code == 200
    sections = [loc.text for loc in ET.fromstring(index.content).findall("s:sitemap/s:loc", ns)]
    assert len(sections) == 5
    urls = {}
    for section in sections:
        response = client.get(section.replace("http://testserver", ""))
        assert response.status_code == 200
        for node in ET.fromstring(response.content).findall("s:url", ns):
            lastmod = node.find("s:lastmod", ns)
            urls[node.find("s:loc", ns).text] = lastmod.text if lastmod is not None else None
    assert urls[f"http://testserver{case.get_absolute_url()}"]  # cases carry lastmod
    for status, hidden_case in hidden.items():
        assert f"http://testserver/cases/{hidden_case.pk}/" not in " ".join(urls), status
    for expected in ("/", "/cases/", "/companies/edf/", "/sectors/energy/", "/lessons/apologise/", "/data/"):
        assert f"http://testserver{expected}" in urls
    for url in urls:
        assert client.get(url.replace("http://testserver", "")).status_code == 200, url


def test_cited_links_answer_head_requests_from_link_checkers(client, case):
    for url in (
        case.get_absolute_url(),
        f"/cases/{case.pk}/",
        f"/SC-{case.pk:04d}",
        f"/cases/{case.pk}/cite.bib",
        f"/cases/{case.pk}/embed/",
        f"/cases/{case.pk}/revisions/{case.history.first().history_id}/",
        "/feed/",
        "/data/",
        "/data/cases.csv",
        "/api/cases/",
    ):
        assert client.head(url).status_code in (200, 301), url
    response = client.head("/data/cases.csv")
    assert response.status_code == 200 and b"".join(response.streaming_content) == b""


def test_a_correction_added_in_the_admin_updates_the_case_and_makes_a_new_revision(client, case):
    """What an editor does: the corrections box shows it, "Last updated" and the ETag change, old pins stay."""
    from django.test import Client

    from tests.test_admin import admin_form_data

    before = Incident.objects.get(pk=case.pk)
    etag = client.get(case.get_absolute_url())["ETag"]
    old_revision = case.history.order_by("-history_date").first()

    editor = Client()
    editor.force_login(factories.chief_editor())
    url = f"/admin/incidents/incident/{case.pk}/change/"
    data = admin_form_data(
        editor.get(url),
        **{
            "corrections-TOTAL_FORMS": "1",
            "corrections-0-date": "2026-03-02",
            f"corrections-0-note_{case.language}": "The bill was 88,247 euros, not 88,427.",
        },
    )
    response = editor.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""

    after = Incident.objects.get(pk=case.pk)
    assert after.updated_at > before.updated_at
    page = client.get(case.get_absolute_url(), headers={"if-none-match": etag})
    assert page.status_code == 200 and page["ETag"] != etag
    assert "The bill was 88,247 euros, not 88,427." in page.text.split('id="corrections-title"')[1]
    new_revision = case.history.order_by("-history_date").first()
    assert new_revision.history_id != old_revision.history_id
    assert f"/cases/{case.pk}/revisions/{new_revision.history_id}/" in page.text
    pinned_old = client.get(f"/cases/{case.pk}/revisions/{old_revision.history_id}/").text
    pinned_new = client.get(f"/cases/{case.pk}/revisions/{new_revision.history_id}/").text
    assert "not 88,427" not in pinned_old and "not 88,427" in pinned_new


def test_revisions_show_inlines_written_without_history(client, case):
    """Rows loaded by loaddata or bulk_create have no history record: revisions still show them."""
    from incidents.models import TimelineEvent

    TimelineEvent.objects.bulk_create(
        [TimelineEvent(incident=case, date=datetime.date(2020, 1, 2), description="Loaded without history")]
    )
    record = case.history.first()
    page = client.get(f"/cases/{case.pk}/revisions/{record.history_id}/").text
    assert "Loaded without history" in page and "Une facture démesurée" in page


# The share box: share, embed, cite, tell us ------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "/fr"])
def test_every_case_page_offers_sharing_embedding_citing_and_telling_us(client, case, prefix):
    from urllib.parse import parse_qs, unquote, urlsplit

    from bs4 import BeautifulSoup

    response = client.get(f"{prefix}{case.get_absolute_url()}")
    html = BeautifulSoup(response.text, "html.parser")
    box = html.select_one("#share")
    case_url = f"http://testserver{prefix}{case.get_absolute_url()}"
    links = {a.text: a["href"] for a in box.select(".share-links a")}
    assert set(links) == {"E-mail" if prefix else "Email", "Bluesky", "LinkedIn", "X"}
    mail = links["E-mail" if prefix else "Email"]
    assert mail.startswith("mailto:?subject=") and "+" not in mail  # spaces are %20 in a mailto: URL
    assert case_url in unquote(mail) and "A bill of 88,247 euros" in unquote(mail)
    assert parse_qs(urlsplit(links["LinkedIn"]).query) == {"url": [case_url]}
    assert links["LinkedIn"].startswith("https://www.linkedin.com/sharing/share-offsite/?")
    assert parse_qs(urlsplit(links["X"]).query)["url"] == [case_url]
    assert case_url in parse_qs(urlsplit(links["Bluesky"]).query)["text"][0]
    # Nothing from another site runs or loads on the page.
    assert not [s for s in html.select("script[src]") if "://" in s["src"]]
    assert not html.select("iframe")
    # The embed code, copyable without a script, frames this case's card in the page's language.
    code = BeautifulSoup(box.select_one("textarea#embed-code[readonly]").text, "html.parser").iframe
    assert code["src"] == f"http://testserver{prefix}/cases/{case.pk}/embed/"
    assert html.select_one("label[for=embed-code]")
    assert client.get(code["src"].removeprefix("http://testserver")).status_code == 200
    # The citation, as selectable text; and the way to tell us one's own story.
    assert f"(SC-{case.pk:04d})" in box.select_one(".cite-box pre.cite-text").text
    assert box.select_one(f'.case-tell-us a[href="{prefix}/submit/"]')


def test_a_preview_has_no_share_box(client, case):
    draft = factories.draft(title="A draft to preview")
    client.force_login(factories.editor())
    page = client.get(draft.get_absolute_url()).text
    assert "A draft to preview" in page and 'id="share"' not in page


@pytest.mark.parametrize(
    ("typed", "server"),
    [("piaille.fr", "piaille.fr"), ("https://Piaille.fr/", "piaille.fr"), ("@me@mastodon.social", "mastodon.social")],
)
def test_mastodon_sharing_links_to_the_readers_server(client, case, typed, server):
    from bs4 import BeautifulSoup

    response = client.get(f"/cases/{case.pk}/share/mastodon/", {"server": typed})
    assert response.status_code == 200
    link = BeautifulSoup(response.text, "html.parser").select_one("main a.button")
    assert link.text == f"Continue to {server}"
    assert link["href"].startswith(f"https://{server}/share?text=A+bill+of+88%2C247+euros+%28SC-")
    assert f"http%3A%2F%2Ftestserver%2Fcases%2F{case.pk}%2Fedf-bill%2F" in link["href"]


def test_mastodon_sharing_never_redirects(client, case):
    url = f"/cases/{case.pk}/share/mastodon/"
    # Not even from the case page itself: the CSP's form-action 'self' would block a redirect to another site.
    from_the_case = client.get(url, {"server": "piaille.fr"}, headers={"referer": f"http://testserver{url}"})
    assert from_the_case.status_code == 200
    for bad in ("", "not a server", "javascript:alert(1)", "piaille.fr@evil/x", "localhost"):
        response = client.get(url, {"server": bad})
        assert response.status_code == 400, bad
        assert "Type the name of your Mastodon server" in response.text and "https://" not in response.text.split(
            '<main id="main"'
        )[1].split("</main>")[0].replace(f"http://testserver{case.get_absolute_url()}", ""), bad
    draft = factories.draft()
    assert client.get(f"/cases/{draft.pk}/share/mastodon/", {"server": "piaille.fr"}).status_code == 404


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_reader_shares_a_case_on_their_mastodon_server(live_server, tab, case):
    page = tab.page
    page.goto(f"{live_server.url}{case.get_absolute_url()}")
    page.get_by_label("Your Mastodon server").fill("piaille.fr")
    page.get_by_role("button", name="Share on Mastodon").click()
    page.wait_for_url("**/share/mastodon/?server=piaille.fr")
    link = page.get_by_role("link", name="Continue to piaille.fr")
    assert link.get_attribute("href").startswith("https://piaille.fr/share?text=A+bill+of+88%2C247+euros")
    tab.check()  # nothing blocked by the site's Content-Security-Policy
