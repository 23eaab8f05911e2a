"""Nothing unpublished leaks: drafts, cases in review and retracted cases appear on no public surface.

Every public URL that lists, counts, searches, exports or describes cases is in PUBLIC_SURFACES (the
fuzz and header tests walk the same list): add a URL there when you add one to the site. Every URL of the
README's table is one of them, and every one of them must be routed: a URL removed from the site fails the
tests that walk them, it is never skipped.
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import re
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.urls import Resolver404, resolve
from django.utils import timezone

from incidents.models import Incident, Status
from tests import factories

pytestmark = pytest.mark.django_db


@dataclasses.dataclass(frozen=True)
class Surface:
    """A public URL. `path` is formatted with the world (`w`) of `make_world()`."""

    name: str
    path: str
    kind: str = "html"  # html, feed, data, image, text

    def url(self, world):
        return self.path.format(w=world)


PUBLIC_SURFACES = [
    Surface("home", "/"),
    Surface("case list", "/cases/"),
    Surface("case list, every filter", "/cases/?sector={w.sector.slug}&harm={w.harm.slug}&lesson={w.lesson.slug}"),
    Surface("case list, costliest", "/cases/?sort=cost"),
    Surface("case list, filtered by the hidden company", "/cases/?company={w.hidden_company.slug}"),
    Surface("case list, filtered by a visible company", "/cases/?company={w.company.slug}"),
    Surface("published case", "/cases/{w.shown.pk}/{w.shown.slug}/"),
    Surface("companies", "/companies/"),
    Surface("company", "/companies/{w.company.slug}/"),
    Surface("hidden company", "/companies/{w.hidden_company.slug}/"),
    Surface("sectors", "/sectors/"),
    Surface("sector", "/sectors/{w.sector.slug}/"),
    Surface("lesson", "/lessons/{w.lesson.slug}/"),
    Surface("about", "/about/"),
    Surface("corrections", "/corrections/"),
    Surface("corrections feed", "/corrections/feed/", "feed"),
    Surface("methodology", "/methodology/"),
    Surface("submit a tip", "/submit/"),
    Surface("insights", "/insights/"),
    Surface("insights, filtered by the hidden company", "/insights/?company={w.hidden_company.slug}"),
    *[
        Surface(f"insights CSV, {chart}", f"/insights/{chart}.csv", "data")
        for chart in (
            "cases-per-year",
            "apology",
            "response-speed",
            "price-of-not-apologising",
            "turning-points",
            "worst-apologies",
            "slowest-responses",
            "best-recoveries",
        )
    ],
    Surface("RSS feed", "/feed/", "feed"),
    Surface("Atom feed", "/feed/atom/", "feed"),
    Surface("company feed", "/companies/{w.company.slug}/feed/", "feed"),
    Surface("company Atom feed", "/companies/{w.company.slug}/feed/atom/", "feed"),
    Surface("hidden company feed", "/companies/{w.hidden_company.slug}/feed/", "feed"),
    Surface("hidden company Atom feed", "/companies/{w.hidden_company.slug}/feed/atom/", "feed"),
    Surface("sector feed", "/sectors/{w.sector.slug}/feed/", "feed"),
    Surface("sector Atom feed", "/sectors/{w.sector.slug}/feed/atom/", "feed"),
    Surface("lesson feed", "/lessons/{w.lesson.slug}/feed/", "feed"),
    Surface("lesson Atom feed", "/lessons/{w.lesson.slug}/feed/atom/", "feed"),
    Surface("sitemap", "/sitemap.xml", "feed"),
    *[
        Surface(f"sitemap of {section}", f"/sitemap-{section}.xml", "feed")
        for section in ("cases", "companies", "sectors", "lessons", "pages")
    ],
    Surface("robots.txt", "/robots.txt", "text"),
    Surface("open data page", "/data/"),
    Surface("CSV export", "/data/cases.csv", "data"),
    Surface("CSV export, filtered by the hidden company", "/data/cases.csv?company={w.hidden_company.slug}", "data"),
    Surface("JSON export", "/data/cases.json", "data"),
    Surface("API list", "/api/cases/", "data"),
    Surface("API list, filtered by the hidden company", "/api/cases/?company={w.hidden_company.slug}", "data"),
    Surface("API case", "/api/cases/{w.shown.pk}/", "data"),
    Surface("API schema", "/api/schema/", "data"),
    Surface("BibTeX citation", "/cases/{w.shown.pk}/cite.bib", "text"),
    Surface("RIS citation", "/cases/{w.shown.pk}/cite.ris", "text"),
    Surface("CSL-JSON citation", "/cases/{w.shown.pk}/cite.json", "data"),
    Surface("share card", "/cases/{w.shown.pk}/card.png", "image"),
    Surface("site share card", "/card.png", "image"),
    Surface("published revision", "/cases/{w.shown.pk}/revisions/{w.shown.revision}/"),
    Surface("embed", "/cases/{w.shown.pk}/embed/"),
    Surface("oEmbed", "/oembed/?url=http%3A//testserver/cases/{w.shown.pk}/{w.shown.slug}/", "data"),
]

# The URLs of one case (formatted with `case`): for an unpublished case, each answers 404 or says nothing of it.
CASE_SURFACES = [
    Surface("case page", "/cases/{w.pk}/{w.slug}/"),
    Surface("case number", "/cases/{w.pk}/"),
    Surface("short reference", "/SC-{w.pk:04d}"),
    Surface("BibTeX citation", "/cases/{w.pk}/cite.bib", "text"),
    Surface("RIS citation", "/cases/{w.pk}/cite.ris", "text"),
    Surface("CSL-JSON citation", "/cases/{w.pk}/cite.json", "data"),
    Surface("API case", "/api/cases/{w.pk}/", "data"),
    Surface("oEmbed", "/oembed/?url=http%3A//testserver/cases/{w.pk}/{w.slug}/", "data"),
    Surface("share card", "/cases/{w.pk}/card.png", "image"),
    Surface("embed", "/cases/{w.pk}/embed/"),
    Surface("revision", "/cases/{w.pk}/revisions/{w.revision}/"),
    Surface("share on Mastodon", "/cases/{w.pk}/share/mastodon/?server=piaille.fr"),
]
# A retracted case's page and embed stay as tombstones (citations and embeds elsewhere keep working, and say it
# was retracted); its share card is gone.
ALWAYS_404_FOR_RETRACTED = {"share card"}

# URLs of the README's table that show no case at all, so no surface above needs to walk them.
SHOW_NO_CASE = {"/healthz", "/language/<en|fr>/"}
README = Path(__file__).resolve().parent.parent / "README.md"


def readme_urls():
    """The URLs of the README's table: its first column, and the absolute paths its second column names."""
    lines = README.read_text(encoding="utf-8").split("| URL | Page |", 1)[1].splitlines()[2:]
    urls = []
    for line in itertools.takewhile(lambda line: line.startswith("|"), lines):
        first, second = line.strip("|").split(" | ", 1)
        last = "/"
        for code in re.findall(r"`([^`]+)`", first):
            last = code if code.startswith("/") else last.rsplit("/", 1)[0] + "/" + code  # `cite.ris`, `atom/`
            urls.append(last.split("?")[0])
        urls += [code.split("?")[0] for code in re.findall(r"`(/[^`]*)`", second)]
    return urls


