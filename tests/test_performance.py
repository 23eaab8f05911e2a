"""Performance contracts: query budgets, counts and facets once per generation, light pages, query plans. The
page cache and the pieces kept per generation are tested in tests/test_cache.py.

Timings are not tested here (a benchmark is not a test): `make bench` measures them (docs/performance.md).
"""

import gzip
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.templatetags.static import static
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from incidents.models import Company, CostEstimate, HarmType, Incident, Lesson, Sector, Source
from incidents.synthetic import generator
from tests import factories

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


# Query budgets ------------------------------------------------------------------------------------


def build(n):
    """n published cases of one company, sector, harm and lesson."""
    sector = factories.sector(slug="budget-sector")
    company = factories.company(slug="budget-company", sector=sector)
    harm = factories.harm_type(slug="budget-harm")
    lesson = factories.lesson(slug="budget-lesson")
    for i in range(n):
        case = factories.incident(company=company, harm_types=[harm], lessons=[lesson], title=f"Refund story {i}")
        factories.cost(case, "1000")
    return case


PAGES = {
    "home": lambda case: "/",
    "list": lambda case: "/cases/",
    "list, filtered": lambda case: "/cases/?sector=budget-sector&harm=budget-harm&apology=none",
    "list, searched": lambda case: "/cases/?q=refund",
    "list, sorted": lambda case: "/cases/?sort=cost",
    "case page": lambda case: case.get_absolute_url(),
    "company page": lambda case: "/companies/budget-company/",
    "sector page": lambda case: "/sectors/budget-sector/",
    "lesson page": lambda case: "/lessons/budget-lesson/",
    "companies": lambda case: "/companies/",
    "sectors": lambda case: "/sectors/",
}


def queries_for(client, url):
    cache.clear()  # the cold cost: no cached page, count or facets
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


# Queries of each page on a cold cache. Revisit when a page changes: a new number must not grow with the catalogue.
# A paginated page reads its ids, then the rows of the cards not cached yet (none once they are).
# Each page with case cards reads their costs (one query: a card shows its price of not apologising).
BUDGETS = {
    "home": 8,
    # A list's facets: two queries (the summary of the list without its sector, harm and apology filters). Without
    # any of those filters the summary gives the list's count too: no COUNT.
    "list": 8,
    "list, filtered": 11,  # each filter's options are validated
    "list, searched": 9,  # + the highlighted snippets of the page (or on SQLite the documents they are cut from)
    "list, sorted": 8,
    "case page": 14,  # + the promises the company made in it (its right of reply comes with the case)
    "company page": 15,  # + the promises made in its cases
    "sector page": 11,
    "lesson page": 7,  # + the cost lines of the lesson's cases, for their prices side by side
    "companies": 2,
    "sectors": 1,
}


@pytest.mark.parametrize("page", PAGES)
def test_every_public_page_runs_a_fixed_number_of_queries_for_1_and_for_50_cases(client, settings, page):
    settings.PAGE_CACHE_ENABLED = False
    budget = BUDGETS[page]
    one = queries_for(client, PAGES[page](build(1)))
    for model in (Source, CostEstimate, Incident):
        model.objects.all().delete()
    for model in (Company, Sector, HarmType, Lesson):
        model.objects.filter(slug__startswith="budget-").delete()
    fifty = queries_for(client, PAGES[page](build(50)))
    assert fifty == budget, f"{page}: {fifty} queries for 50 cases, budget {budget}"
    assert one == budget, f"{page}: {one} queries for 1 case, budget {budget}"


def test_list_counts_and_facets_are_computed_once_per_generation(client, settings, django_assert_num_queries):
    settings.PAGE_CACHE_ENABLED = False
    build(3)
    cold = queries_for(client, "/cases/?harm=budget-harm")
    with CaptureQueriesContext(connection) as warm:
        client.get("/cases/?harm=budget-harm&sort=cost")  # another sort shares the count and the facets
    assert len(warm.captured_queries) <= cold - 4, [
        q["sql"][:90] for q in warm.captured_queries
    ]  # count + three facets
    factories.incident(title="One more")  # a save bumps the generation: counts are fresh again
    response = client.get("/cases/?harm=budget-harm&sort=cost")
    assert response.context["page_obj"].paginator.count == 3


