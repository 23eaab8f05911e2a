"""Share cards: 1200x630 PNGs with French accents, drawn once per revision and kept in storage."""

import io
from unittest import mock

import pytest
from django.core.files.storage import default_storage
from django.utils import translation
from PIL import Image, ImageChops, ImageDraw

from incidents import cards
from incidents.models import Status
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def case():
    case = factories.incident(title="Électricité: une facture à 88 247 € pour un retraité", language="fr")
    factories.cost(case, "180000000", currency="USD")
    return case


def test_card_is_a_1200_by_630_png(client, case):
    response = client.get(f"/cases/{case.pk}/card.png")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG"
    assert image.size == (1200, 630)


def test_card_shows_title_company_and_headline_figure(case):
    content = cards.case_card_content(case)
    assert content["title"] == case.title
    assert content["company"] == case.company.name
    assert content["reference"] == case.reference
    assert content["figure"] == "$180 million"
    # A French case not yet translated: its English card shows the French title and says so.
    assert content["subtitle"] == "In French, not yet translated"
    with translation.override("fr"):
        french = cards.case_card_content(case)
    assert "180" in french["figure"] and "USD" in french["figure"]
    assert french["title"] == case.title_fr and french["subtitle"] == ""
    case.title_en, case.summary_en, case.story_en, case.lesson_en = "A bill", "Summary.", "Story.", "Lesson."
    assert cards.case_card_content(case)["subtitle"] == ""


@pytest.mark.parametrize("text", ["é", "É", "œ", "€", "à"])
def test_the_shipped_font_renders_french_characters_with_ink(text):
    typeface = cards.font(64, bold=True)
    assert str(cards.FONT_DIR).startswith(str(cards.settings.BASE_DIR))  # shipped, not a system path
    image = Image.new("L", (120, 120), 255)
    ImageDraw.Draw(image).text((20, 10), text, font=typeface, fill=0)
    ink = ImageChops.invert(image).getbbox()
    assert ink is not None
    # Not the "missing glyph" box: the accented letter differs from its unaccented one.
    plain = Image.new("L", (120, 120), 255)
    unaccented = {"é": "e", "É": "E", "œ": "o", "€": "C", "à": "a"}[text]
    ImageDraw.Draw(plain).text((20, 10), unaccented, font=typeface, fill=0)
    assert ImageChops.difference(image, plain).getbbox() is not None


def test_card_is_drawn_once_then_served_from_storage(client, case):
    with mock.patch("incidents.cards.draw_card", wraps=cards.draw_card) as draw:
        first = client.get(f"/cases/{case.pk}/card.png")
        second = client.get(f"/cases/{case.pk}/card.png")
    assert draw.call_count == 1
    assert first.content == second.content
    _dirs, files = default_storage.listdir(f"cards/{case.pk}")
    assert len(files) == 1


def test_a_new_revision_gets_a_new_card_and_the_old_one_goes(client, case):
    with mock.patch("incidents.cards.draw_card", wraps=cards.draw_card) as draw:
        client.get(f"/cases/{case.pk}/card.png")
        case.title = "A completely different title"
        case.save()
        client.get(f"/cases/{case.pk}/card.png")
        client.get(f"/cases/{case.pk}/card.png")
    assert draw.call_count == 2
    _dirs, files = default_storage.listdir(f"cards/{case.pk}")
    assert len(files) == 1


def test_card_answers_conditional_requests(client, case):
    first = client.get(f"/cases/{case.pk}/card.png")
    assert client.get(f"/cases/{case.pk}/card.png", headers={"if-none-match": first["ETag"]}).status_code == 304
    assert "max-age" in first["Cache-Control"]


def test_unpublished_cases_have_no_card(client):
    for status in (Status.DRAFT, Status.REVIEW, Status.RETRACTED):
        hidden = factories.incident(status=status)
        assert client.get(f"/cases/{hidden.pk}/card.png").status_code == 404
    assert client.get("/cases/999999/card.png").status_code == 404


def test_site_card_for_other_pages(client):
    response = client.get("/card.png")
    assert response.status_code == 200
    assert Image.open(io.BytesIO(response.content)).size == (1200, 630)


def test_long_titles_are_wrapped_inside_the_card():
    image = cards.draw_card(title="Un titre très long " * 20, company="Une entreprise au nom interminable " * 5)
    assert image.size == (1200, 630)
    lines = cards.wrap("Un titre très long " * 20, cards.font(44, bold=True), 1040, max_lines=4)
    assert len(lines) == 4 and lines[-1].endswith("…")
    assert all(cards.font(44, bold=True).getlength(line) <= 1040 for line in lines)


def inked_rows(image, top, bottom):
    """How many pixel rows between `top` and `bottom` carry something other than the paper (right of the red band)."""
    grey = image.convert("RGB").crop((40, top, 1200, bottom))
    paper = Image.new("RGB", grey.size, cards.PAPER)
    box = ImageChops.difference(grey, paper).convert("L").point(lambda v: 255 if v > 40 else 0)
    return sum(1 for y in range(box.height) if box.crop((0, y, box.width, y + 1)).getbbox())


def test_a_card_without_a_cost_is_not_half_empty():
    short = cards.draw_card(
        title="A short title",
        company="EDF",
        summary="A bill of 88,247 euros for a pensioner, and no letter of apology for months. " * 3,
        facts="Apology: Refused · first response: about 3 weeks",
    )
    assert inked_rows(short, 330, 600) > 80  # the summary and the facts fill the lower half (the facts alone: 25)


def test_a_card_with_a_price_compares_both_sides_in_the_readers_language(case):
    factories.cost(case, "180000000", "USD", source=factories.source(incident=case))
    factories.cost(case, "1200", "USD", kind="remedy", source=factories.source(incident=case))
    case = type(case).objects.prefetch_related("costs").get(pk=case.pk)
    content = cards.case_card_content(case)
    assert content["price"]["figure"] == "×150,000"
    assert (content["price"]["remedy"], content["price"]["bad_buzz"]) == ("$1,200", "$180 million")
    with translation.override("fr"):
        french = cards.case_card_content(case)["price"]
    assert french["remedy_label"] == "Ce qu’aurait coûté la réparation" and "millions" in french["bad_buzz"]
    image = cards.draw_card(**content)
    assert inked_rows(image, 400, 600) > 120


def test_a_remedy_that_cost_more_than_the_bad_buzz_draws_the_shorter_bar_for_the_bad_buzz(case):
    factories.cost(case, "1000", "EUR", source=factories.source(incident=case))
    factories.cost(case, "4000", "EUR", kind="remedy", source=factories.source(incident=case))
    case = type(case).objects.prefetch_related("costs").get(pk=case.pk)
    content = cards.case_card_content(case)["price"]
    assert content["figure"] == "×0.25"
    assert (content["remedy_share"], content["bad_buzz_share"]) == (1.0, 0.25)
