"""The guards of the browser tests: they never pass by not running, nor by not looking.

Without Chromium or playwright, the browser tests are skipped on a developer's machine and fail in CI; a page
that cannot be asked what its Content-Security-Policy blocked fails the check instead of reading as "nothing".
These need no browser, so they run with the rest of the suite.
"""

from __future__ import annotations

import sys

import pytest

from tests.browser import fixtures


def outcome(guard, environ):
    """What a guard does, as ("fail" or "skip", its message): caught here, so a skip cannot skip this test."""
    try:
        guard(environ)
    except pytest.fail.Exception as failure:
        return "fail", str(failure)
    except pytest.skip.Exception as skip:
        return "skip", str(skip)
    return "run", ""


@pytest.mark.parametrize("value", ["true", "True", "1", "yes", "on"])
def test_without_chromium_the_browser_tests_fail_in_ci(monkeypatch, tmp_path, value):
    monkeypatch.setattr(fixtures, "CHROMIUM", tmp_path / "no-chromium")
    assert outcome(fixtures.chromium_or_skip, {"CI": value}) == (
        "fail",
        f"Chromium is not installed at {tmp_path}/no-chromium (apt-get install -y chromium): "
        "the browser tests must run in CI",
    )


@pytest.mark.parametrize("environ", [{}, {"CI": ""}, {"CI": "false"}, {"CI": "0"}])
def test_without_chromium_the_browser_tests_are_skipped_on_a_developers_machine(monkeypatch, tmp_path, environ):
    monkeypatch.setattr(fixtures, "CHROMIUM", tmp_path / "no-chromium")
    assert outcome(fixtures.chromium_or_skip, environ) == (
        "skip",
        f"Chromium is not installed at {tmp_path}/no-chromium (apt-get install -y chromium)",
    )


def test_with_chromium_nothing_is_skipped(monkeypatch, tmp_path):
    chromium = tmp_path / "chromium"
    chromium.touch()
    monkeypatch.setattr(fixtures, "CHROMIUM", chromium)
    assert outcome(fixtures.chromium_or_skip, {"CI": "true"}) == ("run", "")


def test_without_playwright_the_browser_tests_fail_in_ci_and_are_skipped_elsewhere(monkeypatch):
    monkeypatch.setitem(sys.modules, "playwright", None)  # what an environment without the package does
    kind, message = outcome(fixtures.playwright_or_skip, {"CI": "true"})
    assert kind == "fail"
    assert message.startswith("playwright cannot be imported")
    assert message.endswith("the browser tests must run in CI")
    kind, message = outcome(fixtures.playwright_or_skip, {})
    assert kind == "skip"
    assert message.startswith("playwright cannot be imported")


class FakePage:
    """Just enough of a Playwright page for WatchedPage: `evaluate` answers what the test says."""

    url = "http://testserver/cases/"

    def __init__(self, answer):
        self.answer = answer

    def on(self, event, handler):
        pass

    def wait_for_load_state(self):
        pass

    def evaluate(self, script):
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


class FakeContext:
    def __init__(self, answer):
        self.answer = answer

    def new_page(self):
        return FakePage(self.answer)


def test_a_page_that_cannot_be_asked_about_csp_violations_fails_the_check():
    watched = fixtures.WatchedPage(FakeContext(RuntimeError("Target page, context or browser has been closed")))
    with pytest.raises(RuntimeError, match="has been closed"):
        watched.check()


def test_a_page_without_the_csp_watcher_fails_the_check():
    watched = fixtures.WatchedPage(FakeContext(None))
    with pytest.raises(AssertionError, match="the CSP watcher is not running on http://testserver/cases/"):
        watched.check()


def test_a_csp_violation_fails_the_check_and_none_passes_it():
    blocked = "script-src blocked inline in /cases/:12"
    with pytest.raises(AssertionError, match="script-src blocked inline in /cases/:12"):
        fixtures.WatchedPage(FakeContext([blocked])).check()
    assert fixtures.WatchedPage(FakeContext([])).check() is None
