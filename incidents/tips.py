"""Reader tips: the public "Submit a story" form and its abuse limits, and the turning of a tip into a draft.

Readers have no account: a tip is counted per client (a salted hash of its address, in the shared cache)
and its reference travels signed in the URL of the thank-you page. Editors turn a tip into a draft case
from the admin (incidents/admin.py, `TipAdmin`), which calls `draft_from_tip()`.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.text import Truncator, slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from incidents.forms import TipForm
from incidents.i18n import reader_language
from incidents.models import Incident, Status, Tip
from incidents.security import client_ip_address

TIP_MAX_BODY_BYTES = 64 * 1024  # the form's limits add up to about 8 KB; anything far larger is not a reader
TIP_THANKS_SALT = "incidents.tips.thanks"


# The public form ---------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def submit_tip(request):
    """The public "Submit a story" form: CSRF, a honeypot, a rate limit per client, plain text only."""
    if request.method == "GET":
        return render(request, "incidents/submit.html", {"form": TipForm()})
    if int(request.META.get("CONTENT_LENGTH") or 0) > TIP_MAX_BODY_BYTES:
        refusal = _("That is far more text than this form takes. Please shorten it.")
        return render(request, "incidents/submit.html", {"form": TipForm(), "refusal": refusal}, status=413)
    if tip_rate_limited(request):
        return render(request, "incidents/submit.html", {"form": TipForm(), "rate_limited": True}, status=429)
    form = TipForm(request.POST)
    if form.is_robot:
        count_tip(request)  # answered like a success, saved nowhere
        return redirect("incidents:submit_thanks")
    if not form.is_valid():
        return render(request, "incidents/submit.html", {"form": form}, status=400)
    tip = form.save(commit=False)
    tip.client_hash = client_hash(request)
    tip.save()
    count_tip(request)
    return redirect(f"{reverse('incidents:submit_thanks')}?ref={signing.dumps(tip.reference, salt=TIP_THANKS_SALT)}")


@never_cache
@require_GET
def submit_thanks(request):
    """The page after a tip: its reference, carried signed in the URL (readers have no session)."""
    try:
        reference = signing.loads(request.GET.get("ref", ""), salt=TIP_THANKS_SALT, max_age=24 * 3600)
    except signing.BadSignature:
        reference = None
    return render(request, "incidents/submit_thanks.html", {"reference": reference})


# Abuse limits ------------------------------------------------------------------------------------------


def client_hash(request):
    """A salted hash of the client's address: enough to count its tips, useless to find the person."""
    return salted_hmac("incidents.tips.client", client_ip_address(request), algorithm="sha256").hexdigest()


def _rate_key(request):
    return f"tips:sent:{client_hash(request)}"


def tip_rate_limited(request):
    """True once a client has sent `TIPS_PER_HOUR` tips in the current hour (counted in the shared cache)."""
    return cache.get(_rate_key(request), 0) >= settings.TIPS_PER_HOUR


def count_tip(request):
    key = _rate_key(request)
    if not cache.add(key, 1, timeout=3600):
        try:
            cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.add(key, 1, timeout=3600)


# From tip to draft -------------------------------------------------------------------------------------


def markdown_text(text):
    """`text` as Markdown that shows it as typed, on one line: markup and Markdown signs are escaped, not read."""
    text = " ".join(text.split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_{}\[\]()#!|])", r"\\\1", text)


@transaction.atomic
def draft_from_tip(tip, user, *, company, title, country):
    """A draft case written from a reader's tip, its story quoting what they sent; the tip is marked converted."""
    links = "\n".join(f"- <{link}>" for link in tip.links.splitlines() if link.strip())
    story = tip.what_happened
    if tip.when:
        story += "\n\n" + gettext("When, according to the reader: %(when)s") % {"when": markdown_text(tip.when)}
    if links:
        story += "\n\n" + gettext("Links sent by the reader:") + "\n\n" + links
    # The draft is written in the editor's language (the one the tip was read in), its texts in that column.
    language = reader_language()
    incident = Incident(
        **{
            f"title_{language}": title,
            f"summary_{language}": Truncator(tip.what_happened).chars(600),
            f"story_{language}": story,
        },
        language=language,
        slug=slugify(title)[:200] or "case",
        company=company,
        country=country,
        status=Status.DRAFT,
    )
    incident._history_user = user
    incident._change_reason = gettext("Created from reader tip %(tip)s") % {"tip": tip.reference}
    incident.save()
    tip.incident = incident
    tip.status = Tip.TipStatus.CONVERTED
    tip.save(update_fields=["incident", "status"])
    return incident