def test_a_company_record_is_computed_once_per_generation_and_right_after_an_edit(client, settings):
    settings.PAGE_CACHE_ENABLED = False
    case = build(2)
    url = "/companies/budget-company/"
    cold = queries_for(client, url)
    with CaptureQueriesContext(connection) as warm:
        response = client.get(url)
    # The company and its aliases only: its cases, their count, its record (apology counts, response delays,
    # estimates), its promises and its record next to its sector's all come from the cache.
    assert cold > 2 and len(warm.captured_queries) == 2
    assert response.context["record"]["n_cases"] == 2
    assert [(e["n"], e["high"]) for e in response.context["record"]["estimates"]] == [(2, "€1,000")]
    third = factories.incident(company=case.company, title="A third case", apology_owed=True)
    factories.cost(third, "5000")  # a save bumps the generation: the record is recomputed
    record = client.get(url).context["record"]
    assert record["n_cases"] == 3
    assert [(e["n"], e["low"], e["high"]) for e in record["estimates"]] == [(3, "€1,000", "€5,000")]
    # Kept per language: amounts are written as the reader's language writes them.
    french = client.get("/fr" + url).context["record"]
    assert french["estimates"][0]["high"] != record["estimates"][0]["high"]
    assert "5" in french["estimates"][0]["high"] and "€" in french["estimates"][0]["high"]


# Light pages --------------------------------------------------------------------------------------


def test_list_page_html_and_css_weigh_under_30_kb_compressed(client):
    for i in range(25):
        factories.incident(title=f"A realistic case title about a refund, number {i}", summary="Words. " * 60)
    html = client.get("/cases/").content
    css = b"".join((ROOT / "static" / "css" / name).read_bytes() for name in ("site.css",))
    size = len(gzip.compress(html)) + len(gzip.compress(css))
    assert size < 30 * 1024, f"{size} bytes"
    assert b"<script" not in html or b'src="/static/' in html


def test_hashed_static_files_are_compressed_and_cached_for_a_year(tmp_path):
    storages = {**django_settings.STORAGES}
    storages["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
    with override_settings(
        STATIC_ROOT=tmp_path, STORAGES=storages, WHITENOISE_USE_FINDERS=False, WHITENOISE_AUTOREFRESH=False
    ):
        call_command("collectstatic", interactive=False, verbosity=0)
        url = static("css/site.css")
        assert url != "/static/css/site.css"  # a hashed name
        response = Client().get(url, HTTP_ACCEPT_ENCODING="gzip")
        assert response.status_code == 200
        assert "max-age=315360000" in response["Cache-Control"] and "immutable" in response["Cache-Control"]
        assert response["Content-Encoding"] in ("gzip", "br")


# Query plans (PostgreSQL) -------------------------------------------------------------------------


def plans_for(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    plans = []
    with connection.cursor() as cursor:
        for query in ctx.captured_queries:
            if "incidents_incident" in query["sql"]:
                cursor.execute("EXPLAIN " + query["sql"])
                plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return plans


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_public_pages_use_indexes_at_scale(client, settings):
    """8,000 generated cases, vacuumed and analysed as autovacuum would: no sequential scan of the cases."""
    settings.PAGE_CACHE_ENABLED = False
    call_command("generate_cases", count=8000, companies=400, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    company = generator.synthetic_incidents().values_list("company__slug", flat=True).first()
    sector = generator.synthetic_incidents().values_list("company__sector__slug", flat=True).first()
    case = Incident.objects.published().newest().first()
    urls = [
        "/cases/",
        f"/cases/?sector={sector}",
        "/cases/?apology=refused",
        *(f"/cases/?sort={key}" for key in ("newest", "occurred", "cost", "slowest", "apology")),
        "/cases/?q=glasgow",  # English words, the English search vector
        "/fr/cases/?q=glasgow",  # in French: the French vector, English cases included through their original text
        "/fr/cases/?q=bruxelles&sort=cost",
        "/cases/?available_in=fr",
        "/cases/?page=60",
        case.get_absolute_url(),
        f"/companies/{company}/",
    ]
    sequential = []
    for url in urls:
        cache.clear()  # counts and facets included
        if not url.startswith(("/cases/?", "/fr/cases/?")):
            # Catalogue-wide figures beside a case or company are computed once per generation (`cached()`):
            # what matters is what every uncached view of the page runs.
            client.get(url)
        sequential += [f"{url}\n{plan}" for plan in plans_for(client, url) if "Seq Scan on incidents_incident " in plan]
    assert not sequential, "\n\n".join(sequential)


def test_database_connections_persist_with_health_checks():
    database = django_settings.DATABASES["default"]
    assert database["CONN_MAX_AGE"] > 0  # a worker reuses its connection between requests
    assert database["CONN_HEALTH_CHECKS"] is True  # and replaces a broken one before a request uses it


def test_a_list_reads_its_cases_without_their_long_texts_and_search_vectors(client, settings):
    """A card shows a title, a summary and a few facts: the story, the other long texts and the search documents
    and vectors, most of a row's bytes, stay in the database."""
    settings.PAGE_CACHE_ENABLED = False
    factories.incident(story="A story " * 500, response="A response")
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/cases/").status_code == 200
    rows = [q["sql"] for q in ctx.captured_queries if '"incidents_incident"."summary_en"' in q["sql"]]
    assert len(rows) == 1
    for column in ("story_html_en", "response_fr", "apology_text_en", "search_document_en", "search_vector_fr"):
        assert f'"{column}"' not in rows[0], column
