"""Performance contracts: query budgets, a page cache that stays correct, deep pages, light pages, query plans.

Timings are not tested here (a benchmark is not a test): `make bench` measures them (docs/performance.md).
"""

import gzip
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.templatetags.static import static
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from incidents.cache import CataloguePaginator
from incidents.models import Company, CostEstimate, HarmType, Incident, Lesson, Sector, Source, Status
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
BUDGETS = {
    "home": 7,
    "list": 9,
    "list, filtered": 15,  # each filter's options are validated, also for each facet's "all but this filter"
    "list, searched": 9,  # + 1 on PostgreSQL: the highlighted snippets of the page
    "list, sorted": 9,
    "case page": 13,
    "company page": 13,
    "sector page": 10,
    "lesson page": 5,
    "companies": 2,
    "sectors": 1,
}


@pytest.mark.parametrize("page", PAGES)
def test_every_public_page_runs_a_fixed_number_of_queries_for_1_and_for_50_cases(client, settings, page):
    settings.PAGE_CACHE_ENABLED = False
    budget = BUDGETS[page] + (1 if page == "list, searched" and connection.vendor == "postgresql" else 0)
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
    assert len(warm.captured_queries) <= cold - 4  # count + three facets
    factories.incident(title="One more")  # a save bumps the generation: counts are fresh again
    response = client.get("/cases/?harm=budget-harm&sort=cost")
    assert response.context["page_obj"].paginator.count == 3


# The page cache -----------------------------------------------------------------------------------


def test_anonymous_pages_are_cached_and_an_edit_shows_at_once(client):
    case = factories.incident(title="Before the edit")
    assert client.get("/cases/")["X-Page-Cache"] == "miss"
    cached = client.get("/cases/")
    assert cached["X-Page-Cache"] == "hit" and "Before the edit" in cached.content.decode()
    case.title = "After the edit"
    case.save()
    fresh = client.get("/cases/").content.decode()
    assert "After the edit" in fresh and "Before the edit" not in fresh


def test_retraction_and_new_harm_types_refresh_every_page(client):
    case = factories.incident(title="Soon retracted")
    client.get(case.get_absolute_url())
    client.get("/cases/")
    case.status = Status.RETRACTED
    case.retraction_reason = "Sources did not hold."
    case.save()
    assert "Soon retracted" not in client.get("/cases/").content.decode()
    other = factories.incident(title="Tagged later")
    client.get("/cases/?harm=tag-later")
    harm = factories.harm_type(slug="tag-later", name="Tag later")
    other.harm_types.add(harm)
    assert "Tagged later" in client.get("/cases/?harm=tag-later").content.decode()


