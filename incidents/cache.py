"""Whole-page caching for anonymous readers, kept correct by a catalogue generation number.

A cached page's key holds the active language, the scheme, host, full path and query string; the entry
holds the catalogue generation it was built at, and is only served while that is still the current one.
Any save or delete of catalogue data bumps the generation, so every page is rebuilt on its next request:
an edit, a publication, a merge or a retraction shows at once, on every app server that shares the cache
(Redis in production). A stale entry is replaced by the next request for its URL, or expires.

Also here: the Redis cache backend the settings use, the list paginator (cached count, deferred join),
the case cards (with a search's snippets, from incidents.search) and the cached facet counts.

Never cached: anything but GET, the admin, requests carrying a session or messages cookie
(logged-in editors always see fresh pages), responses that are not 200, 301 or 404, streamed
responses, responses that set a cookie, vary on Cookie, carry a CSRF token, or say
`Cache-Control: private/no-store`.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.core.paginator import Page, Paginator
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse, HttpResponsePermanentRedirect
from django.utils import translation
from django.utils.cache import get_conditional_response, has_vary_header
from django.utils.functional import cached_property
from django.utils.http import parse_http_date_safe

from incidents.search import attach_snippets

# incidents.stats imports the models: read lazily, this module is also the cache backend settings load.
GENERATION_KEY = "catalogue:generation"  # incidents.stats.GENERATION_KEY

CACHEABLE_STATUS = {200, 301, 404}
# Part of every page key: entries written in an older shape by an earlier release are never read.
ENTRY_FORMAT = "v2"
# Models whose rows never show on a public page.
PRIVATE_MODELS = {"tip"}


# The generation lives in incidents.stats (one counter for the whole site); this module wires the signals.


def catalogue_generation():
    from incidents import stats

    return stats.catalogue_generation()


def bump_generation():
    from incidents import stats

    stats.bump_generation()


def _is_catalogue_model(sender):
    meta = sender._meta
    return (
        meta.app_label == "incidents"
        and meta.model_name not in PRIVATE_MODELS
        and not meta.model_name.startswith("historical")
    )


def _catalogue_changed(sender, **kwargs):
    # M2M through tables (harm types, lesson themes) belong to the app too.
    if _is_catalogue_model(sender):
        bump_generation()


def connect_signals():
    """Called once from the app's ready(): every catalogue save, delete or M2M change bumps the generation."""
    post_save.connect(_catalogue_changed, dispatch_uid="page_cache_save")
    post_delete.connect(_catalogue_changed, dispatch_uid="page_cache_delete")
    m2m_changed.connect(_catalogue_changed, dispatch_uid="page_cache_m2m")


# The middleware ------------------------------------------------------------------------------------


