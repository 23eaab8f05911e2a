"""Search (incidents/search.py) in the reader's language, on SQLite (FTS5) as on PostgreSQL (tsvector): what a case
is found by in each language, stemming and accents, ranking, highlighted snippets that never let a case's text or
a reader's words through unescaped, and an index kept current by every way cases are written.

Every test runs on both databases (`DATABASE_URL=postgres://... pytest tests/test_search.py` for PostgreSQL);
query plans are tested in tests/test_performance.py."""

import datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.http import QueryDict
from django.utils import timezone, translation

from incidents import search
from incidents.filters import IncidentFilterSet
from incidents.models import Incident
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases():
    """Four cases whose words differ from one language to the other: two in both languages, one written in
    French only, one in English only."""
    united = factories.company(name="United Airlines", slug="united-airlines")
    united.aliases.create(name="UAL")
    edf = factories.company(name="EDF", slug="edf")
    citroen = factories.company(name="Citroën", slug="citroen")
    sncf = factories.company(name="SNCF", slug="sncf")
    return {
        "guitar": factories.incident(
            company=united,
            title="United breaks a guitar",
            summary="Baggage handlers threw a musician's guitar; the airline rejected every claim.",
            story="He wrote a song about it.",
            lesson="Answer the first claim.",
            title_fr="United casse une guitare",
            summary_fr="Des bagagistes ont lancé la guitare d'un musicien ; la compagnie a rejeté chaque réclamation.",
            story_fr="Il en a fait une chanson.",
            lesson_fr="Répondre à la première réclamation.",
        ),
        "bill": factories.incident(
            language="fr",
            company=edf,
            title="Une facture d'électricité de 88 247 euros",
            summary="EDF a réclamé 88 247 euros à une retraitée pour un compteur mal relevé.",
            story="La facture était absurde.",
            lesson="Vérifier avant d'envoyer.",
        ),
        "train": factories.incident(
            company=sncf,
            title="Fifteen hours stranded at Port-Bou",
            summary="The train was delayed overnight and the passengers were refunded nothing.",
            story="Nobody came.",
            lesson="Send someone.",
            title_fr="Quinze heures bloqués à Port-Bou",
            summary_fr="Un retard de quinze heures ; aucun billet n'a été remboursé.",
            story_fr="Personne n'est venu.",
            lesson_fr="Envoyer quelqu'un.",
        ),
        "car": factories.incident(
            company=citroen,
            title="Eight months without a car",
            summary="The dealer kept repairing the gearbox while the owner kept paying for the loan.",
            story="The car came back broken.",
            lesson="Lend a car.",
        ),
    }


def found(client, query, language="en"):
    """The cases a reader of `language` finds, in the order shown, by their key in `cases`."""
    prefix = "/fr" if language == "fr" else ""
    response = client.get(f"{prefix}/cases/", {"q": query})
    assert response.status_code == 200
    return [case.pk for case in response.context["page_obj"]]


def pks(cases, *names):
    return [cases[name].pk for name in names]


# In the reader's language -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("guitares", "guitar"),  # a plural finds the singular
        ("electricite", "bill"),  # without its accents
        ("électricité", "bill"),
        ("retards", "train"),
        ("remboursements", "train"),  # "remboursé"
    ],
)
def test_a_french_reader_finds_the_french_text_stemmed_and_without_accents(client, cases, query, expected):
    assert found(client, query, "fr") == pks(cases, expected)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("guitars", "guitar"),  # a plural finds the singular
        ("refunding", "train"),  # "refunded"
        ("delays", "train"),  # "delayed"
        ("repairs", "car"),  # "repairing"
        ("Citroen", "car"),  # the company's name without its accent
    ],
)
def test_an_english_reader_finds_the_english_text_stemmed_and_without_accents(client, cases, query, expected):
    assert found(client, query) == pks(cases, expected)