PLACEHOLDERS = {"<number>": r"\d+", "<id>": r"\d+"}


def readme_pattern(url):
    """`/cases/<number>/<slug>/` as a regular expression; a number written out (`/SC-0042`) stands for any."""
    parts = re.split(r"(<[^>]+>|\d+)", url)
    return "".join(
        PLACEHOLDERS.get(part, "(?:" + part[1:-1] + ")" if "|" in part else r"[-\w]+")
        if part.startswith("<")
        else r"\d+"
        if part.isdigit()
        else re.escape(part)
        for part in parts
    )


def is_routed(path):
    """Whether a URL is served by a view of its own (the case page's catch-all slug does not count)."""
    try:
        match = resolve(path.split("?")[0])
    except Resolver404:
        return False
    if match.url_name == "incident_detail":
        return (
            match.kwargs["slug"]
            == Incident.objects.filter(pk=match.kwargs["pk"]).values_list("slug", flat=True).first()
        )
    return True


def routed_surfaces(surfaces, world):
    """The surfaces, once each is known to be routed: a URL the site no longer serves fails the caller."""
    missing = [f"{s.name} ({s.url(world)})" for s in surfaces if not is_routed(s.url(world))]
    assert not missing, f"no longer routed: {', '.join(missing)}"
    return list(surfaces)


def body(response):
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8", errors="replace")


def markers(*cases, fields=("title", "body")):
    return [case.markers[field] for case in cases for field in fields]


