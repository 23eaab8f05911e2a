"""The cache and its invalidation (incidents/caching/): the catalogue generation and `cached()`, the page
cache, the pieces of list pages kept per generation, the Redis backend, and two app servers sharing it."""

import datetime
import gzip
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache, caches
from django.core.management import call_command
from django.core.paginator import Paginator
from django.db import connection
from django.http import QueryDict
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils.functional import cached_property

from incidents.caching import generation
from incidents.caching.backend import RedisCache
from incidents.caching.generation import bump_generation, catalogue_generation, filter_query
from incidents.caching.lists import PAGES_PER_READ, CataloguePaginator, cached_facets
from incidents.caching.pages import PageCacheMiddleware, page_cache_key
from incidents.filters import IncidentFilterSet
from incidents.models import ApologyQuality, Incident, Status
from tests import factories, insights_data

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


# The catalogue generation -------------------------------------------------------------------------


def test_generation_changes_on_every_catalogue_change():
    data = insights_data.build()
    before = catalogue_generation()
    case = data["cases"]["e1"]
    case.status = Status.RETRACTED
    case.save()
    after_retraction = catalogue_generation()
    assert after_retraction > before
    factories.cost(data["cases"]["e2"], "5", "EUR")
    assert catalogue_generation() > after_retraction
    event_before = catalogue_generation()
    factories.event(data["cases"]["e2"]).delete()
    assert catalogue_generation() > event_before


def test_generation_survives_a_flushed_cache(monkeypatch):
    monkeypatch.setattr(generation.time, "time_ns", lambda: 1_234_567_890)
    assert catalogue_generation() == 1_234_567  # microseconds, a whole number
    bump_generation()
    assert catalogue_generation() == 1_234_568
    cache.clear()
    monkeypatch.setattr(generation.time, "time_ns", lambda: 5_000_000_000)
    assert catalogue_generation() == 5_000_000  # restarts from the clock, never at an old number


def test_reading_a_stored_generation_is_one_cache_read_and_no_write(monkeypatch):
    stored = catalogue_generation()  # first use: stored from the clock
    backend = caches["default"]
    calls = []

    def spy(name):
        original = getattr(backend, name)
        return lambda *args, **kwargs: calls.append(name) or original(*args, **kwargs)

    for name in ("get", "add", "set", "incr"):
        monkeypatch.setattr(backend, name, spy(name))
    assert catalogue_generation() == stored
    assert calls == ["get"]  # each read is a round trip to Redis


def test_what_cached_keeps_expires_after_an_hour_and_the_generation_never(monkeypatch, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "clock"}}
    cache.clear()
    now = [1_800_000_000.0]
    monkeypatch.setattr(time, "time", lambda: now[0])  # the clock local memory reads expiry dates from
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    first_generation = catalogue_generation()
    assert generation.cached("probe", "", compute) == 1
    now[0] += 59 * 60
    assert generation.cached("probe", "", compute) == 1  # still kept after 59 minutes
    now[0] += 2 * 60
    assert generation.cached("probe", "", compute) == 2  # gone after an hour: computed again
    now[0] += 366 * 24 * 3600
    assert catalogue_generation() == first_generation  # a year later, the generation is still there


def test_a_generation_read_along_with_a_page_is_remembered_within_that_request_only():
    cache.set(generation.GENERATION_KEY, 70)
    generation.remember_generation(42)  # outside a request: nothing to remember it for
    assert catalogue_generation() == 70
    with generation.generation_read_once():
        generation.remember_generation(42)
        assert catalogue_generation() == 42  # not read again from the cache
        generation.remember_generation(None)  # the page cache found no generation: keep the one known
        assert catalogue_generation() == 42
    assert catalogue_generation() == 70


