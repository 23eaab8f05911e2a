"""Whole-page caching for anonymous readers, kept correct by a catalogue generation number.

A cached page's key holds the catalogue generation, the active language, the scheme, host, full path and
query string. Any save or delete of catalogue data bumps the generation, so every page is rebuilt on its
next request: an edit, a publication, a merge or a retraction shows at once, on every app server that
shares the cache (Redis in production). Old entries are never read again and expire on their own.

Never cached: anything but GET, the admin, requests carrying a session or messages cookie
(logged-in editors always see fresh pages), responses that are not 200, 301 or 404, streamed
responses, responses that set a cookie, vary on Cookie, or say `Cache-Control: private/no-store`.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import translation
from django.utils.cache import get_conditional_response, has_vary_header
from django.utils.http import parse_http_date_safe

from incidents.stats import bump_generation, catalogue_generation

CACHEABLE_STATUS = {200, 301, 404}
# Models whose rows never show on a public page.
PRIVATE_MODELS = {"tip"}


# The generation lives in incidents.stats (one counter for the whole site); this module wires the signals.


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


def page_cache_key(request, generation):
    url = request.build_absolute_uri()
    digest = hashlib.blake2b(url.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()
    return f"page:{generation}:{translation.get_language()}:{digest}"


def request_is_cacheable(request):
    if request.method != "GET":
        return False
    if request.path_info.startswith(("/admin/", "/healthz")):
        return False
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies:
        return False
    user = getattr(request, "user", None)
    return not (user is not None and user.is_authenticated)


def response_is_cacheable(response):
    if response.status_code not in CACHEABLE_STATUS or response.streaming or response.cookies:
        return False
    if has_vary_header(response, "Cookie"):
        return False
    cache_control = response.get("Cache-Control", "").lower()
    return not ("private" in cache_control or "no-store" in cache_control or "no-cache" in cache_control)


class PageCacheMiddleware:
    """Serves anonymous readers' pages from the cache; place it after LocaleMiddleware and authentication."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.timeout = getattr(settings, "PAGE_CACHE_SECONDS", 600)
        self.enabled = getattr(settings, "PAGE_CACHE_ENABLED", True)

    def __call__(self, request):
        if not self.enabled or not request_is_cacheable(request):
            return self.get_response(request)
        key = page_cache_key(request, catalogue_generation())
        cached = cache.get(key)
        if cached is not None:
            cached["X-Page-Cache"] = "hit"
            # The view's own conditional GET (ETag, Last-Modified) still answers 304 from the cache.
            last_modified = parse_http_date_safe(cached.get("Last-Modified", ""))
            return get_conditional_response(
                request, etag=cached.get("ETag"), last_modified=last_modified, response=cached
            )
        response = self.get_response(request)
        if response_is_cacheable(response) and getattr(response, "is_rendered", True):
            cache.set(key, response, self.timeout)
            response["X-Page-Cache"] = "miss"
        return response