def hidden_case(company, kind, status, *, sector_case=None, **fields):
    """An unpublished case carrying unique marker words in everything a page could show."""
    title, text = f"zqx{kind}title", f"zqx{kind}body"
    case = factories.incident(
        company=company,
        title=f"Case {title} of a company",
        slug=f"case-{kind}",
        summary=f"Summary {text} of the case.",
        story=f"Story {text} told in full.",
        lesson=f"Lesson {text}.",
        status=status,
        sources=0,
        harm_types=sector_case.harm_types.all(),
        lessons=sector_case.lessons.all(),
        apology_quality=0,
        **fields,
    )
    factories.source(incident=case, title=f"Source {text}", publisher=f"Publisher {text}")
    factories.cost(case, "987654321", currency="CHF")
    factories.event(case, description=f"Event {text}")
    case.markers = {"title": title, "body": text}
    case.revision = case.history.latest().history_id
    return case


def make_world():
    """A published case, and beside it every kind of unpublished case: same sector, lesson and harm."""
    sector = factories.sector(name="Sector zqxshownsector", slug="visible-sector")
    harm = factories.harm_type()
    lesson = factories.lesson()
    company = factories.company(name="Company zqxshowncompany", slug="visible-company", sector=sector)
    shown = factories.incident(
        company=company,
        title="Case zqxshowntitle",
        summary="Summary zqxshownbody.",
        harm_types=[harm],
        lessons=[lesson],
        featured=False,
    )
    factories.cost(shown, "1000")
    shown.revision = shown.history.latest().history_id
    shown.markers = {"title": "zqxshowntitle", "body": "zqxshownbody"}
    # A company whose only cases are unpublished: its name must not show anywhere either.
    hidden_company = factories.company(name="Company zqxhiddencompany", slug="hidden-company", sector=sector)
    draft = hidden_case(hidden_company, "draft", Status.DRAFT, sector_case=shown, featured=True)
    review = hidden_case(hidden_company, "review", Status.REVIEW, sector_case=shown, featured=True)
    retracted = hidden_case(
        hidden_company,
        "retracted",
        Status.RETRACTED,
        sector_case=shown,
        published_at=timezone.now() + timedelta(days=1),  # was published, and would sort first
        retraction_reason="The sources did not hold.",
        featured=True,
    )
    # An unpublished case of a visible company must not change that company's figures.
    visible_draft = hidden_case(company, "visibledraft", Status.DRAFT, sector_case=shown)
    hidden = [draft, review, retracted, visible_draft]
    # Corrections are listed site-wide (/corrections/): only those of published cases.
    from incidents.models import Correction

    for case in [shown, *hidden]:
        Correction.objects.create(incident=case, note_en=f"A fact corrected in {case.title}.")
    return SimpleNamespace(
        sector=sector,
        harm=harm,
        lesson=lesson,
        company=company,
        hidden_company=hidden_company,
        shown=shown,
        draft=draft,
        review=review,
        retracted=retracted,
        hidden=hidden,
        hidden_markers=[*markers(*hidden), "zqxhiddencompany"],
    )


CSRF_TOKEN = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+|(csrftoken=)[^;]+')


def snapshot(client, world, surfaces):
    cache.clear()
    pages = {}
    for surface in surfaces:
        response = client.get(surface.url(world))
        text = "" if surface.kind == "image" else CSRF_TOKEN.sub(r"\1\2", body(response))
        pages[surface.name] = (response.status_code, text)
    return pages


def test_unpublished_cases_appear_on_no_public_surface(client):
    world = make_world()
    surfaces = routed_surfaces(PUBLIC_SURFACES, world)
    before = snapshot(client, world, surfaces)

    # The published case is visible where it should be: the walk is not looking at empty pages.
    assert "zqxshowntitle" in before["case list"][1]
    assert "zqxshowntitle" in before["home"][1]
    assert "zqxshowncompany" in before["companies"][1]

    assert not [name for name, (status, _text) in before.items() if status >= 500]
    leaks = {
        name: [marker for marker in world.hidden_markers if marker in text.lower()]
        for name, (_status, text) in before.items()
    }
    assert not {name: found for name, found in leaks.items() if found}

    for marker in [*world.hidden_markers, "Zqxhiddencompany"]:
        response = client.get("/cases/", {"q": marker})
        assert response.status_code == 200
        others = [m for m in world.hidden_markers if m != marker.lower() and m in body(response).lower()]
        assert not others, f"a search for {marker} shows {others}"
        assert not response.context["page_obj"], f"a search for {marker} finds {response.context['page_obj']}"
    assert [case.pk for case in client.get("/cases/", {"q": "zqxshownbody"}).context["page_obj"]] == [world.shown.pk]

    # Counts and figures: every surface reads exactly the same once the unpublished cases are gone.
    for case in world.hidden:
        case.delete()
    world.hidden_company.delete()
    after = snapshot(client, world, surfaces)
    changed = {name: first_difference(before[name], after[name]) for name in before if before[name] != after[name]}
    assert not changed, f"these surfaces change when unpublished cases are deleted: {changed}"