def test_reader_tips_and_history_rows_leave_the_generation_alone():
    case = factories.incident(title="Kept as it is")
    before = catalogue_generation()
    tip = factories.tip(company_name="A bank")
    tip.editor_note = "Checked."
    tip.save()
    tip.delete()
    record = case.history.first()
    record.history_change_reason = "A note on the history row"
    record.save()
    assert catalogue_generation() == before
    case.harm_types.add(factories.harm_type(slug="late-tag"))  # an M2M change of a case is a catalogue change
    assert catalogue_generation() > before


def test_bump_within_a_transaction_bumps_again_on_commit(django_capture_on_commit_callbacks):
    start = catalogue_generation()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        bump_generation()
        assert catalogue_generation() == start + 1
    assert len(callbacks) == 1
    assert catalogue_generation() == start + 2


def test_cached_computes_once_per_generation_scope_and_query():
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert generation.cached("probe", "a=1", compute) == 1
    assert generation.cached("probe", "a=1", compute) == 1  # from the cache
    assert generation.cached("probe", "a=2", compute) == 2  # another query
    assert generation.cached("other", "a=1", compute) == 3  # another scope
    bump_generation()
    assert generation.cached("probe", "a=1", compute) == 4  # recomputed after a change
    assert len(calls) == 4


def test_a_request_reads_the_generation_once_and_sees_its_own_bump():
    with generation.generation_read_once():
        first = catalogue_generation()
        cache.set(generation.GENERATION_KEY, first + 100)  # another server's bump, after this request began
        assert catalogue_generation() == first  # the request keeps the generation it started with
        bump_generation()  # this request's own change
        assert catalogue_generation() == first + 101
    cache.set(generation.GENERATION_KEY, first + 500)
    assert catalogue_generation() == first + 500  # outside a request, read every time


def test_filter_query_ignores_the_order_of_parameters_and_values_and_blank_ones():
    one = QueryDict("sector=rail&harm=b&harm=a&q=&sort=cost")
    other = QueryDict("harm=a&sort=cost&sector=rail&harm=b")
    params = IncidentFilterSet.filter_params
    assert filter_query(one, params) == filter_query(other, params) == "harm=a&harm=b&sector=rail"


def test_the_settings_load_the_cache_without_the_models():
    """The cache backend and the middleware are imported by the settings, before the apps are ready."""
    code = (
        "import sys; import incidents.caching.backend, incidents.caching.generation, incidents.caching.pages; "
        "print(sorted(name for name in sys.modules if name.startswith('incidents')))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "sevices.settings"}
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert "incidents.models" not in loaded.stdout and "incidents.caching.pages" in loaded.stdout


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
    english = client.get("/cases/").content.decode()
    french = client.get("/fr/cases/")
    assert french["X-Page-Cache"] == "miss"
    assert french.content.decode() != english and 'lang="fr"' in french.content.decode()
    # The home page is the one URL that depends on the reader: a French reader is sent to /fr/, never served
    # the English page cached a moment ago.
    assert client.get("/")["X-Page-Cache"] == "miss"
    assert client.get("/")["X-Page-Cache"] == "hit"
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="fr").url == "/fr/"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    assert client.get("/").url == "/fr/"
    del client.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert client.get("/cases/?sort=cost", HTTP_ACCEPT_LANGUAGE="en")["X-Page-Cache"] == "miss"


def test_a_hit_replays_the_whole_stack_headers_without_touching_the_database(client):
    case = factories.incident(title="Replayed")
    url = "/fr" + case.get_absolute_url()
    miss = client.get(url)
    with CaptureQueriesContext(connection) as queries:
        hit = client.get(url)
    assert (miss["X-Page-Cache"], hit["X-Page-Cache"]) == ("miss", "hit")
    assert len(queries) == 0
    assert hit.content == miss.content
    for header in ("Content-Security-Policy", "X-Frame-Options", "Content-Language", "Vary", "ETag", "Content-Type"):
        assert hit.get(header) == miss.get(header), header
    assert hit["Content-Language"] == "fr"
    # The view's conditional GET, answered from the cache.
    again = client.get(url, HTTP_IF_NONE_MATCH=miss["ETag"])
    assert again.status_code == 304


def test_an_entry_in_an_older_shape_is_rebuilt_not_misread(client):
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