def test_each_reader_searches_the_text_of_their_own_language(client, cases):
    assert found(client, "remboursements", "fr") == pks(cases, "train")
    assert found(client, "remboursements") == []  # the English text says "refunded"
    assert found(client, "refunding") == pks(cases, "train")
    assert found(client, "refunding", "fr") == []  # the French text says "remboursé"


def test_the_same_search_in_the_other_language_is_not_answered_from_the_first_ones_cache(client, cases):
    english = client.get("/cases/", {"q": "remboursements"})
    french = client.get("/fr/cases/", {"q": "remboursements"})
    assert english.context["page_obj"].paginator.count == 0
    assert french.context["page_obj"].paginator.count == 1
    assert [case.pk for case in french.context["page_obj"]] == pks(cases, "train")
    assert french.context["facets"] != english.context["facets"]


def test_a_case_not_yet_translated_is_found_by_its_original_text(client, cases):
    assert found(client, "électricité") == pks(cases, "bill")  # written in French only
    assert found(client, "gearbox", "fr") == pks(cases, "car")  # written in English only


def test_a_search_follows_the_active_language_when_the_address_has_none(cases):
    with translation.override("fr"):
        assert [c.pk for c in IncidentFilterSet({"q": "retards"}).qs] == pks(cases, "train")
    with translation.override("en"):
        assert [c.pk for c in IncidentFilterSet({"q": "retards"}).qs] == []


def test_company_names_and_aliases_are_found_in_both_languages(client, cases):
    for language in ("en", "fr"):
        assert found(client, "UAL", language) == pks(cases, "guitar")
        assert found(client, "united airlines", language) == pks(cases, "guitar")
        assert found(client, "EDF", language) == pks(cases, "bill")


def test_every_word_must_match_and_web_search_rules_apply(client, cases):
    assert found(client, "guitar claim") == pks(cases, "guitar")
    assert found(client, "guitar nowhere") == []
    assert sorted(found(client, "guitar or gearbox")) == sorted(pks(cases, "guitar", "car"))
    assert found(client, "car -gearbox") == []
    assert found(client, '"kept paying"') == pks(cases, "car")
    assert found(client, '"paying kept"') == []
    assert found(client, "Port-Bou") == pks(cases, "train")
    assert found(client, "the") == []  # nothing left to look for
    assert found(client, "l'électricité", "fr") == pks(cases, "bill")


# Ranking ----------------------------------------------------------------------------------------


def test_a_search_sorts_by_relevance_unless_another_sort_is_chosen(cases):
    assert IncidentFilterSet(QueryDict("q=guitar")).sort_key == "relevance"
    assert IncidentFilterSet(QueryDict("sort=relevance")).sort_key == "newest"  # nothing to be relevant to
    assert IncidentFilterSet(QueryDict("q=guitar&sort=cost")).sort_key == "cost"


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_match_in_the_title_comes_before_matches_in_the_text(client, language):
    now = timezone.now()
    in_title = factories.incident(
        title="Boiler left broken",
        title_fr="Chaudière laissée en panne",
        summary="A winter without heating, and three technicians who came without the right part.",
        summary_fr="Un hiver sans chauffage, et trois techniciens venus sans la bonne pièce.",
        published_at=now - datetime.timedelta(days=2),
    )
    in_text = factories.incident(
        title="Three visits, no repair",
        title_fr="Trois visites, aucune réparation",
        summary="The boiler, the boiler again: nobody looked at the boiler.",
        summary_fr="La chaudière, encore la chaudière : personne n'a regardé la chaudière.",
        published_at=now - datetime.timedelta(days=1),  # newer, and more matches
    )
    word = "chaudières" if language == "fr" else "boilers"
    assert found(client, word, language) == [in_title.pk, in_text.pk]


# Snippets ---------------------------------------------------------------------------------------