def test_cache_keys_vary_on_language_and_query_string(client):
    factories.incident(title="Case in two languages")
    english = client.get("/cases/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    french = client.get("/cases/", HTTP_ACCEPT_LANGUAGE="fr")
    assert french["X-Page-Cache"] == "miss"
    assert french.content.decode() != english and 'lang="fr"' in french.content.decode()
    assert client.get("/cases/?sort=cost", HTTP_ACCEPT_LANGUAGE="en")["X-Page-Cache"] == "miss"


def test_a_hit_replays_the_whole_stack_headers_without_touching_the_database(client):
    case = factories.incident(title="Replayed")
    miss = client.get(case.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fr")
    with CaptureQueriesContext(connection) as queries:
        hit = client.get(case.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fr")
    assert (miss["X-Page-Cache"], hit["X-Page-Cache"]) == ("miss", "hit")
    assert len(queries) == 0
    assert hit.content == miss.content
    for header in ("Content-Security-Policy", "X-Frame-Options", "Content-Language", "Vary", "ETag", "Content-Type"):
        assert hit[header] == miss[header], header
    assert hit["Content-Language"] == "fr"
    # The view's conditional GET, answered from the cache.
    again = client.get(case.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fr", HTTP_IF_NONE_MATCH=miss["ETag"])
    assert again.status_code == 304


def test_an_entry_in_an_older_shape_is_rebuilt_not_misread(client):
    from incidents.cache import page_cache_key
    from incidents.stats import catalogue_generation

    factories.incident(title="Old shape")
    request = client.get("/cases/").wsgi_request
    cache.set(page_cache_key(request, "en"), (catalogue_generation(), "an old pickled response"))
    response = client.get("/cases/")
    assert response.status_code == 200 and "Old shape" in response.content.decode()


def test_logged_in_editors_always_get_fresh_pages(client):
    editor = factories.user(superuser=True)
    case = factories.incident(title="Seen by an editor")
    client.get("/cases/")  # cached for anonymous readers
    client.force_login(editor)
    response = client.get("/cases/")
    assert "X-Page-Cache" not in response
    draft = factories.incident(title="A draft preview", status=Status.DRAFT)
    assert client.get(draft.get_absolute_url()).status_code == 200
    client.logout()
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert "Seen by an editor" in client.get(case.get_absolute_url()).content.decode()


def test_responses_that_set_cookies_or_are_errors_are_not_cached(client):
    response = client.get("/language/fr/?next=/cases/")
    assert response.cookies and "X-Page-Cache" not in response
    assert client.post("/cases/").status_code == 405
    assert "X-Page-Cache" not in client.get("/healthz")


# Deep pages ---------------------------------------------------------------------------------------


def test_pages_list_the_same_cases_as_plain_offset_paging():
    call_command("generate_cases", count=320, companies=20, batch_size=160, verbosity=0)
    cases = Incident.objects.published().with_related().newest()
    paginator = CataloguePaginator(cases, 20)
    for number in (1, paginator.num_pages - 1, paginator.num_pages):
        expected = list(cases.values_list("pk", flat=True)[(number - 1) * 20 : number * 20])
        with CaptureQueriesContext(connection) as ctx:
            page = paginator.page(number)
            listed = [case.pk for case in page.object_list]
            [case.company.sector.name for case in page.object_list]
            [list(case.harm_types.all()) for case in page.object_list]
        assert listed == expected
        assert len(ctx.captured_queries) == 3  # ids, rows with company and sector, harm types (count known)


def test_cached_cards_read_no_rows_and_an_edit_refreshes_them(settings):
    settings.PAGE_CACHE_ENABLED = False  # the cards' own cache, under no page cache
    client = Client()
    case = factories.incident(title="Card before")
    assert "Card before" in client.get("/cases/").content.decode()
    with CaptureQueriesContext(connection) as ctx:
        again = client.get("/cases/").content.decode()
    assert "Card before" in again and len(ctx.captured_queries) == 0
    case.company.name = "Renamed company"
    case.company.save()
    page = client.get("/cases/").content.decode()
    assert "Renamed company" in page and "Card before" in page
    french = client.get("/cases/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Excuses" in french or "excuses" in french


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
        "/cases/?q=glasgow",
        "/cases/?page=60",
        case.get_absolute_url(),
        f"/companies/{company}/",
    ]
    sequential = []
    for url in urls:
        cache.clear()  # counts and facets included
        if not url.startswith("/cases/?"):
            # Catalogue-wide figures beside a case or company are computed once per generation (stats.cached):
            # what matters is what every uncached view of the page runs.
            client.get(url)
        sequential += [f"{url}\n{plan}" for plan in plans_for(client, url) if "Seq Scan on incidents_incident " in plan]
    assert not sequential, "\n\n".join(sequential)


# Two app servers sharing PostgreSQL and Redis -----------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=20) as response:
        return response.headers.get("X-Page-Cache"), response.read().decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_edit_through_one_app_server_shows_on_the_other(live_server, redis_url):
    # The fixture empties the Redis database first: a new database with the cache of an earlier one would be
    # served that one's pages and cards (same ids, same generation), as after restoring a database (docs/deploy.md).
    case = factories.incident(title="Seen by both servers")
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    database_url = f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DJANGO_PAGE_CACHE": "1",
        "DJANGO_DEBUG": "1",  # static files from the finders: no collectstatic needed
        "DJANGO_LOG_LEVEL": "ERROR",
    }
    ports = [free_port(), free_port()]
    servers = [
        subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "sevices.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
        )
        for port in ports
    ]
    try:
        for port in ports:
            for _ in range(100):
                try:
                    fetch(port, "/healthz")
                    break
                except OSError:
                    time.sleep(0.1)
        for port in ports:  # both cache the page (each worker may answer: ask a few times)
            for _ in range(3):
                assert "Seen by both servers" in fetch(port, "/cases/")[1]
        assert fetch(ports[1], "/cases/")[0] == "hit"
        with override_settings(
            CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}}
        ):
            case.title = "Edited on server A"
            case.save()  # the admin's save: the generation is bumped in the shared Redis
        for _ in range(4):
            status, body = fetch(ports[1], "/cases/")
            assert "Edited on server A" in body and "Seen by both servers" not in body
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=20)