# The pieces of a list page ------------------------------------------------------------------------


def test_pages_list_the_same_cases_as_plain_offset_paging():
    call_command("generate_cases", count=320, companies=20, batch_size=160, verbosity=0)
    cases = Incident.objects.published().with_related().newest()
    paginator = CataloguePaginator(cases, 5)  # page 1's ids, then 20 pages' at once: 4 reads for 60 pages
    assert paginator.num_pages > 2 * PAGES_PER_READ + 3
    blocks_read = set()
    for number in (1, 2, PAGES_PER_READ + 1, PAGES_PER_READ + 2, 2 * PAGES_PER_READ + 3, paginator.num_pages):
        expected = list(cases.values_list("pk", flat=True)[(number - 1) * 5 : number * 5])
        with CaptureQueriesContext(connection) as ctx:
            page = paginator.page(number)
            listed = [case.pk for case in page.object_list]
            [case.company.sector.name for case in page.object_list]
            [list(case.harm_types.all()) for case in page.object_list]
        assert listed == expected, number
        block = "first" if number == 1 else (number - 2) // PAGES_PER_READ  # page 1 alone, then by 20 pages
        # rows with company and sector, harm types, costs; and the ids of its block of pages, unless read already
        assert len(ctx.captured_queries) == 3 + (block not in blocks_read), number
        blocks_read.add(block)


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
    french = client.get("/fr/cases/").content.decode()
    assert "Excuses" in french or "excuses" in french


def test_facet_counts_are_computed_once_for_every_order_of_the_same_filters(monkeypatch):
    factories.incident(title="Counted once", harm_types=[factories.harm_type(slug="counted")])
    computed = []
    summary = IncidentFilterSet.facet_summary
    monkeypatch.setattr(IncidentFilterSet, "facet_summary", lambda self: computed.append(1) or summary(self))
    for query in ("country=FR&q=counted", "q=counted&country=FR", "q=counted&country=FR&sort=cost&page=2"):
        cached_facets(IncidentFilterSet(QueryDict(query)))
    assert len(computed) == 1
    # Sectors, apology levels and one harm read the same summary: no new count for a new combination of them.
    cached_facets(IncidentFilterSet(QueryDict("q=counted&country=FR&apology=none&harm=counted")))
    assert len(computed) == 1
    cached_facets(IncidentFilterSet(QueryDict("country=BE")))
    assert len(computed) == 2


def test_a_lists_count_read_from_its_facet_summary_is_the_number_of_cases_it_lists(settings, monkeypatch):
    """Without a sector, harm or apology filter the summary counts exactly the list: no COUNT of its own."""
    settings.PAGE_CACHE_ENABLED = False
    sectors = [factories.sector(slug=f"count-sector-{i}") for i in range(2)]
    harm = factories.harm_type(slug="count-harm")
    for i in range(9):  # two harms on some, to catch a count that adds a case once per harm
        factories.incident(
            company=factories.company(sector=sectors[i % 2]),
            title=f"Refund {i}" if i % 3 else f"Other {i}",
            apology_quality=list(ApologyQuality)[i % 4],
            harm_types=[harm, factories.harm_type()] if i % 2 else [],
            occurred_on=datetime.date(2018 + i, 1, 1),
        )
    factories.draft(title="Refund never published")
    counted = []
    real = Paginator.count.func
    counting = cached_property(lambda self: counted.append(1) or real(self))
    counting.__set_name__(Paginator, "count")
    monkeypatch.setattr(Paginator, "count", counting)
    client = Client()
    for query in ("", "q=refund", "sort=cost", "year_from=2021", "q=refund&sort=slowest", "year_from=abc",
                  "sector=count-sector-0", "harm=count-harm&q=refund", "apology=none"):  # fmt: skip
        counted.clear()
        html = client.get(f"/cases/?{query}").content.decode()
        expected = IncidentFilterSet(QueryDict(query), queryset=Incident.objects.published()).qs.count()
        shown = re.search(r'class="result-count" role="status">(\d+) case', html)
        assert shown and int(shown.group(1)) == expected, query
        faceted = any(name in query for name in ("sector=", "harm=", "apology="))
        assert bool(counted) == (faceted or query == "year_from=abc"), query  # a COUNT only where it must


