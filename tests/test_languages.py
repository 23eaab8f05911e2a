"""One URL per language: English unprefixed, French under /fr/, each page pointing to the other."""

import re

import pytest
from django.conf import settings

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def case():
    return factories.incident(title="A case in two languages", title_fr="Un cas en deux langues")


def head_links(page):
    canonical = re.search(r'<link rel="canonical" href="([^"]+)">', page)
    alternates = dict(re.findall(r'<link rel="alternate" hreflang="([a-z-]+)" href="([^"]+)">', page))
    return (canonical.group(1) if canonical else None), alternates


@pytest.mark.parametrize("path", ["/", "/cases/", "/companies/", "/sectors/", "/about/", "/insights/", "/data/"])
def test_each_page_exists_in_both_languages_and_names_both(client, path):
    english, french = client.get(path), client.get("/fr" + path)
    assert english.status_code == french.status_code == 200
    assert '<html lang="en">' in english.text and '<html lang="fr">' in french.text
    for page, own in ((english.text, path), (french.text, "/fr" + path)):
        canonical, alternates = head_links(page)
        assert canonical == "http://testserver" + own
        assert alternates == {
            "en": "http://testserver" + path,
            "fr": "http://testserver/fr" + path,
            "x-default": "http://testserver" + path,
        }


def test_a_case_page_has_its_canonical_and_alternates_in_each_language(client, case):
    url = case.get_absolute_url()
    canonical, alternates = head_links(client.get("/fr" + url).text)
    assert canonical == "http://testserver/fr" + url
    assert alternates["en"] == "http://testserver" + url and alternates["fr"] == canonical
    # A wrong slug redirects to the case's address in the same language.
    wrong = client.get(f"/fr/cases/{case.pk}/wrong-slug/")
    assert wrong.status_code == 301 and wrong.url == "/fr" + url


def test_filters_and_page_numbers_follow_the_language_switch(client, case):
    response = client.get("/language/fr/", {"next": "/cases/?sort=cost&page=1"})
    assert response.url == "/fr/cases/?sort=cost&page=1"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME]["samesite"] == "Lax"
    back = client.get("/fr/language/en/", {"next": "/fr/cases/?sort=cost"})
    assert back.url == "/cases/?sort=cost"
    # The switcher on each page links to the same page.
    page = client.get("/fr/cases/?sort=cost").text
    assert 'href="/fr/language/en/?next=/fr/cases/%3Fsort%3Dcost"' in page