def first_difference(before, after):
    if before[0] != after[0]:
        return f"status {before[0]} then {after[0]}"
    lines = difflib.unified_diff(before[1].splitlines(), after[1].splitlines(), lineterm="", n=1)
    return "\n".join(list(lines)[2:12])


@pytest.mark.parametrize("kind", ["draft", "review", "retracted"])
def test_an_unpublished_case_url_says_nothing_of_it(client, kind):
    world = make_world()
    case = getattr(world, kind)
    for surface in routed_surfaces(CASE_SURFACES, case):
        response = client.get(surface.url(case), follow=True)
        text = "" if surface.kind == "image" else body(response).lower()
        if kind != "retracted" or surface.name in ALWAYS_404_FOR_RETRACTED:
            assert response.status_code == 404, f"{surface.name} of a {kind} case answers {response.status_code}"
            assert case.markers["title"] not in text, surface.name
        # A retracted case's tombstone names it (citations keep working) but never tells the story again.
        assert case.markers["body"] not in text, surface.name
        assert "zqxhiddencompany" not in text or kind == "retracted", surface.name


def test_staff_preview_of_a_draft_is_not_cached_for_readers(client):
    """An editor previews a draft at its public URL; the next anonymous reader still gets 404."""
    world = make_world()
    url = f"/cases/{world.draft.pk}/{world.draft.slug}/"
    editor = factories.user(staff=True)
    client.force_login(editor)
    assert client.get(url).status_code == 200
    client.logout()
    response = client.get(url)
    assert response.status_code == 404
    assert "zqxdraft" not in body(response)


def test_a_published_case_never_shows_what_it_said_as_a_draft(client):
    """Its pinned revisions are its published states only: a draft's wording stays in the admin."""
    case = factories.incident(status=Status.DRAFT, story="Story zqxearlierdraft, since rewritten.")
    draft_revision = case.history.latest().history_id
    case.story = "The story as published."
    case.status = Status.PUBLISHED
    case.published_at = timezone.now()
    case.save()
    published_revision = case.history.latest().history_id
    assert client.get(f"/cases/{case.pk}/revisions/{published_revision}/").status_code == 200
    response = client.get(f"/cases/{case.pk}/revisions/{draft_revision}/")
    assert response.status_code == 404
    for url in (case.get_absolute_url(), f"/cases/{case.pk}/revisions/{published_revision}/", "/cases/"):
        assert "zqxearlierdraft" not in body(client.get(url)), url


def test_every_url_of_the_readme_is_walked_and_routed():
    """The README's table is the contract: each of its URLs is a surface these tests walk, and is served."""
    world = make_world()
    walked = [s.url(world) for s in PUBLIC_SURFACES] + [s.url(world.shown) for s in CASE_SURFACES]
    urls = readme_urls()
    # The table was read to its last line, relative names included.
    assert urls[:3] == ["/", "/cases/", "/cases/<number>/<slug>/"], urls
    assert urls[-1] == "/language/<en|fr>/", urls
    assert "/cases/<number>/cite.ris" in urls and "/sectors/<slug>/feed/atom/" in urls, urls
    unwalked, unrouted = [], []
    for url in urls:
        if url in SHOW_NO_CASE:
            continue
        matching = [w for w in walked if re.fullmatch(readme_pattern(url), w.split("?")[0])]
        if not matching:
            unwalked.append(url)
        unrouted += [w for w in matching if not is_routed(w)]
    assert not unwalked, f"in the README but walked by no surface of tests/test_leaks.py: {unwalked}"
    assert not unrouted, f"no longer routed: {unrouted}"
    for url in SHOW_NO_CASE:
        assert url in urls, url
        assert is_routed(url.replace("<en|fr>", "fr")), url