def test_facets_read_from_the_summary_are_those_counted_on_the_list():
    sectors = [factories.sector(slug=f"facet-sector-{i}") for i in range(2)]
    harms = [factories.harm_type(slug=f"facet-harm-{i}") for i in range(3)]
    levels = list(ApologyQuality)
    for i in range(14):  # cases with none, one or two harms, in both sectors, at several apology levels
        factories.incident(
            company=factories.company(sector=sectors[i % 2]),
            apology_quality=levels[i % 4],
            harm_types=harms[i % 2 : i % 2 + i % 3],
        )
    summary = IncidentFilterSet(QueryDict("")).facet_summary()
    for sector in ("", "facet-sector-0", "facet-sector-0&sector=facet-sector-1"):
        for apology in ("", levels[0].slug, f"{levels[1].slug}&apology={levels[2].slug}"):
            for harm in ("", "facet-harm-1", "facet-harm-2"):
                query = QueryDict(f"sector={sector}&apology={apology}&harm={harm}")
                filterset = IncidentFilterSet(query)
                assert filterset.summary_tells_facets
                assert filterset.facets_from_summary(summary) == filterset.facets(), query.urlencode()
    assert not IncidentFilterSet(QueryDict("harm=facet-harm-1&harm=facet-harm-2")).summary_tells_facets


# Redis, and two app servers sharing it -----------------------------------------------------------


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


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("page_cache", ["0", "1"])
def test_without_redis_an_edit_through_one_worker_shows_on_every_worker(tmp_path, settings, page_cache):
    """Each worker caches cards and case pages (and, with the page cache on, whole pages) in its own memory; the
    generation they are keyed on is in a file that every worker reads (DJANGO_GENERATION_DIR), so an edit made
    through one refreshes them all."""
    case = factories.incident(title="Cached by every worker")
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    database_url = f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "DJANGO_PAGE_CACHE")}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_PAGE_CACHE=page_cache,
        DJANGO_GENERATION_DIR=str(tmp_path),
        DJANGO_DEBUG="1",  # static files from the finders: no collectstatic needed
        DJANGO_LOG_LEVEL="ERROR",
    )
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "sevices.wsgi", "--workers", "3", "--bind", f"127.0.0.1:{port}"]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        for _ in range(100):
            try:
                fetch(port, "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        served = [fetch(port, "/cases/") for _ in range(12)]  # every worker keeps the card (or page) in memory
        assert all("Cached by every worker" in body for _, body in served)
        assert page_cache == "0" or "hit" in [hit for hit, _ in served]
        # The edit, as the admin (another worker) saves it: it bumps the generation in the workers' file.
        settings.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "an-admin-worker"},
            "generation": {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": str(tmp_path),
                "TIMEOUT": None,
            },
        }
        case.title = "Edited through another worker"
        case.save()
        for _ in range(12):
            body = fetch(port, "/cases/")[1]
            assert "Edited through another worker" in body and "Cached by every worker" not in body
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.fixture
def redis_cache(redis_url, settings):
    """The production cache backend (incidents.caching.backend.RedisCache) on a real Redis server, for one test."""
    settings.CACHES = {"default": {"BACKEND": "incidents.caching.backend.RedisCache", "LOCATION": redis_url}}
    cache.clear()
    yield cache
    cache.clear()


def test_the_redis_backend_stores_in_redis_through_one_reused_client(redis_cache, redis_url):
    import redis
    from django.core.cache import caches

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


