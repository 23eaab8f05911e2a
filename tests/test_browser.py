# ruff: noqa: F811 - the Playwright fixtures are imported from tests/browser/fixtures.py and used as arguments.
"""In a real browser: a reader's journey by mouse and by keyboard, the editors' workflow, accessibility (axe-core)
in English and French, and screenshots at phone and desktop widths. Every page is watched for
Content-Security-Policy violations and script errors (tests/browser/fixtures.py).

Run them alone with `pytest -m browser`; they need Debian's Chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse

from incidents.models import Incident, Status
from tests import factories
from tests.browser.fixtures import DESKTOP, SCREENSHOTS, screenshot, tab_to

# serialized_rollback: the data migrations made (taxonomies, the editors' groups) is back for the next tests.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "correct horse battery staple"


def catalogue(n_cases=23):
    """Two sectors; enough cases in one of them for a second page (20 per page)."""
    retail = factories.sector(name="Retail", slug="retail")
    banks = factories.sector(name="Banks", slug="banks")
    shop = factories.company(name="Shopmart", slug="shopmart", sector=retail)
    bank = factories.company(name="Banque Rouge", slug="banque-rouge", sector=banks)
    harm = factories.harm_type(name="Refund never came", slug="refund-never-came")
    lesson = factories.lesson(title="Answer within a day", slug="answer-within-a-day")
    cases = [
        factories.incident(
            company=shop,
            title=f"Shopmart refused refund number {i}",
            summary=f"A customer waited months for refund number {i}.",
            story="The customer wrote **three** times.\n\nThen the press called.",
            harm_types=[harm],
            lessons=[lesson],
            occurred_on=datetime.date(2020, 1, 1) + datetime.timedelta(days=i),
        )
        for i in range(n_cases)
    ]
    factories.incident(company=bank, title="Banque Rouge froze an account", harm_types=[harm], lessons=[lesson])
    return {"retail": retail, "banks": banks, "shop": shop, "bank": bank, "lesson": lesson, "cases": cases}


# A reader ------------------------------------------------------------------------------------------------------


def test_a_reader_filters_by_sector_opens_a_case_follows_the_company_and_pages(live_server, tab):
    catalogue()
    page = tab.page
    page.goto(f"{live_server.url}/cases/")
    assert not page.get_by_label("Retail").is_visible()  # the filters are folded above the results
    page.locator(".filter-panel > summary").click()
    page.get_by_label("Retail").check()
    page.locator("form.filters").get_by_role("button").first.click()
    page.wait_for_url("**/cases/?*sector=retail*")
    assert "23 cases" in page.locator(".result-count").inner_text()
    tab.check()

    page.get_by_role("link", name="Next").first.click()
    page.wait_for_url("**page=2*")
    assert "sector=retail" in page.url  # the filter survives pagination
    assert page.locator(".case-card").count() == 3
    tab.check()

    page.locator(".case-card-title a").first.click()
    page.wait_for_url("**/cases/*/case-number-*/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Shopmart refused refund number")
    tab.check()

    page.locator("main").get_by_role("link", name="Shopmart").first.click()
    page.wait_for_url("**/companies/shopmart/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Shopmart")
    tab.check()


def test_a_reader_does_the_same_with_the_keyboard_only(live_server, tab):
    catalogue()
    page = tab.page
    page.goto(f"{live_server.url}/cases/")
    tab_to(page, ".filter-panel > summary")
    page.keyboard.press("Enter")  # unfolds the filters
    tab_to(page, 'input[name="sector"][value="retail"]')
    page.keyboard.press("Space")
    assert page.locator('input[name="sector"][value="retail"]').is_checked()
    tab_to(page, "form.filters button")
    page.keyboard.press("Enter")
    page.wait_for_url("**sector=retail*")
    tab.check()

    tab_to(page, 'a[rel="next"]')
    page.keyboard.press("Enter")
    page.wait_for_url("**page=2*")
    tab.check()

    tab_to(page, ".case-card-title a")
    page.keyboard.press("Enter")
    page.wait_for_url("**/cases/*/case-number-*/")
    tab.check()

    tab_to(page, 'main a[href="/companies/shopmart/"]')
    page.keyboard.press("Enter")
    page.wait_for_url("**/companies/shopmart/")
    tab.check()

    # The skip link is the first stop and takes the focus to the content.
    page.goto(f"{live_server.url}/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('skip-link')")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


# Editors -------------------------------------------------------------------------------------------------------


def png_bytes():
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (1200, 800), (200, 60, 40)).save(buffer, "PNG")
    return buffer.getvalue()


def staff(role, username):
    """An editor or a chief editor, in the editors' groups."""
    factories.editor_groups()
    group = {"editor": "Editors", "chief": "Chief editors"}[role]
    return factories.user(username=username, staff=True, groups=[group])