def test_the_admin_follows_the_editors_language(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    assert '<html lang="fr"' in client.get("/admin/login/").text
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert '<html lang="en"' in client.get("/admin/login/").text
    assert client.get("/fr/admin/login/").status_code == 404


def test_an_unknown_language_prefix_is_not_a_page(client):
    assert client.get("/de/cases/").status_code == 404
    assert client.get("/en/cases/").status_code == 404


# No passage in the other language without its `lang` ----------------------------------------------------------

EN, FR = "Englishonly", "Françaisseul"  # words that only the untranslated texts contain


@pytest.fixture
def untranslated():
    """An English case never translated into French, and a French one never translated into English."""
    sector = factories.sector(name="Energy", slug="energy", description_en=f"Power suppliers {EN}.")
    company = factories.company(name="Watt", slug="watt", sector=sector, description_en=f"A supplier {EN}.")
    lesson = factories.lesson()
    english = factories.incident(
        company=company,
        language="en",
        title=f"Bill shock {EN}",
        summary=f"A bill {EN} nobody understood.",
        story=f"The story {EN}.",
        lesson=f"Explain bills {EN}.",
        apology_text=f"We are sorry {EN}.",
        response=f"They refunded {EN}.",
        lessons=[lesson],
    )
    factories.event(english, description_en=f"Bill sent {EN}.")
    factories.cost(english, "1000", note_en=f"Refund {EN}.", claimed_by_en=f"The press {EN}")
    french = factories.incident(
        company=company,
        language="fr",
        title=f"Facture folle {FR}",
        summary=f"Une facture {FR} incompréhensible.",
        story=f"Le récit {FR}.",
        lesson=f"Expliquer {FR}.",
        lessons=[lesson],
    )
    factories.event(french, description_fr=f"Facture envoyée {FR}.")
    return {"english": english, "french": french, "company": company, "sector": sector, "lesson": lesson}


def effective_language(node):
    for parent in node.parents:
        if parent.has_attr("lang"):
            return parent["lang"]
    return None


def passages_in_the_wrong_language(html, word, language):
    """The text passages of a page's body that contain `word` but are not marked as written in `language`."""
    from bs4 import BeautifulSoup

    body = BeautifulSoup(html, "html.parser").body
    found = [node for node in body.find_all(string=lambda text: word in text)]
    return found, [str(node).strip()[:60] for node in found if effective_language(node) != language]


def test_no_page_shows_the_other_language_without_its_lang_and_a_notice(client, untranslated):
    english, french = untranslated["english"], untranslated["french"]
    paths = [
        "/",
        "/cases/",
        "/cases/?q=bill",
        english.get_absolute_url(),
        french.get_absolute_url(),
        untranslated["company"].get_absolute_url(),
        untranslated["sector"].get_absolute_url(),
        untranslated["lesson"].get_absolute_url(),
        f"/cases/{english.pk}/embed/",
        f"/cases/{french.pk}/embed/",
    ]
    checked = 0
    for path in paths:
        for prefix, word, language in (("", FR, "fr"), ("/fr", EN, "en")):
            response = client.get(prefix + path)
            assert response.status_code == 200, prefix + path
            found, wrong = passages_in_the_wrong_language(response.text, word, language)
            assert not wrong, (prefix + path, wrong)
            checked += len(found)
    assert checked > 25  # the walk saw the foreign passages it was meant to see

    # The case page and the cards say the case is not translated, in the reader's language.
    french_reader = client.get("/fr" + english.get_absolute_url()).text
    assert 'class="notice untranslated" role="note" lang="fr"' in french_reader
    english_reader = client.get(french.get_absolute_url()).text
    assert "This case has not been translated into English yet: here is the original version, in French." in (
        english_reader
    )
    assert "In French, not yet translated" in client.get("/cases/").text
    assert 'class="notice untranslated"' not in client.get(english.get_absolute_url()).text


def test_a_quoted_apology_stays_in_its_words_with_a_translation_beside_it(client, untranslated):
    case = untranslated["english"]
    case.apology_text_fr = "Nous sommes désolés."
    case.save()
    url = case.get_absolute_url()  # before a French request leaves French active in this thread
    page = client.get("/fr" + url).text
    assert f'<blockquote lang="en"><p>We are sorry {EN}.</p></blockquote>' in page
    assert "Nous sommes désolés." in page.split("</blockquote>")[1].split("</figure>")[0]
    assert "Nous sommes désolés." not in client.get(url).text


def test_feeds_exist_per_language_and_flag_untranslated_cases(client, untranslated):
    import feedparser

    english = feedparser.parse(client.get("/feed/").content)
    french = feedparser.parse(client.get("/fr/feed/").content)
    assert english.feed.language == "en" and french.feed.language == "fr"
    by_title = {entry.title.split(" (")[0]: entry for entry in french.entries}
    assert by_title[f"Bill shock {EN}"].summary.startswith("[")  # the notice, in French once translated
    assert by_title[f"Bill shock {EN}"].link.startswith("http://testserver/fr/cases/")
    english_titles = {entry.title.split(" (")[0]: entry for entry in english.entries}
    assert english_titles[f"Facture folle {FR}"].summary.startswith("[In French, not yet translated]")
    assert not english_titles[f"Bill shock {EN}"].summary.startswith("[")


def test_the_sitemap_lists_each_page_in_both_languages_with_alternates(client, untranslated):
    xml = client.get("/sitemap-cases.xml").text
    url = "http://testserver" + untranslated["english"].get_absolute_url()
    assert f"<loc>{url}</loc>" in xml
    assert f"<loc>{url.replace('testserver/', 'testserver/fr/')}</loc>" in xml
    assert f'hreflang="fr" href="{url.replace("testserver/", "testserver/fr/")}"' in xml
    assert f'hreflang="x-default" href="{url}"' in xml


def test_a_correction_line_is_punctuated_as_each_language_writes_it(client, case):
    import datetime

    from incidents.models import Correction

    Correction.objects.create(incident=case, date=datetime.date(2026, 3, 1), note_en="A date was wrong.")
    url = case.get_absolute_url()
    assert '</time>: <span lang="en">A date was wrong.</span>' in client.get(url).text
    french = client.get("/fr" + url).text
    assert '1er mars 2026</time>\u202f: <span lang="en">A date was wrong.</span>' in french