def test_a_page_with_a_csrf_token_is_never_cached(rf):
    from django.http import HttpResponse
    from django.middleware.csrf import get_token

    def form_view(request):
        return HttpResponse(f'<input name="csrfmiddlewaretoken" value="{get_token(request)}">')

    middleware = PageCacheMiddleware(form_view)
    first = middleware(rf.get("/a-form/"))
    second = middleware(rf.get("/a-form/"))
    assert "X-Page-Cache" not in first and "X-Page-Cache" not in second
    assert first.content != second.content


def wsgi_get(path, *, raw=False, **headers):
    """A GET through the WSGI application gunicorn runs (sevices/wsgi.py): status, headers, body (its bytes if
    `raw`), and whether Django's request handler ran (its request_started signal)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections
    from django.test import RequestFactory

    from sevices.wsgi import application

    environ = RequestFactory().get(path, headers=headers).environ
    # As a WSGI server passes the path: its UTF-8 bytes read as Latin-1 (the request above decoded it in place).
    environ["PATH_INFO"] = path.encode().decode("iso-8859-1")
    started, answer = [], {}

    def seen(**kwargs):
        started.append(True)

    def start_response(status, response_headers, exc_info=None):
        answer.update(status=int(status.split()[0]), headers=dict(response_headers))

    # As Django's test client does: the test's own database connection stays open.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    request_started.connect(seen)
    try:
        body = b"".join(application(environ, start_response))
    finally:
        request_started.disconnect(seen)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return answer["status"], answer["headers"], body if raw else body.decode(), bool(started)


def test_a_hit_is_answered_before_django_and_an_edit_shows_on_the_next_request():
    case = factories.incident(title="Served before Django")
    url = case.get_absolute_url()
    status, miss, built, ran = wsgi_get(url)
    assert (status, miss["X-Page-Cache"], ran) == (200, "miss", True)
    status, hit, replayed, ran = wsgi_get(url)
    assert (status, hit["X-Page-Cache"], ran) == (200, "hit", False)  # Django's handler never ran
    assert replayed == built and "Served before Django" in replayed
    for header in ("Content-Security-Policy", "Strict-Transport-Security", "X-Frame-Options", "Content-Language",
                   "Vary", "ETag", "Content-Type", "Content-Length"):  # fmt: skip
        assert hit.get(header) == miss.get(header), header
    case.title = "Edited, then served"
    case.save()
    status, headers, body, ran = wsgi_get(url)
    assert (headers["X-Page-Cache"], ran) == ("miss", True)
    assert "Edited, then served" in body and "Served before Django" not in body
    # A conditional request is Django's to answer (304 from the cached entry), an editor's is never a hit.
    status, headers, body, ran = wsgi_get(url, if_none_match=headers["ETag"])
    assert (status, ran) == (304, True)
    status, headers, body, ran = wsgi_get(url, cookie=f"{settings.SESSION_COOKIE_NAME}=whatever")
    assert ran and "X-Page-Cache" not in headers


def test_a_browser_that_accepts_gzip_gets_pages_compressed_from_django_and_from_the_cache():
    case = factories.incident(title="Compressed for the wire", story="A long story. " * 200)
    url = case.get_absolute_url()
    status, headers, plain, ran = wsgi_get(url, raw=True)
    assert (status, headers["X-Page-Cache"]) == (200, "miss") and "Content-Encoding" not in headers
    for expected in ("miss", "hit"):  # its own entry: built once compressed, then served as it was stored
        status, headers, body, ran = wsgi_get(url, raw=True, accept_encoding="gzip, deflate, br, zstd")
        assert (status, headers["X-Page-Cache"], ran) == (200, expected, expected == "miss")
        assert headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in headers["Vary"]
        assert int(headers["Content-Length"]) == len(body) < len(plain) / 3
        assert gzip.decompress(body) == plain
    # A client that does not say it accepts gzip (wrk, curl) keeps getting the page as it was built.
    status, headers, body, ran = wsgi_get(url, raw=True, accept_encoding="identity")
    assert (headers["X-Page-Cache"], ran, body) == ("hit", False, plain) and "Content-Encoding" not in headers
    # The compressed page still answers a browser's conditional request (its ETag is the weak form).
    etag = wsgi_get(url, raw=True, accept_encoding="gzip")[1]["ETag"]
    assert etag.startswith('W/"')
    assert wsgi_get(url, raw=True, accept_encoding="gzip", if_none_match=etag)[0] == 304


def test_static_files_are_not_compressed_again(client):
    """Whitenoise serves its own compressed copies, before the pages' compression."""
    font = client.get("/static/fonts/inter-latin-wght-normal.woff2", headers={"accept-encoding": "gzip"})
    assert font.status_code == 200 and "Content-Encoding" not in font.headers