def test_snippets_mark_the_matching_words_in_the_readers_language(client, cases):
    french = client.get("/fr/cases/", {"q": "guitares"}).text
    assert "<mark>guitare</mark>" in french and "Des bagagistes" in french
    english = client.get("/cases/", {"q": "guitars"}).text
    assert "<mark>guitar</mark>" in english and "Baggage handlers" in english
    assert "<mark>électricité</mark>" in client.get("/fr/cases/", {"q": "electricite"}).text.lower()


def test_markup_in_a_case_never_reaches_its_snippet(client):
    factories.incident(title="Meter trouble", summary="The meter said <script>alert(1)</script> all week.")
    page = client.get("/cases/", {"q": "meter"}).text
    assert "<mark>" in page and "alert(1)" in page  # the snippet shows the summary
    assert "<script>alert" not in page  # escaped (SQLite), or dropped as markup by ts_headline (PostgreSQL)


def test_a_card_shows_its_snippet_only_on_the_search_that_found_it(client, cases):
    assert "<mark>" in client.get("/cases/", {"q": "guitar"}).text
    assert "<mark>" not in client.get("/cases/").text  # the same cards, cached without the snippet
    assert "<mark>" in client.get("/cases/", {"q": "Port-Bou"}).text


def test_highlight_escapes_the_text_and_marks_each_word_with_a_searched_stem():
    wanted = search.search_stems("refunds apology", "en")
    html = search.highlight("<b>Refund</b> refused, then refunded & an apology", wanted, "en")
    assert html == (
        "&lt;b&gt;<mark>Refund</mark>&lt;/b&gt; refused, then <mark>refunded</mark> &amp; an <mark>apology</mark>"
    )
    french = search.highlight("Une facture d'électricité", search.search_stems("electricite", "fr"), "fr")
    assert french == "Une facture d&#x27;<mark>électricité</mark>"


def test_highlight_shows_a_window_from_a_word_before_the_first_match():
    text = "Filler words. " * 40 + "The meter was read twice." + " More filler." * 40
    html = search.highlight(text, search.search_stems("meters", "en"), "en", width=110)
    assert html.startswith("… ") and html.endswith(" …")
    assert "<mark>meter</mark>" in html and len(html) < 150
    assert html[2:].split()[0] in {"Filler", "words.", "The"}  # a whole word first
    assert search.highlight("No match here", set(), "en") == "No match here"


def test_the_words_of_a_phrase_too_common_to_mean_anything_are_not_marked():
    wanted = search.search_stems('"broke a guitar"', "en")
    assert search.highlight("They broke a guitar", wanted, "en") == "They <mark>broke</mark> a <mark>guitar</mark>"


def test_marks_become_mark_elements_after_escaping():
    marked = f"a {search.MARK_START}<i>match</i>{search.MARK_END} b"
    assert search.marks_to_html(marked) == "a <mark>&lt;i&gt;match&lt;/i&gt;</mark> b"


# What a case is found by ------------------------------------------------------------------------


def test_a_case_is_found_by_its_texts_in_each_language_and_its_company_names():
    company = factories.company(name="Acme Trains")
    company.aliases.create(name="Acme")
    company.aliases.create(name="AT")
    case = factories.incident(
        company=company,
        title="Stranded overnight",
        summary="Passengers slept on the platform.",
        story="Nobody came.",
        lesson="Send someone.",
        response="A voucher.",
        title_fr="Bloqués toute la nuit",
        summary_fr="Les voyageurs ont dormi sur le quai.",
    )
    case.refresh_from_db()
    assert case.search_document_en == (
        "Stranded overnight\nAcme Trains\nAT Acme\nPassengers slept on the platform.\nNobody came.\nSend someone.\n"
        "A voucher."
    )
    # A text missing in French is taken from the English one.
    assert case.search_document_fr == (
        "Bloqués toute la nuit\nAcme Trains\nAT Acme\nLes voyageurs ont dormi sur le quai.\nNobody came.\n"
        "Send someone.\nA voucher."
    )
    with translation.override("fr"):
        assert case.search_document == case.search_document_fr


