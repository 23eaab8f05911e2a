"""Playwright driving Debian's Chromium against pytest-django's live server.

Playwright's own browser download cannot work on these machines: the tests use /usr/bin/chromium
(`apt-get install -y chromium`). Without it, or without the playwright package, they are skipped on a
developer's machine and fail in CI (CI set to a true value), where they must run. Every page a test opens
is watched for Content-Security-Policy violations and script errors: a test that saw one fails, and so does
a test whose page cannot be asked what it blocked.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM must be told that is fine here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}

# Records what the Content-Security-Policy blocked, before any of the page's own code runs.
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile || document.location.pathname}:${event.lineNumber}`;
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} in ${where}`);
});
"""


def in_ci(environ=os.environ):
    return environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}


def cannot_run(reason, environ=os.environ):
    """Skip on a developer's machine; in CI, where the browser tests must run, fail."""
    if in_ci(environ):
        pytest.fail(f"{reason}: the browser tests must run in CI", pytrace=False)
    pytest.skip(reason)


def chromium_or_skip(environ=os.environ):
    if not CHROMIUM.exists():
        cannot_run(f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)", environ)


def playwright_or_skip(environ=os.environ):
    try:
        from playwright import sync_api
    except ImportError as error:
        cannot_run(f"playwright cannot be imported ({error}); pip install playwright", environ)
    return sync_api


@pytest.fixture(scope="session")
def browser():
    chromium_or_skip()
    sync_api = playwright_or_skip()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class WatchedPage:
    """A browser tab that remembers CSP violations, console errors and uncaught exceptions."""

    def __init__(self, context):
        self.context = context
        self.page = context.new_page()
        self.problems = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"uncaught: {error}"))

    def _console(self, message):
        text = message.text
        is_error = message.type == "error" and "Failed to load resource" not in text  # a 404 is tested elsewhere
        if is_error or "Content Security Policy" in text or "Permissions-Policy" in text:
            self.problems.append(f"console {message.type}: {text}")

    def csp_violations(self):
        """What the current page's policy blocked; a page that cannot be asked fails the check."""
        self.page.wait_for_load_state()  # a check right after a click may catch the page between two documents
        violations = self.page.evaluate("window.__cspViolations")
        assert isinstance(violations, list), f"the CSP watcher is not running on {self.page.url}: {violations!r}"
        return violations

    def check(self):
        """Fail on anything the browser blocked or threw so far on the current page."""
        found = self.problems + self.csp_violations()
        self.problems = []
        assert not found, found


@pytest.fixture
def context(browser, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    context.add_init_script(WATCH_CSP)
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def tab(context):
    watched = WatchedPage(context)
    yield watched
    watched.check()


def screenshot(page, name):
    SCREENSHOTS.mkdir(exist_ok=True)
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        page.screenshot(path=SCREENSHOTS / f"{name}-{label}.png", full_page=True)
    page.set_viewport_size(DESKTOP)


def tab_to(page, selector, limit=300):
    """Press Tab until the element matching `selector` has the focus: proof it is reachable by keyboard."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} cannot be reached with the Tab key")
