"""The link check (`manage.py check_sources`, incidents/sources.py) against a small web server on loopback: what
it finds is recorded on each source, it asks each host politely, it never touches a case, and the admin lists
the dead links for editors."""

from __future__ import annotations

import datetime
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from typing import NamedTuple
from urllib.parse import urlsplit

import pytest
import requests
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from urllib3.exceptions import MaxRetryError, NameResolutionError

from incidents import sources
from incidents.caching.generation import catalogue_generation
from incidents.management.commands.check_sources import Command
from incidents.models import Incident, Source, Status
from tests import factories

pytestmark = pytest.mark.django_db

SLOW = 3.0  # seconds the slow page takes to answer, far beyond the tests' timeout
TIMEOUT = "0.5"


class Request(NamedTuple):
    at: float  # time.monotonic() when the server read it
    method: str
    path: str
    user_agent: str


class Handler(BaseHTTPRequestHandler):
    """One page per behaviour a link check meets on the web."""

    def do_HEAD(self):
        self.answer()

    def do_GET(self):
        self.answer()

    def answer(self):
        self.server.requests.append(Request(time.monotonic(), self.command, self.path, self.headers["User-Agent"]))
        page = urlsplit(self.path).path
        if page == "/fine":
            self.send(200)
        elif page == "/moved":
            self.send(301, Location="/fine")
        elif page == "/loop":
            self.send(302, Location="/loop")
        elif page == "/bad-redirect":
            self.send(302, Location="http://[not an address/")
        elif page == "/no-head":  # HEAD refused, GET fine
            self.send(405 if self.command == "HEAD" else 200, Allow="GET")
        elif page == "/head-hangs-up":  # HEAD gets no answer at all: the connection is closed
            if self.command == "GET":
                self.send(200)
        elif page == "/slow":
            time.sleep(SLOW)
            self.send(200)
        else:
            self.send(404)

    def send(self, status, **headers):
        body = b"A page."
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command == "GET":
            self.wfile.write(body)

    def log_message(self, format, *args):
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True  # the slow page's thread may outlive the test

    def handle_error(self, request, client_address):
        pass  # a client that gave up on the slow page


class Site:
    def __init__(self, server):
        self.server = server

    def url(self, path):
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    @property
    def requests(self):
        return self.server.requests

    def methods(self, path):
        return [request.method for request in self.requests if request.path == path]


@pytest.fixture
def site(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # a developer's proxy settings must not catch loopback
    server = Server(("127.0.0.1", 0), Handler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield Site(server)
    server.shutdown()
    server.server_close()


def check(*args):
    out = StringIO()
    call_command("check_sources", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def link_state(source):
    source.refresh_from_db()
    return source.check_status, source.check_error


# What is found, and recorded ---------------------------------------------------------------------------------


def test_each_answer_is_recorded_on_its_source_and_counted(site):
    case = factories.incident(sources=0)
    paths = ["/fine", "/moved", "/gone", "/no-head", "/head-hangs-up", "/slow", "/loop"]
    links = {path: factories.source(incident=case, url=site.url(path), title=path) for path in paths}
    printed = factories.source(incident=case, url="", title="A print magazine")
    before = timezone.now()

    out = check("--timeout", TIMEOUT, "--delay", "0")

    assert {path: link_state(source) for path, source in links.items()} == {
        "/fine": (200, ""),
        "/moved": (200, ""),  # followed to /fine
        "/gone": (404, "HTTP 404"),
        "/no-head": (200, ""),
        "/head-hangs-up": (200, ""),
        "/slow": (None, "timeout"),
        "/loop": (None, "too many redirects"),
    }
    for source in links.values():
        assert before <= source.checked_at <= timezone.now()
    printed.refresh_from_db()
    assert (printed.checked_at, printed.check_status, printed.check_error) == (None, None, "")
    # HEAD first; GET only when HEAD is refused or gets no answer.
    assert site.methods("/gone") == ["HEAD"]
    assert site.methods("/no-head") == ["HEAD", "GET"]
    assert site.methods("/head-hangs-up") == ["HEAD", "GET"]
    assert site.methods("/loop") == ["HEAD"] * 6  # the address, then five redirects followed
    assert {request.user_agent for request in site.requests} == {sources.USER_AGENT}
    assert "Sevices clients" in sources.USER_AGENT
    assert "Checked 7 links: 3 fine, 1 redirected, 1 dead, 2 errors." in out
    assert f"{case.reference}  HTTP 404  {site.url('/gone')}" in out


def test_the_defaults_are_ten_seconds_a_request_and_one_request_a_second_per_host():
    options = Command().create_parser("manage.py", "check_sources").parse_args([])
    assert (options.timeout, options.delay) == (10, 1)


def test_an_unreachable_server_an_https_mismatch_and_a_bad_address_each_get_a_reason(site):
    with socket.socket() as unused:  # a port nothing listens on
        unused.bind(("127.0.0.1", 0))
        closed_port = unused.getsockname()[1]
    throttle = sources.Throttle(0)
    session = sources.new_session()

    def reason(url):
        return sources.check_url(url, session=session, throttle=throttle, timeout=2).error

    assert reason(f"http://127.0.0.1:{closed_port}/") == "connection refused"
    assert reason(site.url("/fine").replace("http:", "https:")) == "TLS error"
    assert reason("http://[not an address/") == "invalid URL"
    assert reason(site.url("/bad-redirect")) == "invalid URL"
    assert site.methods("/bad-redirect") == ["HEAD"]  # a GET would meet the same address
    unresolved = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    dns = requests.ConnectionError(
        MaxRetryError(None, "/", NameResolutionError("nowhere.invalid", None, unresolved)), request=None
    )
    assert sources.describe_error(dns) == "DNS failure"


# A polite rate -----------------------------------------------------------------------------------------------


def test_requests_to_one_host_are_spaced_by_the_delay_redirects_included(site):
    case = factories.incident(sources=0)
    for path in ("/fine", "/moved", "/gone", "/no-head"):
        factories.source(incident=case, url=site.url(path))

    check("--timeout", TIMEOUT, "--delay", "0.25")

    arrivals = [request.at for request in site.requests]
    assert len(arrivals) == 6  # /fine, /moved and /fine, /gone, /no-head twice
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:], strict=False)]
    assert min(gaps) >= 0.23, gaps