def test_a_page_cached_for_the_site_is_never_served_to_another_host():
    factories.incident(title="For our host only")
    for _ in range(2):
        assert wsgi_get("/cases/")[1]["X-Page-Cache"] in ("miss", "hit")
    status, headers, body, ran = wsgi_get("/cases/", host="evil.example")
    assert status == 400 and ran and "For our host only" not in body


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
    with django_assert_num_queries(1) as queries:  # the case (status, slug, merge); head and body: the cache
        assert client.get(case.get_absolute_url()).content.decode() == first
    # ...and only what the page's frame shows of it: not the story, its texts or its search documents and vectors.
    read = queries.captured_queries[0]["sql"]
    assert '"title_fr"' in read and '"summary_en"' in read
    assert not any(f'"{column}' in read for column in ("story", "lesson", "response", "search_", "apology_text"))
    case.company.sector.name = "A renamed sector"
    case.company.sector.save()
    assert "A renamed sector" in client.get(case.get_absolute_url()).content.decode()
    case.status = Status.REVIEW
    case.save()
    assert client.get(case.get_absolute_url()).status_code == 404


def test_a_scope_of_any_length_gets_a_key_every_backend_accepts_and_its_own_entry():
    """A company slug in a URL can be as long as a reader types it: the key stays short, and two scopes that
    share their first characters never share an entry."""
    import warnings

    from django.core.cache.backends.base import CacheKeyWarning

    long_a, long_b = "feed:" + "a" * 1000, "feed:" + "a" * 999 + "b"
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheKeyWarning)
        assert generation.cached(long_a, "", lambda: "first") == "first"
        assert generation.cached(long_b, "", lambda: "second") == "second"
        assert generation.cached(long_a, "", lambda: "recomputed") == "first"


@pytest.mark.parametrize("path", ["/€/", "/café/"])
def test_a_path_beyond_latin_1_reaches_django_as_it_was_sent(path):
    """The layer before Django reads the request without changing what Django reads: the same 404 as Django
    alone, never a path decoded twice (a bare server error for "€")."""
    status, headers, body, ran = wsgi_get(path)
    assert (status, ran) == (404, True)
    assert (status, body) == (Client().get(path).status_code, Client().get(path).content.decode())


def test_a_cache_that_cannot_be_read_before_django_leaves_the_request_to_django(monkeypatch):
    """Django's handler then answers (here with its own error page, as the middleware meets the same failure),
    logs and reports it: never a bare server error from outside Django."""
    from incidents.caching import pages

    def unreachable(keys):
        raise ConnectionError("the cache is down")

    monkeypatch.setattr(pages, "read_with_generation", unreachable)
    status, headers, body, ran = wsgi_get("/cases/")
    assert (status, ran) == (500, True)


def test_the_filter_form_kept_per_generation_shows_each_list_its_own_choices_language_and_counts(settings):
    """The list's filter form is rendered once per language, filters, sort and generation, then reused."""
    settings.PAGE_CACHE_ENABLED = False
    client = Client()
    water, power = factories.sector(name="Water", slug="water"), factories.sector(name="Power", slug="power")
    factories.incident(company=factories.company(sector=water))
    factories.incident(company=factories.company(sector=power))

    def form(url):
        html = client.get(url).content.decode()
        start = html.index('<form class="filters"')
        return html[start : html.index("</form>", start)]

    checked = 'name="sector" value="{}" checked'
    for _ in range(2):  # built, then kept
        assert checked.format("water") in form("/cases/?sector=water")
        assert checked.format("power") not in form("/cases/?sector=water")
        assert checked.format("power") in form("/cases/?sector=power")
        assert '<option value="cost" selected>' in form("/cases/?sector=water&sort=cost")
        assert '<option value="cost" selected>' not in form("/cases/?sector=water")
        assert "Appliquer" not in form("/cases/?sector=water") and "Secteur" in form("/fr/cases/?sector=water")
    assert 'value="water"> Water <span class="count">(1)</span>' in form("/cases/")
    factories.incident(company=factories.company(sector=water))  # an edit: the next list counts it
    assert 'value="water"> Water <span class="count">(2)</span>' in form("/cases/")