@pytest.fixture
def redis_cache(redis_url, settings):
    """The production cache backend (incidents.cache.RedisCache) on a real Redis server, for one test."""
    settings.CACHES = {"default": {"BACKEND": "incidents.cache.RedisCache", "LOCATION": redis_url}}
    cache.clear()
    yield cache
    cache.clear()


def test_the_redis_backend_stores_in_redis_through_one_reused_client(redis_cache, redis_url):
    import redis
    from django.core.cache import caches

    from incidents.cache import RedisCache

    assert isinstance(caches["default"], RedisCache)
    redis_cache.set("probe", {"answer": 42}, timeout=30)
    assert redis_cache.get_many(["probe", "absent"]) == {"probe": {"answer": 42}}
    redis_cache.set("counter", 1, timeout=30)
    assert redis_cache.incr("counter") == 2
    raw = redis.Redis.from_url(redis_url)
    assert raw.exists(caches["default"].make_key("probe")) == 1  # really in Redis, not in this process
    client = caches["default"]._cache.get_client()
    assert caches["default"]._cache.get_client() is client  # one redis-py client, not one per operation
    assert caches["default"]._cache.get_client("probe", write=True) is not None


def test_with_redis_pages_are_cached_and_an_edit_shows_at_once(client, redis_cache):
    case = factories.incident(title="Kept in Redis")
    assert client.get("/cases/")["X-Page-Cache"] == "miss"
    hit = client.get("/cases/")
    assert hit["X-Page-Cache"] == "hit" and "Kept in Redis" in hit.content.decode()
    case.title = "Edited while in Redis"
    case.save()  # bumps the generation stored in Redis
    fresh = client.get("/cases/")
    assert fresh["X-Page-Cache"] == "miss"
    assert "Edited while in Redis" in fresh.content.decode() and "Kept in Redis" not in fresh.content.decode()


@pytest.mark.parametrize("backend", ["configured", "redis"])
def test_a_cached_redirect_is_replayed_as_a_permanent_redirect(client, request, backend):
    if backend == "redis":
        request.getfixturevalue("redis_cache")
    case = factories.incident(title="Moved about")
    short = f"/cases/{case.pk}/"
    first = client.get(short)
    second = client.get(short)
    assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")
    assert second.status_code == 301 and second.url == case.get_absolute_url() == second["Location"]
    # A client that follows redirects reads the replayed response's url, as it does Django's own redirects.
    followed = client.get(short, follow=True)
    assert followed.redirect_chain == [(case.get_absolute_url(), 301)]
    assert "Moved about" in followed.content.decode()


def test_database_connections_persist_with_health_checks():
    database = django_settings.DATABASES["default"]
    assert database["CONN_MAX_AGE"] > 0  # a worker reuses its connection between requests
    assert database["CONN_HEALTH_CHECKS"] is True  # and replaces a broken one before a request uses it


def test_a_page_with_a_csrf_token_is_never_cached(rf):
    from django.http import HttpResponse
    from django.middleware.csrf import get_token

    from incidents.cache import PageCacheMiddleware

    def form_view(request):
        return HttpResponse(f'<input name="csrfmiddlewaretoken" value="{get_token(request)}">')

    middleware = PageCacheMiddleware(form_view)
    first = middleware(rf.get("/a-form/"))
    second = middleware(rf.get("/a-form/"))
    assert "X-Page-Cache" not in first and "X-Page-Cache" not in second
    assert first.content != second.content


def test_pages_are_sent_in_one_piece(client):
    """A feed is written in many small pieces; the WSGI server would send each on its own."""
    for i in range(5):
        factories.incident(title=f"Feed item {i}")
    for _ in range(2):  # built, then from the cache
        response = client.get("/feed/")
        assert response.status_code == 200
        assert len(list(response)) == 1


def test_a_case_page_body_is_cached_until_the_case_or_its_company_changes(settings, django_assert_num_queries):
    settings.PAGE_CACHE_ENABLED = False  # the case page's own cache of its head and body
    client = Client()
    case = factories.incident(title="Body before")
    factories.cost(case, "1000")
    first = client.get(case.get_absolute_url()).content.decode()
    assert "Body before" in first
    with django_assert_num_queries(1):  # the case itself (status, slug, merge); head and body come from the cache
        assert client.get(case.get_absolute_url()).content.decode() == first
    case.company.sector.name = "A renamed sector"
    case.company.sector.save()
    assert "A renamed sector" in client.get(case.get_absolute_url()).content.decode()
    case.status = Status.REVIEW
    case.save()
    assert client.get(case.get_absolute_url()).status_code == 404
