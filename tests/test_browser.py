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

from incidents.models import Incident, Status
from tests import factories
from tests.browser.fixtures import DESKTOP, screenshot, tab_to

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


# Accessibility and screenshots ---------------------------------------------------------------------------------


def accessible_pages(world):
    """The main pages, each with the status it must answer: a page that is gone fails, it is not skipped."""
    case = world["cases"][0]
    return {
        "home": ("/", 200),
        "list": ("/cases/?sector=retail", 200),
        "case": (case.get_absolute_url(), 200),
        "company": (world["shop"].get_absolute_url(), 200),
        "sector": (world["retail"].get_absolute_url(), 200),
        "insights": ("/insights/", 200),
        "submit": ("/submit/", 200),
        "404": ("/no/such/page/", 404),
    }


@pytest.mark.parametrize("language", ["en", "fr"])
def test_axe_finds_no_violation_on_the_main_pages(live_server, context, tab, language):
    from axe_playwright_python.sync_playwright import Axe

    world = catalogue()
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    axe = Axe()
    page = tab.page
    violations = {}
    prefix = "" if language == "en" else f"/{language}"  # French pages live under /fr/
    for name, (url, status) in accessible_pages(world).items():
        assert page.goto(f"{live_server.url}{prefix}{url}").status == status, name
        assert page.locator("html").get_attribute("lang") == language, name
        results = axe.run(page)
        found = results.response["violations"]
        if found:
            violations[name] = [
                f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}" for v in found
            ]
        tab.check()
    assert not violations, violations


def test_screenshots_of_the_main_pages_at_phone_and_desktop_widths(live_server, tab):
    world = catalogue()
    page = tab.page
    for name, (url, status) in accessible_pages(world).items():
        assert page.goto(f"{live_server.url}{url}").status == status, name
        screenshot(page, name)
        tab.check()
    page.set_viewport_size(DESKTOP)
