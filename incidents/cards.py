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

from incidents.i18n import reader_language
from incidents.models import CostKind, Incident
from incidents.text import format_big_money

logger = logging.getLogger(__name__)

WIDTH, HEIGHT = 1200, 630
FONT_DIR = Path(settings.BASE_DIR) / "static" / "fonts"
# Bump when the design changes, so that every card is drawn again.
CARD_VERSION = "1"
MARGIN = 80

PAPER = (246, 243, 238)
INK = (29, 29, 31)
MUTED = (85, 85, 85)
ACCENT = (138, 28, 28)


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


def fit_title(text, width, max_lines=4):
    """The largest title size whose wrapped lines fit in `max_lines`."""
    for size in (68, 60, 54, 48, 44):
        typeface = font(size, bold=True)
        lines = wrap(text, typeface, width, max_lines=99)
        if len(lines) <= max_lines:
            return typeface, lines
    typeface = font(44, bold=True)
    return typeface, wrap(text, typeface, width, max_lines)


def draw_card(*, title, reference="", company="", figure="", figure_label="", subtitle="", site_name=None):
    """Draw a share card and return it as a Pillow image."""
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

    # The title, as large as fits.
    title_font, lines = fit_title(title, inner)
    y = 130
    line_height = int(title_font.size * 1.2)
    for line in lines:
        draw.text((MARGIN, y), line, font=title_font, fill=INK)
        y += line_height
    if subtitle:
        subtitle_font = font(36)
        y += 20
        for line in wrap(subtitle, subtitle_font, inner, max_lines=3):
            draw.text((MARGIN, y), line, font=subtitle_font, fill=MUTED)
            y += int(subtitle_font.size * 1.35)

    # The company, then the headline figure, from the bottom up.
    bottom = HEIGHT - 60
    if figure:
        figure_font = font(56, bold=True)
        draw.text((MARGIN, bottom - 60), figure, font=figure_font, fill=ACCENT)
        if figure_label:
            draw.text((MARGIN, bottom - 100), figure_label, font=font(28), fill=MUTED)
        bottom -= 120
    if company:
        company_font = font(36)
        company_line = wrap(company, company_font, inner, max_lines=1)[0]
        draw.text((MARGIN, max(bottom - 44, y + 10)), company_line, font=company_font, fill=INK)
    return image


def png_bytes(image):
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def headline_figure(case):
    """The case's headline figure ("USD 180 million"), the largest bad-buzz estimate, as the case page shows it."""
    bad_buzz = [c for c in case.costs.all() if c.kind == CostKind.BAD_BUZZ]
    headline = max(bad_buzz, key=lambda c: c.amount_high or c.amount_low, default=None)
    if headline is None:
        return ""
    return format_big_money(headline.central_amount, headline.currency)


def case_card_content(case):
    """What the card of a case shows, in the language of its URL (/fr/cases/<n>/card.png in French); a case not
    yet translated into it shows its original title, and says so."""
    figure = headline_figure(case)
    shown = case.text_language()
    untranslated = {"fr": _("In French, not yet translated"), "en": _("In English, not yet translated")}
    return {
        "title": case.title,
        "reference": case.reference,
        "company": case.company.name,
        "figure": figure,
        "figure_label": _("Estimated cost of the bad buzz") if figure else "",
        "subtitle": untranslated[shown] if shown != reader_language() else "",
        "site_name": settings.SITE_NAME,
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