def test_a_company_and_a_sector_keep_their_insights_block_per_language_and_generation(settings):
    """The record next to the sector's is drawn once per subject, language and generation, then reused."""
    settings.PAGE_CACHE_ENABLED = False
    client = Client()
    company = factories.company(name="Acme Water")
    factories.incident(company=company)
    other = factories.company(name="Brook Water", sector=company.sector)
    factories.incident(company=other)
    for _ in range(2):  # built, then kept
        english = client.get(company.get_absolute_url()).content.decode()
        french = client.get("/fr" + company.get_absolute_url()).content.decode()
        assert "Figures from 1 published case of Acme Water" in english
        assert "Acme Water et " in french and "côte à côte" in french and "Figures from" not in french
        assert "Figures from 1 published case of Brook Water" in client.get(other.get_absolute_url()).content.decode()
    factories.incident(company=company)  # an edit: the next page counts it
    assert "Figures from 2 published cases of Acme Water" in client.get(company.get_absolute_url()).content.decode()


def test_a_worker_serves_its_own_copy_of_a_page_only_while_the_catalogue_has_not_changed(settings, monkeypatch):
    """With a shared cache, a worker keeps the pages it served: a hit then reads the generation alone."""
    from incidents.caching import pages

    settings.PAGE_CACHE_LOCAL_BYTES = 1024 * 1024
    asked = []
    read = pages.read_with_generation
    monkeypatch.setattr(pages, "read_with_generation", lambda keys: asked.append(list(keys)) or read(keys))
    case = factories.incident(title="Copied by the worker")
    url = case.get_absolute_url()
    assert wsgi_get(url)[1]["X-Page-Cache"] == "miss"
    assert wsgi_get(url)[1]["X-Page-Cache"] == "hit" and asked[-1]  # from the shared cache, with the page
    status, headers, body, ran = wsgi_get(url)
    assert (headers["X-Page-Cache"], ran, asked[-1]) == ("hit", False, [])  # the worker's copy: the generation only
    assert "Copied by the worker" in body
    case.title = "Edited after the copy"
    case.save()
    status, headers, body, ran = wsgi_get(url)
    assert (headers["X-Page-Cache"], ran) == ("miss", True)  # the copy was older than the catalogue
    assert "Edited after the copy" in body and "Copied by the worker" not in body
    wsgi_get(url)
    status, headers, body, ran = wsgi_get(url)
    assert (headers["X-Page-Cache"], asked[-1]) == ("hit", []) and "Edited after the copy" in body


def test_a_workers_copies_stay_within_their_size_dropping_the_least_recently_served():
    from incidents.caching.pages import LocalCopies

    copies = LocalCopies()
    for name in ("a", "b", "c"):
        copies.put(name, (1, 200, [], b"x" * 200), max_bytes=1000)
    copies.get("a")  # served again: "b" is now the least recently served
    copies.put("d", (1, 200, [], b"x" * 250), max_bytes=1000)
    copies.put("e", (1, 200, [], b"x" * 250), max_bytes=1000)
    assert sorted(copies.entries) == ["a", "c", "d", "e"] and copies.size == 900
    copies.put("huge", (1, 200, [], b"x" * 400), max_bytes=1000)  # more than a quarter: never kept
    assert "huge" not in copies.entries and copies.size == 900