def test_the_throttle_keeps_each_host_to_its_own_pace():
    now, slept = [100.0], []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    throttle = sources.Throttle(1.0, clock=lambda: now[0], sleep=sleep)
    throttle.wait("https://one.example/a")
    throttle.wait("https://two.example/a")  # another host: no wait
    assert slept == []
    now[0] += 0.25
    throttle.wait("https://one.example/b")
    assert slept == [0.75]
    throttle.wait("http://ONE.example:8080/c")  # the same host, whatever the scheme or port
    assert slept == [0.75, 1.0]


def test_hosts_take_turns_so_that_one_hosts_pause_is_spent_on_the_others():
    urls = ["http://a.example/1", "http://a.example/2", "http://a.example/3", "http://b.example/1"]
    links = [sources.Link(n, 1, url) for n, url in enumerate(urls)]
    assert [link.url for link in sources.interleave_by_host(links)] == [urls[0], urls[3], urls[1], urls[2]]


# Which sources are checked -----------------------------------------------------------------------------------


def test_only_dead_older_than_and_case_choose_the_sources_to_check(site):
    case, other = factories.incident(sources=0), factories.incident(sources=0)
    now = timezone.now()
    given = {  # path: (case, checked how long ago, error last time)
        "/fine?recent": (case, datetime.timedelta(days=2), ""),
        "/gone?recent": (case, datetime.timedelta(days=2), "HTTP 404"),
        "/fine?old": (case, datetime.timedelta(days=30), ""),
        "/gone?old": (case, datetime.timedelta(days=30), "HTTP 410"),
        "/fine?never": (case, None, ""),
        "/fine?other": (other, None, ""),
    }
    made = {path: factories.source(incident=owner, url=site.url(path)) for path, (owner, _, _) in given.items()}
    factories.source(incident=case, url="")

    def checked_with(*args):
        for path, (_owner, ago, error) in given.items():
            checked_at = now - ago if ago else None
            Source.objects.filter(pk=made[path].pk).update(checked_at=checked_at, check_error=error)
        site.requests.clear()
        check("--timeout", TIMEOUT, "--delay", "0", *args)
        return {request.path for request in site.requests}

    assert checked_with("--only-dead") == {"/gone?recent", "/gone?old"}
    assert checked_with("--older-than", "7") == {"/fine?old", "/gone?old", "/fine?never", "/fine?other"}
    assert checked_with("--case", other.reference) == {"/fine?other"}
    assert checked_with("--case", str(other.pk), "--only-dead") == set()
    assert checked_with() == set(given)


# Never a case ------------------------------------------------------------------------------------------------


def test_a_link_check_changes_nothing_about_the_cases_their_history_or_the_cached_pages(client, site):
    published = factories.incident(sources=0)
    draft = factories.draft(sources=0)
    for case, path in ((published, "/gone"), (published, "/moved"), (draft, "/gone")):
        factories.source(incident=case, url=site.url(path))

    def state():
        cases = list(Incident.objects.order_by("pk").values("pk", "status", "updated_at", "published_at", "title"))
        return cases, Incident.history.count(), Source.history.count(), catalogue_generation()

    before = state()
    check("--timeout", TIMEOUT, "--delay", "0")

    assert Source.objects.filter(sources.DEAD).count() == 2  # the check did run
    assert state() == before
    assert Incident.objects.get(pk=published.pk).status == Status.PUBLISHED
    assert client.get(published.get_absolute_url()).status_code == 200


# Editors see the dead links ----------------------------------------------------------------------------------


def test_the_admin_lists_the_dead_links_each_linked_to_its_case(client, site):
    checked, unchecked = factories.incident(sources=0), factories.incident(sources=0)
    # An id no case has: the row's link can only be its case's.
    factories.source(pk=checked.pk + 1000, incident=checked, url=site.url("/gone"), title="The vanished article")
    factories.source(incident=checked, url=site.url("/fine"), title="The article still online")
    factories.source(incident=unchecked, url=site.url("/fine"), title="The article nobody checked yet")
    factories.source(incident=unchecked, url="", title="The print magazine")
    check("--timeout", TIMEOUT, "--delay", "0", "--case", checked.reference)
    factories.editor_groups()
    client.force_login(factories.editor())
    changelist = reverse("admin:incidents_source_changelist")

    def listed(link):
        page = client.get(changelist, {"link": link} if link else {})
        assert page.status_code == 200
        text = page.content.decode()
        return {title for title in TITLES if title in text}, text

    titles, text = listed("dead")
    assert titles == {"The vanished article"}
    assert f'href="{reverse("admin:incidents_incident_change", args=[checked.pk])}"' in text
    assert "HTTP 404" in text and ">404<" in text
    assert listed("fine")[0] == {"The article still online"}
    assert listed("never")[0] == {"The article nobody checked yet"}
    titles, text = listed(None)
    assert titles == set(TITLES)
    assert reverse("admin:incidents_source_add") not in text  # read-only: sources are written on their case


TITLES = ("The vanished article", "The article still online", "The article nobody checked yet", "The print magazine")