def log_in(page, base, username):
    page.goto(f"{base}/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/admin/")


def test_an_editor_writes_a_case_a_chief_editor_publishes_it_and_readers_find_it(live_server, context, tab):
    world = catalogue(n_cases=1)
    staff("editor", "editor")
    staff("chief", "chief")
    base = live_server.url
    page = tab.page

    log_in(page, base, "editor")
    tab.check()
    page.goto(f"{base}/admin/incidents/incident/add/")
    page.locator("#id_title_en").fill("Parcelbox lost a wedding dress")
    page.locator("#id_title_en").press("Tab")
    assert page.locator("#id_slug").input_value() == "parcelbox-lost-a-wedding-dress"  # admin JS ran
    page.locator("#id_status").select_option("review")
    page.locator(".field-company .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill("Shop")
    page.locator(".select2-results__option", has_text="Shopmart").click()
    page.locator("#id_summary_en").fill("A courier lost a wedding dress and offered a voucher for postage.")
    page.locator("#id_story_en").fill("The dress was **handmade**.\n\nThe courier answered after six weeks.")
    page.locator("#id_lesson_en").fill("Pay for what you lose, and say sorry first.")
    page.locator("#id_country").fill("FR")
    page.locator("#id_occurred_on").fill("2024-05-02")

    page.locator("#sources-group").locator(".add-row a").click()
    page.locator("#id_sources-0-title").fill("Le colis perdu")
    page.locator("#id_sources-0-publisher").fill("Le Parisien")
    page.locator("#id_sources-0-url").fill("https://example.org/colis")
    page.locator("#images-group").locator(".add-row a").click()
    page.locator("#id_images-0-image").set_input_files(
        {"name": "dress.png", "mimeType": "image/png", "buffer": png_bytes()}
    )
    page.locator("#id_images-0-alt_text_en").fill("The empty parcel box")
    page.locator('input[name="_save"]').first.click()
    page.wait_for_url(f"{base}/admin/incidents/incident/")
    tab.check()
    case = Incident.objects.get(title="Parcelbox lost a wedding dress")
    assert case.status == Status.REVIEW
    assert case.sources.count() == 1 and case.images.count() == 1
    page.goto(f"{base}{case.get_absolute_url()}")  # not public yet
    assert page.get_by_text("Parcelbox lost a wedding dress").count() >= 1  # staff preview
    context.clear_cookies()
    response = page.goto(f"{base}{case.get_absolute_url()}")
    assert response.status == 404

    log_in(page, base, "chief")
    page.goto(f"{base}/admin/incidents/incident/?status__exact=review")
    page.locator(f'input[name="_selected_action"][value="{case.pk}"]').check()
    page.locator('select[name="action"]').select_option("publish")
    page.get_by_role("button", name="Go").click()
    page.wait_for_load_state()
    tab.check()
    case.refresh_from_db()
    assert case.status == Status.PUBLISHED
    page.goto(f"{base}/admin/incidents/incident/{case.pk}/history/")
    assert page.get_by_role("heading", level=1).count() == 1
    tab.check()
    context.clear_cookies()

    page.goto(f"{base}/cases/?q=wedding+dress")
    assert page.locator(".case-card-title", has_text="Parcelbox lost a wedding dress").count() == 1
    page.goto(f"{base}{case.get_absolute_url()}")
    assert page.get_by_role("heading", level=1).inner_text() == "Parcelbox lost a wedding dress"
    assert page.locator("main img").count() >= 1
    tab.check()
    feed = page.request.get(f"{base}/feed/")
    assert feed.status == 200
    assert "Parcelbox lost a wedding dress" in feed.text()
    del world


# Every page type: accessibility, screenshots, width on a small phone, the list's first screen, fonts ------------

PHONE_SCREEN = {"width": 390, "height": 844}
SMALLEST_PHONE = {"width": 320, "height": 640}


def page_types(world):
    """Every kind of public page, each with the status it must answer: a page that is gone fails, it is not skipped."""
    retracted = factories.incident(
        company=world["bank"],
        title="Banque Rouge charged twice",
        status=Status.RETRACTED,
        retraction_reason="The sources did not hold.",
    )
    return {
        "home": (reverse("incidents:home"), 200),
        "list": (reverse("incidents:incident_list"), 200),
        "list-filtered": (reverse("incidents:incident_list") + "?sector=retail&harm=refund-never-came", 200),
        "search": (reverse("incidents:incident_list") + "?q=refund", 200),
        "case": (world["cases"][0].get_absolute_url(), 200),
        "retracted-case": (retracted.get_absolute_url(), 200),
        "company": (world["shop"].get_absolute_url(), 200),
        "sector": (world["retail"].get_absolute_url(), 200),
        "sector-list": (reverse("incidents:sector_list"), 200),
        "company-list": (reverse("incidents:company_list"), 200),
        "lesson": (world["lesson"].get_absolute_url(), 200),
        "insights": (reverse("incidents:insights"), 200),
        "data": (reverse("incidents:data"), 200),
        "corrections": (reverse("incidents:corrections"), 200),
        "methodology": (reverse("incidents:methodology"), 200),
        "about": (reverse("incidents:about"), 200),
        "submit": (reverse("incidents:submit"), 200),
        "404": ("/no/such/page/", 404),
    }


def visit(page, base, language, name, url, status):
    """Open a page in a language (French pages live under /fr/) and check it answered as it must."""
    prefix = "" if language == "en" else f"/{language}"
    assert page.goto(f"{base}{prefix}{url}").status == status, name
    assert page.locator("html").get_attribute("lang") == language, name


@pytest.mark.parametrize(("language", "scheme"), [("en", "light"), ("fr", "light"), ("en", "dark"), ("fr", "dark")])
def test_axe_finds_no_violation_on_any_page_type(live_server, tab, language, scheme):
    from axe_playwright_python.sync_playwright import Axe

    world = catalogue()
    axe = Axe()
    page = tab.page
    page.emulate_media(color_scheme=scheme)  # both colour schemes must keep their contrast
    violations = {}
    for name, (url, status) in page_types(world).items():
        visit(page, live_server.url, language, name, url, status)
        found = axe.run(page).response["violations"]
        if found:
            violations[name] = [
                f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}" for v in found
            ]
        tab.check()
    assert not violations, violations


