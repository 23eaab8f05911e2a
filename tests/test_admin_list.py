"""The editors' list of cases at 100,000 cases (incidents/admin.py): the site's search, a reference first, a count
that never reads the whole table, and a fixed number of queries whatever the page holds. The timings themselves
are measured outside the suite (docs/editors.md)."""

import datetime

import pytest
from django.urls import reverse

from incidents import admin as case_admin
from incidents.models import Incident, Status
from tests import factories

pytestmark = pytest.mark.django_db

LIST = "admin:incidents_incident_changelist"


@pytest.fixture
def chief_client(client):
    client.force_login(factories.chief_editor())
    return client


def listed(client, **params):
    response = client.get(reverse(LIST), params)
    assert response.status_code == 200
    return [case.pk for case in response.context["cl"].result_list]


def test_the_search_finds_stemmed_words_without_their_accents(chief_client):
    refunds = factories.incident(title="The airline kept refunding late", story="Refunds came after a year.")
    power = factories.incident(title="Électricité coupée à Noël", summary="La compagnie a coupé l'électricité.")
    factories.incident(title="A rude call centre")
    assert listed(chief_client, q="refund") == [refunds.pk]  # "refunding", "Refunds"
    assert listed(chief_client, q="electricite") == [power.pk]  # no accent typed
    assert listed(chief_client, q="refunded electricity") == []  # every word must match, as on the site


def test_the_french_admin_searches_in_french(chief_client):
    case = factories.incident(
        language="fr", title="Remboursements refusés", summary="Le client n'a jamais été remboursé."
    )
    response = chief_client.get(reverse(LIST), {"q": "remboursement"}, headers={"accept-language": "fr"})
    assert [c.pk for c in response.context["cl"].result_list] == [case.pk]


@pytest.mark.parametrize("query", ["SC-{:04d}", "sc-{:04d}", "{}", " SC-{:04d} "])
def test_a_reference_finds_that_case_first_then_those_mentioning_its_number(chief_client, query):
    first = factories.incident(title="A case about a gate")
    others = [factories.incident(title=f"Gate {first.pk} closed, then gate {first.pk} again") for _ in range(2)]
    found = listed(chief_client, q=query.format(first.pk))
    assert found[0] == first.pk
    assert sorted(found[1:]) == sorted(case.pk for case in others)


def test_a_search_ranks_the_best_match_first_and_a_sorted_column_wins(chief_client):
    weak = factories.incident(title="Late train", story="A refund was mentioned once.")
    strong = factories.incident(title="Refund refused, refund delayed", summary="The refund never came.")
    assert listed(chief_client, q="refund") == [strong.pk, weak.pk]
    assert listed(chief_client, q="refund", o="1") == [weak.pk, strong.pk]  # by reference, as clicked


def test_a_word_most_cases_contain_lists_them_newest_first(chief_client, monkeypatch):
    monkeypatch.setattr(case_admin, "EXACT_UP_TO", 2)
    cases = [factories.incident(title=f"Refund number {i}", story="refund " * (5 - i)) for i in range(4)]
    assert listed(chief_client, q="refund") == [case.pk for case in reversed(cases)]  # not by relevance


def test_searching_nothing_or_a_nul_byte_lists_every_case(chief_client):
    cases = [factories.incident() for _ in range(2)]
    assert sorted(listed(chief_client, q="\x00 ")) == sorted(case.pk for case in cases)
    assert chief_client.get(reverse(LIST), {"q": "\x00refund"}).status_code == 200  # never a database error


def test_the_list_is_newest_first_and_sorts_by_date_with_the_unknown_dates_last(chief_client):
    old = factories.incident(occurred_on=datetime.date(2001, 5, 1))
    new = factories.incident(occurred_on=datetime.date(2020, 5, 1))
    unknown = factories.incident(occurred_on=None, status=Status.DRAFT)
    assert listed(chief_client) == [unknown.pk, new.pk, old.pk]
    column = str(case_admin.IncidentAdmin.list_display.index("occurred") + 1)
    assert listed(chief_client, o=f"-{column}") == [new.pk, old.pk, unknown.pk]
    assert listed(chief_client, o=column) == [unknown.pk, old.pk, new.pk]


def test_the_year_filter_offers_the_years_cases_happened_in(chief_client):
    old = factories.incident(occurred_on=datetime.date(2001, 5, 1))
    factories.incident(occurred_on=datetime.date(2020, 5, 1))
    page = chief_client.get(reverse(LIST))
    assert "?year=2001" in page.text and "?year=2020" in page.text and "?year=2002" not in page.text
    assert listed(chief_client, year="2001") == [old.pk]
    assert chief_client.get(reverse(LIST), {"year": "nonsense"}).status_code == 200


# How much the list costs -------------------------------------------------------------------------------------


def many_cases(n):
    sector = factories.sector()
    companies = [factories.company(sector=sector) for _ in range(3)]
    for i in range(n):
        case = factories.incident(company=companies[i % 3], sources=i % 2, harm_types=[])
        factories.cost(case, 100 + i)


@pytest.mark.parametrize("params", [{}, {"q": "case"}, {"status__exact": "published", "o": "-6"}, {"q": "SC-0001"}])
def test_the_list_makes_the_same_few_queries_for_a_page_of_5_or_of_50(
    chief_client, django_assert_max_num_queries, params
):
    many_cases(5)
    chief_client.get(reverse(LIST), params)  # the years and the translation counts, once per catalogue generation
    with django_assert_max_num_queries(8):
        chief_client.get(reverse(LIST), params)
    many_cases(45)
    chief_client.get(reverse(LIST), params)
    with django_assert_max_num_queries(8):
        response = chief_client.get(reverse(LIST), params)
    assert len(response.context["cl"].result_list) > 5 or params.get("q") == "SC-0001"


def test_the_list_counts_exactly_up_to_a_bound_and_never_reads_all_cases_to_count(chief_client, monkeypatch):
    monkeypatch.setattr(case_admin, "EXACT_UP_TO", 3)
    many_cases(6)
    page = chief_client.get(reverse(LIST))
    cl = page.context["cl"]
    assert [case.pk for case in cl.result_list] == list(Incident.objects.order_by("-id").values_list("pk", flat=True))
    if cl.estimated_count:  # PostgreSQL: the planner's estimate, said to be one
        assert "about" in page.text
    else:  # SQLite has no estimate: it counts
        assert cl.result_count == 6 and "6 cases" in page.text


@pytest.mark.postgres
def test_on_postgresql_a_long_list_says_about_how_many_cases_it_has(chief_client, monkeypatch):
    from django.db import connection

    monkeypatch.setattr(case_admin, "EXACT_UP_TO", 3)
    many_cases(6)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE incidents_incident")
    page = chief_client.get(reverse(LIST))
    assert page.context["cl"].estimated_count
    assert 'id="estimated-count">about 6 cases</span>' in page.text


def test_an_estimate_is_said_with_two_significant_figures_grouped_as_the_language_groups_them():
    from django.utils import translation

    assert case_admin.rounded_count(61963) == "62,000"
    assert case_admin.rounded_count(87) == "87"
    with translation.override("fr"):
        assert case_admin.rounded_count(100_213) == "100\u202f000"