def test_a_case_without_story_or_lesson_leaves_no_blank_lines():
    case = factories.incident(title="Short", summary="Only a summary.", story="", lesson="")
    assert search.case_documents(case, case.company.name)["en"] == f"Short\n{case.company.name}\nOnly a summary."


# The index stays current ------------------------------------------------------------------------


def test_an_edit_in_one_language_changes_what_that_language_finds(client, cases):
    train = cases["train"]
    train.summary_fr = "Un retard de quinze heures ; les voyageurs ont dormi sur le quai."
    train.save()
    assert found(client, "remboursements", "fr") == []
    assert found(client, "dormir", "fr") == pks(cases, "train")
    assert found(client, "refunding") == pks(cases, "train")  # the English text did not change


def test_a_renamed_company_and_its_aliases_are_found_at_once(client, cases):
    edf = cases["bill"].company
    edf.name = "Électricité de France"
    edf.save()
    assert found(client, "electricite de france") == pks(cases, "bill")
    alias = edf.aliases.create(name="Énergéticien national")
    assert found(client, "energeticien", "fr") == pks(cases, "bill")
    alias.delete()
    assert found(client, "energeticien", "fr") == []


def test_a_deleted_case_leaves_the_index(client, cases):
    gone = cases["car"].pk
    cases["car"].delete()
    assert found(client, "gearbox") == []
    assert gone not in indexed_ids()
    assert set(indexed_ids()) == set(Incident.objects.values_list("pk", flat=True))


def indexed_ids():
    """The cases the database's index holds a row for."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT id FROM incidents_incident WHERE search_vector_en IS NOT NULL")
        else:
            cursor.execute(f"SELECT rowid FROM {search.SQLITE_TABLE}")
        return [row[0] for row in cursor.fetchall()]


def test_an_imported_case_is_found(client, cases, tmp_path):
    path = tmp_path / "cases.csv"
    call_command("export_cases", "--all", "--output", str(path))
    Incident.objects.all().delete()
    assert found(client, "retards", "fr") == []
    call_command("import_cases", str(path), verbosity=0)
    assert found(client, "retards", "fr") == [Incident.objects.get(slug=cases["train"].slug).pk]
    assert found(client, "gearbox") == [Incident.objects.get(slug=cases["car"].slug).pk]


def test_an_index_whose_triggers_a_migration_dropped_is_rebuilt_after_migrate(client, cases):
    """SQLite drops a table's triggers when a migration rebuilds it; `migrate` puts them back. On PostgreSQL the
    trigger is never dropped that way and nothing is done."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for name in search.SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER {name}")
            cursor.execute(f"DELETE FROM {search.SQLITE_TABLE}")
    call_command("migrate", verbosity=0)
    assert found(client, "gearbox") == pks(cases, "car")  # rebuilt from the documents
    car = cases["car"]
    car.summary_en = "The dealer lost the keys."
    car.save()
    assert found(client, "keys") == pks(cases, "car")  # and kept current again


# The demo catalogue -----------------------------------------------------------------------------

# What each search finds among the 21 demo cases (by number): all of them when the search is precise.
DEMO_QUERIES = {
    "fr": {"guitares": {4}, "electricite": {1}, "électricité": {1}, "retards": {2, 9}, "remboursements": {9}},
    "en": {"guitars": {4}, "refunds": {9}, "delays": {2, 9}, "cancelled": {10}, "Lunea": {2}},
}
# The demo catalogue grows: only the searches whose answer cannot change with more cases are checked exactly.
PRECISE = {"guitares", "guitars", "Lunea"}


def test_the_demo_catalogue_answers_five_searches_in_each_language(client):
    call_command("load_demo", verbosity=0)
    for language, queries in DEMO_QUERIES.items():
        for query, expected in queries.items():
            results = found(client, query, language)
            if query in PRECISE:
                assert set(results) == expected, (language, query, results)
            else:
                assert expected <= set(results), (language, query, results)
