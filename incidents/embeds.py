"""A case on other sites: the embeddable card (/cases/<number>/embed/), the oEmbed answer (/oembed/) that offers
it, the snippet and the share links of the case page's share box (templates/includes/_case_share.html).

The card is the one page other sites may frame (its CSP gets `frame-ancestors *`, incidents/security.py); a
merged case's card answers 301 to the surviving case's, and only a published case is ever embedded. Share links
are plain links to each network's own "share this URL" address: no script of theirs, nothing that tracks.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode, urlsplit

from django.conf import settings
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import Resolver404, resolve, reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language_from_path
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from incidents.cards import headline_figure
from incidents.models import Incident, Status
from incidents.services import follow_merges

EMBED_WIDTH, EMBED_HEIGHT = 560, 300
MIN_EMBED_WIDTH, MIN_EMBED_HEIGHT = 200, 120


@require_safe
@xframe_options_exempt  # the one page other sites may frame; its CSP gets frame-ancestors * (incidents/security.py)
def case_embed(request, pk):
    """/cases/<number>/embed/: a small card meant for an <iframe> on another site."""
    case = get_object_or_404(
        Incident.objects.public().select_related("company__sector", "merged_into").prefetch_related("costs"), pk=pk
    )
    if case.status == Status.MERGED and case.merged_into_id:
        target = follow_merges(case)
        return HttpResponseRedirect(reverse("incidents:case_embed", kwargs={"pk": target.pk}), status=301)
    # The card speaks the language of its URL (/fr/cases/<n>/embed/ in French), and links to the case in it.
    context = {
        "case": case,
        "retracted": case.status == Status.RETRACTED,
        "figure": headline_figure(case) if case.status == Status.PUBLISHED else "",
        "case_url": request.build_absolute_uri(case.get_absolute_url()),
        "site_url": request.build_absolute_uri(reverse("incidents:home")),
        "site_name": settings.SITE_NAME,
    }
    response = render(request, "incidents/embed.html", context)
    response["Cache-Control"] = "public, max-age=3600"
    return response


def embed_html(request, case, width=EMBED_WIDTH, height=EMBED_HEIGHT):
    """The <iframe> that embeds a case's card: what oEmbed answers and what the case page offers to copy."""
    return format_html(
        '<iframe src="{}" width="{}" height="{}" title="{}" loading="lazy" '
        'sandbox="allow-popups allow-popups-to-escape-sandbox"></iframe>',
        request.build_absolute_uri(reverse("incidents:case_embed", kwargs={"pk": case.pk})),
        width,
        height,
        f"{case.title} ({case.reference}), {settings.SITE_NAME}",
    )


def share_links(request, case):
    """(network, URL) pairs that open each network's own share form with the case's title and address."""
    url = request.build_absolute_uri(case.get_absolute_url())
    text = f"{case.title} ({case.reference})"
    body = f"{text}\n{url}"
    return [
        # RFC 6068: spaces as %20, not "+", in a mailto: URL.
        (_("Email"), f"mailto:?subject={quote(text, safe='')}&body={quote(body, safe='')}"),
        ("Bluesky", "https://bsky.app/intent/compose?" + urlencode({"text": f"{text} {url}"})),
        ("LinkedIn", "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": url})),
        ("X", "https://x.com/intent/tweet?" + urlencode({"text": text, "url": url})),
    ]


# A Mastodon server's name as a reader types it: "mastodon.social", "https://piaille.fr/", "@me@piaille.fr".
MASTODON_SERVER = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")


def mastodon_server(value):
    """The host name in what a reader typed as their Mastodon server, or None."""
    value = (value or "").strip().lower()
    value = re.sub(r"^https?://", "", value).split("/", 1)[0]
    value = value.rsplit("@", 1)[-1]
    return value if len(value) <= 253 and MASTODON_SERVER.fullmatch(value) else None


@require_safe
def share_on_mastodon(request, pk):
    """/cases/<number>/share/mastodon/?server=piaille.fr: Mastodon has no single address, so the case page asks for
    the reader's server and this page links to its share form. A link, not a redirect: the site's CSP allows forms
    to send readers to this site only (`form-action 'self'`, which browsers apply to redirects too), and a redirect
    to any host a URL names would make the site an open redirect."""
    case = get_object_or_404(Incident.objects.published().select_related("company"), pk=pk)
    server = mastodon_server(request.GET.get("server"))
    if server is None:  # the form again, with what was typed and why it is not a server's name
        context = {"case": case, "typed": request.GET.get("server", "")[:300]}
        return render(request, "incidents/share_mastodon.html", context, status=400)
    case_url = request.build_absolute_uri(case.get_absolute_url())
    target = f"https://{server}/share?" + urlencode({"text": f"{case.title} ({case.reference}) {case_url}"})
    return render(request, "incidents/share_mastodon.html", {"case": case, "server": server, "target": target})


def case_from_url(request, url):
    """The case a URL of this site points at (a case page, its short reference or its embed), or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    if not url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return None
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    names = {"incident_detail": "pk", "incident_redirect": "pk", "case_embed": "pk", "short_reference": "number"}
    if match.namespace != "incidents" or match.url_name not in names:
        return None
    number = match.kwargs.get(names[match.url_name])
    case = Incident.objects.public().select_related("company", "merged_into").filter(pk=number).first()
    if case is not None and case.status == Status.MERGED:
        case = follow_merges(case)
    if case is None or case.status != Status.PUBLISHED:
        return None
    return case


def _bounded(value, default, minimum):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return max(min(number, default), minimum)


@require_safe
def oembed(request):
    """/oembed/?url=<case URL>&format=json: the oEmbed "rich" response that embeds a case's card, in the language
    of the URL given (a /fr/ case page embeds the French card)."""
    if request.GET.get("format", "json") != "json":
        return JsonResponse({"detail": "Only the json format is served."}, status=501)
    url = request.GET.get("url", "")
    if not url:
        return JsonResponse({"detail": "The url parameter is required."}, status=400)
    with translation.override(get_language_from_path(urlsplit(url).path) or settings.LANGUAGE_CODE):
        return oembed_answer(request, url)


def oembed_answer(request, url):
    case = case_from_url(request, url)
    if case is None:
        return JsonResponse({"detail": "No published case at this URL."}, status=404)
    width = _bounded(request.GET.get("maxwidth"), EMBED_WIDTH, MIN_EMBED_WIDTH)
    height = _bounded(request.GET.get("maxheight"), EMBED_HEIGHT, MIN_EMBED_HEIGHT)
    html = embed_html(request, case, width, height)
    data = {
        "version": "1.0",
        "type": "rich",
        "title": case.title,
        "author_name": settings.SITE_NAME,
        "author_url": request.build_absolute_uri(reverse("incidents:home")),
        "provider_name": settings.SITE_NAME,
        "provider_url": request.build_absolute_uri(reverse("incidents:home")),
        "cache_age": 86400,
        "html": str(html),
        "width": width,
        "height": height,
    }
    # A thumbnail must respect maxwidth and maxheight: the share card is offered only when it fits.
    card_width, card_height = 1200, 630
    max_width, max_height = request.GET.get("maxwidth"), request.GET.get("maxheight")
    if (not max_width or _bounded(max_width, card_width, 0) >= card_width) and (
        not max_height or _bounded(max_height, card_height, 0) >= card_height
    ):
        data.update(
            thumbnail_url=request.build_absolute_uri(reverse("incidents:case_card", kwargs={"pk": case.pk})),
            thumbnail_width=card_width,
            thumbnail_height=card_height,
        )
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    return response
