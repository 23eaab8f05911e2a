"""Bad input never breaks a page, and nothing a contributor types runs in a reader's browser.

Generated query strings and path segments go to every public URL family of tests/test_leaks.py (on SQLite
and on PostgreSQL, where a NUL byte in a query is an error of its own): no answer may be a 5xx. Then XSS
payloads in every field an editor or a tipster fills in: the rendered pages contain no script, no event
handler and no javascript: URL of theirs.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils.html import escape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents.filters import IncidentFilterSet
from incidents.models import Tip
from tests import factories
from tests.test_leaks import PUBLIC_SURFACES, body, make_world, routed_surfaces

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Parameter names the site reads somewhere (every catalogue filter), and a few it never heard of.
PARAMS = [
    *IncidentFilterSet.filter_params,
    "sort",
    "page",
    "page_size",
    "format",
    "url",
    "maxwidth",
    "maxheight",
    "ordering",
    "cursor",
    "status",
    "lang",
    "next",
    "p",
    "limit",
    "offset",
    "fields",
    "since",
    "id",
    "ref",
    "revision",
    "chart",
]
NASTY = [
    "\x00",
    "%00",
    "'",
    '"',
    "\\",
    "--",
    ";",
    "' OR 1=1 --",
    "<script>",
    "-1",
    "0",
    "99999999999999999999999",
    "1e309",
    "NaN",
    "-0",
    "1.5",
    "٣",
    "２０２０",
    "\u202e",
    "\ud7ff",
    "😀",
    "a" * 5000,
    "&",
    "=",
    "?",
    "#",
    "/",
    "..",
    "%",
    "%zz",
    "\r\n",
    "\t",
    " ",
    "newest",
    "relevance",
    "cost",
    "fr",
    "http://evil.example/",
    "javascript:alert(1)",
    "//evil.example",
    "\x7f",
    "\x1b[0m",
    "!@#$%^&*()",
    "AND|OR",
    "a:*",
    "!!",
    "& | ! <->",
]
values = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=60),
    st.integers().map(str),
    st.from_regex(r"[a-z\-]{1,20}", fullmatch=True),
)
query = st.lists(st.tuples(st.sampled_from(PARAMS) | st.text(max_size=10), values), max_size=6)
raw_query = st.lists(
    st.sampled_from([*"=&%?+;#/ azAZ09é\x00", "%00", "%ff", "%e9", "%C3%A9", "q=", "page=", "sort=", "company="]),
    max_size=30,
).map("".join)

# The families of public URLs that read a query string: one of each kind is enough to reach every view.
QUERY_FAMILIES = [
    "case list",
    "company",
    "sector",
    "lesson",
    "companies",
    "insights",
    "RSS feed",
    "company feed",
    "sitemap",
    "CSV export",
    "JSON export",
    "API list",
    "oEmbed",
    "embed",
    "published case",
    "home",
    "API case",
    "BibTeX citation",
    "published revision",
    "insights CSV, apology",
]


@pytest.fixture
def world():
    return make_world()


def assert_no_server_error(client, url, data=None):
    if isinstance(data, str):  # a query string as the browser would send it
        url, data = f"{url}{'&' if '?' in url else '?'}{data}", None
    response = client.get(url, data)
    # oEmbed answers 501 Not Implemented to a format it does not serve, as its specification says.
    allowed = {501} if url.startswith("/oembed/") else set()
    assert response.status_code < 500 or response.status_code in allowed, f"{url} {data!r}: {response.status_code}"
    if response.streaming:
        body(response)  # a streamed export fails while it streams, not before


@FUZZ
@given(params=query)
def test_generated_query_strings_never_break_the_case_list_or_search(client, world, params):
    assert_no_server_error(client, "/cases/", urlencode(params))


@FUZZ
@given(raw=raw_query)
def test_raw_query_strings_never_break_the_case_list_or_search(client, world, raw):
    assert_no_server_error(client, "/cases/?" + raw)


@FUZZ
@given(text=st.text(max_size=200) | st.sampled_from(NASTY))
def test_any_search_text_never_breaks_the_search(client, world, text):
    assert_no_server_error(client, "/cases/", {"q": text, "sort": "relevance"})


@pytest.mark.parametrize("family", QUERY_FAMILIES)
def test_generated_query_strings_never_break_any_public_url(client, world, family):
    surfaces = {surface.name: surface for surface in routed_surfaces(PUBLIC_SURFACES, world)}
    assert family in surfaces, f"{family} is no longer a public surface of tests/test_leaks.py"
    assert client.get(surfaces[family].url(world)).status_code == 200, family  # fuzzing a page that is there
    url = surfaces[family].url(world).split("?")[0]

    @FUZZ
    @given(params=query, raw=raw_query)
    def run(params, raw):
        assert_no_server_error(client, url, urlencode(params))
        assert_no_server_error(client, url + "?" + raw)

    run()


segment = st.one_of(st.sampled_from(NASTY), st.text(min_size=1, max_size=40), st.integers().map(str))
PATH_TEMPLATES = [
    "/cases/{s}/",
    "/cases/{s}/{s}/",
    "/cases/1/{s}/",
    "/SC-{s}",
    "/companies/{s}/",
    "/sectors/{s}/",
    "/lessons/{s}/",
    "/companies/{s}/feed/",
    "/sectors/{s}/feed/",
    "/cases/{s}/cite.bib",
    "/cases/{s}/cite.json",
    "/cases/{s}/card.png",
    "/cases/{s}/embed/",
    "/api/cases/{s}/",
    "/cases/1/revisions/{s}/",
    "/insights/{s}.csv",
    "/sitemap-{s}.xml",
    "/companies/{s}/feed/atom/",
    "/language/{s}/",
    "/{s}",
    "/{s}/",
]


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(template=st.sampled_from(PATH_TEMPLATES), value=segment)
def test_generated_path_segments_never_break_a_page(client, world, template, value):
    assert_no_server_error(client, template.replace("{s}", quote(value, safe="")))


# Cross-site scripting ----------------------------------------------------------------------------------------

PAYLOADS = [
    "<script>alert('xss')</script>",
    "<img src=x onerror=alert('xss')>",
    '"><svg onload=alert(1)>',
    "[click me](javascript:alert('xss'))",
    "[click me](JaVaScRiPt:alert(1))",
    "![pic](javascript:alert(1))",
    '<a href="javascript:alert(1)">link</a>',
    '<a href="&#106;avascript:alert(1)">entity</a>',
    '<a href="jav&#x09;ascript:alert(1)">tab</a>',
    "<iframe src=javascript:alert(1)></iframe>",
    "<details open ontoggle=alert(1)>",
    "<style>body{background:url(javascript:alert(1))}</style>",
    "<object data=javascript:alert(1)>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    "'; alert(1); '",
    "{{ 7*7 }} {% debug %}",
]
# Elements no public page of the site has of its own (scripts come only from static files, with src).
DANGEROUS_TAGS = {"script", "iframe", "frame", "object", "embed", "style", "math", "base", "applet"}


def script_problems(html, page):
    """What in a page could run code that the site did not write itself."""
    soup = BeautifulSoup(html, "html.parser")
    problems = []
    for tag in soup.find_all(True):
        for attribute, value in tag.attrs.items():
            if attribute.lower().startswith("on"):
                problems.append(f"{page}: {tag.name} has {attribute}")
            text = " ".join(value) if isinstance(value, list) else str(value)
            compact = re.sub(r"[\s\x00-\x1f]", "", text).lower()
            if attribute in ("href", "src", "action", "formaction", "data", "xlink:href") and compact.startswith(
                ("javascript:", "vbscript:", "data:text/html")
            ):
                problems.append(f"{page}: {tag.name} {attribute}={text!r}")
        if tag.name == "script" and not tag.get("src") and not is_data_block(tag):
            problems.append(f"{page}: an inline script")
    return problems


def is_data_block(tag):
    """JSON-LD and the like: data the browser never runs (CSP does not even apply to it)."""
    return tag.get("type", "").lower() in ("application/ld+json", "application/json")


def payload_tags(html, page, known):
    """Dangerous elements beyond those the page has without payloads (the admin's own scripts, say)."""
    soup = BeautifulSoup(html, "html.parser")
    found = [
        tag.name
        for tag in soup.find_all(DANGEROUS_TAGS)
        if tag.name != "script" or not (tag.get("src") or is_data_block(tag))
    ]
    extra = [name for name in found if found.count(name) > known.count(name)]
    return [f"{page}: a <{name}> from a payload" for name in sorted(set(extra))]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_in_every_field_an_editor_fills_execute_nowhere(client, payload):
    sector = factories.sector(name=f"Sector {payload}", description=payload, recourse=payload)
    company = factories.company(name=f"Company {payload}", sector=sector)
    lesson = factories.lesson(title=f"Lesson {payload}", summary=payload)
    case = factories.incident(
        company=company,
        title=f"Title {payload}",
        summary=f"Summary {payload}",
        story=f"Story\n\n{payload}\n\n*emphasis* and {payload}",
        lesson=payload,
        response=payload,
        corrective_actions=payload,
        apology_text=payload,
        retraction_reason=payload,
        lessons=[lesson],
        sources=0,
    )
    factories.source(
        incident=case,
        title=f"Source {payload}",
        publisher=payload,
        url="javascript:alert(1)",
        archive_url=" JavaScript:alert(2)",
    )
    factories.source(incident=case, title="Plain", url=f"https://example.org/?q={quote(payload)}")
    factories.event(case, description=payload)
    factories.cost(case, "1000", note=payload)
    baseline = factories.incident(title="Baseline case", sources=1)

    pages = [
        "/",
        "/cases/",
        f"/cases/?q={quote('Title')}",
        case.get_absolute_url(),
        baseline.get_absolute_url(),
        company.get_absolute_url(),
        sector.get_absolute_url(),
        lesson.get_absolute_url(),
        "/companies/",
        "/sectors/",
        f"/cases/{case.pk}/embed/",
        "/insights/",
    ]
    problems = []
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        problems += script_problems(body(response), url)
        problems += payload_tags(body(response), url, known=[])
    assert escape(case.title) in body(client.get(case.get_absolute_url()))  # shown, as text
    assert not problems, problems


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_in_a_tip_execute_neither_for_the_reader_nor_in_the_admin(client, payload):
    # A valid tip carries the payload in every free-text field, and in the links as a query string.
    fields = {
        "what_happened": f"{payload} It went wrong for a long while and then worse.",
        "company_name": f"Company {payload}",
        "when": payload,
        "links": f"https://example.org/\nhttps://example.org/?q={quote(payload)}",
        "contact_email": "",
    }
    address = f"198.51.100.{PAYLOADS.index(payload) + 1}"
    response = client.post(reverse("incidents:submit"), fields, REMOTE_ADDR=address)
    assert response.status_code == 302, body(response)
    assert Tip.objects.count() == 1
    tip = Tip.objects.get()
    assert tip.company_name == f"Company {payload}"

    # The same payload where a link should be is refused, and the form shown again does not run it.
    refused = client.post(reverse("incidents:submit"), {**fields, "links": payload}, REMOTE_ADDR=address)
    assert refused.status_code == 400
    assert Tip.objects.count() == 1
    problems = script_problems(body(refused), "submit")
    problems += payload_tags(body(refused), "submit", known=[])

    chief = factories.user(superuser=True)
    client.force_login(chief)
    changelist = reverse("admin:incidents_tip_changelist")
    baseline = client.get(changelist, {"status": "rejected"})  # the admin's own elements, without the tip
    known = [t.name for t in BeautifulSoup(body(baseline), "html.parser").find_all(DANGEROUS_TAGS)]
    for url in (changelist, reverse("admin:incidents_tip_change", args=[tip.pk])):
        page = client.get(url)
        assert page.status_code == 200, url
        html = body(page)
        assert escape(f"Company {payload}") in html, url  # shown, as text
        assert escape(payload) in html, url
        problems += script_problems(html, url)
        problems += payload_tags(html, url, known=known)
    assert not problems, problems
