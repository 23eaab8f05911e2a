"""The catalogue generation: one number for the whole site, part of the key of everything cached from the
catalogue, and bumped by every change to it, so that the next request recomputes.

`cached()` is the one get-or-compute helper keyed on it. The signals `connect_signals()` wires (from the
app's `ready()`) bump it on every save, delete or M2M change of a catalogue model. This module imports no
model: the page cache middleware and the settings' cache backend load before the apps are ready.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time

from django.conf import settings
from django.core.cache import cache, caches
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import translation

GENERATION_KEY = "catalogue:generation"
# The cache that holds the generation when the settings name one: without Redis, the default cache is each
# worker's own memory, and the generation must be one for all of a machine's workers (sevices/settings.py).
GENERATION_CACHE = "generation"
# Part of every page and card key: entries written in an older shape by an earlier release are never read.
ENTRY_FORMAT = "v3"
# What `cached()` keeps expires on its own too (a bound on staleness with a per-process cache).
CACHED_TIMEOUT = 60 * 60
# Models of the app whose rows never show on a public page.
PRIVATE_MODELS = {"tip"}


class _RequestMemo(threading.local):
    active = False
    generation = None


_memo = _RequestMemo()


@contextlib.contextmanager
def generation_read_once():
    """Within this block (a request: the page cache middleware opens it), the generation is read from the
    cache once, then remembered: a list page keys its count, page, facets and cards on it, and each read is a
    round trip to Redis. A bump made inside the block is seen at once."""
    _memo.active, _memo.generation = True, None
    try:
        yield
    finally:
        _memo.active, _memo.generation = False, None


def remember_generation(generation) -> None:
    """The generation the caller has just read along with something else (the page cache's one round trip)."""
    if _memo.active and generation is not None:
        _memo.generation = generation


def _store():
    """Where the generation lives: the "generation" cache when the settings name one, else the default cache
    (Redis in production, where it is read along with a cached page in one round trip)."""
    return caches[GENERATION_CACHE] if GENERATION_CACHE in settings.CACHES else cache


def read_with_generation(keys):
    """The catalogue generation (None if not stored yet) and what the default cache holds at `keys`: one
    round trip when the generation lives in the default cache."""
    if GENERATION_CACHE in settings.CACHES:
        return caches[GENERATION_CACHE].get(GENERATION_KEY), cache.get_many(keys)
    found = cache.get_many([GENERATION_KEY, *keys])
    return found.pop(GENERATION_KEY, None), found


def catalogue_generation() -> int:
    """The catalogue's current generation: part of every cache key that depends on published data."""
    if _memo.generation is not None:
        return _memo.generation
    store = _store()
    generation = store.get(GENERATION_KEY)
    if generation is None:
        # First use, or the cache lost it: start from the clock (in microseconds, far ahead of any run of
        # bumps), so that a number already used is not handed out again.
        store.add(GENERATION_KEY, time.time_ns() // 1000, timeout=None)
        generation = store.get(GENERATION_KEY)
    if _memo.active:
        _memo.generation = generation
    return generation


def bump_generation() -> None:
    """Make everything cached from the catalogue stale: now, and again once the transaction commits.

    The second bump covers a request that recomputed between the first bump and the commit (and so
    cached what it read before the change); outside a transaction both happen at once.
    """
    _increment()
    transaction.on_commit(_increment)


def _increment():
    _memo.generation = None
    store = _store()
    try:
        store.incr(GENERATION_KEY)
    except ValueError:  # not there yet (first use or flushed cache)
        catalogue_generation()
        store.incr(GENERATION_KEY)


def cached_key(scope: str, query: str) -> str:
    """Where `cached()` keeps what it computed for `scope` and `query` at the current generation."""
    digest = hashlib.blake2b(f"{scope}\0{query}".encode(), digest_size=12).hexdigest()
    return f"stats:{catalogue_generation()}:{scope[:80]}:{digest}"


def cached(scope: str, query: str, compute, timeout=CACHED_TIMEOUT):
    """`compute()` once per catalogue generation, scope ("insights", "company:42"...) and filter query.

    The key names the scope (cut short: a scope may hold a reader's slug of any length) and a digest of both,
    so it stays within what every cache backend accepts (250 characters for memcached)."""
    key = cached_key(scope, query)
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout)
    return value


def filter_query(data, params) -> str:
    """The filters of a request as a canonical query string (order of parameters and values ignored).

    A search is understood in the reader's language (French words stemmed in French): its results, counts and
    facets are keyed on that language too."""
    pairs = sorted((name, value) for name in params for value in data.getlist(name) if value != "")
    if any(name == "q" and value.strip() for name, value in pairs):
        pairs.append(("lang", translation.get_language() or settings.LANGUAGE_CODE))
    return "&".join(f"{name}={value}" for name, value in pairs)


# The signals -----------------------------------------------------------------------------------------


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


# Runs once when the app is ready, where no mutant can be switched on (docs/testing.md).
# pragma: no mutate start
def connect_signals():
    """Called once from the app's ready(): every catalogue save, delete or M2M change bumps the generation."""
    post_save.connect(_catalogue_changed, dispatch_uid="page_cache_save")
    post_delete.connect(_catalogue_changed, dispatch_uid="page_cache_delete")
    m2m_changed.connect(_catalogue_changed, dispatch_uid="page_cache_m2m")


# pragma: no mutate end
