"""Search (incidents/search.py): what a case is found by, matching in both languages, ranking on PostgreSQL, and
highlighted snippets that never let a case's text or a reader's words through unescaped."""

import re

import pytest
from django.http import QueryDict

from incidents import search
from incidents.filters import IncidentFilterSet
from incidents.models import Incident
from tests import factories
from tests import test_views as reader_pages

pytestmark = pytest.mark.django_db

catalogue = reader_pages.catalogue  # the list pages' small catalogue (two sectors, five published cases)
titles = reader_pages.titles


def test_search_finds_by_company_alias_and_text(client, catalogue):
    assert set(titles(client.get("/cases/", {"q": "Électricité"}))) == {
        "A bill of 88,247 euros",
        "Meter replaced twice",
    }
    assert titles(client.get("/cases/", {"q": "Port-Bou"})) == ["Fifteen hours to Port-Bou"]


def test_search_results_have_highlighted_snippets(client, catalogue):
    response = client.get("/cases/", {"q": "meter"})
    assert "<mark>" in response.text


@pytest.mark.postgres
def test_postgres_search_is_accent_insensitive_and_stemmed(client, catalogue):
    assert "A bill of 88,247 euros" in titles(client.get("/cases/", {"q": "electricite"}))
    assert titles(client.get("/cases/", {"q": "guitare"})) == ["Strike without notice"]
    assert titles(client.get("/cases/", {"q": "meters"}))[0] in {"Meter replaced twice", "Gas meter misread"}


def test_an_alias_added_after_the_cases_makes_them_findable_and_a_removed_one_does_not(client):
    meta = factories.company(name="Facebook")
    case = factories.incident(company=meta, title="Accounts locked without appeal")
    alias = meta.aliases.create(name="Meta Platforms")
    case.refresh_from_db()
    assert "Meta Platforms" in case.search_document
    assert [c.pk for c in client.get("/cases/", {"q": "Platforms"}).context["page_obj"]] == [case.pk]
    alias.delete()
    case.refresh_from_db()
    assert "Meta Platforms" not in case.search_document


# What a case is found by --------------------------------------------------------------------------


def test_a_case_is_found_by_its_title_company_aliases_summary_story_and_lesson():
    company = factories.company(name="Acme Trains")
    company.aliases.create(name="Acme")
    company.aliases.create(name="AT")
    case = factories.incident(
        company=company,
        title="Stranded overnight",
        summary="Passengers slept on the platform.",
        story="Nobody came.",
        lesson="Send someone.",
    )
    factories.source(incident=case, title="A newspaper headline")
    assert search.case_document(case) == (
        "Stranded overnight\nAcme Trains\nAT Acme\nPassengers slept on the platform.\nNobody came.\nSend someone."
    )
    assert Incident.objects.get(pk=case.pk).search_document == search.case_document(case)
    company.name = "Acme Railways"
    company.save()  # a renamed company renames itself in each of its cases' documents
    assert "Acme Railways" in Incident.objects.get(pk=case.pk).search_document


def test_a_case_without_story_or_lesson_leaves_no_blank_lines():
    case = factories.incident(title="Short", summary="Only a summary.", story="", lesson="")
    assert search.case_document(case, aliases=[]) == f"Short\n{case.company.name}\nOnly a summary."


# Matching and ranking -----------------------------------------------------------------------------


def test_every_word_must_match(client, catalogue):
    assert titles(client.get("/cases/", {"q": "meter twice"})) == ["Meter replaced twice"]
    assert titles(client.get("/cases/", {"q": "meter nowhere-to-be-found"})) == []


def test_a_search_sorts_by_relevance_only_where_results_are_ranked(catalogue, on_postgres):
    searched = IncidentFilterSet(QueryDict("q=meter"))
    assert searched.sort_key == ("relevance" if on_postgres else "newest")
    assert IncidentFilterSet(QueryDict("sort=relevance")).sort_key == "newest"  # nothing to be relevant to
    assert IncidentFilterSet(QueryDict("q=meter&sort=cost")).sort_key == "cost"


def test_title_matches_come_first_on_postgres_newest_first_elsewhere(client, on_postgres):
    in_title = factories.incident(title="Boiler left broken", summary="A winter without heating.")
    in_story = factories.incident(title="Three visits, no repair", story="The engineer never looked at the boiler.")
    assert in_story.published_at > in_title.published_at
    found = titles(client.get("/cases/", {"q": "boiler"}))
    expected = [in_title.title, in_story.title] if on_postgres else [in_story.title, in_title.title]
    assert found == expected


# Snippets -----------------------------------------------------------------------------------------


def test_highlight_escapes_the_text_and_marks_every_word():
    html = search.highlight("<b>Refund</b> refused, then a refund & an apology", ["refund", "apology"])
    assert html == (
        "&lt;b&gt;<mark>Refund</mark>&lt;/b&gt; refused, then a <mark>refund</mark> &amp; an <mark>apology</mark>"
    )


def test_highlight_shows_a_window_around_the_first_match():
    text = "Filler words. " * 40 + "The meter was read twice." + " More filler." * 40
    html = search.highlight(text, ["meter"], width=100)
    assert html.startswith("… ") and html.endswith(" …")
    assert "<mark>meter</mark>" in html and len(html) < 140
    assert search.highlight("No match here", []) == "No match here"


def test_marks_become_mark_elements_after_escaping():
    marked = f"a {search.MARK_START}<i>match</i>{search.MARK_END} b"
    assert search.marks_to_html(marked) == "a <mark>&lt;i&gt;match&lt;/i&gt;</mark> b"


def test_markup_in_a_case_never_reaches_its_snippet(client):
    factories.incident(title="Meter trouble", summary="The meter said <script>alert(1)</script> all week.")
    page = client.get("/cases/", {"q": "meter"}).text
    assert "<mark>" in page and "alert(1)" in page  # the snippet shows the summary
    assert "<script>" not in page  # escaped (SQLite), or dropped as markup by ts_headline (PostgreSQL)


def test_a_card_shows_its_snippet_only_on_the_search_that_found_it(client, catalogue):
    assert "<mark>" in client.get("/cases/", {"q": "meter"}).text
    assert "<mark>" not in client.get("/cases/").text  # the same cards, cached without the snippet
    assert "<mark>" in client.get("/cases/", {"q": "Port-Bou"}).text


@pytest.mark.postgres
def test_postgres_snippets_mark_the_stemmed_and_unaccented_match(client, catalogue):
    page = client.get("/cases/", {"q": "electricite"}).text
    assert re.search(r"<mark>[ÉéEe]lectricit[ée]</mark>", page), page
    assert "<mark>guitares</mark>" in client.get("/cases/", {"q": "guitare"}).text