def test_screenshots_of_every_page_type_in_both_languages_at_phone_and_desktop_widths(live_server, tab):
    """Written to screenshots/ (not committed) for a person to look at; `make screenshots` refreshes them."""
    world = catalogue()
    page = tab.page
    for language in ("en", "fr"):
        for name, (url, status) in page_types(world).items():
            visit(page, live_server.url, language, name, url, status)
            screenshot(page, f"{name}-{language}")
            tab.check()
    assert (SCREENSHOTS / "list-filtered-fr-phone.png").stat().st_size > 10_000


@pytest.mark.parametrize("language", ["en", "fr"])
def test_no_page_type_scrolls_sideways_on_a_320_px_phone_and_each_links_to_the_tips_form(
    live_server, context, tab, language
):
    world = catalogue()
    page = tab.page
    page.set_viewport_size(SMALLEST_PHONE)
    too_wide, no_tip_link = {}, []
    tips_form = ("" if language == "en" else f"/{language}") + reverse("incidents:submit")
    for name, (url, status) in page_types(world).items():
        visit(page, live_server.url, language, name, url, status)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > SMALLEST_PHONE["width"]:
            too_wide[name] = width
        if not page.locator(f'a.tell-us[href="{tips_form}"]:visible').count():
            no_tip_link.append(name)
        tab.check()
    assert too_wide == {}
    assert no_tip_link == []


def first_screen(page):
    """Where the list's first case, the header and its sections are, in pixels from the top of the page."""
    return page.evaluate(
        """() => {
          const box = (selector) => document.querySelector(selector).getBoundingClientRect();
          const tops = [...document.querySelectorAll('.nav a')].map((a) => Math.round(a.getBoundingClientRect().top));
          return {card: box('.case-card').top, title: box('.case-card-title').bottom,
                  header: box('.site-header').height, navRows: new Set(tops).size};
        }"""
    )


