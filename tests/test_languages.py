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
