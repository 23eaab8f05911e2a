import os
import socket
from urllib.parse import urlsplit

import pytest
from django.db import connection

# The Playwright fixtures (one browser for the whole session, shared by every module that drives it).
from tests.browser.fixtures import browser, context, tab  # noqa: F401

POSTGRES_ONLY = "needs PostgreSQL (set DATABASE_URL=postgres://...)"
# Redis for the tests that need the production cache backend: REDIS_URL when the run sets it (CI does), else a
# database of the local server that nothing else uses.
TEST_REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


def in_ci():
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}


@pytest.fixture(autouse=True)
def _default_language(monkeypatch):
    """A test that switches the language must not change the next test's, and a request must not change the
    test's own: LocaleMiddleware leaves the page's language (/fr/...) active in the thread that served it, so
    that `case.get_absolute_url()` after a French request would give the French address."""
    from django.test import Client
    from django.utils import translation

    serve = Client.request

    def request(self, **kwargs):
        language = translation.get_language()
        try:
            return serve(self, **kwargs)
        finally:
            translation.activate(language)

    monkeypatch.setattr(Client, "request", request)
    yield
    translation.activate("en")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Pages are cached; each test starts from an empty cache."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def pytest_collection_modifyitems(config, items):
    on_postgres = connection.vendor == "postgresql"
    skip = pytest.mark.skip(reason=POSTGRES_ONLY)
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI a skip is a failure, except PostgreSQL-only tests on a SQLite run: nothing may stop running unseen."""
    report = yield
    if report.skipped and in_ci() and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        if not (reason.endswith(POSTGRES_ONLY) and connection.vendor != "postgresql"):
            report.outcome = "failed"
            report.longrepr = f"skipped in CI, where every test must run: {reason}"
    return report


@pytest.fixture
def on_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture
def redis_url():
    """A real Redis server for the production cache backend; locally skipped without one, in CI a failure."""
    parts = urlsplit(TEST_REDIS_URL)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=0.5):
            pass
    except OSError:
        message = f"needs Redis at {TEST_REDIS_URL}"
        if in_ci():
            pytest.fail(f"{message}: CI starts it (.ci/run)")
        pytest.skip(message)
    import redis

    redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    return TEST_REDIS_URL