@pytest.mark.parametrize("language", ["en", "fr"])
def test_on_a_phone_the_first_case_shows_in_the_first_screen_below_the_folded_filters(live_server, tab, language):
    catalogue()
    page = tab.page
    page.set_viewport_size(PHONE_SCREEN)
    prefix = "" if language == "en" else f"/{language}"
    page.goto(f"{live_server.url}{prefix}/cases/?sector=retail&harm=refund-never-came")
    summary = page.locator(".filter-panel > summary")
    assert summary.inner_text() == {"en": "Filters (2 active)", "fr": "Filtres (2\u00a0actifs)"}[language]
    where = first_screen(page)
    assert where["title"] <= PHONE_SCREEN["height"], where  # the first case's whole title is on the first screen
    apply = {"en": "Apply filters", "fr": "Appliquer les filtres"}[language]
    assert not page.get_by_role("button", name=apply).is_visible()  # folded
    assert where["header"] <= 110, where  # two rows: the brand and its tools, then the sections
    assert where["navRows"] == 1, where  # the sections never wrap, so no word is left alone on a line
    summary.click()
    assert page.locator('input[name="sector"][value="retail"]').is_checked()
    tab.check()


@pytest.mark.parametrize("size", [PHONE_SCREEN, DESKTOP])
def test_the_home_page_opens_on_one_search_box(live_server, tab, size):
    catalogue()
    page = tab.page
    page.set_viewport_size(size)
    page.goto(f"{live_server.url}/")
    visible = page.locator('input[type="search"]:visible').all()
    assert [box.get_attribute("id") for box in visible] == ["home-q"]
    page.goto(f"{live_server.url}/sectors/")  # elsewhere the header has one
    assert page.locator('input[type="search"]:visible').count() == (1 if size == DESKTOP else 0)
    tab.check()


def test_a_case_page_starts_below_the_header_with_its_key_facts_beside_the_headline(live_server, tab):
    world = catalogue()
    page = tab.page
    page.goto(f"{live_server.url}{world['cases'][0].get_absolute_url()}")
    where = page.evaluate(
        """() => {
          const box = (selector) => document.querySelector(selector).getBoundingClientRect();
          const title = box('.case-header h1');
          return {header: box('.site-header').bottom, kicker: box('.case-kicker').top, title: title.top,
                  facts: box('.key-facts').top, factsLeft: box('.key-facts').left, titleRight: title.right};
        }"""
    )
    assert where["kicker"] - where["header"] >= 16, where  # the breadcrumb has room to breathe
    assert where["facts"] <= where["title"], where  # the key facts start at the top of their column
    assert where["factsLeft"] > where["titleRight"], where  # beside the headline, not below it
    page.set_viewport_size(PHONE_SCREEN)
    assert page.locator(".key-facts").bounding_box()["y"] > page.locator(".case-header h1").bounding_box()["y"]
    tab.check()


# The canvas measures a text in the site's face backed by two very different fallbacks: the same width both ways
# means the site's own fonts drew every character.
DRAWN_BY_THE_SITE_FONT = """async ([family, text]) => {
  await document.fonts.ready;
  await document.fonts.load(`16px ${family}`, text);
  const context = document.createElement('canvas').getContext('2d');
  const width = (fallback) => { context.font = `16px ${family}, ${fallback}`; return context.measureText(text).width; };
  return [width('monospace'), width('serif')];
}"""


def test_the_web_fonts_come_from_the_site_and_draw_every_french_character(live_server, tab):
    world = catalogue()
    page = tab.page
    page.goto(f"{live_server.url}/fr{world['cases'][0].get_absolute_url()}")
    french = "éèêàçôûœŒÉÇ«»€’…—"
    for family in ('"Source Serif 4"', '"Inter"'):
        with_monospace, with_serif = page.evaluate(DRAWN_BY_THE_SITE_FONT, [family, french])
        assert with_monospace == with_serif, family
        # The narrow no-break space French puts before ; ! ? is drawn in the face too, narrower than a space.
        narrow = page.evaluate(DRAWN_BY_THE_SITE_FONT, [family, "\u202f"])
        space = page.evaluate(DRAWN_BY_THE_SITE_FONT, [family, " "])
        assert narrow[0] == narrow[1] and 0 < narrow[0] < space[0], (family, narrow, space)
    fonts = page.evaluate(
        "performance.getEntriesByType('resource').map((e) => e.name).filter((n) => n.endsWith('.woff2'))"
    )
    assert fonts and all(url.startswith(f"{live_server.url}/static/fonts/") for url in fonts), fonts
    assert any("source-serif-4-latin-wght-normal" in url for url in fonts), fonts
    tab.check()
