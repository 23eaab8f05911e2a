"""Whole pages for anonymous readers, served from the cache while the catalogue generation they were built at
is still the current one.

A cached page's key holds the page's language (incidents/i18n.py), the scheme, host, full path and query
string; the entry holds the catalogue generation it was built at. Any save or delete of catalogue data bumps
the generation (`incidents.caching.generation`), so every page is rebuilt on its next request: an edit, a publication, a
merge or a retraction shows at once, on every app server that shares the cache (Redis in production). A
stale entry is replaced by the next request for its URL, or expires.

Never cached: anything but GET, the admin, requests carrying a session or messages cookie
(logged-in editors always see fresh pages), responses that are not 200, 301 or 404, streamed
responses, responses that set a cookie, vary on Cookie, carry a CSRF token, or say
`Cache-Control: private/no-store`.
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from http import HTTPStatus

from django.conf import settings
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpResponse, HttpResponsePermanentRedirect
from django.middleware.gzip import re_accepts_gzip as accepts_gzip
from django.utils.cache import get_conditional_response, has_vary_header
from django.utils.http import parse_http_date_safe

from incidents.caching.generation import (
    ENTRY_FORMAT,
    catalogue_generation,
    generation_read_once,
    read_with_generation,
    remember_generation,
)
from incidents.i18n import page_language

logger = logging.getLogger(__name__)

CACHEABLE_STATUS = {200, 301, 404}
# Where `CachedPagesFirst` leaves what it read from the cache on a miss, so the middleware does not read it again.
LOOKED_UP = "sevices.page_cache.looked_up"


def page_cache_key(request, language):
    """The key of the page at this request's URL, from the request line exactly as the WSGI server passed it:
    the same string whether `CachedPagesFirst` (before Django) or the middleware (inside it) asks. An entry is
    only written once Django has accepted the host (`ALLOWED_HOSTS`), so another host finds none.

    Browsers that accept gzip get the page as GZipMiddleware compressed it, the others as it was built: two
    entries, each the bytes the whole stack produced for that kind of request."""
    meta = request.META
    encoding = "gzip" if accepts_gzip.search(meta.get("HTTP_ACCEPT_ENCODING", "")) else "identity"
    host = meta.get("HTTP_HOST") or f"{meta.get('SERVER_NAME', '')}:{meta.get('SERVER_PORT', '')}"
    path = meta.get("SCRIPT_NAME", "") + meta.get("PATH_INFO", "")
    url = f"{request.scheme}://{host}{path}?{meta.get('QUERY_STRING', '')}"
    digest = hashlib.blake2b(url.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()
    return f"page:{ENTRY_FORMAT}:{language}:{encoding}:{digest}"


def fresh_entry(entry, generation):
    """The stored (status, headers, content) if `entry` was built at `generation`, else None."""
    if generation is not None and isinstance(entry, tuple) and len(entry) == 4 and entry[0] == generation:
        return entry[1:]
    return None


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
        with generation_read_once():
            return self.respond(request)

    def respond(self, request):
        if not self.enabled or not request_is_cacheable(request):
            return single_piece(self.get_response(request))
        looked_up = request.META.pop(LOOKED_UP, None)  # CachedPagesFirst found no fresh entry
        if looked_up is None:
            # The language of the page at this URL: its /fr/ prefix, or the reader's choice on the home page.
            key = page_cache_key(request, page_language(request))
            # One round trip for both: the entry is fresh only if it was built at the current generation.
            looked_up = key, *read_with_generation([key])
        key, stored_generation, found = looked_up
        remember_generation(stored_generation)
        generation = catalogue_generation()
        if (entry := fresh_entry(found.get(key), generation)) is not None:
            return self.replay(request, *entry)
        response = single_piece(self.get_response(request))
        if response_is_cacheable(request, response):
            request.get_host()  # raises DisallowedHost, so only an accepted host is ever written
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


class LocalCopies:
    """A worker's own copies of the pages it served from the shared cache, each with the generation it was
    built at, the least recently served dropped first beyond `max_bytes` of content.

    A copy is served only while the generation read from the shared cache for this very request is the one it
    was built at: an edit shows on the next request on every server, as without copies, and a hit no longer
    carries the page's bytes from Redis (only the generation, a few bytes)."""

    def __init__(self):
        self.entries = OrderedDict()
        self.size = 0

    def get(self, key):
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
        return entry

    def put(self, key, entry, max_bytes):
        """Keep `entry` (generation, status, headers, content) under `key`, within `max_bytes` of content."""
        self.discard(key)
        size = len(entry[3])
        if size > max_bytes // 4:  # a few large pages never push out the many ordinary ones
            return
        self.entries[key] = entry
        self.size += size
        while self.size > max_bytes:
            self.discard(next(iter(self.entries)))

    def discard(self, key):
        entry = self.entries.pop(key, None)
        if entry is not None:
            self.size -= len(entry[3])


class CachedPagesFirst:
    """The WSGI application gunicorn runs (sevices/wsgi.py): Django's, with a page cache hit answered before it.

    A hit needs none of what Django's handler does for a request (its signals, which close stale database
    connections; the middleware chain; a response object and its headers checked one by one): the stored
    status, headers and bytes go straight to the server. Everything else, misses and conditional requests
    (a 304 is the middleware's to decide) included, goes to Django, where `PageCacheMiddleware` stores the page;
    the same functions decide, from the request alone, whether and under which key a page is cached."""

    def __init__(self, application):
        self.application = application
        self.copies = LocalCopies()

    def __call__(self, environ, start_response):
        if (
            not getattr(settings, "PAGE_CACHE_ENABLED", True)
            or "HTTP_IF_NONE_MATCH" in environ
            or "HTTP_IF_MODIFIED_SINCE" in environ
        ):
            return self.application(environ, start_response)
        # A copy: WSGIRequest writes the path it decoded back into the environ it is given, and Django, reading it
        # again, would decode it twice ("/€/" failed outside Django's error handling).
        request = WSGIRequest(environ.copy())
        if not request_is_cacheable(request):
            return self.application(environ, start_response)
        key = page_cache_key(request, page_language(request))
        max_bytes = getattr(settings, "PAGE_CACHE_LOCAL_BYTES", 0)
        copy = self.copies.get(key) if max_bytes else None
        try:
            # With a copy of the page, the generation is all there is to read; without one, or if the copy is
            # older than the catalogue, the page too, in the same round trip.
            generation, found = read_with_generation([] if copy else [key])
            if copy is not None and copy[0] != generation:
                self.copies.discard(key)
                copy = None
                generation, found = read_with_generation([key])
            stored = copy if copy is not None else found.get(key)
        except Exception:  # noqa: BLE001 - the cache unreachable: Django answers, and reports it, as without a hit
            logger.warning("page cache unreachable before Django", exc_info=True)
            return self.application(environ, start_response)
        entry = fresh_entry(stored, generation)
        if entry is None:
            environ[LOOKED_UP] = key, generation, found
            return self.application(environ, start_response)
        if max_bytes and copy is None:
            self.copies.put(key, stored, max_bytes)
        status, headers, content = entry
        start_response(f"{status} {HTTPStatus(status).phrase}", [*headers, ("X-Page-Cache", "hit")])
        return [content]


def single_piece(response):
    """The response's content in one piece. A feed is written in thousands of small pieces and the WSGI
    server sends each one on its own: 25 ms to send a 37 KB feed instead of 1 (10 times fewer feeds a
    second, cached or not)."""
    if not response.streaming and getattr(response, "is_rendered", True) and len(response._container) > 1:
        response.content = response.content
    return response
