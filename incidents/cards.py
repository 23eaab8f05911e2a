"""Share cards: the 1200x630 PNG social networks show beside a link to a case (and one for the site).

A card is drawn once for each distinct content (title, company, headline figure, reference, language) and
kept in the default storage under cards/<case number>/<content hash>.png; later requests read that file.
The fonts are shipped in static/fonts (DejaVu Sans, whose licence is beside them): Pillow's built-in font
has no accents, and a system font path may not exist on the next machine.
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from PIL import Image, ImageDraw, ImageFont

from incidents import price
from incidents.i18n import reader_language
from incidents.models import Incident
from incidents.text import format_big_money

logger = logging.getLogger(__name__)

WIDTH, HEIGHT = 1200, 630
FONT_DIR = Path(settings.BASE_DIR) / "static" / "fonts"
# Bump when the design changes, so that every card is drawn again.
CARD_VERSION = "2"
MARGIN = 80

PAPER = (246, 243, 238)
INK = (29, 29, 31)
MUTED = (85, 85, 85)
ACCENT = (138, 28, 28)
REMEDY_BLUE = (11, 79, 138)
TRACK = (226, 220, 210)
RULE = (216, 210, 200)


@functools.lru_cache(maxsize=32)
def font(size, bold=False):
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(FONT_DIR / name), size)


def wrap(text, typeface, width, max_lines):
    """Split text into lines no wider than `width` pixels; the last line ends with "…" if text is left over."""
    words = text.split()
    lines, current = [], ""
    for word in words:
        candidate = f"{current} {word}".strip()
        if typeface.getlength(candidate) <= width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and typeface.getlength(last + " …") > width:
            last = last.rsplit(" ", 1)[0] if " " in last else last[:-1]
        lines[-1] = last + " …"
    # A single word wider than the card (a long URL, say) is cut rather than drawn off the edge.
    fitted = []
    for line in lines:
        while typeface.getlength(line) > width and len(line) > 1:
            line = line[:-2] + "…"
        fitted.append(line)
    return fitted


def fit_title(text, width, max_lines=4, sizes=(68, 60, 54, 48, 44)):
    """The largest title size whose wrapped lines fit in `max_lines`."""
    for size in sizes:
        typeface = font(size, bold=True)
        lines = wrap(text, typeface, width, max_lines=99)
        if len(lines) <= max_lines:
            return typeface, lines
    typeface = font(sizes[-1], bold=True)
    return typeface, wrap(text, typeface, width, max_lines)


def draw_price(draw, top, price):
    """The price of not apologising across the bottom of the card: the two sides as labelled bars on the left,
    the ratio, large, on the right."""
    draw.line([(MARGIN, top), (WIDTH - MARGIN, top)], fill=RULE, width=2)
    figure_font = font(84, bold=True)
    figure_width = figure_font.getlength(price["figure"])
    right = WIDTH - MARGIN
    draw.text((right - figure_width, top + 28), price["figure"], font=figure_font, fill=ACCENT)
    caption_font = font(24)
    for i, line in enumerate(wrap(price["figure_label"], caption_font, 330, max_lines=2)):
        draw.text((right - caption_font.getlength(line), top + 130 + i * 30), line, font=caption_font, fill=MUTED)
    bars_right = right - max(figure_width, 330) - 40
    label_font, amount_font = font(26), font(30, bold=True)
    for i, (label, amount, share, colour) in enumerate(
        [
            (price["remedy_label"], price["remedy"], price["remedy_share"], REMEDY_BLUE),
            (price["bad_buzz_label"], price["bad_buzz"], price["bad_buzz_share"], ACCENT),
        ]
    ):
        y = top + 24 + i * 96
        draw.text((MARGIN, y), label, font=label_font, fill=MUTED)
        amount_line = wrap(amount, amount_font, bars_right - MARGIN, max_lines=1)[0]
        draw.text((MARGIN, y + 32), amount_line, font=amount_font, fill=INK)
        bar_top = y + 72
        draw.rectangle([MARGIN, bar_top, bars_right, bar_top + 12], fill=TRACK)
        draw.rectangle(
            [MARGIN, bar_top, MARGIN + max(int((bars_right - MARGIN) * share), 4), bar_top + 12], fill=colour
        )


def draw_card(
    *,
    title,
    reference="",
    company="",
    figure="",
    figure_label="",
    subtitle="",
    site_name=None,
    summary="",
    facts="",
    price=None,
):
    """Draw a share card and return it as a Pillow image.

    With a `price` (the dict of `price_content`), the bottom third compares the two costs. Without one, the
    title takes more room and the case's summary and facts fill the card, so it never looks half empty."""
    site_name = site_name or settings.SITE_NAME
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, 24, HEIGHT], fill=ACCENT)
    inner = WIDTH - 2 * MARGIN

    # Top line: the site's name, and the case's reference on the right.
    draw.text((MARGIN, 56), site_name, font=font(34, bold=True), fill=ACCENT)
    if reference:
        ref_font = font(34, bold=True)
        draw.text((WIDTH - MARGIN - ref_font.getlength(reference), 56), reference, font=ref_font, fill=MUTED)

    y = 124
    if price:
        title_font, lines = fit_title(title, inner, max_lines=3, sizes=(56, 50, 44, 40))
    else:
        title_font, lines = fit_title(title, inner)
    line_height = int(title_font.size * 1.18)
    for line in lines:
        draw.text((MARGIN, y), line, font=title_font, fill=INK)
        y += line_height
    if subtitle:
        subtitle_font = font(32)
        y += 12
        for line in wrap(subtitle, subtitle_font, inner, max_lines=2):
            draw.text((MARGIN, y), line, font=subtitle_font, fill=MUTED)
            y += int(subtitle_font.size * 1.35)
    company_font = font(34)
    if price:
        if company:
            draw.text((MARGIN, y + 8), wrap(company, company_font, inner, max_lines=1)[0], font=company_font, fill=INK)
        draw_price(draw, HEIGHT - 250, price)
        return image

    # No price: the company under the title, then the summary, then the facts and the headline figure below.
    if company:
        y += 8
        draw.text((MARGIN, y), wrap(company, company_font, inner, max_lines=1)[0], font=company_font, fill=ACCENT)
        y += 52
    bottom = HEIGHT - 56
    footer_top = bottom - (110 if figure else 40 if facts else 0)
    if summary:
        summary_font = font(30)
        room = max((footer_top - 24 - y) // 40, 0)
        for line in wrap(summary, summary_font, inner, max_lines=min(room, 5)) if room else []:
            draw.text((MARGIN, y + 6), line, font=summary_font, fill=MUTED)
            y += 40
    if figure:
        draw.line([(MARGIN, footer_top), (WIDTH - MARGIN, footer_top)], fill=RULE, width=2)
        draw.text((MARGIN, footer_top + 14), figure_label, font=font(26), fill=MUTED)
        draw.text((MARGIN, footer_top + 46), figure, font=font(52, bold=True), fill=ACCENT)
    elif facts:
        draw.line([(MARGIN, footer_top - 4), (WIDTH - MARGIN, footer_top - 4)], fill=RULE, width=2)
        draw.text((MARGIN, footer_top + 10), wrap(facts, font(28), inner, max_lines=1)[0], font=font(28), fill=INK)
    return image


def png_bytes(image):
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def headline_figure(case):
    """The case's headline figure ("USD 180 million"), the largest bad-buzz estimate, as the case page shows it."""
    headline = price.largest(case.costs.all())
    if headline is None:
        return ""
    return format_big_money(headline.central_amount, headline.currency)


def price_content(case):
    """The price of not apologising as the card writes it (incidents.price), or None."""
    item = price.case_price(case.costs.all())
    if item is None:
        return None
    return {
        "figure": item.figure,
        "figure_label": _("the bad buzz against the remedy, an estimate"),
        "remedy_label": _("What making it right would have cost"),
        "remedy": item.remedy.text,
        "remedy_share": item.remedy_share,
        "bad_buzz_label": _("What the bad buzz cost"),
        "bad_buzz": item.bad_buzz.text,
        "bad_buzz_share": item.bad_buzz_share,
    }


def case_card_content(case):
    """What the card of a case shows, in the language of its URL (/fr/cases/<n>/card.png in French); a case not
    yet translated into it shows its original title, and says so."""
    figure = headline_figure(case)
    shown = case.text_language()
    untranslated = {"fr": _("In French, not yet translated"), "en": _("In English, not yet translated")}
    facts = [_("Apology: %(level)s") % {"level": case.apology.label}]
    delay = case.delay_to_first_response()
    if delay:
        facts.append(_("first response: %(delay)s") % {"delay": delay})
    return {
        "title": case.title,
        "reference": case.reference,
        "company": case.company.name,
        "figure": figure,
        "figure_label": _("Estimated cost of the bad buzz") if figure else "",
        "subtitle": untranslated[shown] if shown != reader_language() else "",
        "site_name": settings.SITE_NAME,
        "summary": case.summary,
        "facts": " · ".join(str(fact) for fact in facts),
        "price": price_content(case),
    }


def content_key(content):
    text = "\x1f".join([CARD_VERSION, *(f"{k}={v}" for k, v in sorted(content.items()))])
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def stored_card(folder, content):
    """(name, PNG bytes) of the card for this content: read from storage, or drawn once and stored."""
    key = content_key(content)
    name = f"{folder}/{key}.png"
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as handle:
            return key, handle.read()
    data = png_bytes(draw_card(**content))
    saved = default_storage.save(name, ContentFile(data))
    if saved != name:  # another request stored the same card meanwhile; keep one copy
        default_storage.delete(saved)
    _delete_older_cards(folder, keep=f"{key}.png")
    return key, data


def _delete_older_cards(folder, keep):
    """Cards of earlier revisions of the same case are never served again."""
    try:
        _dirs, files = default_storage.listdir(folder)
    except (FileNotFoundError, NotImplementedError):
        return
    for filename in files:
        if filename != keep and filename.endswith(".png"):
            try:
                default_storage.delete(f"{folder}/{filename}")
            except OSError:  # pragma: no cover - a concurrent request deleted it first
                logger.info("Card %s/%s was already gone", folder, filename)


def card_response(request, key, data):
    etag = f'"{key}"'
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        return not_modified
    response = HttpResponse(data, content_type="image/png")
    response["ETag"] = etag
    # A new revision gets a new card at the same URL: let caches keep it for a day, not for ever.
    patch_cache_control(response, public=True, max_age=24 * 3600)
    return response


@require_safe
def case_card(request, pk):
    """/cases/<number>/card.png: the share card of a published case."""
    case = get_object_or_404(
        Incident.objects.published().select_related("company").prefetch_related("costs"),
        pk=pk,
    )
    key, data = stored_card(f"cards/{case.pk}", case_card_content(case))
    return card_response(request, key, data)


@require_safe
def site_card(request):
    """/card.png: the share card of every page that is not a case."""
    content = {
        "title": _("The reference catalogue of customer-service failures"),
        "subtitle": _("What happened, how the company apologised, what it cost, and the lesson."),
        "reference": "",
        "company": "",
        "figure": "",
        "figure_label": "",
        "site_name": settings.SITE_NAME,
    }
    key, data = stored_card(f"cards/site-{translation.get_language() or 'en'}", content)
    return card_response(request, key, data)