def page_cache_key(request, language):
    url = request.build_absolute_uri()
    digest = hashlib.blake2b(url.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()
    return f"page:{ENTRY_FORMAT}:{language}:{digest}"


def request_is_cacheable(request):
    """Decided from the request alone: the middleware runs before sessions and authentication.

    Without a session cookie nobody is logged in (the site authenticates through sessions only)."""
    if request.method != "GET":
        return False
    # Never looked up: the admin, the health check, and what whitenoise serves (with its own caching headers).
    if request.path_info.startswith(("/admin/", "/healthz", settings.STATIC_URL, settings.MEDIA_URL)):
        return False
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME not in cookies and "messages" not in cookies


def response_is_cacheable(request, response):
    if response.status_code not in CACHEABLE_STATUS or response.streaming or response.cookies:
        return False
    if not getattr(response, "is_rendered", True) or has_vary_header(response, "Cookie"):
        return False
    # A page with a CSRF token belongs to one visitor.
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE") or request.META.get("CSRF_COOKIE_USED"):
        return False
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return False
    cache_control = response.get("Cache-Control", "").lower()
    return not ("private" in cache_control or "no-store" in cache_control or "no-cache" in cache_control)


class PageCacheMiddleware:
    """Serves anonymous readers' pages from the cache. It comes first in MIDDLEWARE, like a caching proxy in
    front of the site: a hit is answered before any other middleware runs (sessions, CSRF, authentication,
    locale), with the status, headers and bytes the whole stack produced when the page was built (security
    headers included: none of them depends on anything but the URL)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.timeout = getattr(settings, "PAGE_CACHE_SECONDS", 600)
        self.enabled = getattr(settings, "PAGE_CACHE_ENABLED", True)

    def __call__(self, request):
        from incidents import stats

        with stats.generation_read_once():
            return self.respond(request)

    def respond(self, request):
        from incidents import stats

        if not self.enabled or not request_is_cacheable(request):
            return single_piece(self.get_response(request))
        # The language LocaleMiddleware will choose, from the same cookie and Accept-Language.
        key = page_cache_key(request, translation.get_language_from_request(request))
        # One round trip for both: the entry is fresh only if it was built at the current generation.
        found = cache.get_many([GENERATION_KEY, key])
        stats.remember_generation(found.get(GENERATION_KEY))
        generation = catalogue_generation()
        entry = found.get(key)
        if isinstance(entry, tuple) and len(entry) == 4 and entry[0] == generation:
            return self.replay(request, *entry[1:])
        response = single_piece(self.get_response(request))
        if response_is_cacheable(request, response):
            cache.set(key, (generation, response.status_code, list(response.items()), response.content), self.timeout)
            response["X-Page-Cache"] = "miss"
        return response

    @staticmethod
    def replay(request, status, headers, content):
        if status == 301:  # a redirect stays one (its `url`, as Django's redirect responses have)
            response = HttpResponsePermanentRedirect(dict(headers)["Location"], content=content)
        else:
            response = HttpResponse(content, status=status)
        for name, value in headers:
            response[name] = value
        response["X-Page-Cache"] = "hit"
        # The view's own conditional GET (ETag, Last-Modified) still answers 304 from the cache.
        last_modified = parse_http_date_safe(response.get("Last-Modified", ""))
        etag = response.get("ETag")
        return get_conditional_response(request, etag=etag, last_modified=last_modified, response=response)


def single_piece(response):
    """The response's content in one piece. A feed is written in thousands of small pieces and the WSGI
    server sends each one on its own: 25 ms to send a 37 KB feed instead of 1 (10 times fewer feeds a
    second, cached or not)."""
    if not response.streaming and getattr(response, "is_rendered", True) and len(response._container) > 1:
        response.content = response.content
    return response


class _OneClient(RedisCacheClient):
    """Django builds a new redis-py client for every cache operation (a third of a millisecond each, most
    of the cost of a cached page); one client per connection pool is enough: redis-py clients are
    thread-safe."""

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        clients = self.__dict__.setdefault("_clients", {})
        client = clients.get(id(pool))
        if client is None:
            client = clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    """Django's Redis cache, reusing its redis-py client (settings select it when REDIS_URL is set)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _OneClient


# Lists at scale ------------------------------------------------------------------------------------


class CataloguePaginator(Paginator):
    """Django's Paginator, for lists of up to 100,000 cases; page URLs stay `?page=N`.

    - The count and each page's ids are cached per query and catalogue generation: every page of a list
      shares the count (counting 93,000 published cases costs more than the rest of the page), and a page
      ranked by relevance is ranked once per edit, not once per reader.
    - A page reads its ids alone (`OFFSET` over the sort index), then its rows by id, and only when they
      are needed: the case cards of a page are themselves cached (`case_cards`), so a page whose cards
      are all cached reads no row at all. Page 2,000 reads 40,000 index entries, not 40,000 rows.

    `key` names the query for the cache (the list's canonical filters, "company:42"); without it, the
    query's SQL names it.
    """

    def __init__(self, object_list, per_page, *, key=None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self._key = key

    @cached_property
    def query_name(self):
        return self._key or repr(self.object_list.query.sql_with_params())

    def _cached(self, name, compute):
        from incidents import stats

        return stats.cached(f"paginator-{name}", self.query_name, compute, timeout=settings.PAGE_CACHE_SECONDS)

    @cached_property
    def count(self):
        if not hasattr(self.object_list, "query"):
            return super().count
        return self._cached("count", lambda: Paginator.count.func(self))

    def page(self, number):
        number = self.validate_number(number)
        if not hasattr(self.object_list, "values_list"):
            return super().page(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        ids = self._cached(
            f"page{number}x{self.per_page}", lambda: list(self.object_list.values_list("pk", flat=True)[bottom:top])
        )
        return CataloguePage(ids, number, self)


class CataloguePage(Page):
    """A page that knows its case ids and reads their rows (one query, in page order) on first use."""

    def __init__(self, ids, number, paginator):
        self.ids = ids
        self._rows = None
        super().__init__(None, number, paginator)

    @property
    def object_list(self):
        if self._rows is None:
            self._rows = self.rows_for(self.ids)
        return self._rows

    @object_list.setter
    def object_list(self, value):  # Page.__init__ sets it; the rows come from the ids
        pass

    def rows_for(self, ids):
        if not ids:
            return []
        found = {row.pk: row for row in self.paginator.object_list.order_by().filter(pk__in=ids)}
        return [found[pk] for pk in ids if pk in found]


def case_cards(page, snippets=None):
    """The rendered case cards of a page (`includes/_case_card.html`), each cached per case, language and
    catalogue generation: one round trip for the page's cards, and only the cards not cached yet read
    their rows. `snippets` (a search page's highlighted excerpts) are computed for those only."""
    from django.template.loader import render_to_string
    from django.utils.safestring import mark_safe

    ids = page.ids if isinstance(page, CataloguePage) else [case.pk for case in page]
    tag = hashlib.blake2b(snippets.encode(), digest_size=8).hexdigest() if snippets else ""
    prefix = f"card:{ENTRY_FORMAT}:{catalogue_generation()}:{translation.get_language()}:{tag}:"
    found = cache.get_many([prefix + str(pk) for pk in ids])
    missing = [pk for pk in ids if prefix + str(pk) not in found]
    if missing:
        rows = page.rows_for(missing) if isinstance(page, CataloguePage) else [c for c in page if c.pk in missing]
        if snippets:
            attach_snippets(rows, snippets)
        made = {prefix + str(case.pk): render_to_string("includes/_case_card.html", {"case": case}) for case in rows}
        cache.set_many(made, settings.PAGE_CACHE_SECONDS)
        found.update(made)
    return [mark_safe(found[prefix + str(pk)]) for pk in ids if prefix + str(pk) in found]


def cached_facets(filterset):
    """The list's facet counts, with the options they count, computed once per set of filters and catalogue
    generation (page and sort do not change them)."""
    from incidents import stats
    from incidents.models import HarmType, Sector

    def compute():
        facets = filterset.facets()
        facets["sector_options"] = list(Sector.objects.values_list("pk", "slug", "name"))
        facets["harm_options"] = list(HarmType.objects.values_list("pk", "slug", "name"))
        return facets

    query = stats.filter_query(filterset.data, filterset.FILTER_PARAMS)
    return stats.cached("facets", query, compute, timeout=settings.PAGE_CACHE_SECONDS)
